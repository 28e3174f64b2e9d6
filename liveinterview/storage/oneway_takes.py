"""The candidate's side of one-way interviews in SQL: the recorded takes (the interview and its
question snapshot are read through `storage.oneway`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from liveinterview.domain.oneway import InterviewState, Take, TakeStatus
from liveinterview.storage.tables import (
    oneway_interviews,
    oneway_takes,
)


@dataclass(frozen=True)
class TakeRecord:
    id: int
    interview_id: int
    question: int
    attempt: int
    status: TakeStatus
    started_at: datetime
    ended_at: datetime | None
    duration_ms: int | None
    directory: str
    file: str | None

    def as_take(self) -> Take:
        return Take(
            self.id, self.question, self.attempt, self.status, self.started_at, self.ended_at
        )


def _take(row: Row[Any]) -> TakeRecord:
    return TakeRecord(
        id=row.id,
        interview_id=row.interview_id,
        question=row.question_idx,
        attempt=row.attempt,
        status=TakeStatus(row.status),
        started_at=row.started_at,
        ended_at=row.ended_at,
        duration_ms=row.duration_ms,
        directory=row.directory,
        file=row.file,
    )


async def takes_of(conn: AsyncConnection, interview_id: int) -> list[TakeRecord]:
    rows = await conn.execute(
        select(oneway_takes)
        .where(oneway_takes.c.interview_id == interview_id)
        .order_by(oneway_takes.c.id)
    )
    return [_take(row) for row in rows]


async def get_take(conn: AsyncConnection, take_id: int) -> TakeRecord | None:
    row = (await conn.execute(select(oneway_takes).where(oneway_takes.c.id == take_id))).first()
    return _take(row) if row is not None else None


async def add_take(
    conn: AsyncConnection,
    *,
    interview_id: int,
    question: int,
    attempt: int,
    started_at: datetime,
    directory_of: Callable[[int], str],
) -> TakeRecord:
    """A new take in `recording`; `directory_of(take_id)` names its directory."""
    take_id = (
        await conn.execute(
            insert(oneway_takes)
            .values(
                interview_id=interview_id,
                question_idx=question,
                attempt=attempt,
                status=TakeStatus.RECORDING.value,
                started_at=started_at,
                directory="",
            )
            .returning(oneway_takes.c.id)
        )
    ).scalar_one()
    directory = str(directory_of(take_id))
    await conn.execute(
        update(oneway_takes).where(oneway_takes.c.id == take_id).values(directory=directory)
    )
    record = await get_take(conn, take_id)
    assert record is not None
    return record


async def finish_take(
    conn: AsyncConnection,
    take_id: int,
    *,
    status: TakeStatus,
    ended_at: datetime,
    duration_ms: int | None,
    file: str | None,
) -> None:
    await conn.execute(
        update(oneway_takes)
        .where(oneway_takes.c.id == take_id)
        .values(status=status.value, ended_at=ended_at, duration_ms=duration_ms, file=file)
    )


async def set_status(conn: AsyncConnection, take_ids: Iterable[int], status: TakeStatus) -> None:
    ids = list(take_ids)
    if ids:
        await conn.execute(
            update(oneway_takes).where(oneway_takes.c.id.in_(ids)).values(status=status.value)
        )


async def discard_take(conn: AsyncConnection, take_id: int, *, ended_at: datetime) -> None:
    await conn.execute(
        update(oneway_takes)
        .where(oneway_takes.c.id == take_id)
        .values(status=TakeStatus.DISCARDED.value, ended_at=ended_at, file=None)
    )


async def mark_joined(conn: AsyncConnection, interview_id: int, now: datetime) -> None:
    """Consent stored (the latest); invited -> started the first time."""
    await conn.execute(
        update(oneway_interviews)
        .where(oneway_interviews.c.id == interview_id)
        .values(consent_at=now, updated_at=now)
    )
    await conn.execute(
        update(oneway_interviews)
        .where(
            oneway_interviews.c.id == interview_id,
            oneway_interviews.c.state == InterviewState.INVITED.value,
        )
        .values(state=InterviewState.STARTED.value, started_at=now)
    )


async def mark_completed(conn: AsyncConnection, interview_id: int, now: datetime) -> None:
    await conn.execute(
        update(oneway_interviews)
        .where(oneway_interviews.c.id == interview_id)
        .values(state=InterviewState.COMPLETED.value, completed_at=now, updated_at=now)
    )


async def unfinished_takes(conn: AsyncConnection) -> list[TakeRecord]:
    """Takes a stopped server left behind: still `recording`, and practice takes with media
    (practice is deleted when its connection ends, which a crash skipped)."""
    rows = await conn.execute(
        select(oneway_takes).where(
            (oneway_takes.c.status == TakeStatus.RECORDING.value)
            | (
                (oneway_takes.c.question_idx < 0)
                & (oneway_takes.c.status != TakeStatus.DISCARDED.value)
            )
        )
    )
    return [_take(row) for row in rows]
