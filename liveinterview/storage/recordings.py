"""Recordings, consents, the in-call session log and composition jobs in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from liveinterview.storage.tables import (
    compose_jobs,
    recording_consents,
    recordings,
    session_events,
)


@dataclass(frozen=True)
class RecordingRecord:
    id: int
    request_id: int
    status: str
    directory: str
    started_at: datetime
    stopped_at: datetime | None
    failure: str
    review_file: str | None
    review_seconds: int | None
    expires_at: datetime
    deleted_at: datetime | None


@dataclass(frozen=True)
class SessionEvent:
    at: datetime
    kind: str
    participant: str
    name: str
    text: str
    interviewers_only: bool


@dataclass(frozen=True)
class ComposeJob:
    id: int
    recording_id: int
    attempts: int


def _recording(row: Row[Any]) -> RecordingRecord:
    return RecordingRecord(
        id=row.id,
        request_id=row.request_id,
        status=row.status,
        directory=row.directory,
        started_at=row.started_at,
        stopped_at=row.stopped_at,
        failure=row.failure,
        review_file=row.review_file,
        review_seconds=row.review_seconds,
        expires_at=row.expires_at,
        deleted_at=row.deleted_at,
    )


async def recording_of(conn: AsyncConnection, request_id: int) -> RecordingRecord | None:
    row = (
        await conn.execute(select(recordings).where(recordings.c.request_id == request_id))
    ).first()
    return _recording(row) if row is not None else None


async def get_recording(conn: AsyncConnection, recording_id: int) -> RecordingRecord | None:
    row = (await conn.execute(select(recordings).where(recordings.c.id == recording_id))).first()
    return _recording(row) if row is not None else None


async def start_recording(
    conn: AsyncConnection, request_id: int, *, directory: str, now: datetime, expires_at: datetime
) -> RecordingRecord:
    """The interview's recording row, created on the first start (restarts keep it)."""
    existing = await recording_of(conn, request_id)
    if existing is not None:
        return existing
    await conn.execute(
        insert(recordings).values(
            request_id=request_id,
            status="recording",
            directory=directory,
            started_at=now,
            failure="",
            expires_at=expires_at,
            updated_at=now,
        )
    )
    created = await recording_of(conn, request_id)
    assert created is not None
    return created


async def set_status(
    conn: AsyncConnection,
    recording_id: int,
    status: str,
    *,
    now: datetime,
    failure: str | None = None,
    stopped: bool = False,
) -> None:
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if failure is not None:
        values["failure"] = failure[:2000]
    if stopped:
        values["stopped_at"] = now
    await conn.execute(update(recordings).where(recordings.c.id == recording_id).values(**values))


async def set_review_file(
    conn: AsyncConnection, recording_id: int, *, name: str, seconds: int, now: datetime
) -> None:
    await conn.execute(
        update(recordings)
        .where(recordings.c.id == recording_id)
        .values(status="ready", review_file=name, review_seconds=seconds, failure="",
                updated_at=now)
    )  # fmt: skip


async def mark_deleted(conn: AsyncConnection, recording_id: int, *, now: datetime) -> None:
    await conn.execute(
        update(recordings)
        .where(recordings.c.id == recording_id)
        .values(status="deleted", deleted_at=now, updated_at=now)
    )


async def expired(conn: AsyncConnection, now: datetime) -> list[RecordingRecord]:
    rows = await conn.execute(
        select(recordings).where(recordings.c.expires_at <= now, recordings.c.deleted_at.is_(None))
    )
    return [_recording(row) for row in rows]


async def still_recording(conn: AsyncConnection) -> list[RecordingRecord]:
    rows = await conn.execute(select(recordings).where(recordings.c.status == "recording"))
    return [_recording(row) for row in rows]


# --- consents and the session log ---------------------------------------------------------


async def add_consent(
    conn: AsyncConnection, request_id: int, *, participant: str, name: str, at: datetime
) -> None:
    await conn.execute(
        insert(recording_consents).values(
            request_id=request_id, participant=participant, name=name[:120], at=at
        )
    )


