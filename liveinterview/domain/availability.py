"""Interview slots: one rule decides both which starts are listed and whether one can be booked.

`free_slots` lists every grid start for which `check_slot` succeeds; both go through
`_SlotRules.verdict`, so the booking page and the booking transaction cannot disagree.
Each call first resolves every panelist's schedule into merged integer UTC spans (working
hours per local date, blocked time with buffers, bookings per local day and ISO week), then
judges each start with a few bisects: cost is O(E log E) in calendar events plus
O(G * P * log E) for G grid starts and P panelists, never G * E.
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import chain
from types import MappingProxyType
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from liveinterview.domain.errors import Conflict, InvalidInput
from liveinterview.domain.intervals import (
    Interval,
    SpanUnion,
    from_micros,
    in_micros,
    to_micros,
)

__all__ = [
    "MIDNIGHT",
    "Interval",
    "InterviewerSchedule",
    "InvalidAvailabilityInput",
    "LocalRange",
    "Slot",
    "SlotRequest",
    "SlotUnavailable",
    "UnavailableReason",
    "check_slot",
    "free_slots",
]

MIDNIGHT = time(0)
_DAY = timedelta(days=1)


class InvalidAvailabilityInput(InvalidInput, ValueError):
    """A schedule or slot request that cannot be evaluated; the message names the culprit."""


class UnavailableReason(enum.StrEnum):
    """Why a start cannot be booked, for code (web answers, metrics) rather than people."""

    OUTSIDE_WINDOW = "outside_window"
    OFF_GRID = "off_grid"
    INTERVIEWER_UNAVAILABLE = "interviewer_unavailable"
    TOO_SOON = "too_soon"
    OUTSIDE_HOURS = "outside_hours"
    LIMIT_REACHED = "limit_reached"
    INTERVIEWER_BUSY = "interviewer_busy"
    POOL_EXHAUSTED = "pool_exhausted"


class SlotUnavailable(Conflict):
    """A start that cannot be booked: `reason` for code, the message for people."""

    def __init__(
        self,
        reason: UnavailableReason,
        message: str,
        *,
        start: datetime,
        interviewer_id: int | None = None,
        pool_index: int | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.start = start
        self.interviewer_id = interviewer_id
        self.pool_index = pool_index


def _wall(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """`clock` on `day` in `zone` with fold=0 (PEP 495): a doubled time means its first
    occurrence, a skipped time is read with the offset in force before the skip."""
    return datetime.combine(day, clock.replace(fold=0), zone)


@dataclass(frozen=True, slots=True)
class LocalRange:
    """Wall-clock working hours in the interviewer's zone; `end == MIDNIGHT` means 24:00."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise InvalidAvailabilityInput(
                f"LocalRange takes naive wall-clock times, got {self.start}–{self.end} with tzinfo"
            )
        if self.end != MIDNIGHT and self.end <= self.start:
            raise InvalidAvailabilityInput(
                f"LocalRange start {self.start} must be before end {self.end} "
                "(end=time(0) means midnight at the end of the day)"
            )

    def span_on(self, day: date, zone: ZoneInfo) -> tuple[int, int]:
        """The real microseconds this range covers on `day`; DST days are longer or shorter."""
        end_day = day + _DAY if self.end == MIDNIGHT else day
        return to_micros(_wall(day, self.start, zone)), to_micros(_wall(end_day, self.end, zone))


_K = TypeVar("_K")
_V = TypeVar("_V")


