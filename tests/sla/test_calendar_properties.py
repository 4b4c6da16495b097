"""Property-based tests of business-time arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.sla.calendar import (
    BusinessCalendar,
    _to_us,
    add_business_time,
    business_seconds_between,
)

from ._helpers import CALENDARS

PROP = settings(max_examples=150, deadline=None)

calendars = st.sampled_from(sorted(CALENDARS)).map(CALENDARS.__getitem__)
# 2024..2027: covers announced statutory data (2024-2026) and the fixed-days-only fallback (2027), plus DST in New York.
instants = st.integers(
    min_value=int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1e6),
    max_value=int(datetime(2027, 12, 31, tzinfo=UTC).timestamp() * 1e6),
).map(lambda us: datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us))
# Durations up to 30 days of business time, at millisecond resolution (exact in binary-float round trips).
durations = st.integers(min_value=0, max_value=30 * 86_400_000).map(lambda ms: ms / 1000)


def _inside_business_time(cal: BusinessCalendar, t: datetime) -> bool:
    """``t`` lies in (start, end] of a working interval (consumption ends exactly at or before the end)."""
    us = _to_us(t)
    local = t.astimezone(cal._tz).date()
    days = (local, local - timedelta(days=1))
    return any(s < us <= e for d in days for s, e in cal._day(d))


@PROP
@given(calendars, instants, durations)
def test_between_inverts_add(cal: BusinessCalendar, start: datetime, seconds: float) -> None:
    end = add_business_time(cal, start, seconds)
    assert end.tzinfo is UTC
    assert abs(business_seconds_between(cal, start, end) - seconds) <= 1e-6


@PROP
@given(calendars, instants, durations, durations)
def test_add_is_monotonic_in_seconds(cal: BusinessCalendar, start: datetime, a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert add_business_time(cal, start, lo) <= add_business_time(cal, start, hi)


@PROP
@given(calendars, instants, durations, durations)
def test_add_is_additive(cal: BusinessCalendar, start: datetime, a: float, b: float) -> None:
    assert add_business_time(cal, add_business_time(cal, start, a), b) == add_business_time(cal, start, a + b)


@PROP
@given(calendars, instants, instants, instants)
def test_between_is_additive(cal: BusinessCalendar, x: datetime, y: datetime, z: datetime) -> None:
    a, b, c = sorted((x, y, z))
    total = business_seconds_between(cal, a, c)
    assert abs(total - (business_seconds_between(cal, a, b) + business_seconds_between(cal, b, c))) <= 1e-6
    assert business_seconds_between(cal, c, a) == 0 or a == c


@PROP
@given(calendars, instants, durations.filter(lambda s: s > 0))
def test_result_lands_in_business_time(cal: BusinessCalendar, start: datetime, seconds: float) -> None:
    end = add_business_time(cal, start, seconds)
    assert end > start
    assert _inside_business_time(cal, end)
    day = end.astimezone(cal._tz).date()
    # Never inside a statutory or extra holiday (an interval end at 24:00 belongs to the day before).
    assert cal.is_business_day(day) or cal.is_business_day(day - timedelta(days=1))


@PROP
@given(instants, durations, instants)
def test_24x7_equals_plain_timedelta(start: datetime, seconds: float, other: datetime) -> None:
    cal = CALENDARS["24x7"]
    assert add_business_time(cal, start, seconds) == start + timedelta(seconds=seconds)
    expected = max(0.0, (other - start).total_seconds())
    assert abs(business_seconds_between(cal, start, other) - expected) <= 1e-6


@PROP
@given(calendars, instants, durations)
def test_aware_inputs_in_any_zone_give_same_result(cal: BusinessCalendar, start: datetime, seconds: float) -> None:
    from zoneinfo import ZoneInfo

    shifted = start.astimezone(ZoneInfo("America/Los_Angeles"))
    assert add_business_time(cal, start, seconds) == add_business_time(cal, shifted, seconds)
