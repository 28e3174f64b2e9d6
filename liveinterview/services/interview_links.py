"""Links for candidates and interviewers: issued once, re-derivable for later emails."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from liveinterview.domain.errors import Gone, NotFound
from liveinterview.domain.tokens import derive_link_token, hash_token, new_salt
from liveinterview.storage import links as store


class Purpose(enum.StrEnum):
    BOOK = "book"  # the candidate picks a time
    MANAGE = "manage"  # the candidate reschedules or cancels
    JOIN = "join"  # one participant enters the interview room
    SHARE = "share"  # a hiring manager without an account watches the recording


class InterviewUrls(Protocol):
    """Absolute URLs of the pages links open; the web layer builds them from routes."""

    def book(self, token: str) -> str: ...

    def manage(self, token: str) -> str: ...

    def join(self, token: str) -> str: ...

    def interview(self, request_id: int) -> str: ...

    def share(self, token: str) -> str: ...


@dataclass(frozen=True)
class LinkGrant:
    """A verified link: which interview, for whom (None: the candidate)."""

    request_id: int
    user_id: int | None
    expires_at: datetime


def _scope(purpose: Purpose, request_id: int, user_id: int | None) -> str:
    return f"{purpose.value}:{request_id}:{user_id if user_id is not None else 'candidate'}"


class LinkKeeper:
    """Issues, re-derives and checks links; only token hashes and salts are stored."""

    def __init__(self, secret_key: str) -> None:
        self._secret = secret_key

    async def issue(
        self,
        conn: AsyncConnection,
        *,
        request_id: int,
        purpose: Purpose,
        user_id: int | None,
        now: datetime,
        expires_at: datetime,
    ) -> str:
        salt = new_salt()
        token = derive_link_token(self._secret, salt, _scope(purpose, request_id, user_id))
        await store.add_link(
            conn,
            token_hash=hash_token(token),
            salt=salt,
            request_id=request_id,
            purpose=purpose.value,
            user_id=user_id,
            now=now,
            expires_at=expires_at,
        )
        return token

    async def tokens(
        self, conn: AsyncConnection, request_id: int, purpose: Purpose
    ) -> dict[int | None, str]:
        """The live token of each participant (None: the candidate) for another email."""
        found: dict[int | None, str] = {}
        for link in await store.links_of(conn, request_id, purpose.value):
            scope = _scope(purpose, request_id, link.user_id)
            found[link.user_id] = derive_link_token(self._secret, link.salt, scope)
        return found

    async def check(
        self, conn: AsyncConnection, token: str, purpose: Purpose, now: datetime
    ) -> LinkGrant:
        """The grant behind a token, or NotFound (unknown) / Gone (revoked, expired)."""
        link = await store.find_link(conn, hash_token(token), purpose.value)
        if link is None:
            raise NotFound("This link is not valid. Check that you copied all of it.")
        if link.revoked_at is not None:
            raise Gone(
                "This link no longer works: the interview was cancelled or the link replaced. "
                "Please use the most recent email you received about it."
            )
        if link.expires_at <= now:
            raise Gone("This link has expired.")
        return LinkGrant(link.request_id, link.user_id, link.expires_at)
