"""Real-time intervals, and unions of them indexed for logarithmic lookups."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class InvalidInterval(ValueError):
    """An interval with a naive end point or an end before its start."""


@dataclass(frozen=True, slots=True)
class Interval:
    """The half-open stretch of real time [start, end) between two aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise InvalidInterval(
                f"Interval needs timezone-aware datetimes, got start={self.start.isoformat()} "
                f"end={self.end.isoformat()}"
            )
        if self.end < self.start:
            raise InvalidInterval(
                f"Interval ends before it starts: {self.start.isoformat()} > {self.end.isoformat()}"
            )


def to_micros(moment: datetime) -> int:
    """Microseconds from the Unix epoch to an aware datetime, exactly (no float rounding)."""
    return (moment - EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    """The UTC datetime `micros` microseconds after the Unix epoch."""
    return EPOCH + timedelta(microseconds=micros)


def in_micros(duration: timedelta) -> int:
    """A duration as a whole number of microseconds."""
    return duration // _MICROSECOND


@dataclass(frozen=True, slots=True)
class SpanUnion:
    """A union of half-open integer spans, merged into sorted disjoint runs for bisect.

    Touching spans are joined: [1, 3) and [3, 5) become [1, 5), so a query may straddle the
    point where two inputs meet.
    """

    starts: tuple[int, ...]
    ends: tuple[int, ...]

    @classmethod
    def of(cls, spans: Iterable[tuple[int, int]]) -> SpanUnion:
        """Merge spans given in any order; empty spans are dropped."""
        starts: list[int] = []
        ends: list[int] = []
        for start, end in sorted(spans):
            if start >= end:
                continue
            if ends and start <= ends[-1]:
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)
        return cls(tuple(starts), tuple(ends))

    def covers(self, start: int, end: int) -> bool:
        """Whether [start, end) lies inside a single run."""
        run = bisect_right(self.starts, start) - 1
        return run >= 0 and self.ends[run] >= end

    def overlaps(self, start: int, end: int) -> bool:
        """Whether [start, end) shares at least one instant with the union."""
        # Runs are disjoint and sorted, so the last run starting before `end` has the largest end.
        run = bisect_left(self.starts, end) - 1
        return run >= 0 and self.ends[run] > start
