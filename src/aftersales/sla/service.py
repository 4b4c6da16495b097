"""SLA use cases on stored tickets: pick the policy, cache due times for queries, record breaches.

The clock state itself is never stored as truth: it is recomputed from the ticket's timeline by the pure
engine (``compute_sla``); the ticket only caches the next warning and breach times so lists can filter on them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from aftersales.kit.actor import Actor
from aftersales.kit.outbox import emit
from aftersales.sla.calendar import BusinessCalendar, default_calendars
from aftersales.sla.engine import SlaReport, TimelineFact, compute_sla, escalation
from aftersales.sla.models import BusinessCalendarRecord, SlaPolicyRecord
from aftersales.sla.policy import SlaPolicy, default_policies, match_policy
from aftersales.tickets.models import Ticket, TicketEntry
from aftersales.tickets.timeline import append

SYSTEM_SLA = Actor(type="system", name="sla")
ESCALATION_TARGETS = {1: "supervisor", 2: "management"}


# ---------------------------------------------------------------- stored policies and calendars


def record_to_policy(row: SlaPolicyRecord) -> SlaPolicy:
    return SlaPolicy.from_dict(
        {
            "id": row.id,
            "name": row.name,
            "position": row.position,
            "conditions": row.conditions,
            "targets": row.targets,
            "calendar_name": row.calendar_name,
            "warn_ratio": row.warn_ratio,
            "management_after_ratio": row.management_after_ratio,
            "version": row.version,
        }
    )


# Parsed policies and calendars are kept per process and re-read only when the stored rows change, which one
# cheap aggregate query tells; a change made by another process is therefore seen by the very next request.
_POLICY_CACHE: dict[str, tuple[Any, Any]] = {}
_FINGERPRINTED: dict[str, Any] = {"sla_policies": SlaPolicyRecord, "sla_calendars": BusinessCalendarRecord}
_FINGERPRINT_QUERY = union_all(
    *(
        select(literal(key), func.count(), func.max(model.updated_at), func.sum(model.id))
        for key, model in _FINGERPRINTED.items()
    )
)


def _fingerprints(db: Session) -> dict[str, tuple[Any, ...]]:
    """(count, newest update, id sum) of both tables in one round trip, once per session."""
    stamps: dict[str, tuple[Any, ...]] | None = db.info.get("sla_fingerprints")
    if stamps is None:
        url = db.get_bind().engine.url.render_as_string()
        # The fingerprint reads tables this request does not write, so flushing pending changes first is waste.
        with db.no_autoflush:
            stamps = {row[0]: (*row[1:], url) for row in db.execute(_FINGERPRINT_QUERY)}
        db.info["sla_fingerprints"] = stamps
    return stamps


def _cached(db: Session, key: str, build: Callable[[], Any]) -> Any:
    """Per-session, then per-process cache of parsed rows, keyed by a cheap fingerprint of the table."""
    value = db.info.get(key)
    if value is None:
        stamp = _fingerprints(db)[key]
        cached = _POLICY_CACHE.get(key)
        if cached is not None and cached[0] == stamp:
            value = cached[1]
        else:
            value = build()
            _POLICY_CACHE[key] = (stamp, value)
        db.info[key] = value
    return value


def load_policies(db: Session) -> list[SlaPolicy]:
    def build() -> list[SlaPolicy]:
        rows = db.scalars(
            select(SlaPolicyRecord)
            .where(SlaPolicyRecord.active.is_(True))
            .order_by(SlaPolicyRecord.position, SlaPolicyRecord.id)
        )
        return [record_to_policy(r) for r in rows] or default_policies()

    policies: list[SlaPolicy] = _cached(db, "sla_policies", build)
    return policies


def load_calendars(db: Session) -> dict[str, BusinessCalendar]:
    calendars: dict[str, BusinessCalendar] = _cached(db, "sla_calendars", lambda: _calendar_cache(db))
    return calendars


_CALENDARS: dict[tuple[str, str], BusinessCalendar] = {}


def _calendar_cache(db: Session) -> dict[str, BusinessCalendar]:
    # Calendar objects keep per-day caches; reuse one object per stored definition across requests.
    calendars = dict(default_calendars())
    for row in db.scalars(select(BusinessCalendarRecord)):
        key = (row.name, repr(sorted(row.spec.items())))
        if key not in _CALENDARS:
            _CALENDARS[key] = BusinessCalendar.from_dict(row.spec)
        calendars[row.name] = _CALENDARS[key]
    return calendars


def invalidate(db: Session) -> None:
    db.info.pop("sla_fingerprints", None)
    db.info.pop("sla_policies", None)
    db.info.pop("sla_calendars", None)


def ensure_defaults(db: Session, now: datetime) -> int:
    """Store the SPEC §2 default policies and calendars once, so a brand can see and edit them."""
    created = 0
    if db.scalars(select(SlaPolicyRecord).limit(1)).first() is None:
        for policy in default_policies():
            data = policy.to_dict()
            db.add(
                SlaPolicyRecord(
                    name=data["name"],
                    position=data["position"],
                    conditions=data["conditions"],
                    targets=data["targets"],
                    calendar_name=data["calendar_name"],
                    warn_ratio=data["warn_ratio"],
                    management_after_ratio=data["management_after_ratio"],
                    version=1,
                    active=True,
                    updated_at=now,
                )
            )
            created += 1
    existing = set(db.scalars(select(BusinessCalendarRecord.name)))
    for name, calendar in default_calendars().items():
        if name not in existing:
            db.add(BusinessCalendarRecord(name=name, spec=calendar.to_dict(), updated_at=now))
    db.flush()
    invalidate(db)
    return created


# ---------------------------------------------------------------- timeline -> facts


def _policy_attrs(ticket: Ticket) -> dict[str, str | None]:
    return {
        "severity": ticket.severity,
        "channel": ticket.channel,
        "customer_tier": ticket.customer_tier,
        "category": ticket.category,
        "kind": ticket.kind,
    }


def facts_from_entries(ticket: Ticket, entries: Sequence[TicketEntry]) -> list[TimelineFact]:
    facts = [TimelineFact(at=ticket.created_at, kind="created")]
    first_message_seen = False
    for entry in entries:
        if entry.kind == "message":
            if entry.author_type == "customer":
                # The opening message is the request itself: the first-reply clock covers it.
                if first_message_seen:
                    facts.append(TimelineFact(at=entry.created_at, kind="customer_message"))
                first_message_seen = True
            elif entry.author_type == "agent" and entry.visibility == "public":
                facts.append(TimelineFact(at=entry.created_at, kind="agent_reply"))
        elif entry.kind == "status_change":
            facts.append(TimelineFact(at=entry.created_at, kind="status", status=entry.data.get("to")))
        elif entry.kind == "sla_policy" and entry.data.get("policy"):
            facts.append(
                TimelineFact(at=entry.created_at, kind="policy", policy=SlaPolicy.from_dict(entry.data["policy"]))
            )
        elif entry.kind == "callback" and entry.data.get("completed"):
            facts.append(TimelineFact(at=entry.created_at, kind="callback_done"))
    return facts


def _entries(db: Session, ticket: Ticket) -> list[TicketEntry]:
    # The query autoflushes, so entries appended in this transaction are included.
    return list(db.scalars(select(TicketEntry).where(TicketEntry.ticket_id == ticket.id).order_by(TicketEntry.id)))


def compute(
    db: Session, ticket: Ticket, now: datetime, entries: Sequence[TicketEntry] | None = None
) -> tuple[SlaReport, list[TicketEntry]]:
    rows = list(entries) if entries is not None else _entries(db, ticket)
    report = compute_sla(facts_from_entries(ticket, rows), load_calendars(db), now)
    return report, rows


# ---------------------------------------------------------------- use cases


def _current_policy(entries: Sequence[TicketEntry]) -> dict[str, Any] | None:
    for entry in reversed(entries):
        if entry.kind == "sla_policy":
            return entry.data.get("policy")
    return None


def apply_policy(db: Session, ticket: Ticket, now: datetime, *, new_ticket: bool = False) -> None:
    """Re-match the policy after a change; a different policy (or a new version) applies from now on."""
    policy = match_policy(load_policies(db), _policy_attrs(ticket))
    entries = [] if new_ticket else _entries(db, ticket)
    current = _current_policy(entries)
    if policy is None:
        if current is not None:
            append(db, ticket, "sla_policy", SYSTEM_SLA, now, data={"policy": None})
            ticket.sla_policy_id = None
        return
    if current is not None and (current.get("id"), current.get("version")) == (policy.id, policy.version):
        return
    snapshot = policy.to_dict()
    append(
        db,
        ticket,
        "sla_policy",
        SYSTEM_SLA,
        now,
        body=policy.name,
        data={"policy": snapshot, "replaces": current and current.get("name")},
    )
    ticket.sla_policy_id = policy.id if isinstance(policy.id, int) else None


def refresh(db: Session, ticket: Ticket, now: datetime, *, entries: Sequence[TicketEntry] | None = None) -> SlaReport:
    """Recompute the clocks and cache the next warning/breach times on the ticket for list filters."""
    report, _ = compute(db, ticket, now, entries)
    cache_report(ticket, report)
    return report


def cache_report(ticket: Ticket, report: SlaReport) -> None:
    running = [m for m in report.metrics.values() if m.status in ("active", "breached") and m.fulfilled_at is None]
    breach_times = [t for m in running if (t := m.breached_at or m.due_at) is not None]
    warn_times = [m.warned_at or _warn_at(m, report) for m in running]
    paused = any(m.status == "paused" for m in report.metrics.values())
    ticket.sla_breach_at = min(breach_times) if breach_times else None
    ticket.sla_warn_at = min((t for t in warn_times if t is not None), default=None)
    pending = [
        t
        for m in running
        for t in (m.warned_at or _warn_at(m, report), m.breached_at or m.due_at, m.management_at)
        if t is not None
    ]
    ticket.sla_next_check_at = min(pending) if pending else None
    if running:
        ticket.sla_state = "active"
    elif paused:
        ticket.sla_state = "paused"
    else:
        ticket.sla_state = "none"


def _warn_at(metric: Any, report: SlaReport) -> datetime | None:
    if metric.due_at is None or metric.target_minutes is None or report.policy is None or report.calendar is None:
        return None
    from aftersales.sla.calendar import add_business_time

    # Warn once warn_ratio of the target is used: that is (1 - ratio) x target before the due time.
    left = metric.remaining_seconds - (1 - report.policy.warn_ratio) * metric.target_minutes * 60
    return add_business_time(report.calendar, report.now, max(left, 0.0))


def _management_due(metric: Any, report: SlaReport) -> datetime | None:
    """When a breached, still-running metric reaches the management threshold (None if passed or n/a)."""
    if metric.management_at is not None or metric.breached_at is None or metric.status != "breached":
        return None
    if report.policy is None or report.calendar is None or metric.target_minutes is None:
        return None
    from aftersales.sla.calendar import add_business_time

    over = -(metric.remaining_seconds or 0.0)
    left = report.policy.management_after_ratio * metric.target_minutes * 60 - over
    return add_business_time(report.calendar, report.now, max(left, 0.0))


def report_for(  # type: ignore[no-untyped-def]
    db: Session,
    ticket: Ticket,
    now: datetime,
    entries: Sequence[TicketEntry] | None = None,
    *,
    report: SlaReport | None = None,
):
    """The SLA part of a ticket's answer; ``report``, if given, is one already computed for these entries."""
    from aftersales.tickets.schemas import ClockEventOut, MetricOut, SlaOut

    if report is None:
        report, _ = compute(db, ticket, now, entries)
    metrics = [
        MetricOut(
            metric=m.metric,
            status=m.status,
            warning=m.warning,
            target_minutes=m.target_minutes,
            started_at=m.started_at,
            due_at=m.due_at,
            fulfilled_at=m.fulfilled_at,
            breached_at=m.breached_at,
            remaining_seconds=m.remaining_seconds,
            elapsed_seconds=m.elapsed_seconds,
        )
        for m in report.metrics.values()
    ]
    events = [ClockEventOut(at=e.at, metric=e.metric, event=e.event, detail=e.detail) for e in report.events]
    return SlaOut(
        state=report.state,
        policy=report.policy.to_dict() if report.policy else None,
        metrics=metrics,
        events=events,
        escalation_level=escalation(report, now).level,
    )


