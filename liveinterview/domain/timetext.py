"""Times as people read them: in their own zone, with the zone named."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


def zone_label(moment: datetime, tz: str) -> str:
    """'Europe/Berlin, CET' (the abbreviation in force at that moment)."""
    abbreviation = moment.astimezone(ZoneInfo(tz)).tzname() or ""
    if abbreviation and abbreviation != tz and not abbreviation.startswith(("+", "-")):
        return f"{tz}, {abbreviation}"
    offset = moment.astimezone(ZoneInfo(tz)).strftime("%z")
    return f"{tz}, UTC{offset[:3]}:{offset[3:]}" if tz != "UTC" else "UTC"


def when(start: datetime, end: datetime, tz: str) -> str:
    """'Tuesday 3 March 2026, 14:00–15:00 (Europe/Berlin, CET)'."""
    zone = ZoneInfo(tz)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    day = f"{local_start:%A} {local_start.day} {local_start:%B %Y}"
    if local_end.date() != local_start.date():
        end_text = f"{local_end:%a} {local_end.day} {local_end:%b} {local_end:%H:%M}"
    else:
        end_text = f"{local_end:%H:%M}"
    return f"{day}, {local_start:%H:%M}–{end_text} ({zone_label(start, tz)})"


def day_range(start: datetime, end: datetime, tz: str) -> str:
    """'2 March – 16 March 2026' for a window [start, end), as dates in `tz` (a window ending
    at midnight ends on the day before)."""
    zone = ZoneInfo(tz)
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    if first.year == last.year:
        return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
    return f"{first.day} {first:%B %Y} – {last.day} {last:%B %Y}"


@dataclass(frozen=True)
class DaySlots:
    """Slots of one local day, for the booking page."""

    day: date
    label: str  # 'Tuesday 3 March'
    times: tuple[tuple[datetime, str], ...]  # (UTC start, '14:00')


def group_by_day(starts: Sequence[datetime], tz: str) -> list[DaySlots]:
    """Slot starts grouped by the local day they fall on, in order."""
    zone = ZoneInfo(tz)
    days: dict[date, list[tuple[datetime, str]]] = {}
    for start in starts:
        local = start.astimezone(zone)
        days.setdefault(local.date(), []).append((start, f"{local:%H:%M}"))
    return [
        DaySlots(day, f"{day:%A} {day.day} {day:%B}", tuple(times))
        for day, times in sorted(days.items())
    ]
