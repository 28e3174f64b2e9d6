"""Interviewers' working hours, overrides, limits, and busy times imported from calendars."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from liveinterview.storage.tables import (
    availability_overrides,
    busy_times,
    calendar_sources,
    interviewer_settings,
    users,
    weekly_hours,
)

MinuteRange = tuple[int, int]  # minutes after local midnight; 1440 = the end of the day


@dataclass(frozen=True)
class InterviewerPrefs:
    """An interviewer's scheduling settings (defaults apply until they save their own)."""

    user_id: int
    timezone: str
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    max_per_day: int | None = None
    max_per_week: int | None = None
    min_notice_minutes: int = 720


@dataclass(frozen=True)
class CalendarSource:
    id: int
    user_id: int
    kind: str  # feed | upload
    label: str
    url: str | None
    status: str  # pending | ok | error
    error: str
    event_count: int
    created_at: datetime
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    next_fetch_at: datetime | None


async def prefs_for(conn: AsyncConnection, user_ids: Sequence[int]) -> dict[int, InterviewerPrefs]:
    """Settings of each user; users who never saved any get the defaults and their zone."""
    rows = await conn.execute(
        select(users.c.id, users.c.timezone, interviewer_settings)
        .select_from(
            users.outerjoin(interviewer_settings, interviewer_settings.c.user_id == users.c.id)
        )
        .where(users.c.id.in_(list(user_ids)))
    )
    found: dict[int, InterviewerPrefs] = {}
    for row in rows:
        if row.user_id is None:
            found[row.id] = InterviewerPrefs(row.id, row.timezone)
        else:
            found[row.id] = InterviewerPrefs(
                user_id=row.id,
                timezone=row.timezone,
                buffer_before_minutes=row.buffer_before_minutes,
                buffer_after_minutes=row.buffer_after_minutes,
                max_per_day=row.max_per_day,
                max_per_week=row.max_per_week,
                min_notice_minutes=row.min_notice_minutes,
            )
    return found


async def save_prefs(conn: AsyncConnection, prefs: InterviewerPrefs, now: datetime) -> None:
    values = {
        "buffer_before_minutes": prefs.buffer_before_minutes,
        "buffer_after_minutes": prefs.buffer_after_minutes,
        "max_per_day": prefs.max_per_day,
        "max_per_week": prefs.max_per_week,
        "min_notice_minutes": prefs.min_notice_minutes,
        "updated_at": now,
    }
    await conn.execute(
        update(users).where(users.c.id == prefs.user_id).values(timezone=prefs.timezone)
    )
    result = await conn.execute(
        update(interviewer_settings)
        .where(interviewer_settings.c.user_id == prefs.user_id)
        .values(**values)
    )
    if not result.rowcount:
        await conn.execute(insert(interviewer_settings).values(user_id=prefs.user_id, **values))


async def weekly_for(
    conn: AsyncConnection, user_ids: Sequence[int]
) -> dict[int, dict[int, list[MinuteRange]]]:
    """user id -> weekday (0 = Monday) -> sorted minute ranges."""
    result: dict[int, dict[int, list[MinuteRange]]] = {uid: {} for uid in user_ids}
    rows = await conn.execute(
        select(weekly_hours)
        .where(weekly_hours.c.user_id.in_(list(user_ids)))
        .order_by(weekly_hours.c.weekday, weekly_hours.c.start_minute)
    )
    for row in rows:
        result[row.user_id].setdefault(row.weekday, []).append((row.start_minute, row.end_minute))
    return result


async def replace_weekly(
    conn: AsyncConnection, user_id: int, hours: dict[int, list[MinuteRange]]
) -> None:
    await conn.execute(delete(weekly_hours).where(weekly_hours.c.user_id == user_id))
    rows = [
        {"user_id": user_id, "weekday": day, "start_minute": start, "end_minute": end}
        for day, ranges in sorted(hours.items())
        for start, end in ranges
    ]
    if rows:
        await conn.execute(insert(weekly_hours), rows)


