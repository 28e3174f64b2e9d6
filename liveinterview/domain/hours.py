"""Working hours and scheduling preferences as people type them: parsed, checked, formatted.

Hours are minute ranges after local midnight, as storage keeps them: "09:00-12:00, 13:00-17:30"
is [(540, 720), (780, 1050)], and an end of 24:00 (or 00:00) is 1440, midnight at the end of
the day. Every problem is reported as InvalidInput whose field message names the day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import pairwise

from liveinterview.domain.errors import InvalidInput
from liveinterview.domain.interviews import check_timezone

MinuteRange = tuple[int, int]

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
END_OF_DAY = 24 * 60
MAX_RANGES_PER_DAY = 12
MAX_BUFFER_MINUTES = 240
MAX_PER_DAY = 50
MAX_PER_WEEK = 200
MAX_NOTICE_HOURS = 30 * 24
OVERRIDE_HORIZON = timedelta(days=730)
CORRECT_FIELDS = "Please correct the marked fields."

_TIME = re.compile(r"(\d{1,2})(?::(\d{2}))?")
_DASHES = re.compile(r"\s*[-–—]\s*")  # hyphen, en dash, em dash
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def weekday_field(weekday: int) -> str:
    """The form field holding one weekday's hours: 'hours_monday' for 0."""
    return f"hours_{WEEKDAYS[weekday].lower()}"


def format_minute(minute: int) -> str:
    hours, minutes = divmod(minute, 60)
    return f"{hours:02d}:{minutes:02d}"


def format_ranges(ranges: Iterable[MinuteRange]) -> str:
    """'09:00-12:00, 13:00-24:00'; the empty string for no ranges."""
    return ", ".join(f"{format_minute(start)}-{format_minute(end)}" for start, end in ranges)


def parse_ranges(text: str, *, label: str, field: str) -> list[MinuteRange]:
    """Comma-separated ranges, sorted; empty text is no hours at all.

    Accepts "9-12", "09:00-12:30", "13:00–24:00"; an end of 00:00 or 24:00 is midnight
    at the end of the day. Touching ranges are allowed, overlapping ones are not.
    """

    def invalid(problem: str) -> InvalidInput:
        message = f"{label}: {problem}"
        return InvalidInput(message, {field: message})

    pieces = [piece.strip() for piece in re.split(r"[,;]", text)]
    pieces = [piece for piece in pieces if piece]
    if len(pieces) > MAX_RANGES_PER_DAY:
        raise invalid(f"use at most {MAX_RANGES_PER_DAY} ranges")
    ranges: list[MinuteRange] = []
    for piece in pieces:
        ends = _DASHES.split(piece)
        if len(ends) != 2 or not ends[0] or not ends[1]:
            raise invalid(f"'{piece}' is not a range like 09:00-12:00")
        start, end = _minute(ends[0]), _minute(ends[1])
        if start is None or end is None:
            raise invalid(f"'{ends[0] if start is None else ends[1]}' is not a time")
        if start == END_OF_DAY:
            raise invalid(f"'{piece}' starts at 24:00; a range must start before midnight")
        if end == 0:
            end = END_OF_DAY
        if end < start:
            raise invalid(f"{format_ranges([(start, end)])} ends before it starts")
        if end == start:
            raise invalid(f"{format_ranges([(start, end)])} is empty")
        ranges.append((start, end))
    ranges.sort()
    for earlier, later in pairwise(ranges):
        if later[0] < earlier[1]:
            raise invalid(f"{format_ranges([earlier])} and {format_ranges([later])} overlap")
    return ranges


def _minute(raw: str) -> int | None:
    """Minutes after midnight of 'H', 'HH', 'H:MM' or 'HH:MM' (up to 24:00), else None."""
    match = _TIME.fullmatch(raw)
    if match is None:
        return None
    hours, minutes = int(match[1]), int(match[2] or 0)
    if (hours < 24 and minutes < 60) or (hours == 24 and minutes == 0):
        return hours * 60 + minutes
    return None


def parse_week(texts: Sequence[str]) -> dict[int, list[MinuteRange]]:
    """Seven days' texts, Monday first; every bad day is reported at once."""
    if len(texts) != len(WEEKDAYS):
        raise ValueError(f"expected {len(WEEKDAYS)} days, got {len(texts)}")
    week: dict[int, list[MinuteRange]] = {}
    problems: dict[str, str] = {}
    for weekday, text in enumerate(texts):
        try:
            ranges = parse_ranges(text, label=WEEKDAYS[weekday], field=weekday_field(weekday))
        except InvalidInput as exc:
            problems.update(exc.fields)
            continue
        if ranges:
            week[weekday] = ranges
    if problems:
        raise InvalidInput(_summary(problems), problems)
    return week


