"""The review file's inputs: track segments found, probed, decoded and put on the clock.

`load_tracks` keeps the usable segments (sidecar readable, packets that demux and decode; a
truncated end is fine) and reports the others. `VideoSource` is a cursor over session time
(which frame shows at an instant, and whether the video is on at all); `AudioSource` places
mono 48 kHz chunks on the review file's sample clock, pauses cut out, for the `Mixer`.
"""

from __future__ import annotations

import contextlib
import operator
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from av.audio.frame import AudioFrame
from av.audio.resampler import AudioResampler
from av.video.frame import VideoFrame

from liveinterview.media.compose_timeline import SegmentClock, Timeline
from liveinterview.media.sidecar import SidecarError, TrackSidecar

SAMPLE_RATE = 48_000
HOLD = 1.0  # a video's last frame stays up this long after the frames stop
MAX_GAP = {"camera": 2.0, "screen": 10.0}  # a longer silence between frames: the video was off

Warn = Callable[[str], None]


@dataclass(frozen=True)
class Track:
    path: Path
    sidecar: TrackSidecar
    first_pts: float  # seconds, as in the file
    end_pts: float


def load_tracks(directory: Path, warn: Warn) -> list[Track]:
    """Every usable track segment in `directory`; the others reported through `warn`."""
    tracks = []
    for path in sorted(directory.glob("*.webm")):
        try:
            sidecar = TrackSidecar.load(path)
            tracks.append(_probe(path, sidecar))
        except (SidecarError, av.FFmpegError, OSError, _Unusable) as exc:
            warn(f"skipped {path.name}: {exc}")
    return tracks


class _Unusable(Exception):
    pass


def _probe(path: Path, sidecar: TrackSidecar) -> Track:
    """First timestamp, one decoded frame, and the end: from the index of a closed file, else
    from a demux pass (cheap: no decoding)."""
    first: float | None = None
    end = 0.0
    decoded = False
    with av.open(str(path)) as container:
        streams = [s for s in container.streams if s.type == sidecar.kind]
        if len(streams) != 1:
            raise _Unusable(f"expected one {sidecar.kind} stream, found {len(streams)}")
        stream = streams[0]
        base = stream.time_base or Fraction(1, 1000)
        indexed = container.duration / 1_000_000 if container.duration else None
        try:
            for packet in container.demux(stream):
                if packet.pts is None or packet.size == 0:
                    continue
                pts = float(packet.pts * base)
                first = pts if first is None else min(first, pts)
                end = max(end, pts + float((packet.duration or 0) * base))
                if not decoded:
                    with contextlib.suppress(av.FFmpegError):
                        decoded = bool(packet.decode())
                if decoded and indexed is not None:
                    end = max(end, indexed)
                    break
        except av.FFmpegError:
            pass  # truncated at the end (a crashed recording): what came before counts
    if first is None:
        raise _Unusable("no readable packets")
    if not decoded:
        raise _Unusable("no packet decodes")
    if sidecar.first_rtp_timestamp is None:
        raise _Unusable("its sidecar has no timing")
    return Track(path, sidecar, first, end)


def _decoded(path: Path, warn: Warn) -> Iterator[tuple[float, AudioFrame | VideoFrame]]:
    """(seconds, frame) in file order; bad packets skipped, a truncated end tolerated."""
    errors = 0
    with av.open(str(path)) as container:
        stream = container.streams[0]
        try:
            for packet in container.demux(stream):
                try:
                    frames = packet.decode()
                except av.FFmpegError:
                    errors += 1
                    continue
                for frame in frames:
                    if not isinstance(frame, AudioFrame | VideoFrame):
                        continue
                    if frame.pts is not None and frame.time_base is not None:
                        yield float(frame.pts * frame.time_base), frame
        except av.FFmpegError as exc:
            warn(f"warning {path.name}: read stopped early: {exc}")
    if errors:
        warn(f"warning {path.name}: {errors} packets could not be decoded")


class VideoSource:
    """One video segment as a cursor over session time: the frame showing at an instant."""

    def __init__(self, track: Track, clock: SegmentClock, warn: Warn) -> None:
        self.track = track
        self.participant = track.sidecar.participant_id
        self.source = track.sidecar.source
        self._clock = clock
        self.start = clock.unix(track.first_pts)
        self._frames = _decoded(track.path, warn)
        self._max_gap = MAX_GAP.get(self.source, MAX_GAP["camera"])
        self.current: tuple[float, VideoFrame] | None = None
        self._upcoming = self._next()

    def _next(self) -> tuple[float, VideoFrame] | None:
        for pts, frame in self._frames:
            if isinstance(frame, VideoFrame):
                return self._clock.unix(pts), frame
        return None

    def advance(self, unix: float) -> None:
        while self._upcoming is not None and self._upcoming[0] <= unix:
            self.current = self._upcoming
            self._upcoming = self._next()

    def frame(self, unix: float) -> VideoFrame | None:
        if self.current is None:
            return None
        shown_at, frame = self.current
        upcoming = self._upcoming
        if unix - shown_at <= HOLD or (
            upcoming is not None and upcoming[0] - shown_at <= self._max_gap
        ):
            return frame
        return None


class AudioSource:
    """One audio segment as mono 48 kHz chunks placed on the review file's sample clock."""

    def __init__(self, track: Track, clock: SegmentClock, timeline: Timeline, warn: Warn) -> None:
        self.track = track
        self._clock = clock
        self._timeline = timeline
        self._frames = _decoded(track.path, warn)
        self._resampler = AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        self._pending: tuple[int, array[int]] | None = None
        self.done = False

    def fill(self, mixer: Mixer, until_sample: int) -> None:
        """Add every chunk starting before `until_sample` to the mix."""
        while not self.done:
            if self._pending is None:
                self._pending = self._next()
                if self._pending is None:
                    self.done = True
                    return
            start, samples = self._pending
            if start >= until_sample:
                return
            mixer.add(start, samples)
            self._pending = None

    def _next(self) -> tuple[int, array[int]] | None:
        for pts, frame in self._frames:
            if not isinstance(frame, AudioFrame):
                continue
            output = self._timeline.to_output(self._clock.unix(pts))
            if output is None:
                continue  # inside a pause
            samples: array[int] = array("h")
            for converted in self._resampler.resample(frame):
                samples.frombytes(bytes(converted.planes[0])[: converted.samples * 2])
            if samples:
                return round(output * SAMPLE_RATE), samples
        return None


class Mixer:
    """Sums the tracks' samples; `take` hands out finished samples, clipped to 16 bits."""

    def __init__(self) -> None:
        self._base = 0
        self._buffer: array[int] = array("i")

    def add(self, start: int, samples: array[int]) -> None:
        offset = start - self._base
        if offset < 0:  # overlaps samples already handed out: drop that part
            samples = samples[-offset:]
            offset = 0
        end = offset + len(samples)
        if end > len(self._buffer):
            self._buffer.frombytes(bytes(4 * (end - len(self._buffer))))
        region = self._buffer[offset:end]
        self._buffer[offset:end] = array("i", map(operator.add, region, samples))

    def take(self, until: int) -> bytes:
        count = until - self._base
        if count <= 0:
            return b""
        if len(self._buffer) < count:
            self._buffer.frombytes(bytes(4 * (count - len(self._buffer))))
        chunk = self._buffer[:count]
        del self._buffer[:count]
        self._base = until
        if chunk and (max(chunk) > 32767 or min(chunk) < -32768):
            chunk = array("i", (max(-32768, min(32767, value)) for value in chunk))
        return array("h", chunk).tobytes()
