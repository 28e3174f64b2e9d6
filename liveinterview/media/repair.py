"""Making track files left open by a killed server whole again (run at start-up).

A file the recorder never closed has every finished cluster but no duration and no seek
index (Cues), and may end in a half-written cluster. A stream-copy remux (no decoding) into
a temporary file, then an atomic rename, writes both; the torn tail is dropped. The sidecar
is updated (`open: false`, `repaired`, the recovered duration).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import av

from liveinterview.media.sidecar import SidecarError, read_json, sidecar_path, write_json_atomically

TRACK_PATTERN = "*.webm"


class RepairError(Exception):
    """The file has nothing that can be recovered (it is left as it is)."""


@dataclass(frozen=True)
class RepairResult:
    path: Path
    duration: float  # seconds recovered
    packets: int


def find_unfinished(root: Path) -> list[Path]:
    """Track files under `root` whose sidecar says they are still open (their writer died).

    Only meaningful while no recorder is writing under `root`: call it at start-up.
    """
    unfinished = []
    for path in sorted(root.rglob(TRACK_PATTERN)):
        try:
            if read_json(sidecar_path(path)).get("open") is True:
                unfinished.append(path)
        except SidecarError:
            continue  # no sidecar: not one of the recorder's files
    return unfinished


def repair(path: Path) -> RepairResult:
    """Remux `path` in place: duration and seek index restored. RepairError if unreadable."""
    temporary = path.with_name(f".{path.name}.repair")
    packets, end = 0, 0.0
    try:
        with av.open(str(path)) as source:
            if not source.streams:
                raise RepairError(f"{path.name} has no streams")
            with av.open(str(temporary), "w", format="webm") as target:
                streams = {
                    stream.index: target.add_stream_from_template(stream, opaque=True)
                    for stream in source.streams
                }
                try:
                    for packet in source.demux():
                        if packet.dts is None or packet.size == 0:
                            continue
                        base = packet.time_base
                        if packet.pts is not None and base is not None:
                            duration = packet.duration or 0
                            end = max(end, float((packet.pts + duration) * base))
                        packet.stream = streams[packet.stream.index]
                        target.mux(packet)
                        packets += 1
                except av.FFmpegError:
                    pass  # a torn block at the end: everything before it is kept
        if packets == 0:
            raise RepairError(f"{path.name} holds no readable packet")
        os.replace(temporary, path)
    except (av.FFmpegError, OSError) as exc:  # unreadable, or no room for the copy
        raise RepairError(f"{path.name} cannot be repaired: {exc}") from None
    finally:
        temporary.unlink(missing_ok=True)
    try:
        _mark_repaired(path, end)
    except OSError as exc:  # the file is whole; the next start will remux it once more
        raise RepairError(f"{path.name} was repaired but its sidecar was not: {exc}") from None
    return RepairResult(path, end, packets)


def _mark_repaired(path: Path, duration: float) -> None:
    try:
        data = read_json(sidecar_path(path))
    except SidecarError:
        return
    data.update(open=False, repaired=True, duration=round(duration, 3))
    data["closed"] = data.get("closed") or "crashed"
    write_json_atomically(sidecar_path(path), data)
