"""One-way interviews inserted straight into the database, for the candidate side's tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from liveinterview.domain.tokens import derive_link_token, hash_token, new_salt
from liveinterview.storage.db import Database
from liveinterview.storage.tables import oneway_interviews, oneway_questions, users


@dataclass(frozen=True)
class QuestionSpec:
    text: str
    prep_seconds: int = 0
    answer_seconds: int = 15
    attempts: int = 2


@dataclass(frozen=True)
class SentInterview:
    id: int
    token: str
    recruiter_id: int


async def sent_interview(
    db: Database,
    secret_key: str,
    *,
    now: datetime,
    questions: Sequence[QuestionSpec] = (QuestionSpec("Tell us about you."),),
    practice: QuestionSpec | None = QuestionSpec("Practice: what did you have for breakfast?"),
    deadline: timedelta = timedelta(days=7),
    state: str = "invited",
    recruiter_id: int | None = None,
    candidate_email: str = "zoe@example.com",
) -> SentInterview:
    """An interview as the recruiter side sends it; returns its candidate link token."""
    async with db.transaction() as conn:
        if recruiter_id is None:
            found = (
                await conn.execute(select(users.c.id).where(users.c.email == "rita@example.com"))
            ).scalar()
            recruiter_id = (
                found
                or (
                    await conn.execute(
                        insert(users)
                        .values(
                            email="rita@example.com",
                            name="Rita Recruiter",
                            password_hash=None,
                            is_active=True,
                            created_at=now,
                        )
                        .returning(users.c.id)
                    )
                ).scalar_one()
            )
        salt = new_salt()
        interview_id = (
            await conn.execute(
                insert(oneway_interviews)
                .values(
                    recruiter_id=recruiter_id,
                    title="Backend screening",
                    position="Backend Engineer",
                    candidate_name="Zoë Müller",
                    candidate_email=candidate_email,
                    deadline=now + deadline,
                    state=state,
                    token_hash=f"pending-{salt}",
                    salt=salt,
                    expires_at=now + deadline + timedelta(days=90),
                    created_at=now,
                    updated_at=now,
                )
                .returning(oneway_interviews.c.id)
            )
        ).scalar_one()
        token = derive_link_token(secret_key, salt, f"oneway:{interview_id}")
        await conn.execute(
            update(oneway_interviews)
            .where(oneway_interviews.c.id == interview_id)
            .values(token_hash=hash_token(token))
        )
        rows = [(index, spec, False) for index, spec in enumerate(questions)]
        if practice is not None:
            rows.insert(0, (-1, practice, True))
        for index, spec, is_practice in rows:
            await conn.execute(
                insert(oneway_questions).values(
                    interview_id=interview_id,
                    idx=index,
                    text=spec.text,
                    prep_seconds=spec.prep_seconds,
                    answer_seconds=spec.answer_seconds,
                    attempts=spec.attempts,
                    practice=is_practice,
                )
            )
    return SentInterview(interview_id, token, recruiter_id)