async def overrides_for(
    conn: AsyncConnection, user_ids: Sequence[int], *, since: date | None = None
) -> dict[int, dict[date, list[MinuteRange]]]:
    """user id -> local date -> minute ranges ([] = day off)."""
    result: dict[int, dict[date, list[MinuteRange]]] = {uid: {} for uid in user_ids}
    query = select(availability_overrides).where(
        availability_overrides.c.user_id.in_(list(user_ids))
    )
    if since is not None:
        query = query.where(availability_overrides.c.day >= since)
    for row in await conn.execute(query.order_by(availability_overrides.c.day)):
        result[row.user_id][row.day] = [(int(a), int(b)) for a, b in row.ranges]
    return result


async def set_override(
    conn: AsyncConnection, user_id: int, day: date, ranges: list[MinuteRange]
) -> None:
    await delete_override(conn, user_id, day)
    await conn.execute(
        insert(availability_overrides).values(
            user_id=user_id, day=day, ranges=[list(r) for r in ranges]
        )
    )


async def delete_override(conn: AsyncConnection, user_id: int, day: date) -> None:
    await conn.execute(
        delete(availability_overrides).where(
            availability_overrides.c.user_id == user_id, availability_overrides.c.day == day
        )
    )


# --- calendar sources and their busy times --------------------------------------------------


def _source(row: Row[Any]) -> CalendarSource:
    return CalendarSource(
        id=row.id,
        user_id=row.user_id,
        kind=row.kind,
        label=row.label,
        url=row.url,
        status=row.status,
        error=row.error,
        event_count=row.event_count,
        created_at=row.created_at,
        last_attempt_at=row.last_attempt_at,
        last_success_at=row.last_success_at,
        next_fetch_at=row.next_fetch_at,
    )


async def sources_for(conn: AsyncConnection, user_ids: Sequence[int]) -> list[CalendarSource]:
    rows = await conn.execute(
        select(calendar_sources)
        .where(calendar_sources.c.user_id.in_(list(user_ids)))
        .order_by(calendar_sources.c.id)
    )
    return [_source(row) for row in rows]


async def get_source(conn: AsyncConnection, source_id: int) -> CalendarSource | None:
    row = (
        await conn.execute(select(calendar_sources).where(calendar_sources.c.id == source_id))
    ).first()
    return _source(row) if row is not None else None


async def add_source(
    conn: AsyncConnection,
    *,
    user_id: int,
    kind: str,
    label: str,
    url: str | None,
    now: datetime,
) -> int:
    result = await conn.execute(
        insert(calendar_sources)
        .values(
            user_id=user_id,
            kind=kind,
            label=label[:200],
            url=url,
            status="pending",
            error="",
            event_count=0,
            created_at=now,
            next_fetch_at=now if kind == "feed" else None,
        )
        .returning(calendar_sources.c.id)
    )
    return int(result.scalar_one())


async def delete_source(conn: AsyncConnection, source_id: int) -> None:
    await conn.execute(delete(busy_times).where(busy_times.c.source_id == source_id))
    await conn.execute(delete(calendar_sources).where(calendar_sources.c.id == source_id))


async def replace_busy(
    conn: AsyncConnection,
    source_id: int,
    intervals: Iterable[tuple[datetime, datetime]],
    *,
    now: datetime,
    next_fetch_at: datetime | None,
) -> int:
    """Swap a source's busy times for a freshly imported set, all or nothing."""
    await conn.execute(delete(busy_times).where(busy_times.c.source_id == source_id))
    rows = [{"source_id": source_id, "start_at": s, "end_at": e} for s, e in intervals]
    if rows:
        await conn.execute(insert(busy_times), rows)
    await conn.execute(
        update(calendar_sources)
        .where(calendar_sources.c.id == source_id)
        .values(
            status="ok",
            error="",
            event_count=len(rows),
            last_attempt_at=now,
            last_success_at=now,
            next_fetch_at=next_fetch_at,
            claimed_until=None,
        )
    )
    return len(rows)


async def mark_source_failed(
    conn: AsyncConnection,
    source_id: int,
    *,
    error: str,
    now: datetime,
    next_fetch_at: datetime | None,
) -> None:
    """Record why a source could not be read; its old busy times are kept but slots stop."""
    await conn.execute(
        update(calendar_sources)
        .where(calendar_sources.c.id == source_id)
        .values(
            status="error",
            error=error[:2000],
            last_attempt_at=now,
            next_fetch_at=next_fetch_at,
            claimed_until=None,
        )
    )


