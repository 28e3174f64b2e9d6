"""One-way interviews in SQL: question sets, sent interviews with their question snapshots,
reviewers' ratings and recommendations, and reads of the recorded takes."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from liveinterview.domain.oneway import InterviewState, Question, TakeStatus
from liveinterview.storage.tables import (
    mail_queue,
    oneway_interviews,
    oneway_questions,
    oneway_ratings,
    oneway_takes,
    oneway_verdicts,
    question_sets,
    set_questions,
    users,
)

OPEN_STATES = (InterviewState.INVITED.value, InterviewState.STARTED.value)


# --- question sets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionSetRecord:
    id: int
    owner_id: int
    owner_name: str
    title: str
    archived: bool
    created_at: datetime
    updated_at: datetime
    questions: int = 0  # real questions (not the practice one)
    has_practice: bool = False


@dataclass(frozen=True)
class SetQuestion:
    id: int
    set_id: int
    position: int
    text: str
    prep_seconds: int
    answer_seconds: int
    attempts: int
    practice: bool


def _set_query() -> Any:
    real = (
        select(func.count())
        .where(set_questions.c.set_id == question_sets.c.id, set_questions.c.practice.is_(False))
        .scalar_subquery()
    )
    practice = (
        select(func.count())
        .where(set_questions.c.set_id == question_sets.c.id, set_questions.c.practice.is_(True))
        .scalar_subquery()
    )
    return select(
        question_sets,
        users.c.name.label("owner_name"),
        real.label("real_count"),
        practice.label("practice_count"),
    ).join(users, users.c.id == question_sets.c.owner_id)


def _set(row: Row[Any]) -> QuestionSetRecord:
    return QuestionSetRecord(
        id=row.id,
        owner_id=row.owner_id,
        owner_name=row.owner_name,
        title=row.title,
        archived=row.archived,
        created_at=row.created_at,
        updated_at=row.updated_at,
        questions=int(row.real_count or 0),
        has_practice=bool(row.practice_count),
    )


async def create_set(conn: AsyncConnection, *, owner_id: int, title: str, now: datetime) -> int:
    result = await conn.execute(
        insert(question_sets)
        .values(owner_id=owner_id, title=title, archived=False, created_at=now, updated_at=now)
        .returning(question_sets.c.id)
    )
    return int(result.scalar_one())


async def get_set(
    conn: AsyncConnection, set_id: int, *, for_update: bool = False
) -> QuestionSetRecord | None:
    if for_update and conn.dialect.name == "postgresql":
        await conn.execute(
            select(question_sets.c.id).where(question_sets.c.id == set_id).with_for_update()
        )
    row = (await conn.execute(_set_query().where(question_sets.c.id == set_id))).first()
    return _set(row) if row is not None else None


async def list_sets(
    conn: AsyncConnection, *, owner_id: int | None, include_archived: bool = True
) -> list[QuestionSetRecord]:
    """Sets of `owner_id` (None: everyone's), active first, then by title."""
    statement = _set_query()
    if owner_id is not None:
        statement = statement.where(question_sets.c.owner_id == owner_id)
    if not include_archived:
        statement = statement.where(question_sets.c.archived.is_(False))
    statement = statement.order_by(
        question_sets.c.archived, func.lower(question_sets.c.title), question_sets.c.id
    )
    return [_set(row) for row in await conn.execute(statement)]


async def update_set(
    conn: AsyncConnection,
    set_id: int,
    *,
    now: datetime,
    title: str | None = None,
    archived: bool | None = None,
) -> None:
    values: dict[str, Any] = {"updated_at": now}
    if title is not None:
        values["title"] = title
    if archived is not None:
        values["archived"] = archived
    await conn.execute(update(question_sets).where(question_sets.c.id == set_id).values(values))


async def questions_of_set(conn: AsyncConnection, set_id: int) -> list[SetQuestion]:
    """The practice question first, then the real ones in order."""
    rows = await conn.execute(
        select(set_questions)
        .where(set_questions.c.set_id == set_id)
        .order_by(set_questions.c.practice.desc(), set_questions.c.position, set_questions.c.id)
    )
    return [
        SetQuestion(
            id=r.id,
            set_id=r.set_id,
            position=r.position,
            text=r.text,
            prep_seconds=r.prep_seconds,
            answer_seconds=r.answer_seconds,
            attempts=r.attempts,
            practice=r.practice,
        )
        for r in rows
    ]


async def add_set_question(
    conn: AsyncConnection,
    set_id: int,
    *,
    position: int,
    text: str,
    prep_seconds: int,
    answer_seconds: int,
    attempts: int,
    practice: bool,
) -> int:
    result = await conn.execute(
        insert(set_questions)
        .values(
            set_id=set_id,
            position=position,
            text=text,
            prep_seconds=prep_seconds,
            answer_seconds=answer_seconds,
            attempts=attempts,
            practice=practice,
        )
        .returning(set_questions.c.id)
    )
    return int(result.scalar_one())


async def update_set_question(
    conn: AsyncConnection,
    question_id: int,
    *,
    text: str,
    prep_seconds: int,
    answer_seconds: int,
    attempts: int,
) -> None:
    await conn.execute(
        update(set_questions)
        .where(set_questions.c.id == question_id)
        .values(
            text=text, prep_seconds=prep_seconds, answer_seconds=answer_seconds, attempts=attempts
        )
    )


async def delete_set_question(conn: AsyncConnection, question_id: int) -> None:
    await conn.execute(delete(set_questions).where(set_questions.c.id == question_id))


async def renumber_set_questions(conn: AsyncConnection, ordered_ids: Sequence[int]) -> None:
    """Store the given order (the practice question, if any, first) as positions 0, 1, ..."""
    for position, question_id in enumerate(ordered_ids):
        await conn.execute(
            update(set_questions).where(set_questions.c.id == question_id).values(position=position)
        )


# --- sent interviews ----------------------------------------------------------------------


@dataclass(frozen=True)
class OneWayInterview:
    """A one-way interview as sent to one candidate (its questions are in oneway_questions)."""

    id: int
    recruiter_id: int
    recruiter_name: str
    recruiter_email: str
    recruiter_timezone: str
    set_id: int | None
    title: str
    position: str
    candidate_name: str
    candidate_email: str
    deadline: datetime
    state: InterviewState
    salt: str
    consent_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    expires_at: datetime
    deleted_at: datetime | None  # the answers were deleted (retention); the row stays
    created_at: datetime
    updated_at: datetime


def _interview_query() -> Any:
    return select(
        oneway_interviews,
        users.c.name.label("recruiter_name"),
        users.c.email.label("recruiter_email"),
        users.c.timezone.label("recruiter_timezone"),
    ).join(users, users.c.id == oneway_interviews.c.recruiter_id)


def _interview(row: Row[Any]) -> OneWayInterview:
    return OneWayInterview(
        id=row.id,
        recruiter_id=row.recruiter_id,
        recruiter_name=row.recruiter_name,
        recruiter_email=row.recruiter_email,
        recruiter_timezone=row.recruiter_timezone,
        set_id=row.set_id,
        title=row.title,
        position=row.position,
        candidate_name=row.candidate_name,
        candidate_email=row.candidate_email,
        deadline=row.deadline,
        state=InterviewState(row.state),
        salt=row.salt,
        consent_at=row.consent_at,
        started_at=row.started_at,
        completed_at=row.completed_at,
        expires_at=row.expires_at,
        deleted_at=row.deleted_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def create_interview(
    conn: AsyncConnection,
    *,
    recruiter_id: int,
    set_id: int,
    title: str,
    position: str,
    candidate_name: str,
    candidate_email: str,
    deadline: datetime,
    salt: str,
    expires_at: datetime,
    now: datetime,
) -> int:
    """A new interview in state invited; its token hash is set with `set_token_hash` once
    the id (part of the token's scope) is known."""
    result = await conn.execute(
        insert(oneway_interviews)
        .values(
            recruiter_id=recruiter_id,
            set_id=set_id,
            title=title,
            position=position,
            candidate_name=candidate_name,
            candidate_email=candidate_email,
            deadline=deadline,
            state=InterviewState.INVITED.value,
            token_hash=f"pending-{secrets.token_hex(24)}",  # unique until replaced
            salt=salt,
            expires_at=expires_at,
            created_at=now,
            updated_at=now,
        )
        .returning(oneway_interviews.c.id)
    )
    return int(result.scalar_one())


async def set_token_hash(conn: AsyncConnection, interview_id: int, token_hash: str) -> None:
    await conn.execute(
        update(oneway_interviews)
        .where(oneway_interviews.c.id == interview_id)
        .values(token_hash=token_hash)
    )


async def add_interview_questions(
    conn: AsyncConnection, interview_id: int, questions: Sequence[Question]
) -> None:
    await conn.execute(
        insert(oneway_questions),
        [
            {
                "interview_id": interview_id,
                "idx": q.index,
                "text": q.text,
                "prep_seconds": int(q.prep.total_seconds()),
                "answer_seconds": int(q.limit.total_seconds()),
                "attempts": q.attempts,
                "practice": q.practice,
            }
            for q in questions
        ],
    )


async def questions_of(conn: AsyncConnection, interview_id: int) -> list[Question]:
    """The interview's questions as sent: practice (-1) first, then 0, 1, ..."""
    rows = await conn.execute(
        select(oneway_questions)
        .where(oneway_questions.c.interview_id == interview_id)
        .order_by(oneway_questions.c.idx)
    )
    return [
        Question(
            index=r.idx,
            text=r.text,
            prep=timedelta(seconds=r.prep_seconds),
            limit=timedelta(seconds=r.answer_seconds),
            attempts=r.attempts,
            practice=bool(r.practice),
        )
        for r in rows
    ]


async def get_interview(
    conn: AsyncConnection, interview_id: int, *, for_update: bool = False
) -> OneWayInterview | None:
    if for_update and conn.dialect.name == "postgresql":
        await conn.execute(
            select(oneway_interviews.c.id)
            .where(oneway_interviews.c.id == interview_id)
            .with_for_update()
        )
    row = (
        await conn.execute(_interview_query().where(oneway_interviews.c.id == interview_id))
    ).first()
    return _interview(row) if row is not None else None


async def find_by_token_hash(conn: AsyncConnection, token_hash: str) -> OneWayInterview | None:
    row = (
        await conn.execute(_interview_query().where(oneway_interviews.c.token_hash == token_hash))
    ).first()
    return _interview(row) if row is not None else None


def _listing_conditions(
    *,
    recruiter_id: int | None,
    state: InterviewState | None = None,
    query: str = "",
    position: str | None = None,
) -> list[Any]:
    conditions: list[Any] = []
    if recruiter_id is not None:
        conditions.append(oneway_interviews.c.recruiter_id == recruiter_id)
    if state is not None:
        conditions.append(oneway_interviews.c.state == state.value)
    if position is not None:
        conditions.append(oneway_interviews.c.position == position)
    if query:
        pattern = f"%{query.lower()}%"
        conditions.append(
            or_(
                func.lower(oneway_interviews.c.candidate_name).like(pattern),
                func.lower(oneway_interviews.c.candidate_email).like(pattern),
                func.lower(oneway_interviews.c.position).like(pattern),
            )
        )
    return conditions


async def list_interviews(
    conn: AsyncConnection,
    *,
    recruiter_id: int | None,
    state: InterviewState | None = None,
    query: str = "",
    position: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[OneWayInterview], int]:
    """A page of interviews matching the filters, latest deadline first, and the total."""
    conditions = _listing_conditions(
        recruiter_id=recruiter_id, state=state, query=query, position=position
    )
    statement = _interview_query().where(and_(true(), *conditions))
    total = (
        await conn.execute(
            select(func.count()).select_from(oneway_interviews).where(and_(true(), *conditions))
        )
    ).scalar_one()
    rows = await conn.execute(
        statement.order_by(oneway_interviews.c.deadline.desc(), oneway_interviews.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_interview(r) for r in rows], int(total)


async def state_counts(
    conn: AsyncConnection, *, recruiter_id: int | None, query: str = ""
) -> dict[InterviewState, int]:
    conditions = _listing_conditions(recruiter_id=recruiter_id, query=query)
    rows = await conn.execute(
        select(oneway_interviews.c.state, func.count())
        .where(and_(true(), *conditions))
        .group_by(oneway_interviews.c.state)
    )
    counts = dict.fromkeys(InterviewState, 0)
    for state, count in rows:
        counts[InterviewState(state)] = int(count)
    return counts


async def open_emails(conn: AsyncConnection, position: str, emails: Sequence[str]) -> set[str]:
    """Which of `emails` already have an open (invited or started) interview for `position`."""
    if not emails:
        return set()
    rows = await conn.execute(
        select(oneway_interviews.c.candidate_email).where(
            oneway_interviews.c.position == position,
            oneway_interviews.c.state.in_(OPEN_STATES),
            oneway_interviews.c.candidate_email.in_(list(emails)),
        )
    )
    return {r[0] for r in rows}


async def positions(conn: AsyncConnection, *, recruiter_id: int | None) -> list[tuple[str, int]]:
    """Positions with one-way interviews, and how many candidates each."""
    statement = select(oneway_interviews.c.position, func.count()).group_by(
        oneway_interviews.c.position
    )
    if recruiter_id is not None:
        statement = statement.where(oneway_interviews.c.recruiter_id == recruiter_id)
    rows = await conn.execute(statement.order_by(oneway_interviews.c.position))
    return [(r[0], int(r[1])) for r in rows]


async def set_state(
    conn: AsyncConnection, interview_id: int, state: InterviewState, *, now: datetime
) -> None:
    await conn.execute(
        update(oneway_interviews)
        .where(oneway_interviews.c.id == interview_id)
        .values(state=state.value, updated_at=now)
    )


async def expire_overdue(
    conn: AsyncConnection, *, now: datetime, grace: timedelta = timedelta(0)
) -> list[int]:
    """Mark open interviews whose deadline passed at least `grace` ago as expired; their ids."""
    ids = [
        r[0]
        for r in await conn.execute(
            select(oneway_interviews.c.id).where(
                oneway_interviews.c.state.in_(OPEN_STATES),
                oneway_interviews.c.deadline <= now - grace,
            )
        )
    ]
    if ids:
        await conn.execute(
            update(oneway_interviews)
            .where(oneway_interviews.c.id.in_(ids), oneway_interviews.c.state.in_(OPEN_STATES))
            .values(state=InterviewState.EXPIRED.value, updated_at=now)
        )
    return ids


async def open_before(
    conn: AsyncConnection, *, now: datetime, until: datetime, limit: int = 200
) -> list[OneWayInterview]:
    """Open interviews whose deadline is after `now` and at most `until` (reminder candidates);
    on PostgreSQL rows another process is working on are skipped."""
    ids_query = (
        select(oneway_interviews.c.id)
        .where(
            oneway_interviews.c.state.in_(OPEN_STATES),
            oneway_interviews.c.deadline > now,
            oneway_interviews.c.deadline <= until,
        )
        .order_by(oneway_interviews.c.deadline, oneway_interviews.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        ids_query = ids_query.with_for_update(skip_locked=True)
    ids = [r[0] for r in await conn.execute(ids_query)]
    if not ids:
        return []
    rows = await conn.execute(
        _interview_query()
        .where(oneway_interviews.c.id.in_(ids))
        .order_by(oneway_interviews.c.deadline, oneway_interviews.c.id)
    )
    return [_interview(r) for r in rows]


async def queued_keys(conn: AsyncConnection, keys: Sequence[str]) -> set[str]:
    """Which of these mail dedupe keys were queued already (a reminder goes out once)."""
    if not keys:
        return set()
    rows = await conn.execute(
        select(mail_queue.c.dedupe_key).where(mail_queue.c.dedupe_key.in_(list(keys)))
    )
    return {r[0] for r in rows}


async def retention_due(conn: AsyncConnection, *, now: datetime) -> list[OneWayInterview]:
    """Interviews past their retention whose answers are not deleted yet (never open ones)."""
    rows = await conn.execute(
        _interview_query().where(
            oneway_interviews.c.expires_at <= now,
            oneway_interviews.c.deleted_at.is_(None),
            oneway_interviews.c.state.not_in(OPEN_STATES),
        )
    )
    return [_interview(r) for r in rows]


async def mark_answers_deleted(conn: AsyncConnection, interview_id: int, *, now: datetime) -> None:
    await conn.execute(
        update(oneway_interviews)
        .where(oneway_interviews.c.id == interview_id)
        .values(deleted_at=now, updated_at=now)
    )


async def delete_interview(conn: AsyncConnection, interview_id: int) -> None:
    """The interview and everything under it (questions, takes, ratings, verdicts)."""
    take_ids = select(oneway_takes.c.id).where(oneway_takes.c.interview_id == interview_id)
    await conn.execute(delete(oneway_ratings).where(oneway_ratings.c.take_id.in_(take_ids)))
    await conn.execute(delete(oneway_takes).where(oneway_takes.c.interview_id == interview_id))
    await conn.execute(
        delete(oneway_verdicts).where(oneway_verdicts.c.interview_id == interview_id)
    )
    await conn.execute(
        delete(oneway_questions).where(oneway_questions.c.interview_id == interview_id)
    )
    await conn.execute(delete(oneway_interviews).where(oneway_interviews.c.id == interview_id))


# --- takes (written by the candidate side; read and deleted here) -----------------------


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


async def takes_of(conn: AsyncConnection, interview_ids: Sequence[int]) -> list[TakeRecord]:
    if not interview_ids:
        return []
    rows = await conn.execute(
        select(oneway_takes)
        .where(oneway_takes.c.interview_id.in_(list(interview_ids)))
        .order_by(oneway_takes.c.interview_id, oneway_takes.c.question_idx, oneway_takes.c.id)
    )
    return [_take(r) for r in rows]


async def get_take(conn: AsyncConnection, take_id: int) -> TakeRecord | None:
    row = (await conn.execute(select(oneway_takes).where(oneway_takes.c.id == take_id))).first()
    return _take(row) if row is not None else None


async def delete_takes(conn: AsyncConnection, take_ids: Sequence[int]) -> None:
    if take_ids:
        ids = list(take_ids)
        await conn.execute(delete(oneway_ratings).where(oneway_ratings.c.take_id.in_(ids)))
        await conn.execute(delete(oneway_takes).where(oneway_takes.c.id.in_(ids)))


# --- ratings and recommendations --------------------------------------------------------


@dataclass(frozen=True)
class RatingRecord:
    take_id: int
    reviewer_id: int
    reviewer_name: str
    rating: int
    comment: str
    updated_at: datetime


@dataclass(frozen=True)
class VerdictRecord:
    interview_id: int
    reviewer_id: int
    reviewer_name: str
    recommendation: str
    comment: str
    updated_at: datetime


def _upsert(conn: AsyncConnection, table: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def save_rating(
    conn: AsyncConnection,
    *,
    take_id: int,
    reviewer_id: int,
    rating: int,
    comment: str,
    now: datetime,
) -> None:
    """One rating per reviewer and answer: a second one replaces the first."""
    statement = _upsert(conn, oneway_ratings).values(
        take_id=take_id, reviewer_id=reviewer_id, rating=rating, comment=comment, updated_at=now
    )
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=["take_id", "reviewer_id"],
            set_={"rating": rating, "comment": comment, "updated_at": now},
        )
    )


async def save_verdict(
    conn: AsyncConnection,
    *,
    interview_id: int,
    reviewer_id: int,
    recommendation: str,
    comment: str,
    now: datetime,
) -> None:
    statement = _upsert(conn, oneway_verdicts).values(
        interview_id=interview_id,
        reviewer_id=reviewer_id,
        recommendation=recommendation,
        comment=comment,
        updated_at=now,
    )
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=["interview_id", "reviewer_id"],
            set_={"recommendation": recommendation, "comment": comment, "updated_at": now},
        )
    )


async def ratings_of(conn: AsyncConnection, interview_ids: Sequence[int]) -> list[RatingRecord]:
    if not interview_ids:
        return []
    rows = await conn.execute(
        select(oneway_ratings, users.c.name.label("reviewer_name"))
        .join(oneway_takes, oneway_takes.c.id == oneway_ratings.c.take_id)
        .join(users, users.c.id == oneway_ratings.c.reviewer_id)
        .where(oneway_takes.c.interview_id.in_(list(interview_ids)))
        .order_by(oneway_ratings.c.take_id, users.c.name)
    )
    return [
        RatingRecord(r.take_id, r.reviewer_id, r.reviewer_name, r.rating, r.comment, r.updated_at)
        for r in rows
    ]


async def verdicts_of(conn: AsyncConnection, interview_ids: Sequence[int]) -> list[VerdictRecord]:
    if not interview_ids:
        return []
    rows = await conn.execute(
        select(oneway_verdicts, users.c.name.label("reviewer_name"))
        .join(users, users.c.id == oneway_verdicts.c.reviewer_id)
        .where(oneway_verdicts.c.interview_id.in_(list(interview_ids)))
        .order_by(oneway_verdicts.c.interview_id, users.c.name)
    )
    return [
        VerdictRecord(
            r.interview_id,
            r.reviewer_id,
            r.reviewer_name,
            r.recommendation,
            r.comment,
            r.updated_at,
        )
        for r in rows
    ]
