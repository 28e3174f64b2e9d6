"""An interviewer's own calendar feed: a secret, revocable address listing their interviews."""

from __future__ import annotations

from datetime import timedelta

from liveinterview.calendar.invites import Attendee, FeedEntry, InviteEvent, build_feed
from liveinterview.clock import Clock
from liveinterview.domain.accounts import Permission, StaffMember, require
from liveinterview.domain.errors import NotFound
from liveinterview.domain.interviews import RequestStatus
from liveinterview.domain.tokens import derive_link_token, hash_token, new_salt
from liveinterview.services.interview_links import InterviewUrls, LinkKeeper, Purpose
from liveinterview.services.work import unit_of_work
from liveinterview.storage import availability as store
from liveinterview.storage import interviews
from liveinterview.storage.db import Database

# Past interviews stay in the feed for a while, so a calendar does not lose them at once.
HISTORY = timedelta(days=30)


class FeedService:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        secret_key: str,
        links: LinkKeeper,
        urls: InterviewUrls,
    ) -> None:
        self.db = db
        self.clock = clock
        self._secret = secret_key
        self.links = links
        self.urls = urls

    def _token(self, user_id: int, salt: str) -> str:
        return derive_link_token(self._secret, salt, f"feed:{user_id}")

    async def current_token(self, actor: StaffMember) -> str | None:
        """The interviewer's feed token, or None if they have not created one."""
        require(actor.roles, Permission.CONDUCT_INTERVIEWS)
        async with self.db.read() as conn:
            salt = await store.feed_salt(conn, actor.id)
        return self._token(actor.id, salt) if salt else None

    async def new_token(self, actor: StaffMember) -> str:
        """Create the feed address, or replace it: the previous address stops working."""
        require(actor.roles, Permission.CONDUCT_INTERVIEWS)
        salt = new_salt()
        token = self._token(actor.id, salt)
        async with unit_of_work(self.db) as work:
            await store.set_feed(
                work.conn, actor.id, token_hash=hash_token(token), salt=salt, now=self.clock.now()
            )
        return token

    async def revoke(self, actor: StaffMember) -> None:
        require(actor.roles, Permission.CONDUCT_INTERVIEWS)
        async with unit_of_work(self.db) as work:
            await store.set_feed(
                work.conn, actor.id, token_hash=None, salt=None, now=self.clock.now()
            )

    async def render(self, token: str) -> bytes:
        """The feed behind a token; unknown or revoked tokens are simply not found."""
        now = self.clock.now()
        async with self.db.read() as conn:
            user_id = await store.feed_owner(conn, hash_token(token))
            if user_id is None:
                raise NotFound("There is no such calendar feed.")
            records = await interviews.interviews_of(
                conn, user_id, since=now - HISTORY, include_cancelled=True
            )
            joins = {
                r.id: (await self.links.tokens(conn, r.id, Purpose.JOIN)).get(user_id)
                for r in records
            }
        entries = []
        for record in records:
            assert record.start_at is not None
            assert record.end_at is not None
            join = joins.get(record.id)
            join_url = self.urls.join(join) if join else ""
            details = self.urls.interview(record.id)
            entries.append(
                FeedEntry(
                    event=InviteEvent(
                        uid=record.uid,
                        sequence=record.sequence,
                        start=record.start_at,
                        end=record.end_at,
                        summary=f"Interview: {record.position} ({record.candidate_name})",
                        description=f"Join: {join_url}\nDetails: {details}"
                        if join_url
                        else f"Details: {details}",
                        location=join_url,
                        url=join_url,
                        organizer_email=record.recruiter_email,
                        organizer_name=record.recruiter_name,
                        attendees=(
                            Attendee(email=record.candidate_email, name=record.candidate_name),
                        ),
                    ),
                    cancelled=record.status is RequestStatus.CANCELLED,
                )
            )
        return build_feed(entries, calendar_name="LiveInterview interviews", dtstamp=now)