async def consents(conn: AsyncConnection, request_id: int) -> list[tuple[str, str, datetime]]:
    rows = await conn.execute(
        select(recording_consents.c.participant, recording_consents.c.name,
               recording_consents.c.at)
        .where(recording_consents.c.request_id == request_id)
        .order_by(recording_consents.c.at)
    )  # fmt: skip
    return [(r.participant, r.name, r.at) for r in rows]


async def add_session_event(
    conn: AsyncConnection,
    request_id: int,
    *,
    at: datetime,
    kind: str,
    participant: str,
    name: str,
    text: str = "",
    interviewers_only: bool = False,
) -> None:
    await conn.execute(
        insert(session_events).values(
            request_id=request_id,
            at=at,
            kind=kind,
            participant=participant,
            name=name[:120],
            text=text,
            interviewers_only=interviewers_only,
        )
    )


async def session_log(
    conn: AsyncConnection, request_id: int, *, with_notes: bool
) -> list[SessionEvent]:
    query = select(session_events).where(session_events.c.request_id == request_id)
    if not with_notes:
        query = query.where(session_events.c.interviewers_only.is_(False))
    rows = await conn.execute(query.order_by(session_events.c.at, session_events.c.id))
    return [
        SessionEvent(r.at, r.kind, r.participant, r.name, r.text, r.interviewers_only) for r in rows
    ]


# --- composition jobs ------------------------------------------------------------------------


async def enqueue_compose(conn: AsyncConnection, recording_id: int, *, now: datetime) -> None:
    """One open job per recording: a second request while one waits or runs changes nothing."""
    open_job = await conn.execute(
        select(compose_jobs.c.id).where(
            compose_jobs.c.recording_id == recording_id,
            compose_jobs.c.status.in_(["pending", "running"]),
        )
    )
    if open_job.first() is not None:
        return
    await conn.execute(
        insert(compose_jobs).values(
            recording_id=recording_id,
            status="pending",
            attempts=0,
            progress=0,
            error="",
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
    )


async def claim_compose(
    conn: AsyncConnection, *, now: datetime, lease: timedelta
) -> ComposeJob | None:
    """The next due job, or one whose worker died (its lease ran out), for this process."""
    query = (
        select(compose_jobs)
        .where(
            or_(
                and_(compose_jobs.c.status == "pending", compose_jobs.c.next_attempt_at <= now),
                and_(compose_jobs.c.status == "running", compose_jobs.c.claimed_until < now),
            )
        )
        .order_by(compose_jobs.c.next_attempt_at, compose_jobs.c.id)
        .limit(1)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    await conn.execute(
        update(compose_jobs)
        .where(compose_jobs.c.id == row.id)
        .values(
            status="running",
            attempts=compose_jobs.c.attempts + 1,
            claimed_until=now + lease,
            progress=0,
            updated_at=now,
        )
    )
    return ComposeJob(row.id, row.recording_id, row.attempts + 1)


async def job_progress(
    conn: AsyncConnection, job_id: int, *, per_mille: int, now: datetime, lease: timedelta
) -> None:
    """Progress also renews the lease: a live worker keeps its job."""
    await conn.execute(
        update(compose_jobs)
        .where(compose_jobs.c.id == job_id)
        .values(progress=max(0, min(1000, per_mille)), claimed_until=now + lease, updated_at=now)
    )


async def job_done(conn: AsyncConnection, job_id: int, *, now: datetime) -> None:
    await conn.execute(
        update(compose_jobs)
        .where(compose_jobs.c.id == job_id)
        .values(status="done", progress=1000, claimed_until=None, updated_at=now)
    )


async def job_failed(
    conn: AsyncConnection, job_id: int, *, error: str, now: datetime, retry_at: datetime | None
) -> None:
    await conn.execute(
        update(compose_jobs)
        .where(compose_jobs.c.id == job_id)
        .values(
            status="pending" if retry_at else "failed",
            error=error[:4000],
            claimed_until=None,
            next_attempt_at=retry_at or now,
            updated_at=now,
        )
    )


async def latest_job(conn: AsyncConnection, recording_id: int) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            select(compose_jobs)
            .where(compose_jobs.c.recording_id == recording_id)
            .order_by(compose_jobs.c.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return {
        "status": row.status,
        "progress": row.progress / 1000,
        "error": row.error,
        "attempts": row.attempts,
    }
