"""Time `parse_busy` on interviewers' calendars as they grow, and on hostile ones.

Run `python bench/bench_busy.py`; `run()` returns the rows for `make bench`.
The calendars look like real exports: most events are single meetings, a quarter are weekly
series (some ended, some open, a few with a cancelled date, a moved instance or an EXDATE);
times are in Windows zones with an embedded VTIMEZONE (Outlook), IANA zones and UTC; every
event has attendees, an HTML description and an alarm. They span the year before and the
months after the window, as an export does, and are imported the way the app does it:
owner's address given, `max_bytes` as the app's default feed limit.
"""

from __future__ import annotations

import os
import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

# Let `python bench/bench_busy.py` work from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from liveinterview.calendar.busy import CalendarImportError, parse_busy
from liveinterview.config import Settings

SIZES = (250, 500, 1000, 2000, 4000)
WINDOWS = (30, 120)  # days; the app imports 1 day back and 120 days ahead
REPEATS = 5
OWNER = "owner@example.com"
WINDOW_START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
MAX_BYTES = Settings().feed_max_bytes  # what the app allows for one calendar
HISTORY = timedelta(days=365)  # how far back the export reaches
FUTURE = timedelta(days=150)  # ...and how far ahead
ENDED = 0.75  # share of the weekly series that ended before the window

WINDOWS_ZONE = "W. Europe Standard Time"
BERLIN_VTIMEZONE = f"""BEGIN:VTIMEZONE
TZID:{WINDOWS_ZONE}
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
"""
ZONES = (WINDOWS_ZONE, "Europe/Berlin", "America/New_York", "UTC")
ANSWERS = ("ACCEPTED", "ACCEPTED", "TENTATIVE", "DECLINED")
# (rule, weekday of DTSTART, weeks between instances on that weekday)
WEEKLY = (
    ("FREQ=WEEKLY;BYDAY=MO,WE", 0, 1),
    ("FREQ=WEEKLY;INTERVAL=2", 3, 2),
    ("FREQ=WEEKLY;BYDAY=TU,TH", 1, 1),
)


def ics(*components: str) -> bytes:
    """A VCALENDAR around the components, with CRLF line ends as RFC 5545 wants."""
    body = "".join(components)
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//bench//EN\n{body}END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


def event(*lines: str, uid: str = "e1", summary: str = "Standup") -> str:
    return (
        "\n".join(["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{summary}", *lines, "END:VEVENT"]) + "\n"
    )


def _when(name: str, moment: datetime, zone: str) -> str:
    """DTSTART, DTEND, RECURRENCE-ID or EXDATE at wall time `moment` in `zone`."""
    if zone == "UTC":
        return f"{name}:{moment:%Y%m%dT%H%M%SZ}"
    return f"{name};TZID={zone}:{moment:%Y%m%dT%H%M%S}"


def _details(rng: random.Random, index: int) -> list[str]:
    return [
        "DTSTAMP:20260101T000000Z",
        f"DESCRIPTION:Agenda\\, notes and a link: https://example.com/meeting/{index}/" + "x" * 60,
        "X-ALT-DESC;FMTTYPE=text/html:<html><body>" + "<p>Agenda item</p>" * 6 + "</body></html>",
        "ORGANIZER;CN=Boss:mailto:boss@example.com",
        *(f"ATTENDEE;CN=Person {n};PARTSTAT=ACCEPTED:mailto:p{n}@example.com" for n in range(4)),
        f"ATTENDEE;CN=Owner;PARTSTAT={rng.choice(ANSWERS)}:mailto:{OWNER}",
        "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
        "BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT15M\nDESCRIPTION:Reminder\nEND:VALARM",
    ]


def _series(rng: random.Random, index: int, zone: str, room: int) -> list[str]:
    """A weekly series from before the export's range, and up to `room` - 1 exceptions."""
    rule, weekday, every = rng.choice(WEEKLY)
    start = (WINDOW_START - HISTORY - timedelta(days=rng.randrange(365))).replace(tzinfo=None)
    start += timedelta(days=(weekday - start.weekday()) % 7, hours=8 + rng.randrange(10))
    lines = [
        *_details(rng, index),
        _when("DTSTART", start, zone),
        _when("DTEND", start + timedelta(hours=1), zone),
    ]
    ended = rng.random() < ENDED
    if ended:
        until = start + timedelta(weeks=rng.randrange(8, 50))
        rule += f";UNTIL={until:%Y%m%dT235959Z}"
    uid = f"ev{index}@example.com"
    exceptions: list[str] = []
    if not ended and rng.random() < 0.3 and room >= 3:
        # Near the window: one date dropped, one instance moved, one cancelled.
        weeks = (WINDOW_START.replace(tzinfo=None) - start).days // 7 // every * every
        dropped, moved, cancelled = (start + timedelta(weeks=weeks + every * k) for k in (1, 2, 3))
        lines.append(_when("EXDATE", dropped, zone))
        exceptions.append(
            event(
                *_details(rng, index),
                _when("RECURRENCE-ID", moved, zone),
                _when("DTSTART", moved + timedelta(days=1, hours=2), zone),
                _when("DTEND", moved + timedelta(days=1, hours=3), zone),
                "SEQUENCE:1",
                uid=uid,
                summary=f"Series {index} (moved)",
            )
        )
        exceptions.append(
            event(
                _when("RECURRENCE-ID", cancelled, zone),
                _when("DTSTART", cancelled, zone),
                _when("DTEND", cancelled + timedelta(hours=1), zone),
                "STATUS:CANCELLED",
                uid=uid,
                summary=f"Series {index} (cancelled)",
            )
        )
    lines.append(f"RRULE:{rule}")
    return [event(*lines, uid=uid, summary=f"Series {index}"), *exceptions]


