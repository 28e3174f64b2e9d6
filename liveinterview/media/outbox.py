"""Delivering one participant's media events (offers, states, levels) in order.

Events go through a queue served by one task per participant, so the engine never awaits a
participant's signaling connection while holding a room's lock: a slow or broken socket
delays only its own participant's events, and an exception from it is logged, not raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from signaling.ports import MediaEvents

log = logging.getLogger(__name__)

MAX_PENDING_LEVELS = 20  # levels are dropped (not offers or states) when delivery lags
DRAIN_SECONDS = 1.0


class EventOutbox:
    def __init__(self, events: MediaEvents, label: str) -> None:
        self.events = events
        self.label = label
        self._queue: asyncio.Queue[tuple[str, Callable[[], Awaitable[None]]] | None] = (
            asyncio.Queue()
        )
        self._failed: set[str] = set()
        self._task = asyncio.ensure_future(self._run())

    def offer(self, sdp: str, tracks: list[dict[str, str]]) -> None:
        self._put("offer", lambda: self.events.offer(sdp, tracks))

    def connection_state(self, state: str) -> None:
        self._put("connection_state", lambda: self.events.connection_state(state))

    def audio_level(self, level: float) -> None:
        if self._queue.qsize() < MAX_PENDING_LEVELS:
            self._put("audio_level", lambda: self.events.audio_level(level))

    def _put(self, kind: str, call: Callable[[], Awaitable[None]]) -> None:
        if not self._task.done():
            self._queue.put_nowait((kind, call))

    async def close(self) -> None:
        """Deliver what is queued (for at most DRAIN_SECONDS), then stop."""
        if self._task.done():
            return
        self._queue.put_nowait(None)
        try:
            await asyncio.wait_for(asyncio.shield(self._task), DRAIN_SECONDS)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while (item := await self._queue.get()) is not None:
            kind, call = item
            try:
                await call()
            except Exception:
                # Logged once per kind: a dead socket would otherwise log every level report.
                if kind not in self._failed:
                    self._failed.add(kind)
                    log.exception("media event %s for %s failed", kind, self.label)
