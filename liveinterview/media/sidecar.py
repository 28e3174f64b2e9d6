"""A track file's sidecar (`<file>.webm.json`): whose track it is and how to put it on one clock.

The recorder writes a sidecar next to every segment before the first packet and rewrites it
(atomically) as it goes; composition and repair read it. Timestamps in the WebM file are the
track's own RTP clock, 0 at the first written frame (`first_rtp_timestamp`). Two ways map them
to the server's monotonic clock, the one `arrival` times use:

* RTCP sender reports (preferred): the publisher's NTP time of an RTP timestamp, plus the
  smallest `arrival - ntp` seen on that connection (`report_offset`). Audio and video of one
  publisher share its NTP clock, so they stay in sync with each other (lip sync).
* arrival times (fallback, no report came): `arrival_offset` is the smallest
  `arrival - media time` over the written frames, i.e. the least-delayed frame decides.

`clock` (one instant read on both the monotonic and the UTC clock) turns monotonic seconds
into UTC, which is what lines up segments written by different server processes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SIDECAR_VERSION = 1
NTP_UNIX_OFFSET = 2_208_988_800  # seconds from 1900 (NTP) to 1970 (Unix)
# Sender-report pairs further apart than this give the RTP clock's true rate (drift).
MIN_DRIFT_SPAN = 10.0
MAX_DRIFT = 1e-3  # a rate further off than 1000 ppm is a bad report, not drift


class SidecarError(ValueError):
    """A sidecar that is missing, unreadable or not in the expected shape."""


def sidecar_path(track: Path) -> Path:
    return track.with_name(track.name + ".json")


def ntp_seconds(ntp_timestamp: int) -> float:
    """64-bit NTP (seconds since 1900 in the high word) as float seconds since 1900."""
    return (ntp_timestamp >> 32) + (ntp_timestamp & 0xFFFFFFFF) / 2**32


def extend_rtp(rtp_timestamp: int, near_extended: int, near_rtp: int) -> int:
    """A 32-bit RTP timestamp placed on the extended timeline next to a known pair."""
    delta = (rtp_timestamp - near_rtp) % 2**32
    if delta >= 2**31:
        delta -= 2**32
    return near_extended + delta


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write-then-rename: a reader (or a crash) sees the old or the new file, never half.

    No fsync: it would block the event loop on a busy disk; a killed process loses nothing
    (the page cache survives it), only a power cut may lose the latest update.
    """
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=1)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SidecarError(f"cannot read {path.name}: {exc}") from None
    if not isinstance(data, dict):
        raise SidecarError(f"{path.name} is not a JSON object")
    return data


@dataclass(frozen=True)
class ClockAnchor:
    """One instant on the monotonic clock and on the UTC clock."""

    monotonic: float
    utc: datetime

    @property
    def unix(self) -> float:
        return self.utc.timestamp()

    def to_unix(self, monotonic: float) -> float:
        return self.unix + (monotonic - self.monotonic)

    def to_utc(self, monotonic: float) -> datetime:
        return datetime.fromtimestamp(self.to_unix(monotonic), UTC)

    def to_json(self) -> dict[str, Any]:
        return {"monotonic": self.monotonic, "utc": self.utc.isoformat()}

    @classmethod
    def from_json(cls, data: Any) -> ClockAnchor:
        return cls(_number(data, "monotonic"), _datetime(data, "utc"))


@dataclass(frozen=True)
class ReportMark:
    """An RTCP sender report, its RTP timestamp extended onto the segment's timeline."""

    ntp_timestamp: int
    rtp_timestamp: int
    arrival: float

    @property
    def ntp_seconds(self) -> float:
        return ntp_seconds(self.ntp_timestamp)

    def to_json(self) -> dict[str, Any]:
        return {
            "ntp_timestamp": self.ntp_timestamp,
            "rtp_timestamp": self.rtp_timestamp,
            "arrival": self.arrival,
        }

    @classmethod
    def from_json(cls, data: Any) -> ReportMark:
        return cls(
            _int(data, "ntp_timestamp"), _int(data, "rtp_timestamp"), _number(data, "arrival")
        )


@dataclass(frozen=True)
class Pause:
    """Recording paused from `start` to `end` (monotonic seconds; `end` None: not resumed)."""

    start: float
    end: float | None

    def to_json(self, anchor: ClockAnchor) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "start_utc": anchor.to_utc(self.start).isoformat(),
            "end_utc": None if self.end is None else anchor.to_utc(self.end).isoformat(),
        }

    @classmethod
    def from_json(cls, data: Any) -> Pause:
        end = data.get("end") if isinstance(data, dict) else None
        return cls(_number(data, "start"), None if end is None else float(end))


