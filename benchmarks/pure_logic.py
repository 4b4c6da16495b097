"""Speed of the pure parts of intake: business-time arithmetic and triage, each beside a baseline.

    python benchmarks/pure_logic.py [--n 2000] [--repeats 5]

Every SLA due time goes through add_business_time (office hours with Chinese holidays; baseline: the 24x7
calendar), and every ticket through triage (baseline: jieba's segmentation of the same text alone). Prints
median microseconds per call over the repetitions and the ratio to the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from aftersales.sla.calendar import add_business_time, default_calendars

SH = ZoneInfo("Asia/Shanghai")
HOUR = 3600
CASES = {
    "72 h across National Day": (datetime(2026, 9, 28, 12, 0, tzinfo=SH), 72 * HOUR),
    "30 business days from Jan 2": (datetime(2025, 1, 2, tzinfo=SH), 30 * 86_400),
    "2 h on a Friday evening": (datetime(2026, 11, 20, 17, 30, tzinfo=SH), 2 * HOUR),
}


def per_call_us(calendar, start: datetime, seconds: float, n: int) -> float:  # type: ignore[no-untyped-def]
    add_business_time(calendar, start, seconds)  # warm the day cache, as a running server has it
    t0 = time.perf_counter()
    for _ in range(n):
        add_business_time(calendar, start, seconds)
    return (time.perf_counter() - t0) / n * 1e6


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    calendars = default_calendars()
    office, always = calendars["cn_business_hours"], calendars["24x7"]
    print(f"{'case':<30} {'office µs':>10} {'24x7 µs':>9} {'ratio':>6}")
    for name, (start, seconds) in CASES.items():
        office_us = statistics.median(per_call_us(office, start, seconds, args.n) for _ in range(args.repeats))
        base_us = statistics.median(per_call_us(always, start, seconds, args.n) for _ in range(args.repeats))
        print(f"{name:<30} {office_us:10.1f} {base_us:9.1f} {office_us / base_us:6.1f}")

    import jieba

    from aftersales.triage.engine import TriageInput, load_pack, triage, warm_up

    warm_up()
    pack = load_pack("dairy")
    text = "孩子喝了你们家的鲜牛奶，下午开始拉肚子，拉了四五次了，现在在医院挂水，我要投诉"
    inp = TriageInput(text=text)

    def timed(fn) -> float:  # type: ignore[no-untyped-def]
        fn()
        t0 = time.perf_counter()
        for _ in range(args.n):
            fn()
        return (time.perf_counter() - t0) / args.n * 1e6

    triage_us = statistics.median(timed(lambda: triage(pack, inp)) for _ in range(args.repeats))
    cut_us = statistics.median(timed(lambda: list(jieba.cut(text))) for _ in range(args.repeats))
    print(
        f"{'triage (dairy, L3 text)':<30} {triage_us:10.1f} {cut_us:9.1f} {triage_us / cut_us:6.1f}"
        "  (baseline: jieba.cut)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