def realistic_calendar(events: int, seed: int = 1) -> bytes:
    """`events` VEVENTs: a series counts one, and each of its exceptions one more."""
    rng = random.Random(seed)
    first = (WINDOW_START - HISTORY).replace(tzinfo=None)
    span_days = (HISTORY + FUTURE).days
    parts = [BERLIN_VTIMEZONE]
    made = 0
    while made < events:
        index = made
        zone = ZONES[index % len(ZONES)]
        if index % 4 == 0:
            made_here = _series(rng, index, zone, room=events - made)
        else:
            start = first + timedelta(days=rng.randrange(span_days), hours=8 + rng.randrange(10))
            start += timedelta(minutes=15 * rng.randrange(4))
            end = start + timedelta(minutes=rng.choice((30, 45, 60, 90)))
            lines = [*_details(rng, index), _when("DTSTART", start, zone)]
            made_here = [event(*lines, _when("DTEND", end, zone), uid=f"ev{index}@example.com")]
        parts += made_here
        made += len(made_here)
    return ics(*parts)


# --- hostile calendars (copied from tests/calendar/test_busy.py: benchmarks import no tests) ---


def _with_bomb(data: bytes, bomb: str) -> bytes:
    """A real calendar with one hostile event just before its end."""
    end = b"END:VCALENDAR\r\n"
    return data.removesuffix(end) + bomb.replace("\n", "\r\n").encode() + end


SECONDLY = event("DTSTART:20160302T090000Z", "DTEND:20160302T090001Z", "RRULE:FREQ=SECONDLY")


def hostile_calendars() -> dict[str, bytes]:
    return {
        "SECONDLY rule from 2016": ics(SECONDLY),
        "DAILY rule that never matches (30 February)": ics(
            event(
                "DTSTART:20200302T090000Z",
                "DTEND:20200302T100000Z",
                "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
            )
        ),
        "MINUTELY rule inside the window": ics(
            event("DTSTART:20260302T000000Z", "DTEND:20260302T000100Z", "RRULE:FREQ=MINUTELY")
        ),
        "YEARLY;BYDAY=60MO (dateutil fails)": ics(
            event("DTSTART:20200302T090000Z", "RRULE:FREQ=YEARLY;BYDAY=60MO")
        ),
        "VTIMEZONE with SECONDLY transitions": ics(
            BERLIN_VTIMEZONE.replace(WINDOWS_ZONE, "Bomb").replace(
                "FREQ=YEARLY;BYDAY=-1SU", "FREQ=SECONDLY"
            ),
            event("DTSTART;TZID=Bomb:20260302T090000", "DTEND;TZID=Bomb:20260302T100000"),
        ),
        "SECONDLY rule after 2,000 real events": _with_bomb(realistic_calendar(2000), SECONDLY),
        "over the size limit": b"BEGIN:VCALENDAR\r\n" + b"x" * MAX_BYTES,
    }


# --- timing ----------------------------------------------------------------------------------


def _busy(data: bytes, days: int) -> list[tuple[datetime, datetime]]:
    return parse_busy(
        data,
        window_start=WINDOW_START,
        window_end=WINDOW_START + timedelta(days=days),
        tz="Europe/Berlin",
        owner_emails=[OWNER],
        max_bytes=MAX_BYTES,
    )


def _best(work: Callable[[], object], repeats: int) -> float:
    """Best wall time of `repeats` runs, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - began)
    return best


def _refusal(data: bytes) -> str:
    try:
        _busy(data, WINDOWS[-1])
    except CalendarImportError as exc:
        return exc.message
    return ""


def run(sizes: tuple[int, ...] = SIZES) -> list[dict[str, object]]:
    """Rows of kind "size" (each calendar size and window) and "hostile" (each refusal)."""
    rows: list[dict[str, object]] = []
    for count in sizes:
        data = realistic_calendar(count)
        for days in WINDOWS:
            seconds = _best(partial(_busy, data, days), REPEATS)
            busy = _busy(data, days)
            rows.append(
                {
                    "kind": "size",
                    "events": count,
                    "kb": round(len(data) / 1000),
                    "days": days,
                    "ms": round(seconds * 1000, 1),
                    "us_per_event": round(seconds * 1e6 / count, 1),
                    "events_per_s": round(count / seconds),
                    "intervals": len(busy),
                    "busy_hours": round(sum((e - s).total_seconds() for s, e in busy) / 3600),
                }
            )
    for case, data in hostile_calendars().items():
        message = _refusal(data)
        seconds = _best(partial(_refusal, data), REPEATS)
        rows.append(
            {
                "kind": "hostile",
                "case": case,
                "bytes": len(data),
                "ms": round(seconds * 1000, 1),
                "refused": "yes" if message else "NO",
                "message": message,
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
    print(f"parse_busy on generated exports, best of {REPEATS}; limit {MAX_BYTES:,} bytes")
    print(f"machine: {machine()}\n")
    print("| events | KB | window days | ms | µs/event | events/s | intervals | busy hours |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        if row["kind"] == "size":
            cells = (
                row["events"], row["kb"], row["days"], f"{row['ms']:.1f}",
                f"{row['us_per_event']:.1f}", row["events_per_s"], row["intervals"],
                row["busy_hours"],
            )  # fmt: skip
            print("| " + " | ".join(str(cell) for cell in cells) + " |")
    print("\n| hostile calendar | bytes | ms to refuse | refused | message |")
    print("|---|---:|---:|---|---|")
    for row in rows:
        if row["kind"] == "hostile":
            refusal = (
                row["case"], row["bytes"], f"{row['ms']:.1f}", row["refused"], row["message"],
            )  # fmt: skip
            print("| " + " | ".join(str(cell) for cell in refusal) + " |")


if __name__ == "__main__":
    main()
