"""A unit of work: one transaction plus what must happen only after it commits."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection

from liveinterview.storage.db import Database

log = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]


class Work:
    """The open transaction (`conn`) and a queue of after-commit notifications."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self._after_commit: list[AfterCommit] = []

    def after_commit(self, action: AfterCommit) -> None:
        """Run `action` once the transaction has committed (never if it rolls back)."""
        self._after_commit.append(action)


@asynccontextmanager
async def unit_of_work(db: Database) -> AsyncIterator[Work]:
    async with db.transaction() as conn:
        work = Work(conn)
        yield work
    for action in work._after_commit:
        try:
            await action()
        except Exception:
            # The data is committed; a failed notification must not turn into a failed request.
            log.exception("after-commit action failed")
