"""Run every benchmark and write docs/benchmarks.md (`make bench`)."""

from __future__ import annotations

import sys
from pathlib import Path

from bench import bench_slots, report

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def slots_section() -> str:
    rows = bench_slots.run()
    return "\n".join(
        [
            "## Slot computation (`bench/bench_slots.py`)",
            "",
            "`free_slots` for a five-person panel over a 30-day window, 15-minute step, "
            f"60-minute interviews, best of {bench_slots.REPEATS} runs. *spread*: busy events "
            "anywhere in the window (most starts fail on the first panelist); *off-hours*: all "
            "events outside working hours, so every start is judged against every panelist "
            "(the most work per start). Target: under 100 ms at 2,000 events per interviewer, "
            "cost linear in events (µs/event must not grow).",
            "",
            report.table(
                rows,
                [
                    ("shape", "panel"),
                    ("busy", "busy events"),
                    ("n_per_interviewer", "events per interviewer"),
                    ("events_total", "events total"),
                    ("ms", "ms"),
                    ("us_per_event", "µs per event"),
                    ("slots", "free slots"),
                ],
            ),
            "",
        ]
    )


def main() -> int:
    sections = [report.header("make bench"), slots_section()]
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text("\n".join(sections))
    print(DOCS.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
