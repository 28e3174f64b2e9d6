"""Putting every track segment on one clock, and cutting out paused time (pure).

Each segment's file timestamps (seconds from its first frame) map to Unix seconds through its
sidecar (see `sidecar.py`): by sender reports when the segment has them, with one
`arrival - NTP` offset for all the overlapping segments of that participant (so their audio
and video keep the publisher's own lip sync); else by the least-delayed frame's arrival. The
review file's time is session time (from the first frame of any track) minus the pauses.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from liveinterview.media.sidecar import TrackSidecar


@dataclass(frozen=True)
class SegmentClock:
    """Maps one segment's file timestamps (seconds) to Unix seconds."""

    sidecar: TrackSidecar
    report_offset: float | None  # the participant group's arrival - NTP; None: use arrivals
    arrival_offset: float

    @property
    def by_reports(self) -> bool:
        return self.report_offset is not None

    def unix(self, pts: float) -> float:
        ntp = self.sidecar.ntp_of(pts) if self.report_offset is not None else None
        if ntp is not None and self.report_offset is not None:
            monotonic = ntp + self.report_offset
        else:
            monotonic = self.arrival_offset + pts
        return self.sidecar.clock.to_unix(monotonic)


def segment_clocks(sidecars: Sequence[TrackSidecar]) -> list[SegmentClock | None]:
    """One clock per sidecar (None: the sidecar has no timing, nothing was written)."""
    extents: list[tuple[float, float] | None] = []
    for sidecar in sidecars:
        offset = _arrival_offset(sidecar)
        extents.append(None if offset is None else (offset, offset + sidecar.duration))
    clocks: list[SegmentClock | None] = []
    for index, sidecar in enumerate(sidecars):
        extent = extents[index]
        if extent is None:
            clocks.append(None)
            continue
        group = [
            other.report_offset
            for other, other_extent in zip(sidecars, extents, strict=True)
            if other.report_offset is not None
            and other.last_report is not None
            and other.participant_id == sidecar.participant_id
            and other.clock == sidecar.clock
            and other_extent is not None
            and _overlap(extent, other_extent)
        ]
        usable = sidecar.last_report is not None and sidecar.report_offset is not None
        clock = SegmentClock(sidecar, min(group) if usable and group else None, extent[0])
        if clock.by_reports and abs(clock.unix(0.0) - sidecar.clock.to_unix(extent[0])) > 1.0:
            # The reports disagree with the arrivals by more than any network would: a
            # publisher clock that jumped. Arrivals are coarser but cannot be that wrong.
            clock = SegmentClock(sidecar, None, extent[0])
        clocks.append(clock)
    return clocks


def _arrival_offset(sidecar: TrackSidecar) -> float | None:
    if sidecar.arrival_offset is not None:
        return sidecar.arrival_offset
    return sidecar.first_arrival


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


@dataclass(frozen=True)
class Timeline:
    """Session time `start`..`end` (Unix seconds) with `cuts` (paused spans) removed."""

    start: float
    end: float
    cuts: tuple[tuple[float, float], ...]  # sorted, disjoint, inside start..end

    @classmethod
    def build(
        cls, extents: Iterable[tuple[float, float]], pauses: Iterable[tuple[float, float | None]]
    ) -> Timeline:
        """`extents`: each segment's first and last instant; `pauses` in Unix seconds.

        A pause never resumed (the server died while paused) ends where media starts again.
        """
        spans = sorted(extents)
        if not spans:
            raise ValueError("no media")
        start, end = spans[0][0], max(e for _, e in spans)
        closed: list[tuple[float, float]] = []
        for pause_start, pause_end in pauses:
            if pause_end is None:
                later = [s for s, _ in spans if s > pause_start]
                pause_end = min(later) if later else math.inf
            low, high = max(pause_start, start), min(pause_end, end)
            if high > low:
                closed.append((low, high))
        return cls(start, end, tuple(_merge(closed)))

    @property
    def duration(self) -> float:
        return (self.end - self.start) - sum(e - s for s, e in self.cuts)

    def cut_positions(self) -> list[float]:
        """Review-file seconds where each cut was made (the instant before it and after it)."""
        positions, removed = [], 0.0
        for low, high in self.cuts:
            positions.append(low - self.start - removed)
            removed += high - low
        return positions

    def to_output(self, unix: float) -> float | None:
        """Review-file seconds of a session instant; None inside a pause."""
        removed = 0.0
        for low, high in self.cuts:
            if unix < low:
                break
            if unix < high:
                return None
            removed += high - low
        return unix - self.start - removed

    def to_session(self, output: float) -> float:
        """The session instant (Unix seconds) shown at a review-file time."""
        unix = self.start + output
        for low, high in self.cuts:
            if low <= unix:
                unix += high - low
            else:
                break
        return unix


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def pause_spans(sidecars: Iterable[TrackSidecar]) -> list[tuple[float, float | None]]:
    """Every pause any sidecar recorded, in Unix seconds, without duplicates."""
    seen: dict[float, float | None] = {}
    for sidecar in sidecars:
        for pause in sidecar.pauses:
            start = round(sidecar.clock.to_unix(pause.start), 6)
            end = None if pause.end is None else sidecar.clock.to_unix(pause.end)
            if start not in seen or (seen[start] is None and end is not None):
                seen[start] = end
    return sorted(seen.items())
