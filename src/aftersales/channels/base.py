"""Notification channels are plug-ins: a package under channels/<kind>/ with one Channel subclass each."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aftersales.kit.settings import Settings


class DeliveryError(Exception):
    """The channel could not hand the message over; the dispatcher retries with backoff."""


@dataclass
class OutboundMessage:
    recipient: str
    subject: str
    body: str
    locale: str = "zh"
    template: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class Channel(ABC):
    """Sends one rendered message. ``kind`` is what notifications.channel stores."""

    kind: ClassVar[str]
    # The in-app inbox needs no sending: its rows are the messages, readable at once.
    stored_only: ClassVar[bool] = False

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Settings) -> Channel | None:
        """The configured channel, or None when the deployment did not configure it."""

    @abstractmethod
    def send(self, message: OutboundMessage) -> None: ...


def channel_classes() -> list[type[Channel]]:
    from aftersales.channels.email.channel import EmailChannel
    from aftersales.channels.gateway.channel import GatewayChannel
    from aftersales.channels.inbox.channel import InboxChannel

    return [EmailChannel, GatewayChannel, InboxChannel]


def configured_channels(settings: Settings) -> dict[str, Channel]:
    """Channels that actually send (the inbox is left out: nothing to send)."""
    channels: dict[str, Channel] = {}
    for cls in channel_classes():
        channel = cls.from_settings(settings)
        if channel is not None and not cls.stored_only:
            channels[cls.kind] = channel
    return channels
