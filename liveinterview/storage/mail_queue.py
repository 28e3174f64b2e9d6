"""The outgoing mail queue: rows written with the business change, delivered after commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from liveinterview.storage.tables import mail_queue


@dataclass(frozen=True)
class QueuedMail:
    id: int
    recipient: str
    message: bytes
    attempts: int


async def enqueue(
    conn: AsyncConnection,
    *,
    message: bytes,
    recipient: str,
    subject: str,
    now: datetime,
    dedupe_key: str | None = None,
) -> int | None:
    """Queue one message; None when a message with the same dedupe key was queued before."""
    if dedupe_key is not None:
        existing = await conn.execute(
            select(mail_queue.c.id).where(mail_queue.c.dedupe_key == dedupe_key)
        )
        if existing.first() is not None:
            return None
    result = await conn.execute(
        insert(mail_queue)
        .values(
            created_at=now,
            recipient=recipient,
            subject=subject[:300],
            message=message,
            dedupe_key=dedupe_key,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            last_error="",
        )
        .returning(mail_queue.c.id)
    )
    return int(result.scalar_one())


async def claim(
    conn: AsyncConnection,
    *,
    now: datetime,
    lease: timedelta,
    limit: int = 20,
    ids: Sequence[int] | None = None,
    fresh_grace: timedelta = timedelta(0),
) -> list[QueuedMail]:
    """Take due, unclaimed messages for this process until `now + lease`.

    `fresh_grace`: leave a message never tried yet alone until it has been queued this long
    (the work that queued it delivers it right after its commit; the loop is the fallback).
    On PostgreSQL rows locked by another process are skipped (FOR UPDATE SKIP LOCKED); on
    SQLite the write transaction is exclusive, so two claims never overlap there either.
    """
    condition = and_(
        mail_queue.c.status == "pending",
        mail_queue.c.next_attempt_at <= now,
        or_(mail_queue.c.claimed_until.is_(None), mail_queue.c.claimed_until < now),
    )
    if fresh_grace:
        condition = and_(
            condition,
            or_(mail_queue.c.attempts > 0, mail_queue.c.next_attempt_at <= now - fresh_grace),
        )
    if ids is not None:
        condition = and_(condition, mail_queue.c.id.in_(list(ids)))
    query = (
        select(mail_queue.c.id, mail_queue.c.recipient, mail_queue.c.message, mail_queue.c.attempts)
        .where(condition)
        .order_by(mail_queue.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = (await conn.execute(query)).all()
    if not rows:
        return []
    await conn.execute(
        update(mail_queue)
        .where(mail_queue.c.id.in_([r.id for r in rows]))
        .values(claimed_until=now + lease)
    )
    return [QueuedMail(r.id, r.recipient, r.message, r.attempts) for r in rows]


async def mark_sent(conn: AsyncConnection, mail_id: int, now: datetime) -> None:
    await conn.execute(
        update(mail_queue)
        .where(mail_queue.c.id == mail_id)
        .values(
            status="sent",
            sent_at=now,
            claimed_until=None,
            attempts=mail_queue.c.attempts + 1,
        )
    )


async def mark_failed(
    conn: AsyncConnection, mail_id: int, *, error: str, retry_at: datetime | None
) -> None:
    """Record a failed attempt: retry at `retry_at`, or give up when it is None."""
    await conn.execute(
        update(mail_queue)
        .where(mail_queue.c.id == mail_id)
        .values(
            status="pending" if retry_at is not None else "failed",
            next_attempt_at=retry_at if retry_at is not None else mail_queue.c.next_attempt_at,
            claimed_until=None,
            attempts=mail_queue.c.attempts + 1,
            last_error=error[:2000],
        )
    )


async def counts(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(
        select(mail_queue.c.status, func.count()).group_by(mail_queue.c.status)
    )
    return {status: int(n) for status, n in rows}
