"""Business calendars: which moments count towards an SLA clock.

A :class:`BusinessCalendar` is either ``"24x7"`` (every second counts) or ``"business_hours"``: per weekday a
list of local working intervals in an IANA time zone, optionally adjusted by the Chinese statutory holidays
and adjusted working days (调休) published by the State Council, as maintained by the ``chinese_calendar``
library, plus brand-specific extra holidays and working days.

Day rules for ``business_hours`` (first rule that applies wins):

1. the date is in ``extra_holidays``: no business time;
2. the date is in ``extra_workdays``: working-day hours (see below);
3. ``use_cn_statutory`` and ``chinese_calendar`` knows the year:
   - a statutory holiday (a day the library marks as off *with a holiday name*): no business time;
   - an adjusted working day (the library marks a Saturday/Sunday as a working day): working-day hours;
   - any other day: the hours configured for its weekday;
4. ``use_cn_statutory`` and the year is not (yet) covered by ``chinese_calendar`` (it raises
   ``NotImplementedError``; the State Council publishes each year's arrangement only in the autumn before):
   the statutory days themselves, which the law fixes (元旦, 除夕 and 春节 1–3, 清明, 劳动节 ×2, 端午, 中秋,
   国庆 ×3), come from the ``holidays`` library's China calendar and have no business time; its "observed"
   days are guesses of the bridging arrangement and are ignored, and no adjusted working day is assumed.
   A brand adds the published bridge days and 调休 Saturdays with ``extra_holidays``/``extra_workdays``;
5. otherwise (statutory data disabled): the weekday's hours.

"Working-day hours" are the hours of the day's own weekday when it is Monday–Friday, and the hours of Monday
(weekday 0) when a Saturday or Sunday has been turned into a working day.

All arithmetic is done on integer microseconds since the Unix epoch, so that
``business_seconds_between(start, add_business_time(start, s)) == s`` holds to the microsecond, and whole
weeks are skipped using cached per-week totals (a 30-day target costs a few dozen dictionary look-ups).
Interval bounds are local wall-clock times converted through ``zoneinfo``, so zones with daylight saving time
are handled (a 09:00–18:00 day stays 09:00–18:00 local time, whatever the UTC offset).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
import holidays

__all__ = [
    "DEFAULT_HOURS",
    "BusinessCalendar",
    "CalendarConfigError",
    "add_business_time",
    "business_seconds_between",
    "default_calendars",
]

Mode = Literal["24x7", "business_hours"]
MODES: tuple[str, ...] = ("24x7", "business_hours")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_DAY_S = 86_400
_ONE_DAY = timedelta(days=1)
_ONE_WEEK = timedelta(days=7)
# Guard against calendars that never have business time (e.g. every configured day is an extra holiday).
_MAX_SCAN_DAYS = 366 * 30

_NINE_TO_SIX: tuple[tuple[time, time], ...] = ((time(9, 0), time(18, 0)),)
DEFAULT_HOURS: Mapping[int, tuple[tuple[time, time], ...]] = {wd: _NINE_TO_SIX for wd in range(5)}


class CalendarConfigError(ValueError):
    """A calendar definition is invalid; the message starts with the offending field path."""


@functools.cache
def _statutory_days(year: int) -> frozenset[date]:
    """Statutory holidays of ``year`` fixed by law, without the (unknown) bridging days and 调休."""
    days = holidays.country_holidays("CN", years=year, language="en_US")
    return frozenset(d for d, name in days.items() if "observed" not in name.lower())


def _sec_of_day(t: time, *, is_end: bool) -> int:
    s = t.hour * 3600 + t.minute * 60 + t.second
    # An end of 00:00 means midnight at the end of the day ("24:00" in JSON).
    if is_end and s == 0 and t.microsecond == 0:
        return _DAY_S
    return s


@dataclass(frozen=True)
class BusinessCalendar:
    """A business calendar. ``hours`` maps weekday (0=Monday..6=Sunday) to local (start, end) intervals.

    An interval end of ``time(0, 0)`` means midnight at the end of the day. Seconds are honoured,
    microseconds in interval bounds are not supported.
    """

    name: str
    timezone: str = "Asia/Shanghai"
    mode: Mode = "business_hours"
    hours: Mapping[int, Sequence[tuple[time, time]]] = field(default_factory=lambda: dict(DEFAULT_HOURS), hash=False)
    use_cn_statutory: bool = True
    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    # Private caches (not part of identity).
    _tz: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    _secs: dict[int, tuple[tuple[int, int], ...]] = field(init=False, repr=False, compare=False, hash=False)
    _day_cache: dict[date, tuple[tuple[int, int], ...]] = field(init=False, repr=False, compare=False, hash=False)
    _week_cache: dict[date, int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise CalendarConfigError("name: must be a non-empty string")
        if self.mode not in MODES:
            raise CalendarConfigError(f"mode: must be one of {', '.join(MODES)}, got {self.mode!r}")
        try:
            tz = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise CalendarConfigError(f"timezone: unknown IANA time zone {self.timezone!r}") from exc
        normalized: dict[int, tuple[tuple[time, time], ...]] = {}
        secs: dict[int, tuple[tuple[int, int], ...]] = {}
        if not isinstance(self.hours, Mapping):
            raise CalendarConfigError("hours: must be a mapping of weekday to intervals")
        for wd, intervals in self.hours.items():
            if not isinstance(wd, int) or isinstance(wd, bool) or not 0 <= wd <= 6:
                raise CalendarConfigError(f"hours.{wd}: weekday must be an integer 0 (Monday) .. 6 (Sunday)")
            items: list[tuple[time, time]] = []
            spans: list[tuple[int, int]] = []
            for i, iv in enumerate(intervals):
                where = f"hours.{wd}[{i}]"
                if not isinstance(iv, Sequence) or len(iv) != 2:
                    raise CalendarConfigError(f"{where}: must be a (start, end) pair")
                start, end = iv
                if not isinstance(start, time) or not isinstance(end, time):
                    raise CalendarConfigError(f"{where}: start and end must be datetime.time values")
                if start.tzinfo is not None or end.tzinfo is not None:
                    raise CalendarConfigError(f"{where}: times must be naive local times")
                s, e = _sec_of_day(start, is_end=False), _sec_of_day(end, is_end=True)
                if e < s:
                    raise CalendarConfigError(f"{where}: end before start")
                if e == s:
                    raise CalendarConfigError(f"{where}: empty interval (end equals start)")
                items.append((start, end))
                spans.append((s, e))
            order = sorted(range(len(spans)), key=lambda k: spans[k])
            for prev, cur in itertools.pairwise(order):
                if spans[cur][0] < spans[prev][1]:
                    raise CalendarConfigError(f"hours.{wd}[{cur}]: overlaps interval {prev}")
            normalized[wd] = tuple(items)
            secs[wd] = tuple(spans[k] for k in order)
        for label, days in (("extra_holidays", self.extra_holidays), ("extra_workdays", self.extra_workdays)):
            if not isinstance(days, frozenset):
                raise CalendarConfigError(f"{label}: must be a frozenset of dates")
            for d in days:
                if not isinstance(d, date) or isinstance(d, datetime):
                    raise CalendarConfigError(f"{label}: {d!r} is not a date")
        both = self.extra_holidays & self.extra_workdays
        if both:
            first = min(both).isoformat()
            raise CalendarConfigError(f"extra_workdays: {first} is also listed in extra_holidays")
        if self.mode == "business_hours" and not any(secs.values()):
            raise CalendarConfigError("hours: a business_hours calendar needs at least one working interval")
        object.__setattr__(self, "hours", normalized)
        object.__setattr__(self, "_tz", tz)
        object.__setattr__(self, "_secs", secs)
        object.__setattr__(self, "_day_cache", {})
        object.__setattr__(self, "_week_cache", {})

    # ------------------------------------------------------------------ day model

    def day_hours(self, d: date) -> tuple[tuple[int, int], ...]:
        """Local working intervals of ``d`` as (start, end) seconds of the day (empty = no business time)."""
        if self.mode == "24x7":
            return ((0, _DAY_S),)
        wd = d.weekday()
        if d in self.extra_holidays:
            return ()
        if d in self.extra_workdays:
            return self._workday_hours(wd)
        if self.use_cn_statutory:
            try:
                off, holiday_name = chinese_calendar.get_holiday_detail(d)
            except NotImplementedError:
                # Year not announced yet: only the days the law fixes (rule 4 in the module docstring).
                if d in _statutory_days(d.year):
                    return ()
                return self._secs.get(wd, ())
            if off and holiday_name is not None:
                return ()  # statutory holiday
            if not off and wd >= 5:
                return self._workday_hours(wd)  # adjusted working day (调休)
        return self._secs.get(wd, ())

    def _workday_hours(self, wd: int) -> tuple[tuple[int, int], ...]:
        if wd < 5:
            return self._secs.get(wd, ()) or self._secs.get(0, ())
        return self._secs.get(0, ()) or self._secs.get(wd, ())

    def is_business_day(self, d: date) -> bool:
        return bool(self.day_hours(d))

    def _day(self, d: date) -> tuple[tuple[int, int], ...]:
        """Working intervals of local date ``d`` as absolute UTC microseconds (cached)."""
        cached = self._day_cache.get(d)
        if cached is not None:
            return cached
        out: list[tuple[int, int]] = []
        midnight = datetime(d.year, d.month, d.day, tzinfo=self._tz)
        for s, e in self.day_hours(d):
            # Aware arithmetic with the same tzinfo is wall-clock arithmetic: correct across DST changes.
            su = _to_us(midnight + timedelta(seconds=s))
            eu = _to_us(midnight + timedelta(seconds=e))
            if out and su < out[-1][1]:
                su = out[-1][1]
            if eu > su:
                out.append((su, eu))
        result = tuple(out)
        self._day_cache[d] = result
        return result

    def _week(self, monday: date) -> int:
        cached = self._week_cache.get(monday)
        if cached is None:
            cached = 0
            for k in range(7):
                for s, e in self._day(monday + timedelta(days=k)):
                    cached += e - s
            self._week_cache[monday] = cached
        return cached

    def _local_date(self, us: int) -> date:
        return (_EPOCH + timedelta(microseconds=us)).astimezone(self._tz).date()

    # ------------------------------------------------------------------ arithmetic (integer microseconds)

    def _add_us(self, start: int, amount: int) -> int:
        if amount <= 0:
            return start
        if self.mode == "24x7":
            return start + amount
        remaining = amount
        d = self._local_date(start)
        # The interval containing ``start`` may belong to the previous local day only if intervals ended
        # after midnight, which they cannot (ends are capped at 24:00), so start with ``d``.
        for s, e in self._day(d):
            if e <= start:
                continue
            s2 = s if s > start else start
            avail = e - s2
            if remaining <= avail:
                return s2 + remaining
            remaining -= avail
        d += _ONE_DAY
        limit = d + timedelta(days=_MAX_SCAN_DAYS)
        while d < limit:
            if d.weekday() == 0:
                week = self._week(d)
                while week < remaining and d < limit:
                    remaining -= week
                    d += _ONE_WEEK
                    week = self._week(d)
            for s, e in self._day(d):
                avail = e - s
                if remaining <= avail:
                    return s + remaining
                remaining -= avail
            d += _ONE_DAY
        raise ValueError(f"calendar {self.name!r} has no business time within {_MAX_SCAN_DAYS} days")

    def _between_us(self, a: int, b: int) -> int:
        if b <= a:
            return 0
        if self.mode == "24x7":
            return b - a
        da, db = self._local_date(a), self._local_date(b)
        total = 0
        d = da
        while d <= db:
            if d > da and d.weekday() == 0 and d + timedelta(days=6) < db:
                total += self._week(d)
                d += _ONE_WEEK
                continue
            for s, e in self._day(d):
                lo = s if s > a else a
                hi = e if e < b else b
                if hi > lo:
                    total += hi - lo
            d += _ONE_DAY
        return total

    # ------------------------------------------------------------------ storage

    def to_dict(self) -> dict[str, Any]:
        def fmt(t: time, is_end: bool) -> str:
            if is_end and _sec_of_day(t, is_end=True) == _DAY_S:
                return "24:00"
            return t.strftime("%H:%M:%S") if t.second else t.strftime("%H:%M")

        return {
            "name": self.name,
            "timezone": self.timezone,
            "mode": self.mode,
            "hours": {
                str(wd): [[fmt(s, False), fmt(e, True)] for s, e in ivs] for wd, ivs in sorted(self.hours.items())
            },
            "use_cn_statutory": self.use_cn_statutory,
            "extra_holidays": sorted(d.isoformat() for d in self.extra_holidays),
            "extra_workdays": sorted(d.isoformat() for d in self.extra_workdays),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """Build from the JSON form written by :meth:`to_dict`; errors name the offending field."""
        if not isinstance(data, Mapping):
            raise CalendarConfigError("calendar: must be an object")
        known = {"name", "timezone", "mode", "hours", "use_cn_statutory", "extra_holidays", "extra_workdays"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise CalendarConfigError(f"{unknown[0]}: unknown field")
        if "name" not in data:
            raise CalendarConfigError("name: required")
        kwargs: dict[str, Any] = {"name": data["name"]}
        if "timezone" in data:
            if not isinstance(data["timezone"], str):
                raise CalendarConfigError("timezone: must be a string")
            kwargs["timezone"] = data["timezone"]
        if "mode" in data:
            kwargs["mode"] = data["mode"]
        if "use_cn_statutory" in data:
            if not isinstance(data["use_cn_statutory"], bool):
                raise CalendarConfigError("use_cn_statutory: must be true or false")
            kwargs["use_cn_statutory"] = data["use_cn_statutory"]
        if "hours" in data:
            kwargs["hours"] = _parse_hours(data["hours"])
        for label in ("extra_holidays", "extra_workdays"):
            if label in data:
                kwargs[label] = _parse_dates(label, data[label])
        return cls(**kwargs)


_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _parse_time(where: str, value: Any, *, is_end: bool) -> time:
    if not isinstance(value, str):
        raise CalendarConfigError(f"{where}: expected a time string 'HH:MM', got {value!r}")
    m = _TIME_RE.match(value.strip())
    if not m:
        raise CalendarConfigError(f"{where}: invalid time {value!r} (expected 'HH:MM')")
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if h == 24 and mi == 0 and s == 0:
        if not is_end:
            raise CalendarConfigError(f"{where}: 24:00 is only allowed as an end time")
        return time(0, 0)
    if h > 23 or mi > 59 or s > 59:
        raise CalendarConfigError(f"{where}: invalid time {value!r}")
    return time(h, mi, s)


def _parse_hours(raw: Any) -> dict[int, list[tuple[time, time]]]:
    if not isinstance(raw, Mapping):
        raise CalendarConfigError("hours: must be an object mapping weekday (0=Monday..6=Sunday) to intervals")
    out: dict[int, list[tuple[time, time]]] = {}
    for key, intervals in raw.items():
        try:
            wd = int(key)
        except (TypeError, ValueError):
            raise CalendarConfigError(f"hours.{key}: weekday must be 0 (Monday) .. 6 (Sunday)") from None
        if not 0 <= wd <= 6:
            raise CalendarConfigError(f"hours.{key}: weekday must be 0 (Monday) .. 6 (Sunday)")
        if wd in out:
            raise CalendarConfigError(f"hours.{key}: weekday given twice")
        if not isinstance(intervals, list):
            raise CalendarConfigError(f"hours.{key}: must be a list of [start, end] pairs")
        ivs: list[tuple[time, time]] = []
        for i, iv in enumerate(intervals):
            where = f"hours.{wd}[{i}]"
            if not isinstance(iv, list | tuple) or len(iv) != 2:
                raise CalendarConfigError(f"{where}: must be a [start, end] pair")
            ivs.append(
                (
                    _parse_time(f"{where}.start", iv[0], is_end=False),
                    _parse_time(f"{where}.end", iv[1], is_end=True),
                )
            )
        out[wd] = ivs
    return out


def _parse_dates(label: str, raw: Any) -> frozenset[date]:
    if not isinstance(raw, list):
        raise CalendarConfigError(f"{label}: must be a list of ISO dates")
    out: set[date] = set()
    for i, v in enumerate(raw):
        try:
            out.add(date.fromisoformat(v))
        except (TypeError, ValueError):
            raise CalendarConfigError(f"{label}[{i}]: invalid date {v!r} (expected YYYY-MM-DD)") from None
    return frozenset(out)


def _to_us(dt: datetime) -> int:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime not allowed: {dt.isoformat()} (pass an aware datetime)")
    return (dt - _EPOCH) // _US


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _seconds_to_us(seconds: float) -> int:
    return round(seconds * 1_000_000)


def add_business_time(cal: BusinessCalendar, start: datetime, seconds: float) -> datetime:
    """The moment (aware, UTC) at which ``seconds`` of business time after ``start`` have been consumed.

    ``seconds <= 0`` returns ``start`` (in UTC). With ``seconds > 0`` the result always lies inside a
    working interval or exactly on its end. Resolution is one microsecond.
    """
    return _from_us(cal._add_us(_to_us(start), _seconds_to_us(seconds)))


def business_seconds_between(cal: BusinessCalendar, a: datetime, b: datetime) -> float:
    """Business seconds in ``[a, b)``; 0 when ``b <= a``."""
    return cal._between_us(_to_us(a), _to_us(b)) / 1_000_000


def default_calendars() -> dict[str, BusinessCalendar]:
    """Calendars shipped by default: round-the-clock cover, and a Chinese office-hours example."""
    return {
        "24x7": BusinessCalendar(name="24x7", mode="24x7", hours={}, use_cn_statutory=False),
        "cn_business_hours": BusinessCalendar(name="cn_business_hours"),
    }
