"""Background jobs that run every so often (and at once when kicked), for the app's lifetime."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)


class Periodic:
    """Runs `job` every `interval` seconds; `kick()` runs it as soon as possible."""

    def __init__(self, name: str, job: Callable[[], Awaitable[object]], interval: float) -> None:
        self.name = name
        self.job = job
        self.interval = interval
        self._wake = asyncio.Event()

    def kick(self) -> None:
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            try:
                await self.job()
            except Exception:
                log.exception(
                    "background job failed; it runs again later", extra={"job": self.name}
                )
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)

    def cleanup_ctx(self) -> Callable[[web.Application], AsyncIterator[None]]:
        """For app.cleanup_ctx: start with the app, cancel on shutdown."""

        async def context(_app: web.Application) -> AsyncIterator[None]:
            task = asyncio.create_task(self.run_forever(), name=self.name)
            yield
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        return context
