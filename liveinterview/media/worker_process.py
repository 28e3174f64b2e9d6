"""One media worker process, seen from the front: started, called, watched, restarted.

The process is `python -m liveinterview.media.worker` (asyncio subprocess, not
multiprocessing: a fresh interpreter with its own argv, no re-import of the front's
`__main__`, no pickling, and non-blocking pipes from asyncio itself). Its channel is one end
of a socketpair: when the process dies, for any reason, the kernel closes that end and the
front's `connection_lost` fires at once; pending calls fail with `MediaWorkerLost`, `on_lost`
is told, and the process is started again, at once after a healthy run, with a growing
delay while it keeps dying (`Backoff`). A worker that is alive but stops answering (its event
loop hangs) is found by a heartbeat (`Heartbeat`) and killed, which makes it an ordinary death.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import logging
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from liveinterview.media.ipc import Channel, Message, WorkerConfig, open_channel
from signaling.ports import MediaError

log = logging.getLogger(__name__)

EXIT_SECONDS = 5.0  # after its channel closed, a worker has this long to exit before a kill
WORKER_MODULE = "liveinterview.media.worker"


class WorkerState(enum.StrEnum):
    STARTING = "starting"  # spawned, not yet ready (calls wait in the channel)
    READY = "ready"
    DOWN = "down"  # died; restarting (after the back-off delay)
    STOPPED = "stopped"


class MediaWorkerLost(MediaError):
    """The worker holding the room died before answering; the room's participants reconnect."""

    def __init__(self) -> None:
        super().__init__("The media server restarted; reconnecting.")


class WorkerCallError(RuntimeError):
    """The worker failed unexpectedly (not a MediaError); names the exception it raised."""


@dataclass(frozen=True)
class Backoff:
    """How long to wait before starting a worker that died again."""

    stable_after: float = 10.0  # a worker that ran this long was healthy: restart at once
    first: float = 0.5
    limit: float = 30.0

    def failures(self, previous: int, lived: float) -> int:
        """Deaths in a row of workers that did not run `stable_after` seconds."""
        return 1 if lived >= self.stable_after else previous + 1

    def delay(self, failures: int) -> float:
        """The first death restarts at once; each further one waits twice as long."""
        if failures <= 1:
            return 0.0
        return min(self.limit, self.first * 2.0 ** (failures - 2))


@dataclass(frozen=True)
class Heartbeat:
    """A ready worker is pinged every `every` seconds; one that has not answered within
    `timeout` seconds is hung (a blocked event loop never serves its rooms again): it is killed,
    so its rooms reconnect elsewhere and it is restarted."""

    every: float = 2.0
    timeout: float = 10.0


