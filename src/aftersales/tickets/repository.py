"""Ticket queries. Nothing outside this module builds ticket SELECTs."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select, text
from sqlalchemy.orm import Session

from aftersales.kit.db import MAX_ID
from aftersales.kit.errors import NotFound, ValidationFailed
from aftersales.kit.text import query_tokens
from aftersales.tickets.models import Attachment, Ticket, TicketCollaborator, TicketEntry


@dataclass
class TicketFilters:
    status: list[str] | None = None
    severity: list[str] | None = None
    department: list[str] | None = None
    category: list[str] | None = None
    channel: list[str] | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    customer_id: int | None = None
    sla: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    q: str | None = None


def get(db: Session, ticket_id: int, *, for_update: bool = False) -> Ticket:
    stmt = select(Ticket).where(Ticket.id == ticket_id)
    if for_update and db.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    ticket = db.scalars(stmt).first()
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} does not exist", field="ticket_id")
    return ticket


def timeline(db: Session, ticket_id: int, *, public_only: bool = False) -> list[TicketEntry]:
    stmt = select(TicketEntry).where(TicketEntry.ticket_id == ticket_id)
    if public_only:
        stmt = stmt.where(TicketEntry.visibility == "public")
    return list(db.scalars(stmt.order_by(TicketEntry.id)))


def collaborator_ids(db: Session, ticket_id: int) -> list[int]:
    stmt = select(TicketCollaborator.agent_id).where(TicketCollaborator.ticket_id == ticket_id)
    return list(db.scalars(stmt.order_by(TicketCollaborator.agent_id)))


def attachment(db: Session, ticket_id: int, attachment_id: int) -> Attachment:
    row = db.get(Attachment, attachment_id)
    if row is None or row.ticket_id != ticket_id:
        raise NotFound(f"attachment {attachment_id} does not exist on ticket {ticket_id}", field="attachment_id")
    return row


def encode_cursor(ticket: Ticket) -> str:
    raw = json.dumps([ticket.created_at.isoformat(), ticket.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, ticket_id = json.loads(raw)
        at, ticket_id = datetime.fromisoformat(created), int(ticket_id)
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise ValidationFailed("cursor is not one this API handed out", field="cursor") from exc
    if at.tzinfo is None or not 1 <= ticket_id <= MAX_ID:
        raise ValidationFailed("cursor is not one this API handed out", field="cursor")
    return at, ticket_id


def _search_clause(db: Session, q: str):  # type: ignore[no-untyped-def]
    tokens = query_tokens(q)
    if not tokens:
        raise ValidationFailed("search text has no words in it", field="q")
    if db.get_bind().dialect.name == "postgresql":
        return func.to_tsvector("simple", Ticket.search_text).op("@@")(func.plainto_tsquery("simple", " ".join(tokens)))
    # FTS5: each token quoted, so punctuation or operators in user input are never query syntax.
    match = " ".join('"' + token.replace('"', '""') + '"' for token in tokens)
    return Ticket.id.in_(
        select(text("rowid")).select_from(text("ticket_fts")).where(text("ticket_fts MATCH :m")).params(m=match)
    )


def list_query(db: Session, filters: TicketFilters, now: datetime) -> Select[Ticket]:
    stmt = select(Ticket)
    conds = []
    for column, values in (
        (Ticket.status, filters.status),
        (Ticket.severity, filters.severity),
        (Ticket.department, filters.department),
        (Ticket.category, filters.category),
        (Ticket.channel, filters.channel),
    ):
        if values:
            conds.append(column.in_(values) if len(values) > 1 else column == values[0])
    if filters.assignee_id is not None:
        conds.append(Ticket.assignee_id == filters.assignee_id)
    if filters.unassigned:
        conds.append(Ticket.assignee_id.is_(None))
    if filters.customer_id is not None:
        conds.append(Ticket.customer_id == filters.customer_id)
    if filters.created_from is not None:
        conds.append(Ticket.created_at >= filters.created_from)
    if filters.created_to is not None:
        conds.append(Ticket.created_at < filters.created_to)
    if filters.sla == "breached":
        conds.append(Ticket.sla_breach_at <= now)
    elif filters.sla == "warning":
        conds.append(and_(Ticket.sla_warn_at <= now, or_(Ticket.sla_breach_at.is_(None), Ticket.sla_breach_at > now)))
    elif filters.sla == "ok":
        conds.append(and_(Ticket.sla_state == "active", or_(Ticket.sla_warn_at.is_(None), Ticket.sla_warn_at > now)))
    elif filters.sla in ("paused", "none"):
        conds.append(Ticket.sla_state == filters.sla)
    if filters.q:
        conds.append(_search_clause(db, filters.q))
    if conds:
        stmt = stmt.where(and_(*conds))
    return stmt


def list_page(
    db: Session, filters: TicketFilters, now: datetime, *, limit: int, cursor: str | None
) -> tuple[list[Ticket], str | None]:
    """Newest first, keyset-paginated so page 1,000 costs what page 1 costs."""
    stmt = list_query(db, filters, now)
    if cursor:
        created, ticket_id = decode_cursor(cursor)
        stmt = stmt.where(or_(Ticket.created_at < created, and_(Ticket.created_at == created, Ticket.id < ticket_id)))
    rows = list(db.scalars(stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def open_load_by_agent(db: Session, agent_ids: list[int]) -> dict[int, int]:
    from aftersales.tickets.models import OPEN_STATUSES

    if not agent_ids:
        return {}
    stmt = (
        select(Ticket.assignee_id, func.count())
        .where(Ticket.assignee_id.in_(agent_ids), Ticket.status.in_(OPEN_STATUSES))
        .group_by(Ticket.assignee_id)
    )
    return {agent_id: count for agent_id, count in db.execute(stmt) if agent_id is not None}


# ---------------------------------------------------------------- pages: queues and the dashboard


def attachments(db: Session, ticket_id: int) -> list[Attachment]:
    return list(db.scalars(select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)))


def list_by_due(db: Session, filters: TicketFilters, now: datetime, *, limit: int) -> list[Ticket]:
    """A work queue: the ticket whose SLA falls due first on top; tickets without a running clock last."""
    stmt = list_query(db, filters, now)
    due_last = Ticket.sla_breach_at.is_(None)
    return list(db.scalars(stmt.order_by(due_last, Ticket.sla_breach_at, Ticket.created_at).limit(limit)))


def count(db: Session, filters: TicketFilters, now: datetime) -> int:
    stmt = list_query(db, filters, now).with_only_columns(func.count(Ticket.id)).order_by(None)
    return int(db.scalar(stmt) or 0)


def backlog(db: Session) -> list[tuple[str, str, int]]:
    """Open tickets as (department, severity, count)."""
    from aftersales.tickets.models import OPEN_STATUSES

    stmt = (
        select(Ticket.department, Ticket.severity, func.count())
        .where(Ticket.status.in_(OPEN_STATUSES))
        .group_by(Ticket.department, Ticket.severity)
    )
    return [(department, severity, int(n)) for department, severity, n in db.execute(stmt)]


def timings_since(db: Session, since: datetime) -> list[tuple[str, datetime, datetime | None, datetime | None]]:
    """(channel, created_at, first_replied_at, resolved_at) of the tickets created since a moment."""
    stmt = select(Ticket.channel, Ticket.created_at, Ticket.first_replied_at, Ticket.resolved_at).where(
        Ticket.created_at >= since
    )
    return [(c, created, replied, resolved) for c, created, replied, resolved in db.execute(stmt)]
