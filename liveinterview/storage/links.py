"""Candidate and interviewer links: one interview, one purpose, expiring, revocable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from liveinterview.storage.tables import interview_links


@dataclass(frozen=True)
class LinkRecord:
    id: int
    request_id: int
    purpose: str
    user_id: int | None
    salt: str
    expires_at: datetime
    revoked_at: datetime | None


async def add_link(
    conn: AsyncConnection,
    *,
    token_hash: str,
    salt: str,
    request_id: int,
    purpose: str,
    user_id: int | None,
    now: datetime,
    expires_at: datetime,
) -> None:
    await conn.execute(
        insert(interview_links).values(
            token_hash=token_hash,
            salt=salt,
            request_id=request_id,
            purpose=purpose,
            user_id=user_id,
            created_at=now,
            expires_at=expires_at,
        )
    )


async def find_link(conn: AsyncConnection, token_hash: str, purpose: str) -> LinkRecord | None:
    row = (
        await conn.execute(
            select(interview_links).where(
                interview_links.c.token_hash == token_hash, interview_links.c.purpose == purpose
            )
        )
    ).first()
    if row is None:
        return None
    return _link(row)


def _link(row: Row[Any]) -> LinkRecord:
    return LinkRecord(
        row.id, row.request_id, row.purpose, row.user_id, row.salt, row.expires_at, row.revoked_at
    )


async def links_of(conn: AsyncConnection, request_id: int, purpose: str) -> list[LinkRecord]:
    """The request's live links of one purpose (to put them into another email)."""
    rows = await conn.execute(
        select(interview_links).where(
            interview_links.c.request_id == request_id,
            interview_links.c.purpose == purpose,
            interview_links.c.revoked_at.is_(None),
        )
    )
    return [_link(row) for row in rows]


async def extend_links(
    conn: AsyncConnection, request_id: int, purpose: str, *, expires_at: datetime
) -> None:
    await conn.execute(
        update(interview_links)
        .where(
            interview_links.c.request_id == request_id,
            interview_links.c.purpose == purpose,
            interview_links.c.revoked_at.is_(None),
        )
        .values(expires_at=expires_at)
    )


async def revoke_links(
    conn: AsyncConnection, request_id: int, purpose: str | None, *, now: datetime
) -> None:
    statement = update(interview_links).where(
        interview_links.c.request_id == request_id, interview_links.c.revoked_at.is_(None)
    )
    if purpose is not None:
        statement = statement.where(interview_links.c.purpose == purpose)
    await conn.execute(statement.values(revoked_at=now))


async def revoke_share(
    conn: AsyncConnection, request_id: int, user_id: int, *, now: datetime
) -> None:
    """End one staff member's share link of a recording."""
    await conn.execute(
        update(interview_links)
        .where(
            interview_links.c.request_id == request_id,
            interview_links.c.purpose == "share",
            interview_links.c.user_id == user_id,
            interview_links.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
