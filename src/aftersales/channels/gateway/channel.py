"""A generic HTTP gateway for SMS and WeChat template messages: one signed JSON POST per message.

Brands put their SMS or WeChat provider behind a small adapter that accepts this request; the signature is the
same HMAC scheme as webhooks (``X-Aftersales-Signature``)."""

from __future__ import annotations

import json
import time

import httpx

from aftersales.channels.base import Channel, DeliveryError, OutboundMessage
from aftersales.events.backoff import SIGNATURE_HEADER, sign
from aftersales.kit.settings import Settings


class GatewayChannel(Channel):
    kind = "sms"

    def __init__(self, url: str, secret: str, *, timeout: float = 10) -> None:
        self.url, self.secret, self.timeout = url, secret, timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> GatewayChannel | None:
        if not settings.sms_gateway_url:
            return None
        return cls(
            settings.sms_gateway_url, settings.sms_gateway_secret or "", timeout=settings.webhook_timeout_seconds
        )

    def send(self, message: OutboundMessage) -> None:
        body = json.dumps(
            {"to": message.recipient, "text": message.body, "template": message.template, "locale": message.locale},
            ensure_ascii=False,
        ).encode("utf-8")
        # The gateway checks freshness against its own clock, so this is wall time, not the business clock.
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(self.secret, int(time.time()), body),
        }
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"gateway: {type(exc).__name__}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"gateway answered HTTP {response.status_code}")
