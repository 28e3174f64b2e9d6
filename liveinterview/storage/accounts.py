"""Staff accounts, sessions, single-use links and sign-in failures in SQL."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, type_coerce, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from liveinterview.domain.accounts import Role, StaffMember
from liveinterview.domain.tokens import TokenPurpose
from liveinterview.storage.tables import (
    action_tokens,
    signin_failures,
    staff_sessions,
    user_roles,
    users,
)
from liveinterview.storage.types import UTCDateTime


@dataclass(frozen=True)
class ActionToken:
    id: int
    purpose: TokenPurpose
    user_id: int | None
    expires_at: datetime
    used_at: datetime | None


async def _roles_for(conn: AsyncConnection, user_ids: Iterable[int]) -> dict[int, set[Role]]:
    ids = list(user_ids)
    roles: dict[int, set[Role]] = {uid: set() for uid in ids}
    if not ids:
        return roles
    rows = await conn.execute(
        select(user_roles.c.user_id, user_roles.c.role).where(user_roles.c.user_id.in_(ids))
    )
    for uid, role in rows:
        roles[uid].add(Role(role))
    return roles


def _member(row: Row[Any], roles: set[Role]) -> StaffMember:
    return StaffMember(
        id=row.id,
        email=row.email,
        name=row.name,
        roles=frozenset(roles),
        is_active=row.is_active,
        has_password=row.password_hash is not None,
        created_at=row.created_at,
        timezone=row.timezone,
    )


async def get_user(conn: AsyncConnection, user_id: int) -> StaffMember | None:
    row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
    if row is None:
        return None
    return _member(row, (await _roles_for(conn, [row.id]))[row.id])


async def find_by_email(conn: AsyncConnection, email: str) -> StaffMember | None:
    row = (await conn.execute(select(users).where(users.c.email == email))).first()
    if row is None:
        return None
    return _member(row, (await _roles_for(conn, [row.id]))[row.id])


async def password_hash(conn: AsyncConnection, user_id: int) -> str | None:
    result = await conn.execute(select(users.c.password_hash).where(users.c.id == user_id))
    return result.scalar_one_or_none()


async def list_users(conn: AsyncConnection) -> list[StaffMember]:
    rows = (await conn.execute(select(users).order_by(users.c.name, users.c.id))).all()
    roles = await _roles_for(conn, [r.id for r in rows])
    return [_member(r, roles[r.id]) for r in rows]


async def count_active_admins(conn: AsyncConnection) -> int:
    query = (
        select(func.count())
        .select_from(users.join(user_roles, user_roles.c.user_id == users.c.id))
        .where(and_(users.c.is_active.is_(True), user_roles.c.role == Role.ADMIN.value))
    )
    return int((await conn.execute(query)).scalar_one())


async def create_user(
    conn: AsyncConnection,
    *,
    email: str,
    name: str,
    roles: frozenset[Role],
    created_at: datetime,
    password_hash: str | None = None,
) -> int:
    result = await conn.execute(
        insert(users)
        .values(
            email=email,
            name=name,
            password_hash=password_hash,
            is_active=True,
            created_at=created_at,
        )
        .returning(users.c.id)
    )
    user_id = int(result.scalar_one())
    await set_roles(conn, user_id, roles)
    return user_id


async def set_roles(conn: AsyncConnection, user_id: int, roles: frozenset[Role]) -> None:
    await conn.execute(delete(user_roles).where(user_roles.c.user_id == user_id))
    await conn.execute(
        insert(user_roles), [{"user_id": user_id, "role": r.value} for r in sorted(roles)]
    )


async def set_password_hash(conn: AsyncConnection, user_id: int, value: str) -> None:
    await conn.execute(update(users).where(users.c.id == user_id).values(password_hash=value))


async def set_active(
    conn: AsyncConnection, user_id: int, *, active: bool, at: datetime | None
) -> None:
    await conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(is_active=active, deactivated_at=None if active else at)
    )


# --- sessions -------------------------------------------------------------------------------


async def create_session(
    conn: AsyncConnection,
    *,
    token_hash: str,
    user_id: int,
    created_at: datetime,
    expires_at: datetime,
    address: str,
    user_agent: str,
) -> None:
    await conn.execute(
        insert(staff_sessions).values(
            token_hash=token_hash,
            user_id=user_id,
            created_at=created_at,
            expires_at=expires_at,
            address=address[:64],
            user_agent=user_agent[:300],
        )
    )


async def session_user_id(conn: AsyncConnection, token_hash: str, now: datetime) -> int | None:
    query = (
        select(staff_sessions.c.user_id)
        .select_from(staff_sessions.join(users, users.c.id == staff_sessions.c.user_id))
        .where(
            staff_sessions.c.token_hash == token_hash,
            staff_sessions.c.expires_at > now,
            users.c.is_active.is_(True),
        )
    )
    return (await conn.execute(query)).scalar_one_or_none()


async def delete_session(conn: AsyncConnection, token_hash: str) -> None:
    await conn.execute(delete(staff_sessions).where(staff_sessions.c.token_hash == token_hash))


async def delete_sessions_of(
    conn: AsyncConnection, user_id: int, *, except_hash: str | None = None
) -> int:
    statement = delete(staff_sessions).where(staff_sessions.c.user_id == user_id)
    if except_hash is not None:
        statement = statement.where(staff_sessions.c.token_hash != except_hash)
    result = await conn.execute(statement)
    return result.rowcount or 0


async def delete_expired(conn: AsyncConnection, now: datetime, failures_before: datetime) -> int:
    removed = 0
    for statement in (
        delete(staff_sessions).where(staff_sessions.c.expires_at <= now),
        delete(signin_failures).where(signin_failures.c.at < failures_before),
    ):
        result = await conn.execute(statement)
        removed += result.rowcount or 0
    return removed


# --- single-use links -----------------------------------------------------------------------


async def create_token(
    conn: AsyncConnection,
    *,
    token_hash: str,
    purpose: TokenPurpose,
    user_id: int | None,
    created_by: int | None,
    created_at: datetime,
    expires_at: datetime,
) -> None:
    await conn.execute(
        insert(action_tokens).values(
            token_hash=token_hash,
            purpose=purpose.value,
            user_id=user_id,
            created_by=created_by,
            created_at=created_at,
            expires_at=expires_at,
        )
    )


async def find_token(
    conn: AsyncConnection, token_hash: str, purpose: TokenPurpose
) -> ActionToken | None:
    row = (
        await conn.execute(
            select(action_tokens).where(
                action_tokens.c.token_hash == token_hash,
                action_tokens.c.purpose == purpose.value,
            )
        )
    ).first()
    if row is None:
        return None
    return ActionToken(
        id=row.id,
        purpose=TokenPurpose(row.purpose),
        user_id=row.user_id,
        expires_at=row.expires_at,
        used_at=row.used_at,
    )


async def mark_token_used(conn: AsyncConnection, token_id: int, at: datetime) -> bool:
    """Mark a token used; False if another request used it first."""
    result = await conn.execute(
        update(action_tokens)
        .where(action_tokens.c.id == token_id, action_tokens.c.used_at.is_(None))
        .values(used_at=at)
    )
    return (result.rowcount or 0) == 1


async def expire_tokens(
    conn: AsyncConnection, *, purpose: TokenPurpose, user_id: int | None, at: datetime
) -> None:
    """End every still-open token of this purpose (and user), e.g. when a new one is issued."""
    condition = and_(action_tokens.c.purpose == purpose.value, action_tokens.c.used_at.is_(None))
    if user_id is None:
        condition = and_(condition, action_tokens.c.user_id.is_(None))
    else:
        condition = and_(condition, action_tokens.c.user_id == user_id)
    await conn.execute(
        update(action_tokens)
        .where(condition, action_tokens.c.expires_at > at)
        .values(expires_at=at)
    )


# --- sign-in failures -----------------------------------------------------------------------


async def record_failure(conn: AsyncConnection, *, email: str, address: str, at: datetime) -> None:
    await conn.execute(insert(signin_failures).values(email=email, address=address[:64], at=at))


async def failures_since(
    conn: AsyncConnection, *, email: str | None = None, address: str | None = None, since: datetime
) -> list[datetime]:
    query = select(signin_failures.c.at).where(signin_failures.c.at >= since)
    if email is not None:
        query = query.where(signin_failures.c.email == email)
    if address is not None:
        query = query.where(signin_failures.c.address == address)
    return list((await conn.execute(query)).scalars())


async def clear_failures(conn: AsyncConnection, email: str) -> None:
    await conn.execute(delete(signin_failures).where(signin_failures.c.email == email))


async def latest_token_at(
    conn: AsyncConnection, *, user_id: int, purpose: TokenPurpose
) -> datetime | None:
    latest = type_coerce(func.max(action_tokens.c.created_at), UTCDateTime)
    query = select(latest).where(
        action_tokens.c.user_id == user_id, action_tokens.c.purpose == purpose.value
    )
    value: datetime | None = (await conn.execute(query)).scalar_one_or_none()
    return value
