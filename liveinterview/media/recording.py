"""`RoomRecording`: one interview's recording directory, its track recorders and its state.

Every published track gets a `TrackRecorder` (`attach`), writing the encoded frames as they
arrive into `<participant>__<source>__<segment:03d>.webm`, each with a JSON sidecar
(`sidecar.py`). The room-level state goes to `recording.json`. Everything runs on the event
loop: a write is one muxer call plus, about twice a second, one `write(2)` of a finished
cluster to the page cache (tens of microseconds; see docs/media.md).

A full disk or any failed write makes the recording `FAILED`: every file is closed (what was
written stays readable), frames are no longer taken, `on_failure(reason)` tells the app, and
the relay carries on, untouched.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from liveinterview.clock import Clock
from liveinterview.media import vp8
from liveinterview.media.packets import EncodedFrame
from liveinterview.media.publication import Publication, Source
from liveinterview.media.sidecar import ClockAnchor, Pause, TrackSidecar, write_json_atomically
from liveinterview.media.track_file import CLUSTER_TIME_LIMIT_MS, TrackFile
from liveinterview.media.track_recorder import TrackRecorder

log = logging.getLogger(__name__)

ROOM_FILE = "recording.json"
TRACK_SUFFIX = ".webm"
DEFAULT_MIN_FREE_BYTES = 512 * 1024 * 1024


class RecordingState(enum.StrEnum):
    RECORDING = "recording"
    PAUSED = "paused"
    STOPPED = "stopped"
    FAILED = "failed"


class RecordingStateError(RuntimeError):
    """A state change that the recording's current state does not allow."""


def open_track_file(path: Path) -> BinaryIO:
    """A new file, never an existing one, unbuffered: each write goes to the OS at once."""
    return open(path, "xb", buffering=0)


def track_file_name(participant_id: str, source: Source | str, segment: int) -> str:
    """`<participant>__<source>__<segment:03d>.webm`, the participant id percent-quoted."""
    quoted = quote(participant_id, safe="")
    if len(quoted) > 100:  # stay far below NAME_MAX whatever the id
        digest = hashlib.sha256(participant_id.encode()).hexdigest()[:16]
        quoted = f"{quoted[:80]}-{digest}"
    return f"{quoted}__{Source(source).value}__{segment:03d}{TRACK_SUFFIX}"


def _parse_name(name: str) -> tuple[str, str, int] | None:
    if not name.endswith(TRACK_SUFFIX):
        return None
    parts = name[: -len(TRACK_SUFFIX)].rsplit("__", 2)
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return parts[0], parts[1], int(parts[2])


