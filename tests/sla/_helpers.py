"""Shared helpers for the SLA tests."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from aftersales.sla.calendar import BusinessCalendar, default_calendars
from aftersales.sla.engine import TimelineFact
from aftersales.sla.policy import SlaPolicy, SlaTargets

SH = ZoneInfo("Asia/Shanghai")

CALENDARS: dict[str, BusinessCalendar] = {
    **default_calendars(),
    "ny_hours": BusinessCalendar(
        name="ny_hours",
        timezone="America/New_York",
        use_cn_statutory=False,
        hours={wd: [(time(8, 30), time(12, 0)), (time(13, 0), time(17, 30))] for wd in range(5)},
    ),
    "tokyo_late": BusinessCalendar(
        name="tokyo_late",
        timezone="Asia/Tokyo",
        use_cn_statutory=False,
        hours={**{wd: [(time(20, 0), time(0, 0))] for wd in range(7)}, 5: [(time(0, 0), time(6, 15, 30))]},
    ),
}


def policy(
    first_reply: float | None = 30,
    next_reply: float | None = 30,
    resolution: float | None = 72 * 60,
    follow_up: float | None = 30 * 24 * 60,
    *,
    calendar: str = "24x7",
    warn_ratio: float = 0.75,
    management_after_ratio: float = 0.5,
    name: str = "test",
    version: int = 1,
) -> SlaPolicy:
    return SlaPolicy(
        id=name,
        name=name,
        targets=SlaTargets(first_reply, next_reply, resolution, follow_up),
        calendar_name=calendar,
        warn_ratio=warn_ratio,
        management_after_ratio=management_after_ratio,
        version=version,
    )


T0 = datetime(2026, 3, 2, 10, 0, tzinfo=SH)  # a Monday, ordinary working day


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def created(p: SlaPolicy, when: datetime = T0) -> list[TimelineFact]:
    return [TimelineFact(when, "created"), TimelineFact(when, "policy", policy=p)]


def status(minutes: float, s: str) -> TimelineFact:
    return TimelineFact(at(minutes), "status", status=s)


def fact(minutes: float, kind: str) -> TimelineFact:
    return TimelineFact(at(minutes), kind)  # type: ignore[arg-type]
