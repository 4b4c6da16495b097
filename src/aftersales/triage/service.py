"""Use cases for the brand's triage rules: read the version in force, save a new one. Services flush, never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aftersales.kit.actor import Actor
from aftersales.kit.errors import Conflict, ValidationFailed
from aftersales.kit.outbox import emit
from aftersales.triage import overlay as ov
from aftersales.triage.engine import IndustryPack
from aftersales.triage.models import TriageRuleVersion


def stamp(db: Session, pack: str) -> int:
    """The number of the version in force (0: the shipped pack unedited) — one index lookup, once per session.

    Read once per session like the SLA policies' fingerprints (sla/service.py): a group-committed intake batch
    creates many tickets in one session and needs the number only once. ``save`` forgets it for its session."""
    key = _stamp_key(pack)
    value: int | None = db.info.get(key)
    if value is None:
        value = int(db.scalar(select(func.max(TriageRuleVersion.version)).where(TriageRuleVersion.pack == pack)) or 0)
        db.info[key] = value
    return value


def _stamp_key(pack: str) -> str:
    return f"triage_stamp:{pack}"


def current(db: Session, pack: str) -> TriageRuleVersion | None:
    stmt = (
        select(TriageRuleVersion)
        .where(TriageRuleVersion.pack == pack)
        .order_by(TriageRuleVersion.version.desc())
        .limit(1)
    )
    return db.scalars(stmt).first()


def versions(db: Session, pack: str, limit: int = 50) -> list[TriageRuleVersion]:
    stmt = (
        select(TriageRuleVersion)
        .where(TriageRuleVersion.pack == pack)
        .order_by(TriageRuleVersion.version.desc())
        .limit(limit)
    )
    return list(db.scalars(stmt))


def validate(base: IndustryPack, data: Any) -> dict[str, Any]:
    try:
        return ov.normalise(base, data)
    except ov.OverlayError as exc:
        raise ValidationFailed(exc.message, field=exc.field) from exc


def save(
    db: Session,
    base: IndustryPack,
    data: Any,
    *,
    base_version: int,
    change: str,
    actor: Actor,
    now: datetime,
) -> TriageRuleVersion:
    """Save the brand's overlay as the next version, if nobody saved since ``base_version`` (lost-update guard)."""
    overlay = validate(base, data)
    latest = current(db, base.name)
    in_force = latest.version if latest else 0
    if base_version != in_force:
        who = f" by {latest.changed_by_name} at {latest.created_at.isoformat()}" if latest else ""
        raise Conflict(
            f"the rules were changed{who} (now version {in_force}, you edited version {base_version}); "
            "reload and make your change again",
            field="base_version",
            current=in_force,
        )
    if latest is not None and latest.overlay == overlay:
        return latest  # nothing changed: no new version
    if latest is None and overlay == ov.empty():
        raise ValidationFailed("nothing to change: the rules are the shipped pack's", field="overlay")
    row = TriageRuleVersion(
        pack=base.name,
        version=in_force + 1,
        overlay=overlay,
        change=(change.strip() or "edited")[:300],
        changed_by=actor.scope if actor.type != "system" else f"system:{actor.name}",
        changed_by_name=(actor.name or actor.scope)[:100],
        created_at=now,
    )
    db.add(row)
    try:
        db.flush()
    except IntegrityError as exc:
        # Another save of the same version won the race between our read and our insert.
        raise Conflict("the rules were changed at the same moment; reload and try again", field="base_version") from exc
    db.info.pop(_stamp_key(base.name), None)
    emit(
        db,
        "triage.rules_changed",
        "triage_rules",
        row.id,
        {"pack": base.name, "version": row.version, "change": row.change, "changed_by": row.changed_by},
        now,
    )
    return row
