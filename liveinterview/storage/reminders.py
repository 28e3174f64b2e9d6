"""Reminders before an interview, claimed once across all app processes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from liveinterview.storage.tables import reminders


async def replace_reminders(
    conn: AsyncConnection,
    request_id: int,
    due: Sequence[tuple[str, int, datetime]],
) -> None:
    """Drop pending reminders of the request and plan (recipient, offset, due_at) anew.

    A reminder already sent for the same moment (the interview moved away and back) is not
    planned again: it went out once.
    """
    await cancel_reminders(conn, request_id)
    sent = {
        (r.recipient, r.offset_minutes, r.due_at)
        for r in await conn.execute(
            select(reminders.c.recipient, reminders.c.offset_minutes, reminders.c.due_at).where(
                reminders.c.request_id == request_id
            )
        )
    }
    rows = [
        {
            "request_id": request_id,
            "recipient": recipient,
            "offset_minutes": offset,
            "due_at": due_at,
            "status": "pending",
        }
        for recipient, offset, due_at in due
        if (recipient, offset, due_at) not in sent
    ]
    if rows:
        await conn.execute(insert(reminders), rows)


async def cancel_reminders(conn: AsyncConnection, request_id: int) -> None:
    """Forget reminders that have not gone out; sent ones stay as the record of what went."""
    await conn.execute(
        delete(reminders).where(
            reminders.c.request_id == request_id, reminders.c.status == "pending"
        )
    )


@dataclass(frozen=True)
class DueReminder:
    id: int
    request_id: int
    recipient: str
    offset_minutes: int
    due_at: datetime


async def claim_due_reminders(
    conn: AsyncConnection, *, now: datetime, limit: int = 50
) -> list[DueReminder]:
    """Due reminders, marked sent in this same transaction (the email is queued with them).

    FOR UPDATE SKIP LOCKED on PostgreSQL lets several app processes share the work without
    ever taking the same row; SQLite's write transactions are exclusive anyway.
    """
    statement = (
        select(reminders)
        .where(reminders.c.status == "pending", reminders.c.due_at <= now)
        .order_by(reminders.c.due_at, reminders.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    rows = (await conn.execute(statement)).all()
    if rows:
        await conn.execute(
            update(reminders)
            .where(reminders.c.id.in_([r.id for r in rows]))
            .values(status="sent", sent_at=now)
        )
    return [DueReminder(r.id, r.request_id, r.recipient, r.offset_minutes, r.due_at) for r in rows]


async def pending_reminders(
    conn: AsyncConnection, request_id: int
) -> list[tuple[str, int, datetime]]:
    rows = await conn.execute(
        select(reminders.c.recipient, reminders.c.offset_minutes, reminders.c.due_at)
        .where(reminders.c.request_id == request_id, reminders.c.status == "pending")
        .order_by(reminders.c.due_at, reminders.c.recipient)
    )
    return [(r.recipient, r.offset_minutes, r.due_at) for r in rows]
