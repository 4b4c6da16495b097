"""Example tests of business calendars: Chinese statutory data, time zones, storage, validation."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from aftersales.sla.calendar import (
    BusinessCalendar,
    CalendarConfigError,
    add_business_time,
    business_seconds_between,
    default_calendars,
)

SH = ZoneInfo("Asia/Shanghai")
CN = default_calendars()["cn_business_hours"]
HOUR = 3600


def _shared_holiday_dir() -> Path:
    base = os.environ.get("AFTERSALES_SHARED_DIR")
    root = Path(base) if base else Path(__file__).parents[3] / "shared"
    return root / "data" / "holiday-cn"


def _library_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def _load_years() -> dict[int, dict[date, bool]]:
    folder = _shared_holiday_dir()
    if not folder.is_dir():
        pytest.skip(f"holiday-cn data not found at {folder} (set AFTERSALES_SHARED_DIR to the shared folder)")
    years: dict[int, dict[date, bool]] = {}
    for path in sorted(folder.glob("[0-9][0-9][0-9][0-9].json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        years[int(data["year"])] = {date.fromisoformat(d["date"]): bool(d["isOffDay"]) for d in data["days"]}
    if not years:
        pytest.skip(f"no holiday-cn year files in {folder}")
    return years


def _expected_workday(d: date, listed: dict[date, bool]) -> bool:
    if d in listed:
        return not listed[d]
    return d.weekday() < 5


def test_business_hours_clock_skips_national_day() -> None:
    start = datetime(2026, 9, 30, 17, 0, tzinfo=SH)  # Wednesday, one business hour left
    due = add_business_time(CN, start, 2 * HOUR)
    # 10-01..10-07 are 国庆 holidays; the next working day is Thursday 10-08.
    assert not any(CN.is_business_day(date(2026, 10, day)) for day in range(1, 8))
    assert due.astimezone(SH) == datetime(2026, 10, 8, 10, 0, tzinfo=SH)
    assert business_seconds_between(CN, datetime(2026, 10, 1, tzinfo=SH), datetime(2026, 10, 2, tzinfo=SH)) == 0


def test_national_day_counts_on_24x7_calendar() -> None:
    cal = default_calendars()["24x7"]
    a = datetime(2026, 10, 1, tzinfo=SH)
    assert business_seconds_between(cal, a, a + timedelta(days=1)) == 86_400


def test_2026_adjusted_working_days_count() -> None:
    years = _load_years()
    if 2026 not in years:
        pytest.skip("2026.json missing from the shared holiday-cn data")
    adjusted = [d for d, off in years[2026].items() if not off]
    assert adjusted, "2026.json lists no adjusted working day"
    for d in adjusted:
        assert d.weekday() >= 5, d
        begin = datetime.combine(d, time(0), tzinfo=SH)
        assert business_seconds_between(CN, begin, begin + timedelta(days=1)) == 9 * HOUR, d
    # A Friday-evening ticket is due on the adjusted working Saturday 2026-10-10, not on Monday.
    due = add_business_time(CN, datetime(2026, 10, 9, 17, 0, tzinfo=SH), 3 * HOUR)
    assert due.astimezone(SH) == datetime(2026, 10, 10, 11, 0, tzinfo=SH)


def test_chinese_calendar_matches_holiday_cn_data() -> None:
    years = _load_years()
    covered = [y for y in years if _library_covers(y)]
    if not covered:
        pytest.skip("chinese_calendar covers none of the holiday-cn years")
    # A year's file may list days of the neighbouring year (e.g. 2008.json adjusts 2007-12-29): merge all.
    listed = {d: off for days in years.values() for d, off in days.items()}
    mismatches: list[str] = []
    for year in covered:
        d = date(year, 1, 1)
        while d.year == year:
            expected = _expected_workday(d, listed)
            if chinese_calendar.is_workday(d) != expected:
                mismatches.append(f"{d}: holiday-cn says {'work' if expected else 'off'}day")
            if CN.is_business_day(d) != expected:
                mismatches.append(f"{d}: BusinessCalendar disagrees with holiday-cn")
            d += timedelta(days=1)
    assert not mismatches, f"{len(mismatches)} mismatches in years {covered}:\n" + "\n".join(mismatches[:50])


def test_years_outside_library_fall_back_to_plain_weekdays() -> None:
    year = 2099
    assert not _library_covers(year)
    monday = date(year, 1, 5)
    assert monday.weekday() == 0
    assert CN.is_business_day(monday)
    assert not CN.is_business_day(monday + timedelta(days=5))
    start = datetime.combine(monday, time(9), tzinfo=SH)
    assert add_business_time(CN, start, 45 * HOUR).astimezone(SH) == datetime(year, 1, 9, 18, tzinfo=SH)


def test_extra_holidays_and_workdays_override_the_library() -> None:
    cal = BusinessCalendar(
        name="brand",
        extra_holidays=frozenset({date(2026, 3, 2)}),  # an ordinary Monday made a holiday
        extra_workdays=frozenset({date(2026, 10, 1)}),  # National Day made a working day
    )
    assert not cal.is_business_day(date(2026, 3, 2))
    assert cal.is_business_day(date(2026, 10, 1))
    begin = datetime(2026, 10, 1, tzinfo=SH)
    assert business_seconds_between(cal, begin, begin + timedelta(days=1)) == 9 * HOUR


def test_new_york_hours_follow_local_time_across_dst() -> None:
    ny = ZoneInfo("America/New_York")
    cal = BusinessCalendar(name="ny", timezone="America/New_York", use_cn_statutory=False)
    # DST starts Sunday 2026-03-08: Friday 17:00 EST + 2 business hours = Monday 10:00 EDT.
    due = add_business_time(cal, datetime(2026, 3, 6, 17, 0, tzinfo=ny), 2 * HOUR)
    assert due.astimezone(ny) == datetime(2026, 3, 9, 10, 0, tzinfo=ny)
    assert due == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)


def test_dst_free_zone_other_than_shanghai() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    cal = BusinessCalendar(name="jp", timezone="Asia/Tokyo", use_cn_statutory=False)
    start = datetime(2026, 7, 3, 0, 30, tzinfo=UTC)  # Friday 09:30 in Tokyo
    due = add_business_time(cal, start, 10 * HOUR)
    assert due.astimezone(tokyo) == datetime(2026, 7, 6, 10, 30, tzinfo=tokyo)
    assert business_seconds_between(cal, start, due) == 10 * HOUR


def test_seventy_two_business_hours_across_national_day_skip_the_whole_holiday() -> None:
    # Its speed is measured by benchmarks/pure_logic.py; here only the answer matters.
    start = datetime(2026, 9, 28, 12, 0, tzinfo=SH)
    due = add_business_time(CN, start, 72 * HOUR)
    assert business_seconds_between(CN, start, due) == 72 * HOUR
    # National Day week (Oct 1-7, 2026) holds no business time, so the due time falls after it.
    assert due.date() > date(2026, 10, 7)


def test_calendar_round_trips_through_json() -> None:
    cal = BusinessCalendar(
        name="split",
        timezone="Asia/Shanghai",
        hours={0: [(time(9), time(12)), (time(13, 30), time(0))], 5: [(time(10), time(16, 0, 30))]},
        extra_holidays=frozenset({date(2026, 6, 1)}),
        extra_workdays=frozenset({date(2026, 6, 6)}),
    )
    data = json.loads(json.dumps(cal.to_dict()))
    assert data["hours"]["0"] == [["09:00", "12:00"], ["13:30", "24:00"]]
    assert BusinessCalendar.from_dict(data) == cal


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"name": "x", "hours": {"0": [["09:00", "18:00"], ["17:00", "08:00"]]}},
            "hours.0[1]: end before start",
        ),
        ({"name": "x", "hours": {"0": [["09:00", "18:00"], ["17:00", "19:00"]]}}, "hours.0[1]: overlaps"),
        ({"name": "x", "hours": {"7": []}}, "hours.7"),
        ({"name": "x", "hours": {"1": [["9h", "18:00"]]}}, "hours.1[0].start"),
        ({"name": "x", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "x", "mode": "sometimes"}, "mode"),
        ({"name": "x", "extra_holidays": ["2026-13-01"]}, "extra_holidays[0]"),
        ({"name": "x", "hours": {}}, "hours: a business_hours calendar needs"),
        ({"name": "x", "colour": "red"}, "colour: unknown field"),
        ({}, "name: required"),
    ],
)
def test_invalid_calendar_errors_name_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(CalendarConfigError) as err:
        BusinessCalendar.from_dict(data)
    assert str(err.value).startswith(message) or message in str(err.value)


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        add_business_time(CN, datetime(2026, 1, 5, 9), 60)


def test_24x7_calendar_needs_no_hours() -> None:
    cal = BusinessCalendar.from_dict({"name": "always", "mode": "24x7", "hours": {}})
    start = datetime(2026, 10, 1, 3, tzinfo=SH)
    assert add_business_time(cal, start, 90) == start + timedelta(seconds=90)


def test_year_not_yet_announced_still_skips_the_days_the_law_fixes() -> None:
    # chinese_calendar has no 2027 arrangement yet; New Year's Day and National Day are fixed by law.
    if _library_covers(2027):
        pytest.skip("chinese_calendar covers 2027 now; the fallback is no longer used for it")
    assert CN.day_hours(date(2027, 1, 1)) == ()  # 元旦, a Friday
    assert CN.day_hours(date(2027, 10, 1)) == ()  # 国庆
    assert CN.day_hours(date(2027, 2, 5)) == ()  # 除夕 (statutory since 2025)
    assert CN.day_hours(date(2027, 1, 4)) != ()  # an ordinary Monday
    # A ticket on the last afternoon of 2026 is due after the holiday, on Monday 2027-01-04.
    due = add_business_time(CN, datetime(2026, 12, 31, 17, 0, tzinfo=SH), 2 * HOUR)
    assert due.astimezone(SH) == datetime(2027, 1, 4, 10, 0, tzinfo=SH)


def test_brand_dates_override_the_fixed_days_fallback() -> None:
    # Once the State Council publishes 2027, a brand enters the bridge days and 调休 Saturdays itself.
    cal = BusinessCalendar.from_dict(
        {**CN.to_dict(), "extra_workdays": ["2027-01-01"], "extra_holidays": ["2027-02-09"]}
    )
    assert cal.day_hours(date(2027, 1, 1)) != ()
    assert cal.day_hours(date(2027, 2, 9)) == ()


def test_fixed_days_fallback_agrees_with_announced_years() -> None:
    # Every day the fallback would close in an announced year is a holiday in the published arrangement.
    from aftersales.sla.calendar import _statutory_days

    for year in range(2015, 2027):
        if not _library_covers(year):
            continue
        closed = _statutory_days(year)
        assert len(closed) >= 11, year
        assert all(chinese_calendar.is_holiday(d) for d in closed), year