def _frozen_mapping(mapping: Mapping[_K, _V]) -> Mapping[_K, _V]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class InterviewerSchedule:
    """Everything that decides when one interviewer can take an interview.

    `overrides` replace the weekly hours of one local date (an empty tuple is a day off).
    Limits count bookings by their start's local date and local ISO week (Monday–Sunday).
    `bookings` are the interviews themselves; buffers are added here, on both sides.
    A set `unavailable_reason` (e.g. an unreadable calendar feed) means no free time at all.
    """

    interviewer_id: int
    tz: str
    weekly: Mapping[int, tuple[LocalRange, ...]]
    overrides: Mapping[date, tuple[LocalRange, ...]] = field(default_factory=dict)
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    max_per_day: int | None = None
    max_per_week: int | None = None
    min_notice: timedelta = timedelta(0)
    bookings: tuple[Interval, ...] = ()
    busy: tuple[Interval, ...] = ()
    load: int = 0
    unavailable_reason: str | None = None

    def __post_init__(self) -> None:
        who = f"interviewer {self.interviewer_id}"
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidAvailabilityInput(f"{who}: unknown time zone {self.tz!r}") from None
        for weekday in self.weekly:
            if weekday not in range(7):
                raise InvalidAvailabilityInput(
                    f"{who}: weekday {weekday!r} is not 0 (Monday) to 6 (Sunday)"
                )
        for day in self.overrides:
            if isinstance(day, datetime) or not isinstance(day, date):
                raise InvalidAvailabilityInput(f"{who}: override key {day!r} is not a date")
        for name in ("buffer_before", "buffer_after", "min_notice"):
            if getattr(self, name) < timedelta(0):
                raise InvalidAvailabilityInput(
                    f"{who}: {name} must not be negative, got {getattr(self, name)}"
                )
        for name in ("max_per_day", "max_per_week", "load"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise InvalidAvailabilityInput(f"{who}: {name} must not be negative, got {value}")
        # Callers hand in dicts; a later mutation must not change a schedule already judged.
        object.__setattr__(self, "weekly", _frozen_mapping(self.weekly))
        object.__setattr__(self, "overrides", _frozen_mapping(self.overrides))

    @property
    def zone(self) -> ZoneInfo:
        """The interviewer's time zone (zoneinfo caches instances, so this is cheap)."""
        return ZoneInfo(self.tz)

    def hours_on(self, day: date) -> tuple[LocalRange, ...]:
        """Working hours on a local date: its override if there is one, else the weekly hours."""
        if day in self.overrides:
            return self.overrides[day]
        return self.weekly.get(day.weekday(), ())


def _require_aware(name: str, moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidAvailabilityInput(f"{name} must be timezone-aware, got {moment.isoformat()}")


@dataclass(frozen=True)
class SlotRequest:
    """The panel and booking window a candidate picks a slot for.

    Every id in `required` must attend; each pool needs exactly one of its members, never one
    who is required or already fills another pool. Starts lie on a grid of whole `step`s
    since 1970-01-01T00:00Z, and the whole meeting must fit in [window_start, window_end].
    """

    required: tuple[int, ...]
    pools: tuple[tuple[int, ...], ...]
    duration: timedelta
    step: timedelta
    window_start: datetime
    window_end: datetime

    def __post_init__(self) -> None:
        if not self.required and not self.pools:
            raise InvalidAvailabilityInput(
                "the panel is empty: name at least one required interviewer or one pool"
            )
        _reject_duplicates(self.required, "required")
        for index, pool in enumerate(self.pools):
            if not pool:
                raise InvalidAvailabilityInput(f"pool {index} is empty")
            _reject_duplicates(pool, f"pool {index}")
            if set(pool) <= set(self.required):
                raise InvalidAvailabilityInput(
                    f"pool {index} has no eligible member: {list(pool)} are all required"
                )
        for name in ("duration", "step"):
            if getattr(self, name) <= timedelta(0):
                raise InvalidAvailabilityInput(
                    f"{name} must be positive, got {getattr(self, name)}"
                )
        _require_aware("window_start", self.window_start)
        _require_aware("window_end", self.window_end)
        if self.window_end <= self.window_start:
            raise InvalidAvailabilityInput(
                f"window_end {self.window_end.isoformat()} must be after "
                f"window_start {self.window_start.isoformat()}"
            )

    @property
    def interviewer_ids(self) -> tuple[int, ...]:
        """Every interviewer named anywhere in the panel, each once, in panel order."""
        return tuple(dict.fromkeys(chain(self.required, *self.pools)))

    def eligible(self, pool_index: int) -> tuple[int, ...]:
        """The members of a pool who may fill it: everyone in it who is not required."""
        return tuple(m for m in self.pools[pool_index] if m not in self.required)


def _reject_duplicates(ids: Sequence[int], where: str) -> None:
    seen: set[int] = set()
    for interviewer_id in ids:
        if interviewer_id in seen:
            raise InvalidAvailabilityInput(
                f"interviewer {interviewer_id} is listed twice in {where}"
            )
        seen.add(interviewer_id)


@dataclass(frozen=True, slots=True)
class Slot:
    """A bookable meeting: UTC start and end, required ids then one chosen id per pool."""

    start: datetime
    end: datetime
    interviewers: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Calendar:
    """One interviewer's schedule resolved to integer UTC microseconds around the window."""

    schedule: InterviewerSchedule
    interviewer_id: int
    unavailable: bool
    earliest: int
    working: SpanUnion
    blocked: SpanUnion
    buffer_before: int
    buffer_after: int
    max_per_day: int | None
    max_per_week: int | None
    days: tuple[date, ...]  # whole local ISO weeks, Monday first
    day_starts: tuple[int, ...]  # the local midnight opening each day, then the one closing them
    day_counts: tuple[int, ...]
    week_counts: tuple[int, ...]

    def refusal(self, start: int, end: int) -> UnavailableReason | None:
        """Why this interviewer cannot take [start, end), or None if they can."""
        if self.unavailable:
            return UnavailableReason.INTERVIEWER_UNAVAILABLE
        if start < self.earliest:
            return UnavailableReason.TOO_SOON
        if not self.working.covers(start, end):
            return UnavailableReason.OUTSIDE_HOURS
        if self.max_per_day is not None and self.bookings_on_day(start) >= self.max_per_day:
            return UnavailableReason.LIMIT_REACHED
        if self.max_per_week is not None and self.bookings_in_week(start) >= self.max_per_week:
            return UnavailableReason.LIMIT_REACHED
        if self.blocked.overlaps(start - self.buffer_before, end + self.buffer_after):
            return UnavailableReason.INTERVIEWER_BUSY
        return None

    def day_index(self, moment: int) -> int | None:
        """Index into `days` of the local date `moment` falls on, if it is in range."""
        index = bisect_right(self.day_starts, moment) - 1
        return index if 0 <= index < len(self.days) else None

    def bookings_on_day(self, moment: int) -> int:
        index = self.day_index(moment)
        return 0 if index is None else self.day_counts[index]

    def bookings_in_week(self, moment: int) -> int:
        index = self.day_index(moment)
        return 0 if index is None else self.week_counts[index // 7]

    def fairness(self, start: int) -> tuple[int, int, int]:
        """Pool members sort by this: lowest load, then fewest bookings that day, then id."""
        return self.schedule.load, self.bookings_on_day(start), self.interviewer_id


def _calendar(schedule: InterviewerSchedule, request: SlotRequest, now: datetime) -> _Calendar:
    zone = schedule.zone
    # Ranges end by 24:00 of their own date, so the window's local dates hold every range a
    # meeting can use; widening them to whole ISO weeks lets the weekly limit see bookings
    # from before the window opened.
    first = request.window_start.astimezone(zone).date()
    last = request.window_end.astimezone(zone).date()
    first -= timedelta(days=first.weekday())
    last += timedelta(days=6 - last.weekday())
    days = tuple(first + timedelta(days=n) for n in range((last - first).days + 1))
    day_starts = tuple(to_micros(_wall(day, MIDNIGHT, zone)) for day in (*days, last + _DAY))

    day_counts = [0] * len(days)
    for booking in schedule.bookings:
        index = bisect_right(day_starts, to_micros(booking.start)) - 1
        if 0 <= index < len(days):
            day_counts[index] += 1
    week_counts = [sum(day_counts[monday : monday + 7]) for monday in range(0, len(days), 7)]

    before = in_micros(schedule.buffer_before)
    after = in_micros(schedule.buffer_after)
    # Widening each booking by both buffers and the candidate meeting by both again makes
    # "occupied ranges do not overlap" a single overlap test against one merged union.
    blocked: Iterable[tuple[int, int]] = chain(
        ((to_micros(b.start) - before, to_micros(b.end) + after) for b in schedule.bookings),
        ((to_micros(b.start), to_micros(b.end)) for b in schedule.busy),
    )
    return _Calendar(
        schedule=schedule,
        interviewer_id=schedule.interviewer_id,
        unavailable=schedule.unavailable_reason is not None,
        earliest=to_micros(now + schedule.min_notice),
        working=SpanUnion.of(r.span_on(day, zone) for day in days for r in schedule.hours_on(day)),
        blocked=SpanUnion.of(blocked),
        buffer_before=before,
        buffer_after=after,
        max_per_day=schedule.max_per_day,
        max_per_week=schedule.max_per_week,
        days=days,
        day_starts=day_starts,
        day_counts=tuple(day_counts),
        week_counts=tuple(week_counts),
    )


@dataclass(frozen=True, slots=True)
class _Refusal:
    reason: UnavailableReason
    interviewer_id: int | None = None
    pool_index: int | None = None


def _first_unfillable(pools: Sequence[Sequence[int]], taken: Iterable[int] = ()) -> int | None:
    """The first pool left without a member when pools are matched in order, or None.

    Augmenting-path bipartite matching (Kuhn), so two pools sharing a member are filled
    whenever any assignment exists, not just when a greedy pass happens to find one.
    """
    unavailable = set(taken)
    holder: dict[int, int] = {}

    def seat(pool: int, visited: set[int]) -> bool:
        for member in pools[pool]:
            if member in unavailable or member in visited:
                continue
            visited.add(member)
            if member not in holder or seat(holder[member], visited):
                holder[member] = pool
                return True
        return False

    for pool in range(len(pools)):
        if not seat(pool, set()):
            return pool
    return None


@dataclass(frozen=True, slots=True)
class _SlotRules:
    """A request with every panelist's calendar resolved once; `verdict` is the single rule."""

    request: SlotRequest
    window_start: int
    window_end: int
    duration: int
    step: int
    required: tuple[_Calendar, ...]
    required_ids: tuple[int, ...]
    pools: tuple[tuple[_Calendar, ...], ...]
    calendars: Mapping[int, _Calendar]

    def grid(self) -> range:
        """Every grid start whose meeting fits inside the window."""
        first = -(-self.window_start // self.step) * self.step
        return range(first, self.window_end - self.duration + 1, self.step)

    def verdict(self, start: int) -> Slot | _Refusal:
        """The slot starting at `start`, or the first rule it breaks, in panel order."""
        end = start + self.duration
        if start < self.window_start or end > self.window_end:
            return _Refusal(UnavailableReason.OUTSIDE_WINDOW)
        if start % self.step:
            return _Refusal(UnavailableReason.OFF_GRID)
        for calendar in self.required:
            reason = calendar.refusal(start, end)
            if reason is not None:
                return _Refusal(reason, calendar.interviewer_id)
        chosen = self._choose_pool_members(start, end)
        if isinstance(chosen, _Refusal):
            return chosen
        return Slot(from_micros(start), from_micros(end), self.required_ids + chosen)

    def _choose_pool_members(self, start: int, end: int) -> tuple[int, ...] | _Refusal:
        free: list[list[int]] = []
        for pool in self.pools:
            passing = sorted(
                (c for c in pool if c.refusal(start, end) is None),
                key=lambda c: c.fairness(start),
            )
            free.append([c.interviewer_id for c in passing])
        stuck = _first_unfillable(free)
        if stuck is not None:
            return _Refusal(UnavailableReason.POOL_EXHAUSTED, pool_index=stuck)
        # Each pool, in order, takes its fairest free member that still leaves the later pools
        # fillable; the matching above guarantees there is one.
        chosen: list[int] = []
        for index, members in enumerate(free):
            later = free[index + 1 :]
            chosen.append(
                next(
                    m
                    for m in members
                    if m not in chosen and _first_unfillable(later, [*chosen, m]) is None
                )
            )
        return tuple(chosen)

    def explain(self, refusal: _Refusal, start: datetime) -> SlotUnavailable:
        """The exception for a refused start, with a message a recruiter can act on."""
        return SlotUnavailable(
            refusal.reason,
            self._message(refusal, start),
            start=start,
            interviewer_id=refusal.interviewer_id,
            pool_index=refusal.pool_index,
        )

    def _message(self, refusal: _Refusal, start: datetime) -> str:
        request, at = self.request, _utc_text(start)
        if refusal.reason is UnavailableReason.OUTSIDE_WINDOW:
            return (
                f"{at} is outside the booking window: a {_span_text(request.duration)} interview "
                f"must start at or after {_utc_text(request.window_start)} "
                f"and end by {_utc_text(request.window_end)}"
            )
        if refusal.reason is UnavailableReason.OFF_GRID:
            step = _span_text(request.step)
            return f"{at} is not on the {step} grid (starts are whole {step} steps from 00:00 UTC)"
        if refusal.reason is UnavailableReason.POOL_EXHAUSTED:
            assert refusal.pool_index is not None
            return self._pool_message(refusal.pool_index, start)
        assert refusal.interviewer_id is not None
        calendar = self.calendars[refusal.interviewer_id]
        schedule, who = calendar.schedule, f"interviewer {refusal.interviewer_id}"
        local = start.astimezone(schedule.zone)
        match refusal.reason:
            case UnavailableReason.INTERVIEWER_UNAVAILABLE:
                return f"{who} has no bookable time: {schedule.unavailable_reason}"
            case UnavailableReason.TOO_SOON:
                return (
                    f"{at} is too soon: {who} needs {_span_text(schedule.min_notice)} notice, "
                    f"so the earliest start is {_utc_text(from_micros(calendar.earliest))}"
                )
            case UnavailableReason.OUTSIDE_HOURS:
                return (
                    f"{at} ({local:%a %H:%M} {schedule.tz}) is outside {who}'s working hours "
                    f"for a {_span_text(request.duration)} interview"
                )
            case UnavailableReason.LIMIT_REACHED:
                micros = to_micros(start)
                if schedule.max_per_day is not None:
                    booked = calendar.bookings_on_day(micros)
                    if booked >= schedule.max_per_day:
                        return (
                            f"{who} already has {booked} interview(s) on {local:%Y-%m-%d} "
                            f"({schedule.tz}), the daily limit is {schedule.max_per_day}"
                        )
                monday = local.date() - timedelta(days=local.weekday())
                return (
                    f"{who} already has {calendar.bookings_in_week(micros)} interview(s) in the "
                    f"week of {monday} ({schedule.tz}), the weekly limit is {schedule.max_per_week}"
                )
            case _:  # INTERVIEWER_BUSY
                return (
                    f"{who} is busy at {at}: another interview or calendar event, keeping "
                    f"{_span_text(schedule.buffer_before)} free before and "
                    f"{_span_text(schedule.buffer_after)} after"
                )

    def _pool_message(self, pool_index: int, start: datetime) -> str:
        begin = to_micros(start)
        end = begin + self.duration
        refusals = [(c.interviewer_id, c.refusal(begin, end)) for c in self.pools[pool_index]]
        busy = [f"{member} {reason}" for member, reason in refusals if reason is not None]
        if len(busy) == len(refusals):
            return f"nobody in pool {pool_index} is free at {_utc_text(start)}: " + ", ".join(busy)
        spare = [member for member, reason in refusals if reason is None]
        return (
            f"pool {pool_index} cannot be filled at {_utc_text(start)}: its free members "
            f"{spare} are needed for other pools"
        )


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _span_text(duration: timedelta) -> str:
    minutes, rest = divmod(duration, timedelta(minutes=1))
    return f"{minutes} min" if not rest else str(duration)


def _rules(
    request: SlotRequest, schedules: Mapping[int, InterviewerSchedule], now: datetime
) -> _SlotRules:
    _require_aware("now", now)
    for interviewer_id in request.interviewer_ids:
        schedule = schedules.get(interviewer_id)
        if schedule is None:
            raise InvalidAvailabilityInput(f"no schedule for interviewer {interviewer_id}")
        if schedule.interviewer_id != interviewer_id:
            raise InvalidAvailabilityInput(
                f"schedules[{interviewer_id}] belongs to interviewer {schedule.interviewer_id}"
            )
    calendars = {i: _calendar(schedules[i], request, now) for i in request.interviewer_ids}
    return _SlotRules(
        request=request,
        window_start=to_micros(request.window_start),
        window_end=to_micros(request.window_end),
        duration=in_micros(request.duration),
        step=in_micros(request.step),
        required=tuple(calendars[i] for i in request.required),
        required_ids=request.required,
        pools=tuple(
            tuple(calendars[i] for i in request.eligible(index))
            for index in range(len(request.pools))
        ),
        calendars=calendars,
    )


def free_slots(
    request: SlotRequest, schedules: Mapping[int, InterviewerSchedule], now: datetime
) -> list[Slot]:
    """Every grid start in the window that `check_slot` would accept, earliest first."""
    rules = _rules(request, schedules, now)
    slots: list[Slot] = []
    for start in rules.grid():
        verdict = rules.verdict(start)
        if isinstance(verdict, Slot):
            slots.append(verdict)
    return slots


def check_slot(
    start: datetime,
    request: SlotRequest,
    schedules: Mapping[int, InterviewerSchedule],
    now: datetime,
) -> Slot:
    """The slot at `start` with its chosen interviewers; raises SlotUnavailable if refused.

    The rules are checked in a fixed order and the first one broken is reported: window,
    grid, then each required interviewer in turn (unavailable, notice, working hours,
    limits, busy), then each pool.
    """
    _require_aware("start", start)
    rules = _rules(request, schedules, now)
    verdict = rules.verdict(to_micros(start))
    if isinstance(verdict, _Refusal):
        raise rules.explain(verdict, start)
    return verdict
