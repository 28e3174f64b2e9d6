"""One-way answers: a take's track files merged into one playable WebM, without transcoding.

A take is recorded like a live room of one (`recording.py`): one file per source (VP8 camera,
Opus microphone), each 0 at its own first frame, with a sidecar that puts it on the server's
clock. The merge is a stream-copy remux: every packet keeps its bytes, its timestamps are
shifted so the tracks line up (by sender reports when there are any, else by arrival, as
`compose_timeline.segment_clocks` decides), and the two streams are interleaved in time order.
Blocking (file I/O and muxing): run it in a thread.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import av
from av.container import InputContainer

from liveinterview.media.compose_timeline import segment_clocks
from liveinterview.media.recording import TRACK_SUFFIX
from liveinterview.media.sidecar import SidecarError, TrackSidecar

ANSWER_FILE = "answer.webm"
KINDS = ("video", "audio")  # the answer file's stream order


class MergeError(Exception):
    """Nothing playable was recorded (no readable track file)."""


@dataclass(frozen=True)
class MergedTake:
    file: Path
    duration_ms: int  # from the packets' timestamps: the media's own length
    packets: int


@dataclass(frozen=True)
class _Segment:
    path: Path
    kind: str
    offset: float  # seconds from the take's first frame (of any track) to this one's


def track_segments(directory: Path) -> list[_Segment]:
    """The take's track files with their offsets on the take's common timeline."""
    loaded: list[tuple[Path, TrackSidecar]] = []
    for path in sorted(directory.glob(f"*{TRACK_SUFFIX}")):
        if path.name == ANSWER_FILE or path.name.startswith("."):
            continue
        try:
            loaded.append((path, TrackSidecar.load(path)))
        except SidecarError:
            continue  # not one of the recorder's files
    clocks = segment_clocks([sidecar for _, sidecar in loaded])
    starts = [
        (path, sidecar.kind, clock.unix(0.0))
        for (path, sidecar), clock in zip(loaded, clocks, strict=True)
        if clock is not None and sidecar.kind in KINDS
    ]
    if not starts:
        return []
    first = min(start for _, _, start in starts)
    return [_Segment(path, kind, start - first) for path, kind, start in starts]


def merge_take(
    directory: Path, limit: timedelta | None = None, output_name: str = ANSWER_FILE
) -> MergedTake:
    """Write `directory/output_name` from the take's track files (atomically).

    `limit`: packets starting that late into the take are left out (the server's cut-off,
    enforced on the media too, whatever the stop's latency).
    """
    segments = track_segments(directory)
    if not segments:
        raise MergeError(f"{directory.name}: no recorded track")
    target = directory / output_name
    temporary = directory / f".{output_name}.tmp"
    inputs: list[InputContainer] = []
    try:
        readable: list[tuple[_Segment, InputContainer]] = []
        for segment in segments:
            try:
                container = av.open(str(segment.path))
            except av.FFmpegError:
                continue
            inputs.append(container)
            if container.streams:
                readable.append((segment, container))
        if not readable:
            raise MergeError(f"{directory.name}: no readable track file")
        cut = limit.total_seconds() if limit is not None else None
        packets, end = _remux(readable, temporary, cut)
        if packets == 0:
            raise MergeError(f"{directory.name}: the track files hold no packet")
        os.replace(temporary, target)
    finally:
        for container in inputs:
            container.close()
        temporary.unlink(missing_ok=True)
    return MergedTake(target, round(end * 1000), packets)


def _remux(
    readable: list[tuple[_Segment, InputContainer]], temporary: Path, cut: float | None
) -> tuple[int, float]:
    packets, end = 0, 0.0
    with av.open(str(temporary), "w", format="webm") as output:
        streams = {}
        for kind in KINDS:  # one output stream per kind, from its first segment
            for segment, container in readable:
                if segment.kind == kind and kind not in streams:
                    streams[kind] = output.add_stream_from_template(
                        container.streams[0], opaque=True
                    )
        last: dict[str, float] = {}
        for at, _, segment, packet in heapq.merge(
            *(_timed(segment, container) for segment, container in readable),
            key=lambda item: (item[0], item[1]),
        ):
            if cut is not None and at >= cut:
                continue
            if at <= last.get(segment.kind, -1.0):
                continue  # overlapping segments of one source (a reconnect): keep time going
            last[segment.kind] = at
            base = packet.time_base
            assert base is not None
            assert packet.pts is not None
            shift = round(Fraction(segment.offset).limit_denominator(1_000_000) / base)
            packet.pts += shift
            packet.dts = packet.pts
            packet.stream = streams[segment.kind]
            output.mux(packet)
            packets += 1
            length = float((packet.duration or 0) * base)
            end = max(end, min(at + length, cut) if cut is not None else at + length)
    return packets, end


def _timed(
    segment: _Segment, container: InputContainer
) -> Iterator[tuple[float, int, _Segment, av.Packet[av.stream.Stream]]]:
    """(seconds on the take's timeline, stream order, segment, packet), in file order."""
    order = KINDS.index(segment.kind)
    stream = container.streams[0]
    try:
        for packet in container.demux(stream):
            if packet.pts is None or packet.size == 0 or packet.time_base is None:
                continue
            yield segment.offset + float(packet.pts * packet.time_base), order, segment, packet
    except av.FFmpegError:
        return  # a torn tail: everything before it is kept