class WorkerProcess:
    def __init__(
        self,
        worker_id: str,
        config: WorkerConfig,
        *,
        on_event: Callable[[WorkerProcess, Message], None],
        on_lost: Callable[[WorkerProcess], None],
        backoff: Backoff | None = None,
        heartbeat: Heartbeat | None = None,
        module: str = WORKER_MODULE,
    ) -> None:
        """`module` is run with `python -m`: this package's worker, or a wrapper around its
        `main()` (a benchmark that instruments the engine inside the worker)."""
        self.worker_id = worker_id
        self.module = module
        self.config = config
        self.state = WorkerState.DOWN
        self.pid: int | None = None
        self.restarts = 0
        self._on_event = on_event
        self._on_lost = on_lost
        self._backoff = backoff or Backoff()
        self._heartbeat = heartbeat or Heartbeat()
        self.hangs = 0  # workers killed because they stopped answering
        self._process: asyncio.subprocess.Process | None = None
        self._channel: Channel | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._ready = asyncio.Event()
        self._changed = asyncio.Event()  # ready, or died
        self._deaths = 0
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False

    def __repr__(self) -> str:
        return f"<WorkerProcess {self.worker_id} {self.state} pid={self.pid}>"

    @property
    def returncode(self) -> int | None:
        """The exit status of the latest process (None while it runs)."""
        return self._process.returncode if self._process is not None else None

    @property
    def available(self) -> bool:
        """Takes calls (a starting worker reads them once it is ready)."""
        return self.state in (WorkerState.STARTING, WorkerState.READY) and not self._stopping

    def start(self) -> None:
        if self._supervisor is None:
            self._supervisor = asyncio.ensure_future(self._supervise())

    async def wait_ready(self, seconds: float) -> bool:
        """Until the worker is ready (True), or its process died first or `seconds` passed."""
        loop = asyncio.get_running_loop()
        deadline, deaths = loop.time() + seconds, self._deaths
        while not self._ready.is_set() and self._deaths == deaths:
            self._changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return self._ready.is_set()

    async def call(self, op: str, **arguments: Any) -> Any:
        """Send a request and wait for its answer; MediaError comes back as MediaError."""
        channel = self._channel
        if channel is None or self.state not in (WorkerState.STARTING, WorkerState.READY):
            raise MediaWorkerLost()
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            channel.send({"id": request_id, "op": op, **arguments})
            return await future
        finally:
            self._pending.pop(request_id, None)

    def send(self, op: str, **arguments: Any) -> bool:
        """A note: no answer, delivered in order with the calls."""
        channel = self._channel
        return channel is not None and channel.send({"op": op, **arguments})

    async def stop(self, grace: float) -> None:
        """Ask the worker to finish its recordings and exit; kill it if it has not done so
        within `grace` seconds (or does not exit once it has)."""
        self._stopping = True
        process, channel = self._process, self._channel
        if process is not None and process.returncode is None:
            exit_seconds = EXIT_SECONDS
            if channel is not None and channel.is_open:
                try:
                    await asyncio.wait_for(self.call("shutdown"), grace)
                except (MediaError, WorkerCallError, TimeoutError) as exc:
                    log.warning("media worker %s did not stop cleanly: %r", self.worker_id, exc)
                    exit_seconds = 0.5 if isinstance(exc, TimeoutError) else exit_seconds
            try:
                await asyncio.wait_for(process.wait(), exit_seconds)
            except TimeoutError:
                log.warning("media worker %s is killed", self.worker_id)
                process.kill()
                await process.wait()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        self.state = WorkerState.STOPPED

    # --- internals ----------------------------------------------------------------------

    async def _supervise(self) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        while not self._stopping:
            started = loop.time()
            try:
                channel = await self._spawn()
            except OSError:
                log.exception("media worker %s could not be started", self.worker_id)
            else:
                watchdog = asyncio.ensure_future(self._watch())
                try:
                    await channel.closed
                finally:
                    watchdog.cancel()
                await self._reap()
            if self._stopping:
                break
            failures = self._backoff.failures(failures, loop.time() - started)
            delay = self._backoff.delay(failures)
            if delay:
                log.warning(
                    "media worker %s keeps dying; next start in %.1f s", self.worker_id, delay
                )
                await asyncio.sleep(delay)
            self.restarts += 1

    async def _spawn(self) -> Channel:
        front, child = socket.socketpair()
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                self.module,
                "--worker",
                self.worker_id,
                "--channel-fd",
                str(child.fileno()),
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        except BaseException:
            front.close()
            raise
        finally:
            child.close()  # the child has its copy: its death alone must close the channel
        self._process, self.pid = process, process.pid
        self.state = WorkerState.STARTING
        try:
            channel = await open_channel(front, self._on_message, self._on_close)
        except BaseException:
            front.close()
            process.kill()
            raise
        self._channel = channel
        channel.send({"op": "hello", "config": self.config.to_message()})
        return channel

    async def _watch(self) -> None:
        """Ping the worker while it runs; kill it when a ping goes unanswered too long."""
        beat = self._heartbeat
        while not self._stopping:
            await asyncio.sleep(beat.every)
            if self.state is not WorkerState.READY or self._stopping:
                continue
            try:
                await asyncio.wait_for(self.call("ping"), beat.timeout)
            except TimeoutError:
                process = self._process
                if self._stopping or process is None or process.returncode is not None:
                    return
                self.hangs += 1
                log.error(
                    "media worker %s (pid %s) has not answered for %.1f s: killing it",
                    self.worker_id,
                    process.pid,
                    beat.timeout,
                )
                process.kill()  # its channel closes: the rooms are lost, the worker restarts
                return
            except (MediaError, WorkerCallError):
                return  # the channel closed: the supervisor takes it from here

    async def _reap(self) -> None:
        process = self._process
        if process is None:
            return
        try:
            await asyncio.wait_for(process.wait(), EXIT_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()
        if not self._stopping:
            log.error(
                "media worker %s (pid %s) died with status %s",
                self.worker_id,
                process.pid,
                process.returncode,
            )

    def _on_message(self, message: Message) -> None:
        request_id = message.get("re")
        if request_id is not None:
            future = self._pending.pop(request_id, None)
            if future is None or future.done():
                return
            error = message.get("error")
            if error is None:
                future.set_result(message.get("ok"))
            elif error == "media":
                future.set_exception(MediaError(message["message"]))
            else:
                future.set_exception(
                    WorkerCallError(f"{message.get('type', 'Error')}: {message.get('message')}")
                )
        elif message.get("ev") == "ready":
            self.state = WorkerState.READY
            self._ready.set()
            self._changed.set()
        else:
            self._on_event(self, message)

    def _on_close(self) -> None:
        self._channel = None
        self._ready.clear()
        self._deaths += 1
        self._changed.set()
        self.state = WorkerState.STOPPED if self._stopping else WorkerState.DOWN
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(MediaWorkerLost())
        if not self._stopping:
            self._on_lost(self)
