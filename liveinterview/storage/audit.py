"""The audit log: who did what, when, from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from liveinterview.storage.tables import audit_events


async def record(
    conn: AsyncConnection,
    *,
    at: datetime,
    actor_id: int | None,
    action: str,
    subject: str = "",
    address: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        insert(audit_events).values(
            at=at,
            actor_id=actor_id,
            action=action,
            subject=subject[:200],
            address=address[:64],
            details=details or {},
        )
    )
