"""Interview requests, their panels, bookings, candidate links, history and reminders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from liveinterview.domain.interviews import Panel, RequestStatus
from liveinterview.storage.tables import (
    bookings,
    interview_requests,
    panel_members,
    request_events,
    users,
)

REQUIRED = -1  # panel_members.pool for required interviewers


@dataclass(frozen=True)
class InterviewRecord:
    id: int
    uid: str
    recruiter_id: int
    recruiter_name: str
    recruiter_email: str
    candidate_name: str
    candidate_email: str
    candidate_timezone: str | None
    position: str
    duration_minutes: int
    step_minutes: int
    window_start: datetime
    window_end: datetime
    window_timezone: str
    recorded: bool
    auto_admit: bool
    note: str
    status: RequestStatus  # as stored; see domain.interviews.effective_status
    start_at: datetime | None
    end_at: datetime | None
    sequence: int
    reschedule_count: int
    created_at: datetime
    updated_at: datetime
    room_ended_at: datetime | None = None


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    kind: str
    details: dict[str, Any]


@dataclass(frozen=True)
class PanelPerson:
    user_id: int
    name: str
    email: str
    timezone: str
    pool: int  # REQUIRED or the pool index


def _select_requests() -> Any:
    recruiter = users.alias("recruiter")
    return select(
        interview_requests,
        recruiter.c.name.label("recruiter_name"),
        recruiter.c.email.label("recruiter_email"),
    ).select_from(
        interview_requests.join(recruiter, recruiter.c.id == interview_requests.c.recruiter_id)
    )


def _record(row: Row[Any]) -> InterviewRecord:
    return InterviewRecord(
        id=row.id,
        uid=row.uid,
        recruiter_id=row.recruiter_id,
        recruiter_name=row.recruiter_name,
        recruiter_email=row.recruiter_email,
        candidate_name=row.candidate_name,
        candidate_email=row.candidate_email,
        candidate_timezone=row.candidate_timezone,
        position=row.position,
        duration_minutes=row.duration_minutes,
        step_minutes=row.step_minutes,
        window_start=row.window_start,
        window_end=row.window_end,
        window_timezone=row.window_timezone,
        recorded=row.recorded,
        auto_admit=row.auto_admit,
        note=row.note,
        status=RequestStatus(row.status),
        start_at=row.start_at,
        end_at=row.end_at,
        sequence=row.sequence,
        reschedule_count=row.reschedule_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
        room_ended_at=row.room_ended_at,
    )


async def create_request(
    conn: AsyncConnection,
    *,
    uid: str,
    recruiter_id: int,
    candidate_name: str,
    candidate_email: str,
    position: str,
    duration_minutes: int,
    step_minutes: int,
    window_start: datetime,
    window_end: datetime,
    recorded: bool,
    note: str,
    panel: Panel,
    now: datetime,
    auto_admit: bool = False,
    window_timezone: str = "UTC",
) -> int:
    result = await conn.execute(
        insert(interview_requests)
        .values(
            uid=uid,
            recruiter_id=recruiter_id,
            candidate_name=candidate_name,
            candidate_email=candidate_email,
            position=position,
            duration_minutes=duration_minutes,
            step_minutes=step_minutes,
            window_start=window_start,
            window_end=window_end,
            window_timezone=window_timezone,
            recorded=recorded,
            auto_admit=auto_admit,
            note=note,
            status=RequestStatus.AWAITING.value,
            sequence=0,
            reschedule_count=0,
            created_at=now,
            updated_at=now,
        )
        .returning(interview_requests.c.id)
    )
    request_id = int(result.scalar_one())
    rows = [{"request_id": request_id, "pool": REQUIRED, "user_id": u} for u in panel.required]
    for index, pool in enumerate(panel.pools):
        rows += [{"request_id": request_id, "pool": index, "user_id": u} for u in pool]
    await conn.execute(insert(panel_members), rows)
    return request_id


async def get_request(
    conn: AsyncConnection, request_id: int, *, for_update: bool = False
) -> InterviewRecord | None:
    """The request; `for_update` locks its row on PostgreSQL so changes to it serialize."""
    if for_update and conn.dialect.name == "postgresql":
        await conn.execute(
            select(interview_requests.c.id)
            .where(interview_requests.c.id == request_id)
            .with_for_update()
        )
    row = (
        await conn.execute(_select_requests().where(interview_requests.c.id == request_id))
    ).first()
    return _record(row) if row is not None else None


async def panel_of(conn: AsyncConnection, request_id: int) -> list[PanelPerson]:
    rows = await conn.execute(
        select(panel_members.c.pool, users.c.id, users.c.name, users.c.email, users.c.timezone)
        .select_from(panel_members.join(users, users.c.id == panel_members.c.user_id))
        .where(panel_members.c.request_id == request_id)
        .order_by(panel_members.c.pool, users.c.name)
    )
    return [PanelPerson(r.id, r.name, r.email, r.timezone, r.pool) for r in rows]


def panel_from(people: Sequence[PanelPerson]) -> Panel:
    required = tuple(p.user_id for p in people if p.pool == REQUIRED)
    pool_count = max((p.pool for p in people), default=REQUIRED) + 1
    pools = tuple(
        tuple(p.user_id for p in people if p.pool == index) for index in range(pool_count)
    )
    return Panel(required, pools)


async def list_requests(
    conn: AsyncConnection,
    *,
    now: datetime,
    status: RequestStatus | None = None,
    query: str = "",
    recruiter_id: int | None = None,
    interviewer_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[InterviewRecord], int]:
    """A page of requests matching the filters, newest activity first, and the total."""
    statement = _select_requests()
    conditions: list[Any] = []
    if status is RequestStatus.DONE:
        conditions.append(
            and_(
                interview_requests.c.status == RequestStatus.SCHEDULED.value,
                interview_requests.c.end_at <= now,
            )
        )
    elif status is RequestStatus.SCHEDULED:
        conditions.append(
            and_(
                interview_requests.c.status == RequestStatus.SCHEDULED.value,
                interview_requests.c.end_at > now,
            )
        )
    elif status is not None:
        conditions.append(interview_requests.c.status == status.value)
    if query:
        pattern = f"%{query.lower()}%"
        conditions.append(
            or_(
                func.lower(interview_requests.c.candidate_name).like(pattern),
                func.lower(interview_requests.c.candidate_email).like(pattern),
                func.lower(interview_requests.c.position).like(pattern),
            )
        )
    if recruiter_id is not None:
        conditions.append(interview_requests.c.recruiter_id == recruiter_id)
    if interviewer_id is not None:
        conditions.append(
            interview_requests.c.id.in_(
                select(bookings.c.request_id).where(
                    bookings.c.interviewer_id == interviewer_id, bookings.c.active.is_(True)
                )
            )
        )
    if conditions:
        statement = statement.where(and_(*conditions))
    total_query = select(func.count()).select_from(
        interview_requests.select().where(and_(*conditions)).subquery()
        if conditions
        else interview_requests
    )
    total = int((await conn.execute(total_query)).scalar_one())
    rows = await conn.execute(
        statement.order_by(
            interview_requests.c.start_at.is_(None).desc(),
            interview_requests.c.start_at,
            interview_requests.c.updated_at.desc(),
        )
        .limit(limit)
        .offset(offset)
    )
    return [_record(r) for r in rows], total


async def status_counts(
    conn: AsyncConnection, *, now: datetime, recruiter_id: int | None = None
) -> dict[RequestStatus, int]:
    counts = dict.fromkeys(RequestStatus, 0)
    statement = select(
        interview_requests.c.status,
        (interview_requests.c.end_at <= now).label("past"),
        func.count(),
    ).group_by(interview_requests.c.status, "past")
    if recruiter_id is not None:
        statement = statement.where(interview_requests.c.recruiter_id == recruiter_id)
    for status, past, count in await conn.execute(statement):
        if status == RequestStatus.SCHEDULED.value and past:
            counts[RequestStatus.DONE] += count
        else:
            counts[RequestStatus(status)] += count
    return counts


async def mark_scheduled(
    conn: AsyncConnection,
    request_id: int,
    *,
    start: datetime,
    end: datetime,
    candidate_timezone: str | None,
    sequence: int,
    reschedule_count: int,
    now: datetime,
) -> None:
    values: dict[str, Any] = {
        "status": RequestStatus.SCHEDULED.value,
        "start_at": start,
        "end_at": end,
        "sequence": sequence,
        "reschedule_count": reschedule_count,
        "updated_at": now,
    }
    if candidate_timezone is not None:
        values["candidate_timezone"] = candidate_timezone
    await conn.execute(
        update(interview_requests).where(interview_requests.c.id == request_id).values(**values)
    )


async def mark_cancelled(
    conn: AsyncConnection, request_id: int, *, sequence: int, now: datetime
) -> None:
    await conn.execute(
        update(interview_requests)
        .where(interview_requests.c.id == request_id)
        .values(status=RequestStatus.CANCELLED.value, sequence=sequence, updated_at=now)
    )


async def interviews_of(
    conn: AsyncConnection, user_id: int, *, since: datetime, include_cancelled: bool
) -> list[InterviewRecord]:
    """Interviews an interviewer is booked for starting after `since`, and optionally those
    they were booked for when the whole interview was cancelled."""
    active = select(bookings.c.request_id).where(
        bookings.c.interviewer_id == user_id, bookings.c.active.is_(True)
    )
    condition: ColumnElement[bool] = interview_requests.c.id.in_(active)
    if include_cancelled:
        ever = select(bookings.c.request_id).where(bookings.c.interviewer_id == user_id)
        condition = or_(
            condition,
            and_(
                interview_requests.c.id.in_(ever),
                interview_requests.c.status == RequestStatus.CANCELLED.value,
            ),
        )
    statement = (
        _select_requests()
        .where(condition, interview_requests.c.start_at >= since)
        .order_by(interview_requests.c.start_at)
    )
    return [_record(r) for r in await conn.execute(statement)]


async def mark_room_ended(conn: AsyncConnection, request_id: int, *, now: datetime) -> None:
    await conn.execute(
        update(interview_requests)
        .where(interview_requests.c.id == request_id, interview_requests.c.room_ended_at.is_(None))
        .values(room_ended_at=now, updated_at=now)
    )


# --- history ----------------------------------------------------------------------------


async def add_event(
    conn: AsyncConnection,
    request_id: int,
    *,
    at: datetime,
    actor_id: int | None,
    actor: str,
    kind: str,
    details: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        insert(request_events).values(
            request_id=request_id,
            at=at,
            actor_id=actor_id,
            actor=actor[:120],
            kind=kind,
            details=details or {},
        )
    )


async def history(conn: AsyncConnection, request_id: int) -> list[HistoryEntry]:
    rows = await conn.execute(
        select(request_events)
        .where(request_events.c.request_id == request_id)
        .order_by(request_events.c.at, request_events.c.id)
    )
    return [HistoryEntry(r.at, r.actor, r.kind, dict(r.details)) for r in rows]
