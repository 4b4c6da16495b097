"""SLA policy, calendar and sweep routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from aftersales.kit.deps import Admin, DbSession, Now, PathId, Reader, Supervisor
from aftersales.kit.errors import Conflict, NotFound, ValidationFailed
from aftersales.sla import service
from aftersales.sla.calendar import BusinessCalendar, CalendarConfigError
from aftersales.sla.models import BusinessCalendarRecord, SlaPolicyRecord
from aftersales.sla.policy import PolicyConfigError, SlaPolicy

router = APIRouter(prefix="/sla", tags=["sla"])


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    position: int = Field(default=100, ge=0, le=100000)
    conditions: dict[str, list[str]] = Field(default_factory=dict)
    targets: dict[str, float | None]
    calendar_name: str = Field(default="24x7", min_length=1, max_length=64)
    warn_ratio: float = Field(default=0.75, gt=0, lt=1)
    management_after_ratio: float = Field(default=0.5, ge=0, le=100)
    active: bool = True


class PolicyOut(PolicyIn):
    model_config = ConfigDict(from_attributes=True)
    id: int
    version: int
    updated_at: datetime


class CalendarIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    spec: dict[str, Any]


class CalendarOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    spec: dict[str, Any]
    updated_at: datetime


def _validate_policy(db: DbSession, body: PolicyIn) -> None:
    try:
        SlaPolicy.from_dict(
            {
                "id": 0,
                "name": body.name,
                "position": body.position,
                "conditions": body.conditions,
                "targets": body.targets,
                "calendar_name": body.calendar_name,
                "warn_ratio": body.warn_ratio,
                "management_after_ratio": body.management_after_ratio,
            }
        )
    except PolicyConfigError as exc:
        message = str(exc)
        raise ValidationFailed(message, field=message.split(":", 1)[0]) from exc
    if body.calendar_name not in service.load_calendars(db):
        raise ValidationFailed(f"no calendar named '{body.calendar_name}'", field="calendar_name")


@router.get("/policies", response_model=list[PolicyOut])
def list_policies(actor: Reader, db: DbSession) -> list[SlaPolicyRecord]:
    return list(db.scalars(select(SlaPolicyRecord).order_by(SlaPolicyRecord.position, SlaPolicyRecord.id)))


@router.post("/policies", response_model=PolicyOut, status_code=status.HTTP_201_CREATED)
def create_policy(body: PolicyIn, actor: Admin, db: DbSession, now: Now) -> SlaPolicyRecord:
    _validate_policy(db, body)
    if db.scalars(select(SlaPolicyRecord).where(SlaPolicyRecord.name == body.name)).first():
        raise Conflict(f"a policy named '{body.name}' exists", field="name")
    row = SlaPolicyRecord(**body.model_dump(), version=1, updated_at=now)
    db.add(row)
    db.commit()
    return row


@router.put(
    "/policies/{policy_id}",
    response_model=PolicyOut,
    summary="Change a policy; tickets pick up the new version at their next update, never back-dated",
)
def update_policy(policy_id: PathId, body: PolicyIn, actor: Admin, db: DbSession, now: Now) -> SlaPolicyRecord:
    row = db.get(SlaPolicyRecord, policy_id)
    if row is None:
        raise NotFound(f"policy {policy_id} does not exist", field="policy_id")
    _validate_policy(db, body)
    clash = db.scalars(
        select(SlaPolicyRecord).where(SlaPolicyRecord.name == body.name, SlaPolicyRecord.id != policy_id)
    ).first()
    if clash:
        raise Conflict(f"a policy named '{body.name}' exists", field="name")
    for field, value in body.model_dump().items():
        setattr(row, field, value)
    row.version += 1
    row.updated_at = now
    db.commit()
    return row


@router.get("/calendars", response_model=list[CalendarOut])
def list_calendars(actor: Reader, db: DbSession) -> list[BusinessCalendarRecord]:
    return list(db.scalars(select(BusinessCalendarRecord).order_by(BusinessCalendarRecord.id)))


@router.put(
    "/calendars/{name}",
    response_model=CalendarOut,
    summary="Create or replace a business calendar (hours, time zone, brand holidays and working days)",
)
def put_calendar(name: str, body: CalendarIn, actor: Admin, db: DbSession, now: Now) -> BusinessCalendarRecord:
    try:
        calendar = BusinessCalendar.from_dict({**body.spec, "name": name})
    except (CalendarConfigError, ValueError, TypeError) as exc:
        message = str(exc)
        raise ValidationFailed(message, field="spec." + message.split(":", 1)[0]) from exc
    row = db.scalars(select(BusinessCalendarRecord).where(BusinessCalendarRecord.name == name)).first()
    if row is None:
        row = BusinessCalendarRecord(name=name, spec=calendar.to_dict(), updated_at=now)
        db.add(row)
    else:
        row.spec, row.updated_at = calendar.to_dict(), now
    db.commit()
    return row


@router.post("/sweep", summary="Record SLA warnings, breaches and escalations that are due by now")
def sweep(actor: Supervisor, db: DbSession, now: Now) -> dict[str, int]:
    counts = service.sweep(db, now)
    db.commit()
    return counts
