"""Interview requests: what a valid request is, its states, and who may change a booking."""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from liveinterview.domain.accounts import normalize_email, normalize_name
from liveinterview.domain.errors import Conflict, Gone, InvalidInput

MIN_DURATION = timedelta(minutes=10)
MAX_DURATION = timedelta(hours=8)
MIN_STEP = timedelta(minutes=5)
MAX_STEP = timedelta(hours=4)
MAX_WINDOW = timedelta(days=92)
MAX_NOTE = 2000
MAX_POSITION = 200


class RequestStatus(enum.StrEnum):
    AWAITING = "awaiting_booking"
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {
            RequestStatus.AWAITING: "Awaiting booking",
            RequestStatus.SCHEDULED: "Scheduled",
            RequestStatus.DONE: "Done",
            RequestStatus.CANCELLED: "Cancelled",
        }[self]


def effective_status(stored: str, end_at: datetime | None, now: datetime) -> RequestStatus:
    """A scheduled interview whose end has passed is done; nothing else changes by time."""
    status = RequestStatus(stored)
    if status is RequestStatus.SCHEDULED and end_at is not None and end_at <= now:
        return RequestStatus.DONE
    return status


@dataclass(frozen=True)
class Panel:
    """Required interviewers, and pools from each of which exactly one is needed."""

    required: tuple[int, ...]
    pools: tuple[tuple[int, ...], ...]

    @property
    def everyone(self) -> tuple[int, ...]:
        seen: dict[int, None] = dict.fromkeys(self.required)
        for pool in self.pools:
            seen.update(dict.fromkeys(pool))
        return tuple(seen)


@dataclass(frozen=True)
class NewRequest:
    candidate_name: str
    candidate_email: str
    position: str
    duration: timedelta
    step: timedelta
    window_start: datetime
    window_end: datetime
    recorded: bool
    note: str
    panel: Panel


def check_new_request(
    *,
    candidate_name: str,
    candidate_email: str,
    position: str,
    duration_minutes: int | None,
    step_minutes: int | None,
    window_start: datetime | None,
    window_end: datetime | None,
    recorded: bool,
    note: str,
    panel: Panel,
    now: datetime,
) -> NewRequest:
    """Validate every field at once; InvalidInput maps each bad field to its problem."""
    problems: dict[str, str] = {}
    name = email = ""
    try:
        name = normalize_name(candidate_name)
    except InvalidInput as exc:
        problems["candidate_name"] = exc.fields.get("name", exc.message)
    try:
        email = normalize_email(candidate_email)
    except InvalidInput as exc:
        problems["candidate_email"] = exc.fields.get("email", exc.message)
    position = " ".join(position.split())
    if not position:
        problems["position"] = "Enter the position the interview is for."
    elif len(position) > MAX_POSITION:
        problems["position"] = f"Use at most {MAX_POSITION} characters."
    duration = _minutes(duration_minutes, "duration", MIN_DURATION, MAX_DURATION, problems)
    step = _minutes(step_minutes, "step", MIN_STEP, MAX_STEP, problems)
    if window_start is None:
        problems["window_start"] = "Enter the first day candidates may book."
    if window_end is None:
        problems["window_end"] = "Enter the last day candidates may book."
    if window_start is not None and window_end is not None:
        if window_end <= window_start:
            problems["window_end"] = "The booking window must end after it starts."
        elif window_end <= now:
            problems["window_end"] = "The booking window is entirely in the past."
        elif window_end - window_start > MAX_WINDOW:
            problems["window_end"] = f"The booking window can be at most {MAX_WINDOW.days} days."
        elif duration is not None and window_end - max(window_start, now) < duration:
            problems["window_end"] = "The booking window is shorter than the interview."
    if not panel.required and not any(panel.pools):
        problems["panel"] = "Choose at least one interviewer."
    if any(not pool for pool in panel.pools):
        problems["panel"] = "A pool needs at least one interviewer."
    for index, pool in enumerate(panel.pools):
        if set(pool) <= set(panel.required):
            problems["panel"] = f"Pool {index + 1} only has people who are already required."
    if len(note) > MAX_NOTE:
        problems["note"] = f"Use at most {MAX_NOTE} characters."
    if problems:
        raise InvalidInput("Please correct the marked fields.", problems)
    assert duration is not None
    assert step is not None
    assert window_start is not None
    assert window_end is not None
    return NewRequest(
        candidate_name=name,
        candidate_email=email,
        position=position,
        duration=duration,
        step=step,
        window_start=window_start,
        window_end=window_end,
        recorded=recorded,
        note=note.strip(),
        panel=panel,
    )


