"""The dashboard's arithmetic, on plain data: medians per channel and days in the brand's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aftersales.web.dashboard import daily_flow, timing_by_channel

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_medians_per_channel_ignore_unanswered_tickets():
    rows = [
        ("phone", T0, T0 + timedelta(minutes=10), T0 + timedelta(hours=2)),
        ("phone", T0, T0 + timedelta(minutes=30), None),
        ("phone", T0, T0 + timedelta(minutes=20), T0 + timedelta(hours=4)),
        ("wechat", T0, None, None),
    ]
    figures = timing_by_channel(rows)
    assert figures["phone"] == {"first_response": 20.0, "resolution": 180.0, "answered": 3, "resolved": 2}
    assert figures["wechat"] == {"first_response": None, "resolution": None, "answered": 0, "resolved": 0}


def test_days_are_counted_in_the_brand_time_zone():
    shanghai = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 23:00 on the 23rd in Shanghai
    late_evening = datetime(2026, 11, 22, 16, 30, tzinfo=UTC)  # 00:30 on the 23rd in Shanghai, still the 22nd in UTC
    flow = daily_flow([("web", late_evening, None, now)], now, shanghai, 3)
    assert flow["labels"] == ["11-21", "11-22", "11-23"]
    assert flow["opened"] == [0, 0, 1]
    assert flow["resolved"] == [0, 0, 1]
    in_utc = daily_flow([("web", late_evening, None, None)], now, ZoneInfo("UTC"), 3)
    assert in_utc["opened"] == [0, 1, 0]
