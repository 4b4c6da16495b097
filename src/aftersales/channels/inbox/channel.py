"""The agents' in-app inbox: the notification row is the message; GET /api/v1/inbox reads it."""

from __future__ import annotations

from aftersales.channels.base import Channel, OutboundMessage
from aftersales.kit.settings import Settings


class InboxChannel(Channel):
    kind = "inbox"
    stored_only = True

    @classmethod
    def from_settings(cls, settings: Settings) -> InboxChannel:
        return cls()

    def send(self, message: OutboundMessage) -> None:
        """Nothing leaves the system; the row was readable from the moment it was committed."""
