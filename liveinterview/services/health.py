"""Is the service able to do its work: for /healthz and monitoring."""

from __future__ import annotations

import asyncio
import logging

from liveinterview.storage.db import Database

log = logging.getLogger(__name__)


class HealthService:
    def __init__(self, db: Database, timeout_seconds: float = 3.0) -> None:
        self.db = db
        self.timeout_seconds = timeout_seconds

    async def check(self) -> dict[str, str]:
        """Component name -> "ok" or a short reason."""
        try:
            await asyncio.wait_for(self.db.ping(), self.timeout_seconds)
            database = "ok"
        except Exception as exc:  # any failure means "not healthy", with the reason
            log.warning("database health check failed", extra={"error": repr(exc)})
            database = f"unreachable: {type(exc).__name__}"
        return {"database": database}
