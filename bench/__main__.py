"""Run every benchmark and write docs/benchmarks.md (`make bench`)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from bench import bench_booking, bench_busy, bench_forwarding, bench_slots, capacity, report

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


def load_note(before: float) -> str:
    """How busy the machine was: shared machines make timings worse, never better."""
    after = os.getloadavg()[0]
    return (
        f"Load average (1 minute) when this section started: {before:.2f}, when it ended: "
        f"{after:.2f}, on {os.cpu_count()} CPUs. This benchmark alone keeps it near 1; more "
        "means other processes were competing for the cores during the run."
    )


def booking_section() -> str:
    b = bench_booking
    load = os.getloadavg()[0]
    rows = b.run()
    unreachable = [r for r in rows if r["scenario"] == "unreachable"]
    measured = [r for r in rows if r["scenario"] != "unreachable"]
    backends = ["SQLite", "PostgreSQL"]
    by_key: dict[tuple[object, ...], dict[object, dict[str, object]]] = {}
    for row in measured:
        key = (row["scenario"], row["via"], row["concurrency"])
        by_key.setdefault(key, {})[row["backend"]] = row

    def cell(found: dict[object, dict[str, object]], backend: str, *keys: str) -> object:
        if backend not in found:
            return "not run"
        values = [found[backend][k] for k in keys]
        return values[0] if len(values) == 1 else " / ".join(str(v) for v in values)

    def both(found: dict[object, dict[str, object]], key: str) -> str:
        return " · ".join(str(cell(found, backend, key)) for backend in backends)

    distinct = [
        {
            "clients": f"{concurrency}" + (" (service call, no HTTP)" if via == "service" else ""),
            "sqlite": cell(found, "SQLite", "per_s"),
            "postgresql": cell(found, "PostgreSQL", "per_s"),
            "sqlite_latency": cell(found, "SQLite", "p50_ms", "p95_ms", "p99_ms"),
            "postgresql_latency": cell(found, "PostgreSQL", "p50_ms", "p95_ms", "p99_ms"),
            "cpu": both(found, "cpu_ms"),
            "lost": both(found, "lost"),
            "errors": both(found, "errors"),
            "emails": both(found, "emails"),
        }
        for (scenario, via, concurrency), found in by_key.items()
        if scenario == "distinct"
    ]
    contention = [r for r in measured if r["scenario"] == "contention"]
    errors = [
        f"- {r['backend']}, {r['scenario']}, {r['concurrency']} clients: {r['error_kinds']}"
        for r in measured
        if r["error_kinds"]
    ]
    skipped = [
        f"PostgreSQL at `{b.POSTGRES_URL}` was not reachable, so it was not measured: {r['note']}."
        for r in unreachable
    ]
    return "\n".join(
        [
            "## Booking under concurrent load (`bench/bench_booking.py`)",
            "",
            "Candidates book through real HTTP: the app from `create_app` (real argon2 with "
            "cheap parameters, a mailer that counts) serves on 127.0.0.1, and an aiohttp client "
            "in the same process POSTs the booking form with its CSRF token, C clients in a "
            "closed loop. Each booking is the whole path: handler, the service re-checking the "
            "slot inside the transaction, the database guard, the queued emails and their "
            "delivery after the commit (*emails* must be twice the bookings: candidate and "
            f"interviewer). {b.INTERVIEWERS} interviewers with weekday hours, {b.REQUESTS} "
            "requests with a one-person panel spread over them, each candidate a different free "
            f"hour; a fresh database per run (a migrated SQLite file; a PostgreSQL schema "
            f"created and dropped), {b.WARMUP} warm-up bookings before timing. The *service "
            "call* row calls `BookingService.book` directly, so the difference to the HTTP row "
            "is what HTTP and the in-process load generator cost. *CPU ms/booking* is this "
            "process's CPU (all threads, PostgreSQL's server processes not included): when "
            "bookings/s × CPU ms/booking nears 1,000, this one process's core is the limit, not "
            "the database. Cells with two values read SQLite · PostgreSQL. What must hold: no "
            "booking of a distinct slot is lost and nothing errs; there is no throughput target "
            "yet.",
            "",
            *(f"{line}\n" for line in skipped),
            report.table(
                distinct,
                [
                    ("clients", "clients"),
                    ("sqlite", "SQLite bookings/s"),
                    ("postgresql", "PostgreSQL bookings/s"),
                    ("sqlite_latency", "SQLite p50 / p95 / p99 ms"),
                    ("postgresql_latency", "PostgreSQL p50 / p95 / p99 ms"),
                    ("cpu", "CPU ms/booking"),
                    ("lost", "lost"),
                    ("errors", "errors"),
                    ("emails", "emails"),
                ],
            ),
            "",
            f"Contention: {b.RACERS} candidates of one interviewer submit at the same moment, "
            f"spread over {b.RACE_SLOTS} distinct hours. Exactly {b.RACE_SLOTS} must win; every "
            "other one must get the 409 page saying the time was just taken, and none may err. "
            "*at DB guard* counts the losers that passed the in-transaction re-check and were "
            "stopped by the database itself (PostgreSQL's exclusion constraint).",
            "",
            report.table(
                contention,
                [
                    ("backend", "backend"),
                    ("attempts", "candidates"),
                    ("booked", "won"),
                    ("lost", "lost"),
                    ("lost_at_guard", "lost at DB guard"),
                    ("errors", "errors"),
                    ("emails", "emails"),
                    ("wall_s", "all answered after s"),
                    ("p50_ms", "p50 ms"),
                    ("p99_ms", "p99 ms"),
                ],
            ),
            "",
            *(["Errors:", "", *errors, ""] if errors else []),
            load_note(load),
            "",
        ]
    )


def busy_section() -> str:
    b = bench_busy
    load = os.getloadavg()[0]
    rows = b.run()
    return "\n".join(
        [
            "## Calendar import (`bench/bench_busy.py`)",
            "",
            "`parse_busy` on generated calendar exports like Outlook's: three quarters single "
            "meetings, a quarter weekly series (most ended, some with an EXDATE, a moved and a "
            "cancelled instance), Windows zones with an embedded VTIMEZONE, IANA zones and UTC, "
            "attendees, HTML descriptions and alarms, spread over the year before and the "
            "months after the window; imported for its owner as the app does, with the app's "
            f"size limit ({b.MAX_BYTES:,} bytes), best of {b.REPEATS} runs. *intervals* are the "
            "merged busy intervals returned. Target: cost linear in events (µs per event must "
            "not grow with the calendar). Hostile calendars (copied from the tests) must be "
            "refused with a message, and quickly: the step budget in `busy.py` stops a hostile "
            "rule after about 0.7 s.",
            "",
            report.table(
                [r for r in rows if r["kind"] == "size"],
                [
                    ("events", "events"),
                    ("kb", "KB"),
                    ("days", "window days"),
                    ("ms", "ms"),
                    ("us_per_event", "µs per event"),
                    ("events_per_s", "events/s"),
                    ("intervals", "intervals"),
                    ("busy_hours", "busy hours"),
                ],
            ),
            "",
            report.table(
                [r for r in rows if r["kind"] == "hostile"],
                [
                    ("case", "hostile calendar"),
                    ("bytes", "bytes"),
                    ("ms", "ms to refuse"),
                    ("refused", "refused"),
                    ("message", "message"),
                ],
            ),
            "",
            load_note(load),
            "",
        ]
    )


def forwarding_section() -> str:
    f = bench_forwarding
    rows = f.run()
    counts = ", ".join(str(n) for n in f.SUBSCRIBERS)
    return "\n".join(
        [
            "## Forwarding vs aiortc's MediaRelay (`bench/bench_forwarding.py`)",
            "",
            "Issue 4: server CPU per forwarded 1 Mbit/s video stream must be at least "
            f"{f.TARGET_RATIO:.0f}× lower than with aiortc's `MediaRelay` on the same load. "
            "*A* is our `AiortcEngine` (packets forwarded, never decoded), driven through its "
            "`MediaEngine` methods; *B* is a stock-aiortc relay (`MediaRelay.subscribe` per "
            "subscriber: one decode, then one VP8 and one Opus encode per subscriber). Each "
            "server runs in its own process; the same two load-generator processes play one "
            "publisher (a 640×480 30 fps VP8 clip at ~1 Mbit/s plus Opus, made once with PyAV, "
            "paced by its own clock, back to its keyframe on a PLI) and N subscribers that "
            "reassemble and count frames without decoding, over loopback, with browser-style "
            f"trickle ICE. A and B take turns at each N ({counts} subscribers: rooms of "
            f"{min(f.SUBSCRIBERS) + 1} to {max(f.SUBSCRIBERS) + 1} participants, the engine "
            f"taking at most {f.MAX_PARTICIPANTS}), "
            f"{f.WINDOW:.0f} s each after {f.WARMUP:.0f} s of warm-up. *Server CPU* is the "
            "process's user + system time (all threads) over the window, in % of one core. "
            "The cost per forwarded stream is the slope of a least-squares line through the "
            "points (each subscriber gets one video and one Opus stream), so the publisher's "
            "ingest (the intercept) is counted against neither. B ÷ A is computed from the "
            "measured numbers.",
            "",
            report.table(f.comparison(rows), f.COMPARISON_COLUMNS),
            "",
            f.verdict(rows),
            "",
            "What the subscribers received in the same windows (*frames lost*: frames never "
            "completed; *machine busy* includes everything else running on the machine). B's "
            "encoders follow the subscribers' REMB up to aiortc's 1.5 Mbit/s cap, so B sends "
            "more than the publisher's ~1 Mbit/s (the kbit/s column): its per-stream cost is "
            "for that rate.",
            "",
            report.table(f.delivery(rows), f.DELIVERY_COLUMNS),
            "",
            f"Late joiners ({f.LATE_JOINERS} per server, one after the other, while a publisher "
            "and one subscriber stream): milliseconds from the client's `connect` to its first "
            "complete keyframe; for A also when the engine handed that keyframe to the joiner's "
            "sender, and the steps before it (one monotonic clock across the processes). "
            "Issue 4: a late joiner sees video within a second.",
            "",
            report.table(f.late_joiners(rows), f.LATE_COLUMNS),
            "",
            f.setup_note(rows),
            "",
        ]
    )


def capacity_section() -> str:
    load = os.getloadavg()[0]
    result = capacity.run()
    after = os.getloadavg()[0]
    saved = Path(tempfile.gettempdir()) / "liveinterview-bench-capacity.json"
    saved.write_text(json.dumps(result))
    print(
        f"bench: capacity result kept in {saved} (`python -m bench.capacity --load`)",
        file=sys.stderr,
    )
    capacity.plot(result, DOCS.parent / "capacity.png")
    return "\n".join(
        [
            "## Capacity: rooms per machine vs Janus and MediaRelay (`bench/capacity.py`)",
            "",
            capacity.introduction(result),
            "",
            capacity.markdown(result, "capacity.png"),
            "",
            f"Command: `{capacity.COMMAND}` (what `make bench` runs for this section; "
            "`python -m bench.capacity --save FILE` runs it alone and keeps the JSON, "
            "`--load FILE` renders a saved run).",
            "",
            f"Load average (1 minute) when this section started: {load:.2f}, when it ended: "
            f"{after:.2f}, on {os.cpu_count()} CPUs. This benchmark keeps its own processes "
            f"under {capacity.MACHINE_BUDGET_PCT:.0f} % of the machine; the *machine busy* "
            "column shows what everything together used in each window.",
            "",
        ]
    )


def main() -> int:
    sections = [report.header("make bench")]
    for name, section in (
        ("slot computation", slots_section),
        ("booking under load", booking_section),
        ("calendar import", busy_section),
        ("forwarding vs MediaRelay", forwarding_section),
        ("capacity vs Janus and MediaRelay", capacity_section),
    ):
        print(f"bench: {name}…", file=sys.stderr, flush=True)
        sections.append(section())
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text("\n".join(sections))
    print(DOCS.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
