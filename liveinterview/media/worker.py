"""A media worker process: the real engine and recorder for the rooms the front gives it.

Started by the front (`WorkerProcess`) as
`python -m liveinterview.media.worker --worker ID --channel-fd FD`; FD is its end of the
socketpair (`ipc.py`), the only channel it has: it opens no listener, only the ICE/UDP
sockets of its peer connections. It logs to stderr, every record tagged with its id.

Requests run concurrently, as the web process would run them (the engine has a lock per
room). Recording control for one room runs in order, one step after the other: `start`
first repairs track files a killed worker left open in the room's directory, in a thread,
before this worker records into it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from liveinterview.clock import SystemClock
from liveinterview.config import Settings
from liveinterview.logs import configure_logging
from liveinterview.media.engine import AiortcEngine, build_engine
from liveinterview.media.ipc import Channel, Message, WorkerConfig, open_channel
from liveinterview.media.recording_control import MediaRecordings, repair_unfinished
from signaling.ports import MediaError

log = logging.getLogger("liveinterview.media.worker")  # also when run as __main__

CLOSE_SECONDS = 2.0


class RemoteEvents:
    """`MediaEvents` for one connection: each event becomes a frame to the front."""

    def __init__(self, channel: Channel, route: int) -> None:
        self.channel = channel
        self.route = route

    async def offer(self, sdp: str, tracks: list[dict[str, str]]) -> None:
        self.channel.send({"ev": "offer", "route": self.route, "sdp": sdp, "tracks": tracks})

    async def connection_state(self, state: str) -> None:
        self.channel.send({"ev": "state", "route": self.route, "state": state})

    async def audio_level(self, level: float) -> None:
        self.channel.send({"ev": "level", "route": self.route, "level": level})


class MediaWorker:
    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id
        self.channel: Channel | None = None
        self.engine: AiortcEngine | None = None
        self.recordings: MediaRecordings | None = None
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._turns: dict[str, asyncio.Task[Any]] = {}
        self._stopping = False

    # --- from the front -----------------------------------------------------------------

    def on_message(self, message: Message) -> None:
        op = message.get("op")
        if op == "hello":
            self._configure(WorkerConfig.from_message(message["config"]))
        elif "id" in message:
            self._spawn(self._answer(message))
        elif self._stopping:
            log.info("%s ignored: the worker is stopping", op)
        elif op == "record_start":
            room, directory, names = message["room"], message["directory"], message["names"]
            self._in_turn(room, lambda: self._start_recording(room, Path(directory), names))
        elif op in ("record_pause", "record_resume"):
            room = message["room"]
            self._in_turn(room, lambda: self._pause_recording(room, op == "record_pause"))
        else:
            log.error("unknown message from the front: %r", op)

    def on_close(self) -> None:
        if not self._stopping:
            log.warning("the front closed the channel; stopping")
            self.terminate()

    def terminate(self) -> None:
        """SIGTERM, or the front gone: finish the recordings and exit."""
        self._spawn(self._stop())

    # --- internals ----------------------------------------------------------------------

    def _configure(self, config: WorkerConfig) -> None:
        configure_logging(config.log_level, config.log_format)
        tag_records(self.worker_id, config.log_format)
        settings = Settings(
            media_host_addresses=config.host_addresses,
            media_announced_address=config.announced_address,
        )
        recordings = MediaRecordings(clock=SystemClock(), min_free_bytes=config.min_free_bytes)
        engine = build_engine(settings, on_publication=recordings.on_publication)
        recordings.bind(engine)
        recordings.on_failure = self._recording_failed
        self.engine, self.recordings = engine, recordings
        self._send({"ev": "ready", "pid": os.getpid()})
        log.info("media worker ready", extra={"pid": os.getpid()})

    async def _answer(self, message: Message) -> None:
        request_id = message["id"]
        try:
            result = await self._perform(message)
        except MediaError as exc:
            self._send({"re": request_id, "error": "media", "message": exc.message})
        except Exception as exc:
            log.exception("%s failed", message.get("op"))
            failure = {"error": "internal", "type": type(exc).__name__, "message": str(exc)}
            self._send({"re": request_id, **failure})
        else:
            self._send({"re": request_id, "ok": result})
        if message.get("op") == "shutdown":
            await self._close_channel()

    async def _perform(self, message: Message) -> Any:
        op = message["op"]
        if op == "ping":
            return None
        if op == "rooms":
            return self.engine.room_ids() if self.engine is not None else []
        if op == "shutdown":
            await self._shut_down()
            return None
        if self._stopping:
            raise MediaError("The media server is shutting down.")
        engine, recordings = self.engine, self.recordings
        if engine is None or recordings is None:
            raise RuntimeError("the worker was not configured (no hello)")
        room = message["room"]
        if op == "connect":
            events = RemoteEvents(self._channel(), message["route"])
            await engine.connect(room, message["participant"], events)
        elif op == "connect_probe":
            events = RemoteEvents(self._channel(), message["route"])
            await engine.connect_probe(room, message["participant"], events)
        elif op == "accept_answer":
            await engine.accept_answer(room, message["participant"], message["sdp"])
        elif op == "add_ice_candidate":
            await engine.add_ice_candidate(
                room,
                message["participant"],
                message["candidate"],
                message["sdp_mid"],
                message["sdp_mline_index"],
            )
        elif op == "disconnect":
            await engine.disconnect(room, message["participant"])
        elif op == "close_room":
            await engine.close_room(room)
        elif op == "record_stop":
            await self._in_turn(room, lambda: recordings.stop(room))
        else:
            raise ValueError(f"unknown operation {op!r}")
        return None

    def _in_turn(self, room_id: str, call: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Run `call` after the room's earlier recording steps (in the order they came)."""
        previous = self._turns.get(room_id)

        async def turn() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            await call()

        task = self._spawn(turn())
        self._turns[room_id] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._turns.get(room_id) is done:
                del self._turns[room_id]

        task.add_done_callback(forget)
        return task

    async def _start_recording(self, room_id: str, directory: Path, names: dict[str, str]) -> None:
        recordings = self.recordings
        assert recordings is not None
        if recordings.state(room_id) in (None, "stopped", "failed"):
            # Files a killed worker left open in this directory get their index back first.
            await asyncio.to_thread(repair_unfinished, directory)
        recordings.start(room_id, directory, names)

    async def _pause_recording(self, room_id: str, paused: bool) -> None:
        assert self.recordings is not None
        if paused:
            self.recordings.pause(room_id)
        else:
            self.recordings.resume(room_id)

    async def _recording_failed(self, room_id: str, reason: str) -> None:
        self._send({"ev": "recording_failed", "room": room_id, "reason": reason})

    async def _shut_down(self) -> None:
        """Every recording finished (duration, seek index), every peer connection closed."""
        if self._stopping:
            return
        self._stopping = True
        if self.recordings is not None:
            await self.recordings.close()
        if self.engine is not None:
            await self.engine.close()
        log.info("media worker stopped")

    async def _stop(self) -> None:
        await self._shut_down()
        await self._close_channel()

    async def _close_channel(self) -> None:
        if self.channel is not None:
            self.channel.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.channel.closed), CLOSE_SECONDS)
        if not self.done.done():
            self.done.set_result(None)

    def _channel(self) -> Channel:
        assert self.channel is not None
        return self.channel

    def _send(self, message: Message) -> None:
        if self.channel is not None:
            self.channel.send(message)

    def _spawn(self, coroutine: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("media worker task failed", exc_info=task.exception())


def tag_records(worker_id: str, log_format: str) -> None:
    """Every record this process logs names the worker (a field in JSON, a prefix in text)."""

    def tag(record: logging.LogRecord) -> bool:
        record.worker = worker_id
        return True

    for handler in logging.getLogger().handlers:
        handler.addFilter(tag)
        if log_format == "text":
            handler.setFormatter(
                logging.Formatter(
                    f"%(asctime)s %(levelname)s [media-worker {worker_id}] %(name)s: %(message)s"
                )
            )


async def serve(worker_id: str, channel_fd: int) -> None:
    worker = MediaWorker(worker_id)
    sock = socket.socket(fileno=channel_fd)
    worker.channel = await open_channel(sock, worker.on_message, worker.on_close)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, worker.terminate)
    await worker.done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m liveinterview.media.worker")
    parser.add_argument("--worker", required=True, help="this worker's id (for the logs)")
    parser.add_argument("--channel-fd", type=int, required=True, help="the inherited socket")
    args = parser.parse_args(argv)
    # Ctrl-C in a terminal reaches the whole process group: the front decides when we stop,
    # so that recordings are finished rather than cut.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(serve(args.worker, args.channel_fd))
    return 0


if __name__ == "__main__":
    sys.exit(main())
