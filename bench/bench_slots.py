"""Time `free_slots` for a five-person panel over 30 days as calendars grow.

Run `python bench/bench_slots.py`; `run()` returns the rows for `make bench`.
Two panel shapes (five required; three required plus a pool of two) and two ways of placing
the busy events: "spread" puts them anywhere in the window, so most starts fail on the first
panelist; "off-hours" puts them all outside working hours, so every in-hours start is judged
against every panelist, the most work per start.
"""

from __future__ import annotations

import os
import platform
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

# Let `python bench/bench_slots.py` work from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from liveinterview.domain.availability import (
    Interval,
    InterviewerSchedule,
    LocalRange,
    SlotRequest,
    free_slots,
)

SIZES = (250, 500, 1000, 2000, 4000, 8000)
REPEATS = 7
ZONES = ("Europe/Berlin", "Europe/London", "America/New_York", "Europe/Lisbon", "Europe/Berlin")
WINDOW_START = datetime(2024, 6, 3, tzinfo=UTC)
WINDOW_END = WINDOW_START + timedelta(days=30)
NOW = WINDOW_START - timedelta(days=2)
SHAPES: dict[str, tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]] = {
    "5 required": ((1, 2, 3, 4, 5), ()),
    "3 required + pool of 2": ((1, 2, 3), ((4, 5),)),
}
WORKDAY = (LocalRange(clock(8), clock(12)), LocalRange(clock(13), clock(20)))


def _busy(rng: random.Random, zone: ZoneInfo, count: int, scenario: str) -> tuple[Interval, ...]:
    events = []
    for _ in range(count):
        length = timedelta(minutes=rng.choice((15, 30, 45, 60)))
        if scenario == "spread":
            seconds = rng.randrange(int((WINDOW_END - WINDOW_START).total_seconds()))
            start = WINDOW_START + timedelta(seconds=seconds)
        else:  # off-hours: somewhere between 20:00 and 07:00 local time
            day = WINDOW_START.date() + timedelta(days=rng.randrange(30))
            evening = datetime.combine(day, clock(20), zone)
            start = evening + timedelta(minutes=rng.randrange(11 * 60 - 60))
        events.append(Interval(start, start + length))
    return tuple(events)


def _schedules(count: int, scenario: str, seed: int = 7) -> dict[int, InterviewerSchedule]:
    rng = random.Random(seed)
    schedules = {}
    for interviewer_id, tz in enumerate(ZONES, start=1):
        zone = ZoneInfo(tz)
        bookings = tuple(
            Interval(start, start + timedelta(hours=1))
            for day in range(0, 30, 3)
            for start in [datetime.combine(date(2024, 6, 3) + timedelta(days=day), clock(9), zone)]
        )
        schedules[interviewer_id] = InterviewerSchedule(
            interviewer_id=interviewer_id,
            tz=tz,
            weekly={weekday: WORKDAY for weekday in range(5)},
            buffer_before=timedelta(minutes=10),
            buffer_after=timedelta(minutes=10),
            max_per_day=4,
            max_per_week=15,
            min_notice=timedelta(hours=4),
            bookings=bookings,
            busy=_busy(rng, zone, count, scenario),
            load=interviewer_id % 3,
        )
    return schedules


def _best_ms(request: SlotRequest, schedules: dict[int, InterviewerSchedule]) -> tuple[float, int]:
    best = float("inf")
    found = 0
    for _ in range(REPEATS):
        began = time.perf_counter()
        found = len(free_slots(request, schedules, NOW))
        best = min(best, time.perf_counter() - began)
    return best * 1000, found


def run(sizes: tuple[int, ...] = SIZES) -> list[dict[str, object]]:
    """One row per shape, busy-event placement and calendar size: best-of-REPEATS timing."""
    rows: list[dict[str, object]] = []
    for shape, (required, pools) in SHAPES.items():
        request = SlotRequest(
            required=required,
            pools=pools,
            duration=timedelta(hours=1),
            step=timedelta(minutes=15),
            window_start=WINDOW_START,
            window_end=WINDOW_END,
        )
        for scenario in ("spread", "off-hours"):
            for count in sizes:
                schedules = _schedules(count, scenario)
                events = sum(len(s.busy) + len(s.bookings) for s in schedules.values())
                ms, found = _best_ms(request, schedules)
                rows.append(
                    {
                        "shape": shape,
                        "busy": scenario,
                        "n_per_interviewer": count,
                        "events_total": events,
                        "ms": round(ms, 2),
                        "us_per_event": round(ms * 1000 / events, 2),
                        "slots": found,
                    }
                )
    return rows


def machine() -> str:
    """Where the numbers were taken."""
    return (
        f"{platform.platform()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )


def main() -> None:
    rows = run()
    print(f"free_slots, 30-day window, 15-min step, 60-min interviews, best of {REPEATS}")
    print(f"machine: {machine()}\n")
    print("| panel | busy events | N per interviewer | events total | ms | µs/event | slots |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for row in rows:
        cells = (
            row["shape"], row["busy"], row["n_per_interviewer"], row["events_total"],
            f"{row['ms']:.2f}", f"{row['us_per_event']:.2f}", row["slots"],
        )  # fmt: skip
        print("| " + " | ".join(str(cell) for cell in cells) + " |")


if __name__ == "__main__":
    main()
