"""Appending to a ticket's timeline: the one way every domain writes a timeline entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from aftersales.kit.actor import Actor
from aftersales.tickets.models import Ticket, TicketEntry


def append(
    db: Session,
    ticket: Ticket,
    kind: str,
    actor: Actor,
    now: datetime,
    *,
    body: str = "",
    visibility: str = "internal",
    data: dict[str, Any] | None = None,
) -> TicketEntry:
    entry = TicketEntry(
        ticket_id=ticket.id,
        kind=kind,
        author_type=actor.type,
        author_id=actor.id,
        visibility=visibility,
        body=body,
        data=data or {},
        created_at=now,
    )
    db.add(entry)
    ticket.updated_at = now
    return entry


def pending_entries(db: Session, ticket: Ticket) -> list[TicketEntry]:
    """The ticket's entries added in this session and not yet written, in the order they were appended."""
    return [obj for obj in db.new if isinstance(obj, TicketEntry) and obj.ticket_id == ticket.id]