def sweep(db: Session, now: datetime, *, limit: int = 500) -> dict[str, int]:
    """Write warnings, breaches and escalations that have become due onto the timeline, once each.

    Idempotent: what was recorded before is read back from the timeline and not written again.
    """
    stmt = (
        select(Ticket).where(Ticket.sla_next_check_at <= now).order_by(Ticket.sla_next_check_at, Ticket.id).limit(limit)
    )
    if db.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    counts = {"checked": 0, "warned": 0, "breached": 0, "escalated": 0}
    for ticket in db.scalars(stmt):
        counts["checked"] += 1
        report, entries = compute(db, ticket, now)
        recorded = {(e.data.get("metric"), e.data.get("event")) for e in entries if e.kind == "sla_event"}
        for event in report.events:
            if event.event not in ("warned", "breached") or (event.metric, event.event) in recorded:
                continue
            append(
                db,
                ticket,
                "sla_event",
                SYSTEM_SLA,
                now,
                body=f"{event.metric} {event.event}",
                data={"metric": event.metric, "event": event.event, "at": event.at.isoformat()},
            )
            recorded.add((event.metric, event.event))
            counts[event.event] += 1
            emit(
                db,
                f"sla.{event.event}",
                "ticket",
                ticket.id,
                {"ticket_id": ticket.id, "metric": event.metric, "at": event.at.isoformat()},
                now,
            )
        level = escalation(report, now)
        while ticket.escalation_level < level.level:
            ticket.escalation_level += 1
            to = ESCALATION_TARGETS[ticket.escalation_level]
            append(
                db,
                ticket,
                "escalation",
                SYSTEM_SLA,
                now,
                body=f"escalated to {to}",
                data={"level": ticket.escalation_level, "to": to, "metric": level.metric},
            )
            emit(
                db,
                "ticket.escalated",
                "ticket",
                ticket.id,
                {"ticket_id": ticket.id, "level": ticket.escalation_level, "to": to, "metric": level.metric},
                now,
            )
            counts["escalated"] += 1
        cache_report(ticket, report)
        # Everything due up to now is recorded; look again only when something new can fall due.
        later = [
            t
            for m in report.metrics.values()
            if m.fulfilled_at is None
            for t in (
                _warn_at(m, report) if m.status == "active" and not m.warning else None,
                m.due_at if m.status == "active" and m.breached_at is None else None,
                _management_due(m, report),
            )
            if t is not None and t > now
        ]
        ticket.sla_next_check_at = min(later) if later else None
        ticket.updated_at = now
    db.flush()
    return counts
