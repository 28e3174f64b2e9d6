"""`WorkerPool`: the media plane as N worker processes, each owning whole rooms.

Implements `signaling.ports.MediaEngine` and the recordings' `RecordingControl` for the web
process by forwarding each call to the worker that holds the room (`RoomPlacement`); a new
room goes to the least-loaded worker. Events come back tagged with a route (one per
`connect`) and go to that connection's `MediaEvents` through an `EventOutbox`, so a slow
socket delays only its owner, as in-process.

When a worker dies its rooms are forgotten at once, `on_room_lost(room)` is called for each
(the app closes their sockets: browsers reconnect and rejoin) and the worker is restarted.
A rejoin places the room again, on a live worker; a recording the room had is started there
again (paused if it was), so it continues in new segments.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from liveinterview.media.ipc import Message, WorkerConfig
from liveinterview.media.outbox import EventOutbox
from liveinterview.media.placement import (
    InMemoryPlacement,
    NoWorkerAvailable,
    RoomPlacement,
    WorkerLoad,
)
from liveinterview.media.recording_control import repair_unfinished
from liveinterview.media.worker_process import (
    WORKER_MODULE,
    Backoff,
    Heartbeat,
    MediaWorkerLost,
    WorkerProcess,
)
from signaling.ports import MediaError, MediaEvents

log = logging.getLogger(__name__)

STARTUP_SECONDS = 30.0
SHUTDOWN_SECONDS = 10.0

RoomLostHandler = Callable[[str], Awaitable[None]]  # (room id)
FailureHandler = Callable[[str, str], Awaitable[None]]  # (room id, reason)


@dataclass(eq=False)
class _Room:
    worker: WorkerProcess
    participants: dict[str, int] = field(default_factory=dict)  # participant -> route
    recording: bool = False  # the worker has been told to record it


@dataclass
class _Recording:
    directory: Path
    names: dict[str, str]
    paused: bool = False


class WorkerPool:
    def __init__(
        self,
        config: WorkerConfig,
        workers: int,
        *,
        placement: RoomPlacement | None = None,
        backoff: Backoff | None = None,
        heartbeat: Heartbeat | None = None,
        startup_seconds: float = STARTUP_SECONDS,
        shutdown_seconds: float = SHUTDOWN_SECONDS,
        worker_module: str = WORKER_MODULE,
    ) -> None:
        """`shutdown_seconds`: how long each worker may take to finish its recordings and
        exit before it is killed; `heartbeat`: how a hung worker is found (and killed);
        `worker_module`: what each worker runs (`python -m`)."""
        if workers < 1:
            raise ValueError(f"a pool needs at least one worker, not {workers}")
        self._workers = {
            str(number): WorkerProcess(
                str(number),
                config,
                on_event=self._on_event,
                on_lost=self._on_lost,
                backoff=backoff,
                heartbeat=heartbeat,
                module=worker_module,
            )
            for number in range(1, workers + 1)
        }
        self._placement = placement or InMemoryPlacement()
        self._rooms: dict[str, _Room] = {}
        self._routes: dict[int, EventOutbox] = {}
        self._route_ids = itertools.count(1)
        self._recordings: dict[str, _Recording] = {}  # rooms being recorded, wherever they are
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self._startup_seconds = startup_seconds
        self._shutdown_seconds = shutdown_seconds
        self.on_room_lost: RoomLostHandler | None = None
        self.on_failure: FailureHandler | None = None  # a recording failed (disk full...)

    # --- lifecycle ----------------------------------------------------------------------

    async def launch(self) -> None:
        """Start every worker and wait until they are ready (RuntimeError if none is)."""
        for worker in self._workers.values():
            worker.start()
        seconds = self._startup_seconds
        ready = await asyncio.gather(*(w.wait_ready(seconds) for w in self._workers.values()))
        if not any(ready):
            await self.close()
            raise RuntimeError("no media worker became ready; see the log for why")
        if not all(ready):
            log.error("only %d of %d media workers are ready", sum(ready), len(ready))
        log.info("media workers ready", extra={"workers": len(ready), "pids": str(self.pids())})

    async def close(self) -> None:
        """Every worker finishes its recordings and exits (killed if it takes too long)."""
        self._closed = True
        grace = self._shutdown_seconds
        await asyncio.gather(*(w.stop(grace) for w in self._workers.values()))
        self._rooms.clear()
        outboxes = list(self._routes.values())
        self._routes.clear()
        await asyncio.gather(*(outbox.close() for outbox in outboxes))
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- MediaEngine --------------------------------------------------------------------

    async def connect(self, room_id: str, participant_id: str, events: MediaEvents) -> None:
        await self._connect("connect", room_id, participant_id, events)

    async def connect_probe(self, room_id: str, participant_id: str, events: MediaEvents) -> None:
        await self._connect("connect_probe", room_id, participant_id, events)

    async def accept_answer(self, room_id: str, participant_id: str, sdp: str) -> None:
        room = self._room_of(room_id, participant_id)
        await room.worker.call("accept_answer", room=room_id, participant=participant_id, sdp=sdp)

    async def add_ice_candidate(
        self,
        room_id: str,
        participant_id: str,
        candidate: str,
        sdp_mid: str | None,
        sdp_mline_index: int | None,
    ) -> None:
        room = self._room_of(room_id, participant_id)
        await room.worker.call(
            "add_ice_candidate",
            room=room_id,
            participant=participant_id,
            candidate=candidate,
            sdp_mid=sdp_mid,
            sdp_mline_index=sdp_mline_index,
        )

    async def disconnect(self, room_id: str, participant_id: str) -> None:
        room = self._rooms.get(room_id)
        if room is None:
            return  # nothing there (or its worker died: nothing left to close)
        route = room.participants.get(participant_id)
        with contextlib.suppress(MediaWorkerLost):
            await room.worker.call("disconnect", room=room_id, participant=participant_id)
        if route is not None and room.participants.get(participant_id) == route:
            del room.participants[participant_id]
            self._drop_route(route)
        await self._release_if_idle(room_id, room)

    async def close_room(self, room_id: str) -> None:
        room = self._rooms.get(room_id)
        if room is None:
            return
        with contextlib.suppress(MediaWorkerLost):
            await room.worker.call("close_room", room=room_id)
        for route in room.participants.values():
            self._drop_route(route)
        room.participants.clear()
        await self._release_if_idle(room_id, room)

    # --- RecordingControl ---------------------------------------------------------------

    def start(self, room_id: str, directory: Path, names: Mapping[str, str]) -> None:
        recording = self._recordings.get(room_id)
        if recording is None:
            self._recordings[room_id] = _Recording(directory, dict(names))
        else:
            recording.directory, recording.names = directory, dict(names)
        room = self._rooms.get(room_id)
        if room is not None:
            self._record_on(room_id, room)
        else:
            # Nobody connected yet (a candidate in the lobby): the room is placed now, so
            # that its tracks are recorded from the first connect on.
            self._spawn(self._place_for_recording(room_id))

    def pause(self, room_id: str) -> None:
        self._set_paused(room_id, True)

    def resume(self, room_id: str) -> None:
        self._set_paused(room_id, False)

    async def stop(self, room_id: str) -> None:
        recording = self._recordings.pop(room_id, None)
        room = self._rooms.get(room_id)
        if room is not None and room.recording:
            room.recording = False
            with contextlib.suppress(MediaWorkerLost):
                await room.worker.call("record_stop", room=room_id)
            await self._release_if_idle(room_id, room)
        elif recording is not None:
            # Its worker died and nobody came back: no one records there, so the files the
            # dead worker left open are finished here.
            await asyncio.to_thread(repair_unfinished, recording.directory)

    # --- inspection (tests, benchmarks, health) -----------------------------------------

    def pids(self) -> dict[str, int]:
        """The process id of every running worker, by worker id."""
        return {
            worker_id: worker.pid
            for worker_id, worker in self._workers.items()
            if worker.pid is not None and worker.available
        }

    def worker(self, worker_id: str) -> WorkerProcess:
        return self._workers[worker_id]

    async def worker_of(self, room_id: str) -> str | None:
        return await self._placement.lookup(room_id)

    def loads(self) -> list[WorkerLoad]:
        """What each worker that takes rooms carries now."""
        participants = dict.fromkeys(self._workers, 0)
        rooms = dict.fromkeys(self._workers, 0)
        for room in self._rooms.values():
            participants[room.worker.worker_id] += len(room.participants)
            rooms[room.worker.worker_id] += 1
        return [
            WorkerLoad(worker_id, participants[worker_id], rooms[worker_id])
            for worker_id, worker in self._workers.items()
            if worker.available
        ]

    # --- internals ----------------------------------------------------------------------

    async def _connect(
        self, op: str, room_id: str, participant_id: str, events: MediaEvents
    ) -> None:
        room = self._rooms.get(room_id) or await self._place(room_id)
        route = next(self._route_ids)
        self._routes[route] = EventOutbox(events, f"{participant_id} in {room_id}")
        previous = room.participants.get(participant_id)
        room.participants[participant_id] = route
        try:
            await room.worker.call(op, room=room_id, participant=participant_id, route=route)
        except Exception:
            self._drop_route(route)
            if room.participants.get(participant_id) == route:
                if previous is not None:  # a failed reconnect leaves the old connection
                    room.participants[participant_id] = previous
                else:
                    del room.participants[participant_id]
                    await self._release_if_idle(room_id, room)
            raise
        if previous is not None:
            self._drop_route(previous)  # the worker closed the connection it replaced

    async def _place(self, room_id: str) -> _Room:
        if self._closed:
            raise MediaError("The media server is shutting down.")
        try:
            worker_id = await self._placement.assign(room_id, self.loads())
        except NoWorkerAvailable:
            raise MediaError(
                "The media server is restarting; please try again in a moment."
            ) from None
        room = self._rooms.get(room_id)  # placed meanwhile by a concurrent call
        if room is None:
            room = self._rooms[room_id] = _Room(self._workers[worker_id])
            if room_id in self._recordings:
                self._record_on(room_id, room)
        return room

    async def _place_for_recording(self, room_id: str) -> None:
        try:
            await self._place(room_id)
        except MediaError as exc:
            log.warning("recording of %s waits for a media worker: %s", room_id, exc.message)

    def _record_on(self, room_id: str, room: _Room) -> None:
        recording = self._recordings[room_id]
        fresh = not room.recording
        room.recording = True
        room.worker.send(
            "record_start",
            room=room_id,
            directory=str(recording.directory),
            names=recording.names,
        )
        if fresh and recording.paused:  # a restarted recording stays paused
            room.worker.send("record_pause", room=room_id)

    def _set_paused(self, room_id: str, paused: bool) -> None:
        recording = self._recordings.get(room_id)
        if recording is None:
            return
        recording.paused = paused
        room = self._rooms.get(room_id)
        if room is not None and room.recording:
            room.worker.send("record_pause" if paused else "record_resume", room=room_id)

    def _room_of(self, room_id: str, participant_id: str) -> _Room:
        room = self._rooms.get(room_id)
        if room is None:
            raise MediaError(
                f"There is no media connection for {participant_id!r} in room {room_id!r}."
            )
        return room

    async def _release_if_idle(self, room_id: str, room: _Room) -> None:
        if room.participants or room.recording or self._rooms.get(room_id) is not room:
            return
        del self._rooms[room_id]
        await self._placement.release(room_id, room.worker.worker_id)

    def _drop_route(self, route: int) -> None:
        outbox = self._routes.pop(route, None)
        if outbox is not None:
            self._spawn(outbox.close())

    def _on_event(self, worker: WorkerProcess, message: Message) -> None:
        kind = message.get("ev")
        if kind == "recording_failed":
            self._recording_failed(message["room"], message["reason"])
            return
        outbox = self._routes.get(message.get("route", -1))
        if outbox is None:
            return  # a connection replaced or closed since
        if kind == "offer":
            outbox.offer(message["sdp"], message["tracks"])
        elif kind == "state":
            outbox.connection_state(message["state"])
        elif kind == "level":
            outbox.audio_level(message["level"])
        else:
            log.error("unknown event from media worker %s: %r", worker.worker_id, kind)

    def _recording_failed(self, room_id: str, reason: str) -> None:
        # Failed for good (the recordings service does not start it again).
        self._recordings.pop(room_id, None)
        room = self._rooms.get(room_id)
        if room is not None:
            room.recording = False
        if self.on_failure is not None:
            self._spawn(self.on_failure(room_id, reason))

    def _on_lost(self, worker: WorkerProcess) -> None:
        lost = [room_id for room_id, room in self._rooms.items() if room.worker is worker]
        log.error(
            "media worker lost; its rooms reconnect",
            extra={"worker": worker.worker_id, "rooms": len(lost)},
        )
        for room_id in lost:
            room = self._rooms.pop(room_id)
            for route in room.participants.values():
                self._drop_route(route)
            self._spawn(self._placement.release(room_id, worker.worker_id))
            if self.on_room_lost is not None:
                self._spawn(self.on_room_lost(room_id))

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("media pool task failed", exc_info=task.exception())