async def claim_source(
    conn: AsyncConnection, source_id: int, *, now: datetime, until: datetime
) -> bool:
    """Claim one feed for a refresh right now; False if another refresh holds it."""
    result = await conn.execute(
        update(calendar_sources)
        .where(
            calendar_sources.c.id == source_id,
            (calendar_sources.c.claimed_until.is_(None)) | (calendar_sources.c.claimed_until < now),
        )
        .values(claimed_until=until)
    )
    return (result.rowcount or 0) == 1


async def claim_due_feeds(
    conn: AsyncConnection, *, now: datetime, until: datetime, limit: int = 10
) -> list[CalendarSource]:
    """Feeds due for a refresh, claimed for this process until `until`."""
    query = (
        select(calendar_sources)
        .where(
            calendar_sources.c.kind == "feed",
            # Deactivated staff's calendars are not fetched (they are offered no interviews).
            calendar_sources.c.user_id.in_(select(users.c.id).where(users.c.is_active.is_(True))),
            calendar_sources.c.next_fetch_at <= now,
            (calendar_sources.c.claimed_until.is_(None)) | (calendar_sources.c.claimed_until < now),
        )
        .order_by(calendar_sources.c.next_fetch_at)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = (await conn.execute(query)).all()
    if rows:
        await conn.execute(
            update(calendar_sources)
            .where(calendar_sources.c.id.in_([r.id for r in rows]))
            .values(claimed_until=until)
        )
    return [_source(row) for row in rows]


async def busy_for(
    conn: AsyncConnection, user_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Imported busy intervals overlapping [start, end), per user."""
    result: dict[int, list[tuple[datetime, datetime]]] = {uid: [] for uid in user_ids}
    rows = await conn.execute(
        select(calendar_sources.c.user_id, busy_times.c.start_at, busy_times.c.end_at)
        .select_from(
            busy_times.join(calendar_sources, calendar_sources.c.id == busy_times.c.source_id)
        )
        .where(
            calendar_sources.c.user_id.in_(list(user_ids)),
            busy_times.c.start_at < end,
            busy_times.c.end_at > start,
        )
    )
    for user_id, s, e in rows:
        result[user_id].append((s, e))
    return result


async def broken_sources(conn: AsyncConnection, user_ids: Sequence[int]) -> dict[int, str]:
    """user id -> the error of a calendar that cannot be read (no slots are offered then)."""
    rows = await conn.execute(
        select(calendar_sources.c.user_id, calendar_sources.c.label, calendar_sources.c.error)
        .where(
            calendar_sources.c.user_id.in_(list(user_ids)),
            calendar_sources.c.status != "ok",
        )
        .order_by(calendar_sources.c.id)
    )
    problems: dict[int, str] = {}
    for user_id, label, error in rows:
        problems.setdefault(user_id, f"calendar {label!r} is not readable: {error or 'pending'}")
    return problems


# --- the interviewer's own feed -------------------------------------------------------------


async def feed_salt(conn: AsyncConnection, user_id: int) -> str | None:
    result = await conn.execute(
        select(interviewer_settings.c.feed_salt).where(interviewer_settings.c.user_id == user_id)
    )
    return result.scalar_one_or_none()


async def set_feed(
    conn: AsyncConnection, user_id: int, *, token_hash: str | None, salt: str | None, now: datetime
) -> None:
    """Store (or with None, remove) the hash and salt of an interviewer's feed token."""
    values = {"feed_token_hash": token_hash, "feed_salt": salt, "updated_at": now}
    result = await conn.execute(
        update(interviewer_settings)
        .where(interviewer_settings.c.user_id == user_id)
        .values(**values)
    )
    if not result.rowcount:
        await conn.execute(insert(interviewer_settings).values(user_id=user_id, **values))


async def feed_owner(conn: AsyncConnection, token_hash: str) -> int | None:
    """The active interviewer whose feed token has this hash."""
    result = await conn.execute(
        select(interviewer_settings.c.user_id)
        .select_from(interviewer_settings.join(users, users.c.id == interviewer_settings.c.user_id))
        .where(interviewer_settings.c.feed_token_hash == token_hash, users.c.is_active.is_(True))
    )
    return result.scalar_one_or_none()
