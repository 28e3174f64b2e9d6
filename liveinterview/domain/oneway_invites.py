"""Sending one-way interviews: set titles, positions, the deadline and its reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from liveinterview.domain.errors import InvalidInput
from liveinterview.domain.interviews import check_timezone

MAX_TITLE = 200
MAX_POSITION = 200
MAX_DEADLINE = timedelta(days=90)
# Reminders before the deadline, to candidates who have not finished.
REMINDER_OFFSETS = (timedelta(hours=48), timedelta(hours=4))


def check_title(raw: str) -> str:
    title = " ".join(raw.split())
    if not title:
        raise InvalidInput("Give the question set a title.", {"title": "Enter a title."})
    if len(title) > MAX_TITLE:
        raise InvalidInput(
            f"The title is longer than {MAX_TITLE} characters.",
            {"title": f"Use at most {MAX_TITLE} characters."},
        )
    return title


def check_position(raw: str) -> str:
    position = " ".join(raw.split())
    if not position:
        raise InvalidInput("Enter the position.", {"position": "Enter the position."})
    if len(position) > MAX_POSITION or "/" in position:
        raise InvalidInput(
            "The position is too long or contains a slash.",
            {"position": f"Use at most {MAX_POSITION} characters and no slash."},
        )
    return position


def deadline_from_local(day: date | None, at: time | None, tz: str, *, now: datetime) -> datetime:
    """The deadline the recruiter typed (a local date and time in `tz`) as a UTC instant.

    A time skipped by a daylight-saving change lands just after the gap.
    """
    problems: dict[str, str] = {}
    if day is None:
        problems["deadline_day"] = "Enter a date like 2026-03-16."
    if at is None:
        problems["deadline_time"] = "Enter a time like 17:00."
    zone = ZoneInfo(check_timezone(tz))
    if problems:
        raise InvalidInput("Enter the deadline's date and time.", problems)
    assert day is not None
    assert at is not None
    # fold=0: a skipped time reads with the offset before the gap (so, after it), and a
    # repeated time means its first occurrence.
    deadline = datetime.combine(day, at, zone).astimezone(UTC)
    if deadline <= now:
        raise InvalidInput(
            "The deadline must be in the future.",
            {"deadline_day": "The deadline must be in the future: choose a later date or time."},
        )
    if deadline > now + MAX_DEADLINE:
        days = MAX_DEADLINE.days
        raise InvalidInput(
            f"The deadline must be at most {days} days from now.",
            {"deadline_day": f"The deadline must be within {days} days from now."},
        )
    return deadline


def reminder_due(deadline: datetime, offset: timedelta, now: datetime) -> bool:
    """The reminder `offset` before the deadline is due now; one found more than half its
    lead time late (the server was down) is dropped, as for live interviews."""
    due_at = deadline - offset
    return due_at <= now < deadline and now - due_at <= offset / 2


def lead_time(offset: timedelta) -> str:
    hours = int(offset.total_seconds() // 3600)
    if hours >= 24 and hours % 24 == 0:
        days = hours // 24
        return "1 day" if days == 1 else f"{days} days"
    return "1 hour" if hours == 1 else f"{hours} hours"
