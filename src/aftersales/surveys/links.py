"""Signed links sent to customers: the ticket portal and the satisfaction survey."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from aftersales.kit.security import LinkSigner
from aftersales.kit.settings import Settings


class SurveySigner:
    """A link that opens exactly one survey; its own salt, so a portal token is not a survey token."""

    def __init__(self, secret_key: str, *, max_age_days: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="aftersales.survey")
        self.max_age_seconds = max_age_days * 86400

    def sign(self, survey_id: int) -> str:
        return self._serializer.dumps({"s": survey_id})

    def verify(self, token: str) -> int | None:
        try:
            data = self._serializer.loads(token, max_age=self.max_age_seconds)
        except (SignatureExpired, BadSignature):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("s"), int):
            return None
        return int(data["s"])


def survey_signer(settings: Settings) -> SurveySigner:
    return SurveySigner(settings.resolved_secret_key(), max_age_days=settings.survey_link_max_age_days)


def portal_url(settings: Settings, ticket_id: int, customer_id: int | None) -> str:
    signer = LinkSigner(settings.resolved_secret_key(), max_age_days=settings.customer_link_max_age_days)
    # The customer's page (web/portal.py), not the JSON API behind it: the link is opened on a phone.
    return f"{settings.public_base_url.rstrip('/')}/portal/t/{signer.sign(ticket_id, customer_id)}"


def survey_url(settings: Settings, survey_id: int) -> str:
    return f"{settings.public_base_url.rstrip('/')}/portal/s/{survey_signer(settings).sign(survey_id)}"