class RoomRecording:
    def __init__(
        self,
        directory: Path,
        *,
        clock: Clock,
        monotonic: Callable[[], float] = time.monotonic,
        min_free_bytes: int = DEFAULT_MIN_FREE_BYTES,
        on_failure: Callable[[str], None] | None = None,
        open_file: Callable[[Path], BinaryIO] = open_track_file,
        cluster_time_limit_ms: int = CLUSTER_TIME_LIMIT_MS,
        sidecar_interval: float = 5.0,
        space_check_interval: float = 5.0,
    ) -> None:
        """Start recording into `directory` (created if needed; OSError if it cannot be).

        `monotonic` must be the clock of the frames' `arrival` (the relay uses
        `time.monotonic`). `min_free_bytes`: a new file is not opened, and a running
        recording fails, when less is free. `on_failure(reason)` is called once, on the event
        loop, when the recording fails. Segment numbers continue after files already there
        (a restarted server recording the same interview).
        """
        self.directory = directory
        self.state = RecordingState.RECORDING
        self.failure_reason: str | None = None
        self.pauses: list[Pause] = []
        self.recorders: list[TrackRecorder] = []
        self.files: list[Path] = []
        self.close_errors: list[str] = []
        self._monotonic = monotonic
        self._min_free_bytes = min_free_bytes
        self._on_failure = on_failure
        self._open_file = open_file
        self._cluster_time_limit_ms = cluster_time_limit_ms
        self._sidecar_interval = sidecar_interval
        self._space_check_interval = space_check_interval
        self._space_checked_at: float | None = None
        directory.mkdir(parents=True, exist_ok=True)
        self.anchor = ClockAnchor(monotonic(), clock.now())
        self._next_segment: dict[tuple[str, str], int] = {}
        for path in directory.glob(f"*{TRACK_SUFFIX}"):
            parsed = _parse_name(path.name)
            if parsed is not None:
                key = (parsed[0], parsed[1])
                self._next_segment[key] = max(self._next_segment.get(key, 0), parsed[2] + 1)
        self._save_state()

    def __repr__(self) -> str:
        return f"<RoomRecording {self.directory} {self.state}>"

    # --- the app's side -----------------------------------------------------------------

    def attach(
        self, participant_id: str, source: Source, publication: Publication, display_name: str
    ) -> TrackRecorder | None:
        """Record this publication (from the engine's `on_publication` hook).

        None when the recording is stopped or failed, or the publication already closed.
        """
        if self.state in (RecordingState.STOPPED, RecordingState.FAILED) or publication.closed:
            return None
        for recorder in self.recorders:
            if recorder.publication is publication:
                return recorder
        recorder = TrackRecorder(self, publication, participant_id, source, display_name)
        self.recorders.append(recorder)
        publication.subscribe(recorder)  # video asks for a keyframe on its first delta frame
        return recorder

    def pause(self) -> None:
        """Stop writing until `resume`; the pause is kept in every sidecar and recording.json."""
        self._require(RecordingState.RECORDING, "pause")
        self.state = RecordingState.PAUSED
        self.pauses.append(Pause(self._monotonic(), None))
        self._pauses_changed()

    def resume(self) -> None:
        self._require(RecordingState.PAUSED, "resume")
        self.state = RecordingState.RECORDING
        self.pauses[-1] = Pause(self.pauses[-1].start, self._monotonic())
        self._pauses_changed()
        for recorder in tuple(self.recorders):
            recorder.resume()

    def stop(self) -> None:
        """Close every file (with duration and seek index). Safe to call more than once."""
        if self.state is RecordingState.STOPPED:
            return
        if self.state is RecordingState.PAUSED:
            self.pauses[-1] = Pause(self.pauses[-1].start, self._monotonic())
        if self.state is not RecordingState.FAILED:
            self.state = RecordingState.STOPPED
        self._stop_recorders("stopped")
        self._save_state()

    @property
    def writing(self) -> bool:
        return self.state is RecordingState.RECORDING

    # --- from the track recorders -------------------------------------------------------

    def open_segment(self, recorder: TrackRecorder, frame: EncodedFrame) -> TrackFile | None:
        if not self._enough_space():
            return None
        publication = recorder.publication
        key = (quote(recorder.participant_id, safe=""), recorder.source.value)
        size = vp8.keyframe_size(frame.data) if publication.kind == "video" else None
        for _ in range(100):  # a file of that name may have appeared: take the next number
            segment = self._next_segment.get(key, 0)
            self._next_segment[key] = segment + 1
            path = self.directory / track_file_name(
                recorder.participant_id, recorder.source, segment
            )
            try:
                file = self._open_file(path)
            except FileExistsError:
                continue
            except OSError as exc:
                self.fail(f"cannot create {path.name}: {exc}")
                return None
            sidecar = TrackSidecar(
                file=path.name,
                participant_id=recorder.participant_id,
                display_name=recorder.display_name,
                source=recorder.source.value,
                kind=publication.kind,
                codec="vp8" if publication.kind == "video" else "opus",
                clock_rate=publication.clock_rate,
                segment=segment,
                ssrc=frame.ssrc,
                clock=self.anchor,
                pauses=list(self.pauses),
                width=size[0] if size else None,
                height=size[1] if size else None,
            )
            try:
                track = TrackFile(
                    path,
                    file,
                    sidecar,
                    cluster_time_limit_ms=self._cluster_time_limit_ms,
                    sidecar_interval=self._sidecar_interval,
                )
            except OSError as exc:
                file.close()
                self.fail(f"cannot start {path.name}: {exc}")
                return None
            self.files.append(path)
            return track
        self.fail(f"no free segment number for {key}")
        return None

    def check_space(self, now: float) -> None:
        checked = self._space_checked_at
        if checked is None or now - checked >= self._space_check_interval:
            self._enough_space()

    def fail(self, reason: str) -> None:
        if self.state in (RecordingState.STOPPED, RecordingState.FAILED):
            return
        log.error("recording in %s failed: %s", self.directory, reason)
        self.state = RecordingState.FAILED
        self.failure_reason = reason
        if self.pauses and self.pauses[-1].end is None:
            self.pauses[-1] = Pause(self.pauses[-1].start, self._monotonic())
        self._stop_recorders("failed")
        self._save_state()
        if self._on_failure is not None:
            try:
                self._on_failure(reason)
            except Exception:
                log.exception("on_failure callback failed")

    def forget(self, recorder: TrackRecorder) -> None:
        if recorder in self.recorders:
            self.recorders.remove(recorder)

    # --- internals ----------------------------------------------------------------------

    def _require(self, expected: RecordingState, action: str) -> None:
        if self.state is not expected:
            raise RecordingStateError(
                f"Cannot {action} a recording that is {self.state}; it must be {expected}."
            )

    def _enough_space(self) -> bool:
        self._space_checked_at = self._monotonic()
        try:
            free = shutil.disk_usage(self.directory).free
        except OSError as exc:
            self.fail(f"cannot check free space in {self.directory}: {exc}")
            return False
        if free < self._min_free_bytes:
            self.fail(
                f"not enough free disk space: {free // 2**20} MiB free, "
                f"{self._min_free_bytes // 2**20} MiB required"
            )
            return False
        return True

    def _pauses_changed(self) -> None:
        for recorder in tuple(self.recorders):
            if recorder.current is not None:
                try:
                    recorder.current.set_pauses(self.pauses)
                except OSError as exc:
                    self.fail(f"writing the sidecar of {recorder.current.path.name} failed: {exc}")
                    return
        self._save_state()

    def _stop_recorders(self, reason: str) -> None:
        recorders, self.recorders = self.recorders, []
        for recorder in recorders:
            error = recorder.stop(reason)
            if error:
                self.close_errors.append(error)

    def _save_state(self) -> None:
        try:
            write_json_atomically(
                self.directory / ROOM_FILE,
                {
                    "version": 1,
                    "state": self.state.value,
                    "failure": self.failure_reason,
                    "clock": self.anchor.to_json(),
                    "pauses": [pause.to_json(self.anchor) for pause in self.pauses],
                    "files": sorted(p.name for p in self.directory.glob(f"*{TRACK_SUFFIX}")),
                },
            )
        except OSError as exc:
            # recording.json is a summary: the sidecars hold everything composition needs.
            log.warning("cannot write %s in %s: %s", ROOM_FILE, self.directory, exc)