def _minutes(
    value: int | None, field: str, low: timedelta, high: timedelta, problems: dict[str, str]
) -> timedelta | None:
    if value is None:
        problems[field] = "Enter a number of minutes."
        return None
    amount = timedelta(minutes=value)
    if not low <= amount <= high:
        problems[field] = (
            f"Use from {int(low.total_seconds() // 60)} to {int(high.total_seconds() // 60)} "
            "minutes."
        )
        return None
    return amount


def check_timezone(name: str) -> str:
    """An IANA zone name as given, or InvalidInput."""
    if name in {"UTC", "Etc/UTC"} or name in _zones():
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise InvalidInput(
        f"{name!r} is not a known time zone.",
        {"timezone": "Choose a time zone from the list, like Europe/Berlin."},
    )


@functools.cache
def _zones() -> frozenset[str]:
    # available_timezones() walks the tz database on every call; the set never changes.
    return frozenset(available_timezones())


@functools.cache
def common_timezones() -> tuple[str, ...]:
    """Every selectable zone, sorted, without legacy aliases like 'US/Eastern'."""
    legacy = ("Etc/", "SystemV/", "US/", "posix/", "right/")
    regional = sorted(z for z in _zones() if "/" in z and not z.startswith(legacy))
    return (*regional, "UTC")


@dataclass(frozen=True)
class ChangePolicy:
    """How late and how often a candidate may change a booking themselves."""

    cutoff: timedelta
    max_reschedules: int


def check_candidate_change(
    action: str,
    *,
    status: RequestStatus,
    start: datetime | None,
    now: datetime,
    reschedules_done: int,
    policy: ChangePolicy,
) -> None:
    """Raise Gone/Conflict with a plain reason when the candidate may not do `action`."""
    if status is RequestStatus.CANCELLED:
        raise Gone("This interview was cancelled.")
    if status is RequestStatus.DONE:
        raise Gone("This interview has already taken place.")
    if status is RequestStatus.AWAITING or start is None:
        raise Conflict("This interview has no time booked yet.")
    if start - now < policy.cutoff:
        hours = int(policy.cutoff.total_seconds() // 3600)
        raise Conflict(
            f"Changes are possible until {hours} hours before the interview. "
            "Please contact the recruiter instead."
        )
    if action == "reschedule" and reschedules_done >= policy.max_reschedules:
        raise Conflict(
            "This interview has been rescheduled as often as allowed. "
            "Please contact the recruiter instead."
        )


def reminder_times(
    start: datetime, offsets: Sequence[timedelta], now: datetime
) -> list[tuple[timedelta, datetime]]:
    """(offset, due time) for each reminder still in the future, earliest first."""
    due = [(offset, start - offset) for offset in offsets if start - offset > now]
    return sorted(due, key=lambda pair: pair[1])


def window_from_days(first: date, last: date, tz: str) -> tuple[datetime, datetime]:
    """A booking window from its first to its last local day, inclusive, as aware datetimes."""
    zone = ZoneInfo(check_timezone(tz))
    start = datetime.combine(first, time(0), zone)
    end = datetime.combine(last + timedelta(days=1), time(0), zone)
    return start.astimezone(UTC), end.astimezone(UTC)
