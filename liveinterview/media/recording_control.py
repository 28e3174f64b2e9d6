"""The app's handle on recording: which rooms record into which directory, and their tracks.

Implements `liveinterview.services.recordings.RecordingControl`. The engine tells us about
every publication (`on_publication`); rooms being recorded attach a track recorder to it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from liveinterview.clock import Clock
from liveinterview.media.engine import AiortcEngine
from liveinterview.media.publication import Publication, Source
from liveinterview.media.recording import RecordingState, RecordingStateError, RoomRecording
from liveinterview.media.repair import RepairError, RepairResult, find_unfinished, repair

log = logging.getLogger(__name__)

FailureHandler = Callable[[str, str], Awaitable[None]]  # (room id, reason)


class MediaRecordings:
    def __init__(self, *, clock: Clock, min_free_bytes: int) -> None:
        self.clock = clock
        self.min_free_bytes = min_free_bytes
        self.on_failure: FailureHandler | None = None
        self._engine: AiortcEngine | None = None
        self._rooms: dict[str, RoomRecording] = {}
        self._names: dict[str, dict[str, str]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def bind(self, engine: AiortcEngine) -> None:
        """The engine whose publications are recorded (it calls `on_publication`)."""
        self._engine = engine

    def on_publication(
        self, room_id: str, participant_id: str, source: Source, publication: Publication
    ) -> None:
        recording = self._rooms.get(room_id)
        if recording is not None:
            name = self._names.get(room_id, {}).get(participant_id, participant_id)
            recording.attach(participant_id, source, publication, name)

    # --- RecordingControl ---------------------------------------------------------------

    def start(self, room_id: str, directory: Path, names: Mapping[str, str]) -> None:
        self._names[room_id] = dict(names)
        current = self._rooms.get(room_id)
        if current is not None and current.state not in {
            RecordingState.STOPPED,
            RecordingState.FAILED,
        }:
            return
        try:
            recording = RoomRecording(
                directory,
                clock=self.clock,
                min_free_bytes=self.min_free_bytes,
                on_failure=lambda reason: self._failed(room_id, reason),
            )
        except OSError as exc:
            self._failed(room_id, f"The recording could not be started: {exc.strerror or exc}")
            return
        self._rooms[room_id] = recording
        if self._engine is None:
            return
        # Participants already in the room publish already: record them from now on.
        for info in self._engine.participants(room_id):
            for source in Source:
                try:
                    publication = self._engine.publication(room_id, info.participant_id, source)
                except KeyError:
                    continue
                name = self._names[room_id].get(info.participant_id, info.participant_id)
                recording.attach(info.participant_id, source, publication, name)

    def pause(self, room_id: str) -> None:
        recording = self._rooms.get(room_id)
        if recording is not None:
            try:
                recording.pause()
            except RecordingStateError as exc:
                log.info("pause ignored: %s", exc)

    def resume(self, room_id: str) -> None:
        recording = self._rooms.get(room_id)
        if recording is not None:
            try:
                recording.resume()
            except RecordingStateError as exc:
                log.info("resume ignored: %s", exc)

    async def stop(self, room_id: str) -> None:
        recording = self._rooms.pop(room_id, None)
        self._names.pop(room_id, None)
        if recording is not None:
            recording.stop()

    def state(self, room_id: str) -> str | None:
        recording = self._rooms.get(room_id)
        return recording.state.value if recording is not None else None

    async def close(self) -> None:
        """Shutdown: every file finished (duration, seek index)."""
        for room_id in list(self._rooms):
            await self.stop(room_id)

    def _failed(self, room_id: str, reason: str) -> None:
        if self.on_failure is None:
            return
        task = asyncio.ensure_future(self.on_failure(room_id, reason))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def repair_unfinished(root: Path) -> list[RepairResult]:
    """At start-up: every track file a killed server left open gets duration and seek index
    back (a stream-copy remux); unrecoverable ones are logged and left as they are."""
    repaired: list[RepairResult] = []
    if not root.is_dir():
        return repaired
    for path in find_unfinished(root):
        try:
            result = repair(path)
        except RepairError as exc:
            log.error("a crashed recording could not be repaired: %s", exc)
            continue
        log.warning(
            "a crashed recording was repaired",
            extra={"file": path.name, "seconds": round(result.duration, 1)},
        )
        repaired.append(result)
    return repaired