@dataclass
class TrackSidecar:
    file: str
    participant_id: str
    display_name: str
    source: str
    kind: str  # "audio" | "video"
    codec: str  # "opus" | "vp8"
    clock_rate: int
    segment: int
    ssrc: int
    clock: ClockAnchor
    open: bool = True
    first_rtp_timestamp: int | None = None  # extended; the file's timestamp 0
    first_arrival: float | None = None  # monotonic arrival of the first written frame
    arrival_offset: float | None = None  # min(arrival - media time): monotonic time of pts 0
    first_report: ReportMark | None = None
    last_report: ReportMark | None = None
    report_offset: float | None = None  # min(arrival - NTP seconds of the frame)
    pauses: list[Pause] = field(default_factory=list)
    frames: int = 0
    keyframes: int = 0
    bytes: int = 0
    duration: float = 0.0  # seconds of media written (last timestamp + its duration)
    width: int | None = None
    height: int | None = None
    closed: str | None = None  # why the segment ended: ended, restarted, stopped, failed

    # --- timing -------------------------------------------------------------------------

    def rtp_rate(self) -> float:
        """RTP ticks per NTP second: nominal, or measured between two distant reports."""
        first, last = self.first_report, self.last_report
        if first is not None and last is not None:
            span = last.ntp_seconds - first.ntp_seconds
            if span >= MIN_DRIFT_SPAN:
                rate = (last.rtp_timestamp - first.rtp_timestamp) / span
                if abs(rate / self.clock_rate - 1) <= MAX_DRIFT:
                    return rate
        return float(self.clock_rate)

    def ntp_of(self, pts: float) -> float | None:
        """NTP seconds of a file timestamp (seconds), through the sender reports; or None."""
        report = self.last_report
        if report is None or self.first_rtp_timestamp is None:
            return None
        rtp = self.first_rtp_timestamp + pts * self.clock_rate
        return report.ntp_seconds + (rtp - report.rtp_timestamp) / self.rtp_rate()

    # --- JSON ---------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "version": SIDECAR_VERSION,
            "file": self.file,
            "open": self.open,
            "participant_id": self.participant_id,
            "display_name": self.display_name,
            "source": self.source,
            "kind": self.kind,
            "codec": self.codec,
            "clock_rate": self.clock_rate,
            "segment": self.segment,
            "ssrc": self.ssrc,
            "clock": self.clock.to_json(),
            "first_frame": None
            if self.first_rtp_timestamp is None or self.first_arrival is None
            else {
                "rtp_timestamp": self.first_rtp_timestamp,
                "arrival": self.first_arrival,
                "arrival_utc": self.clock.to_utc(self.first_arrival).isoformat(),
            },
            "arrival_offset": self.arrival_offset,
            "sender_reports": {
                "first": None if self.first_report is None else self.first_report.to_json(),
                "last": None if self.last_report is None else self.last_report.to_json(),
            },
            "report_offset": self.report_offset,
            "pauses": [pause.to_json(self.clock) for pause in self.pauses],
            "frames": self.frames,
            "keyframes": self.keyframes,
            "bytes": self.bytes,
            "duration": round(self.duration, 3),
            "width": self.width,
            "height": self.height,
            "closed": self.closed,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrackSidecar:
        try:
            if data.get("version") != SIDECAR_VERSION:
                raise SidecarError(f"unknown sidecar version {data.get('version')!r}")
            first = data.get("first_frame")
            reports = data.get("sender_reports") or {}
            return cls(
                file=str(data["file"]),
                participant_id=str(data["participant_id"]),
                display_name=str(data.get("display_name") or data["participant_id"]),
                source=str(data["source"]),
                kind=str(data["kind"]),
                codec=str(data["codec"]),
                clock_rate=int(data["clock_rate"]),
                segment=int(data["segment"]),
                ssrc=int(data["ssrc"]),
                clock=ClockAnchor.from_json(data["clock"]),
                open=bool(data["open"]),
                first_rtp_timestamp=None if first is None else int(first["rtp_timestamp"]),
                first_arrival=None if first is None else float(first["arrival"]),
                arrival_offset=_optional_float(data.get("arrival_offset")),
                first_report=_optional_report(reports.get("first")),
                last_report=_optional_report(reports.get("last")),
                report_offset=_optional_float(data.get("report_offset")),
                pauses=[Pause.from_json(p) for p in data.get("pauses") or []],
                frames=int(data.get("frames") or 0),
                keyframes=int(data.get("keyframes") or 0),
                bytes=int(data.get("bytes") or 0),
                duration=float(data.get("duration") or 0.0),
                width=None if data.get("width") is None else int(data["width"]),
                height=None if data.get("height") is None else int(data["height"]),
                closed=None if data.get("closed") is None else str(data["closed"]),
            )
        except SidecarError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SidecarError(f"malformed sidecar: {exc!r}") from None

    @classmethod
    def load(cls, track: Path) -> TrackSidecar:
        return cls.from_json(read_json(sidecar_path(track)))

    def save(self, track: Path) -> None:
        write_json_atomically(sidecar_path(track), self.to_json())


def _number(data: Any, key: str) -> float:
    if not isinstance(data, dict) or not isinstance(data.get(key), int | float):
        raise SidecarError(f"{key!r} missing or not a number")
    return float(data[key])


def _int(data: Any, key: str) -> int:
    # Not through float: 64-bit NTP timestamps do not fit a double's 53 bits.
    if not isinstance(data, dict) or type(data.get(key)) is not int:
        raise SidecarError(f"{key!r} missing or not an integer")
    return int(data[key])


def _datetime(data: Any, key: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(data[key]))
    except (KeyError, TypeError, ValueError):
        raise SidecarError(f"{key!r} missing or not an ISO time") from None
    if moment.tzinfo is None:
        raise SidecarError(f"{key!r} has no time zone")
    return moment


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _optional_report(value: Any) -> ReportMark | None:
    return None if value is None else ReportMark.from_json(value)