@dataclass(frozen=True)
class Override:
    """Hours replacing the weekly ones on one local date; no ranges is a day off."""

    day: date
    ranges: list[MinuteRange]


def parse_override(*, day: str, kind: str, hours: str, today: date) -> Override:
    """A date from today (the interviewer's local date) on, and its hours or a day off."""
    problems: dict[str, str] = {}
    parsed_day: date | None = None
    raw_day = day.strip()
    if not raw_day:
        problems["day"] = "Enter a date."
    else:
        try:
            if not _DATE.fullmatch(raw_day):
                raise ValueError(raw_day)
            parsed_day = date.fromisoformat(raw_day)
        except ValueError:
            problems["day"] = f"'{raw_day}' is not a date like {today.isoformat()}."
    if parsed_day is not None and parsed_day < today:
        problems["day"] = f"{parsed_day.isoformat()} is in the past; choose today or later."
        parsed_day = None
    elif parsed_day is not None and parsed_day > today + OVERRIDE_HORIZON:
        last = (today + OVERRIDE_HORIZON).isoformat()
        problems["day"] = f"Choose a date up to {last}."
        parsed_day = None
    ranges: list[MinuteRange] = []
    if kind == "hours":
        try:
            ranges = parse_ranges(hours, label="Hours", field="hours")
        except InvalidInput as exc:
            problems.update(exc.fields)
        else:
            if not ranges:
                problems["hours"] = "Enter the hours, like 10:00-14:00, or choose a day off."
    elif kind != "off":
        problems["kind"] = "Choose a day off or different hours."
    if problems:
        raise InvalidInput(_summary(problems), problems)
    assert parsed_day is not None
    return Override(parsed_day, ranges)


@dataclass(frozen=True)
class Preferences:
    """An interviewer's scheduling settings, checked."""

    timezone: str
    buffer_before_minutes: int
    buffer_after_minutes: int
    max_per_day: int | None
    max_per_week: int | None
    min_notice_minutes: int


def check_preferences(
    *,
    timezone: str,
    buffer_before: str,
    buffer_after: str,
    max_per_day: str,
    max_per_week: str,
    min_notice_hours: str,
) -> Preferences:
    """Form text to Preferences; every bad field is reported at once."""
    problems: dict[str, str] = {}
    zone = ""
    try:
        zone = check_timezone(timezone.strip())
    except InvalidInput as exc:
        problems.update(exc.fields)
    buffer_message = f"Enter a whole number of minutes from 0 to {MAX_BUFFER_MINUTES}."
    before = _whole(buffer_before, 0, MAX_BUFFER_MINUTES)
    if before is None:
        problems["buffer_before"] = buffer_message
    after = _whole(buffer_after, 0, MAX_BUFFER_MINUTES)
    if after is None:
        problems["buffer_after"] = buffer_message
    per_day = _limit(max_per_day, MAX_PER_DAY, "max_per_day", problems)
    per_week = _limit(max_per_week, MAX_PER_WEEK, "max_per_week", problems)
    notice = _notice_minutes(min_notice_hours)
    if notice is None:
        problems["min_notice_hours"] = (
            f"Enter a number of hours from 0 to {MAX_NOTICE_HOURS} (30 days), like 12 or 1.5."
        )
    if problems:
        raise InvalidInput(_summary(problems), problems)
    assert before is not None
    assert after is not None
    assert notice is not None
    return Preferences(zone, before, after, per_day, per_week, notice)


def format_notice_hours(minutes: int) -> str:
    """Minutes as the hours the form shows: '12', '1.5', '0.25'."""
    hours = Decimal(minutes) / 60
    text = f"{hours:.4f}".rstrip("0").rstrip(".")
    return text or "0"


def _whole(raw: str, low: int, high: int) -> int | None:
    value = raw.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 6:
        return None
    number = int(value)
    return number if low <= number <= high else None


def _limit(raw: str, high: int, field: str, problems: dict[str, str]) -> int | None:
    if not raw.strip():
        return None
    value = _whole(raw, 1, high)
    if value is None:
        problems[field] = f"Leave empty for no limit, or enter a whole number from 1 to {high}."
    return value


def _notice_minutes(raw: str) -> int | None:
    value = raw.strip()
    if not re.fullmatch(r"\d{1,4}(\.\d{1,4})?", value):
        return None
    try:
        minutes = Decimal(value) * 60
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return None
    if minutes > MAX_NOTICE_HOURS * 60:
        return None
    return int(minutes.to_integral_value(ROUND_HALF_UP))  # to the nearest whole minute


def _summary(problems: dict[str, str]) -> str:
    if len(problems) == 1:
        return next(iter(problems.values()))
    return CORRECT_FIELDS
