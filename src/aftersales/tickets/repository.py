"""Ticket queries. Nothing outside this module builds ticket SELECTs."""

from __future__ import annotations

import base64
import json
import math
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Select, and_, any_, bindparam, func, literal_column, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from aftersales.kit.db import MAX_ID
from aftersales.kit.errors import NotFound, ValidationFailed
from aftersales.kit.text import query_tokens
from aftersales.tickets.models import OPEN_STATUSES, Attachment, Ticket, TicketCollaborator, TicketEntry


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
        return _pg_search_clause(db, tokens)
    # FTS5: each token quoted, so punctuation or operators in user input are never query syntax.
    match = " ".join('"' + token.replace('"', '""') + '"' for token in tokens)
    return Ticket.id.in_(
        select(text("rowid")).select_from(text("ticket_fts")).where(text("ticket_fts MATCH :m")).params(m=match)
    )


# tickets.search_tsv is a generated tsvector column with a GIN index, made by migration 0002 on PostgreSQL only.
def _search_match(words: Any):  # type: ignore[no-untyped-def]
    return literal_column("tickets.search_tsv").op("@@")(func.plainto_tsquery("simple", words))


_SEARCH_IDS = select(Ticket.id).where(_search_match(bindparam("words"))).limit(bindparam("ids_limit"))
_WORD_STATS = text(
    "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
    "WHERE schemaname = current_schema() AND tablename = 'tickets' AND attname = 'search_tsv'"
)
FREQUENT_SHARE = 0.005  # a search matching this share of tickets finds a page of 50 within ~10,000 newest rows
RARE_IDS_LIMIT = 20_000  # more matches than this and the statistics were wrong: walk the newest tickets instead
_STATS_TTL_S = 600.0
_word_shares: dict[str, tuple[float, dict[str, float]]] = {}


def _word_share(db: Session) -> dict[str, float]:
    """Share of tickets each common word is in, from PostgreSQL's own statistics of search_tsv (ANALYZE keeps
    them), read at most every ten minutes per database; words missing from it are rarer than all listed."""
    key = db.get_bind().engine.url.render_as_string()
    cached = _word_shares.get(key)
    if cached is not None and time.monotonic() - cached[0] < _STATS_TTL_S:
        return cached[1]
    row = db.execute(_WORD_STATS).first()
    shares = dict(zip(row[0], row[1], strict=False)) if row is not None and row[0] is not None else {}
    _word_shares[key] = (time.monotonic(), shares)
    return shares


def _pg_search_clause(db: Session, tokens: list[str]):  # type: ignore[no-untyped-def]
    """Frequent words are filtered while walking the newest tickets; rare ones are looked up in the GIN index.

    Left to itself the planner walks the created_at index for rare words too, testing every row for a word that
    matches almost nothing (0.6-0.8 s on 1M tickets). A frequent search (all words common) finds a page after a
    few thousand rows of that walk; for a rare one the matching ids come from the GIN index first and the page
    is fetched by id, so the planner knows exactly how few rows there are.
    """
    words = " ".join(tokens)
    shares = _word_share(db)
    estimate = math.prod(shares.get(token, 0.0) for token in tokens)  # the words taken as independent
    if estimate < FREQUENT_SHARE:
        ids = list(db.scalars(_SEARCH_IDS, {"words": words, "ids_limit": RARE_IDS_LIMIT + 1}))
        if len(ids) <= RARE_IDS_LIMIT:
            return Ticket.id == any_(bindparam("search_ids", value=ids, type_=ARRAY(BigInteger)))
    return _search_match(words)


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


_OPEN_LOAD = (
    select(Ticket.assignee_id, func.count())
    .where(Ticket.assignee_id.in_(bindparam("agent_ids", expanding=True)), Ticket.status.in_(OPEN_STATUSES))
    .group_by(Ticket.assignee_id)
)


def open_load_by_agent(db: Session, agent_ids: list[int]) -> dict[int, int]:
    """Open tickets owned by each agent (routing asks on every intake, so the statement is built once)."""
    if not agent_ids:
        return {}
    rows = db.execute(_OPEN_LOAD, {"agent_ids": agent_ids})
    return {agent_id: count for agent_id, count in rows if agent_id is not None}


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
