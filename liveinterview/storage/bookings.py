"""Booked time per interviewer; PostgreSQL's exclusion constraint is the final guard."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from liveinterview.storage.interviews import REQUIRED, PanelPerson
from liveinterview.storage.tables import bookings, users


class BookingCollision(Exception):
    """The database refused a booking because it overlaps another one (the final guard)."""


async def active_bookings(
    conn: AsyncConnection,
    user_ids: Sequence[int],
    start: datetime,
    end: datetime,
    *,
    exclude_request_id: int | None = None,
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Each interviewer's active interviews that start in [start, end), for slot checks."""
    result: dict[int, list[tuple[datetime, datetime]]] = {uid: [] for uid in user_ids}
    statement = select(bookings.c.interviewer_id, bookings.c.start_at, bookings.c.end_at).where(
        bookings.c.interviewer_id.in_(list(user_ids)),
        bookings.c.active.is_(True),
        bookings.c.end_at > start,
        bookings.c.start_at < end,
    )
    if exclude_request_id is not None:
        statement = statement.where(bookings.c.request_id != exclude_request_id)
    for user_id, s, e in await conn.execute(statement):
        result[user_id].append((s, e))
    return result


async def upcoming_load(
    conn: AsyncConnection, user_ids: Sequence[int], now: datetime
) -> dict[int, int]:
    """How many upcoming interviews each interviewer has: the fairness measure for pools."""
    load = dict.fromkeys(user_ids, 0)
    rows = await conn.execute(
        select(bookings.c.interviewer_id, func.count())
        .where(
            bookings.c.interviewer_id.in_(list(user_ids)),
            bookings.c.active.is_(True),
            bookings.c.start_at >= now,
        )
        .group_by(bookings.c.interviewer_id)
    )
    for user_id, count in rows:
        load[user_id] = int(count)
    return load


async def add_bookings(
    conn: AsyncConnection,
    *,
    request_id: int,
    start: datetime,
    end: datetime,
    busy: dict[int, tuple[datetime, datetime]],
    now: datetime,
) -> None:
    """One booking row per interviewer; `busy` is each one's range widened by buffers.

    Raises BookingCollision when PostgreSQL's exclusion constraint finds an overlap that a
    concurrent transaction committed after our availability check.
    """
    rows = [
        {
            "request_id": request_id,
            "interviewer_id": user_id,
            "start_at": start,
            "end_at": end,
            "busy_from": busy_from,
            "busy_until": busy_until,
            "active": True,
            "created_at": now,
        }
        # One order for every transaction: two bookings sharing interviewers then wait on
        # each other instead of deadlocking.
        for user_id, (busy_from, busy_until) in sorted(busy.items())
    ]
    try:
        await conn.execute(insert(bookings), rows)
    except IntegrityError as exc:
        if "ex_bookings_no_overlap" in str(exc.orig):
            raise BookingCollision(str(exc.orig)) from exc
        raise
    except DBAPIError as exc:
        # Belt and braces: should PostgreSQL still pick us as a deadlock victim, the other
        # booking won; for the candidate that is the same as losing the race.
        if "deadlock detected" in str(exc.orig):
            raise BookingCollision(str(exc.orig)) from exc
        raise


async def release_bookings(conn: AsyncConnection, request_id: int) -> None:
    await conn.execute(
        update(bookings)
        .where(bookings.c.request_id == request_id, bookings.c.active.is_(True))
        .values(active=False)
    )


async def booked_interviewers(conn: AsyncConnection, request_id: int) -> list[PanelPerson]:
    """The interviewers holding the request's active booking (pool choices resolved)."""
    rows = await conn.execute(
        select(users.c.id, users.c.name, users.c.email, users.c.timezone)
        .select_from(bookings.join(users, users.c.id == bookings.c.interviewer_id))
        .where(bookings.c.request_id == request_id, bookings.c.active.is_(True))
        .order_by(bookings.c.id)
    )
    return [PanelPerson(r.id, r.name, r.email, r.timezone, REQUIRED) for r in rows]
