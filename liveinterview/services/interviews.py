"""Recruiters' side of interviews: create requests, follow them, move or cancel them."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from liveinterview.clock import Clock
from liveinterview.domain.accounts import Permission, Role, StaffMember, require
from liveinterview.domain.availability import Slot
from liveinterview.domain.errors import Conflict, InvalidInput, NotFound
from liveinterview.domain.interviews import (
    Panel,
    RequestStatus,
    check_new_request,
    effective_status,
    window_from_days,
)
from liveinterview.services.interview_links import LinkKeeper, Purpose
from liveinterview.services.invitations import Invitations
from liveinterview.services.scheduling import Actor, Scheduler
from liveinterview.services.work import Work, unit_of_work
from liveinterview.storage import accounts as staff_store
from liveinterview.storage import bookings as booking_store
from liveinterview.storage import interviews as store
from liveinterview.storage import links as link_store
from liveinterview.storage import recordings as recording_store
from liveinterview.storage.db import Database
from liveinterview.storage.interviews import HistoryEntry, InterviewRecord, PanelPerson

PAGE_SIZE = 25
POOL_CHOICES = 3


@dataclass(frozen=True)
class PanelChoice:
    """One interviewer's place on the panel form: 'required', 'pool1'..'pool3' or ''."""

    user_id: int
    place: str


@dataclass(frozen=True)
class Listed:
    record: InterviewRecord
    status: RequestStatus


@dataclass(frozen=True)
class Listing:
    items: list[Listed]
    total: int
    counts: dict[RequestStatus, int]
    page: int
    pages: int


@dataclass(frozen=True)
class Detail:
    record: InterviewRecord
    status: RequestStatus
    panel: list[PanelPerson]
    booked: list[PanelPerson]
    history: list[HistoryEntry]
    can_manage: bool
    recording: str | None = None  # the recording's status, if there is one


def panel_from_choices(choices: Sequence[PanelChoice]) -> Panel:
    required: list[int] = []
    pools: dict[int, list[int]] = {}
    for choice in choices:
        if choice.place == "required":
            required.append(choice.user_id)
        elif choice.place.startswith("pool") and choice.place[4:].isdigit():
            index = int(choice.place[4:])
            if not 1 <= index <= POOL_CHOICES:
                raise InvalidInput("Unknown pool.", {"panel": f"There is no pool {index}."})
            pools.setdefault(index, []).append(choice.user_id)
        elif choice.place:
            raise InvalidInput("Unknown panel place.", {"panel": "Choose required or a pool."})
    return Panel(tuple(required), tuple(tuple(pools[i]) for i in sorted(pools)))


class InterviewService:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        scheduler: Scheduler,
        invitations: Invitations,
        links: LinkKeeper,
        base_url: str,
        default_auto_admit: bool = False,
    ) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.invitations = invitations
        self.links = links
        self.uid_domain = urlsplit(base_url).hostname or "liveinterview.local"
        self.default_auto_admit = default_auto_admit

    async def interviewers(self, actor: StaffMember) -> list[StaffMember]:
        """Active staff who can sit on a panel."""
        require(actor.roles, Permission.MANAGE_INTERVIEWS)
        async with self.db.read() as conn:
            everyone = await staff_store.list_users(conn)
        return [
            u for u in everyone if u.is_active and u.has_password and Role.INTERVIEWER in u.roles
        ]

    async def create(
        self,
        actor: StaffMember,
        *,
        candidate_name: str,
        candidate_email: str,
        position: str,
        duration_minutes: int | None,
        step_minutes: int | None,
        first_day: date | None,
        last_day: date | None,
        timezone: str,
        recorded: bool,
        note: str,
        panel: Sequence[PanelChoice],
        auto_admit: bool | None = None,
    ) -> InterviewRecord:
        require(actor.roles, Permission.MANAGE_INTERVIEWS)
        now = self.clock.now()
        chosen = panel_from_choices(panel)
        window_start: datetime | None = None
        window_end: datetime | None = None
        if first_day is not None and last_day is not None:
            window_start, window_end = window_from_days(first_day, last_day, timezone)
        new = check_new_request(
            candidate_name=candidate_name,
            candidate_email=candidate_email,
            position=position,
            duration_minutes=duration_minutes,
            step_minutes=step_minutes,
            window_start=window_start,
            window_end=window_end,
            recorded=recorded,
            note=note,
            panel=chosen,
            now=now,
        )
        allowed = {u.id for u in await self.interviewers(actor)}
        strangers = [uid for uid in new.panel.everyone if uid not in allowed]
        if strangers:
            raise InvalidInput(
                "Only active interviewers can be on a panel.",
                {"panel": "Someone on the panel is not an active interviewer."},
            )
        async with unit_of_work(self.db) as work:
            request_id = await store.create_request(
                work.conn,
                uid=f"li-{secrets.token_hex(12)}@{self.uid_domain}",
                recruiter_id=actor.id,
                candidate_name=new.candidate_name,
                candidate_email=new.candidate_email,
                position=new.position,
                duration_minutes=int(new.duration.total_seconds() // 60),
                step_minutes=int(new.step.total_seconds() // 60),
                window_start=new.window_start,
                window_end=new.window_end,
                recorded=new.recorded,
                note=new.note,
                panel=new.panel,
                now=now,
                auto_admit=self.default_auto_admit if auto_admit is None else auto_admit,
                window_timezone=timezone,
            )
            await store.add_event(
                work.conn,
                request_id,
                at=now,
                actor_id=actor.id,
                actor=actor.name,
                kind="created",
                details={"candidate": new.candidate_email},
            )
            record = await self._send_booking_link(work, request_id, now)
        return record

    async def _send_booking_link(
        self, work: Work, request_id: int, now: datetime
    ) -> InterviewRecord:
        record = await store.get_request(work.conn, request_id)
        assert record is not None
        token = await self.links.issue(
            work.conn,
            request_id=request_id,
            purpose=Purpose.BOOK,
            user_id=None,
            now=now,
            expires_at=record.window_end,
        )
        await self.invitations.ask_to_book(work, record, token)
        return record

    async def resend_booking_link(self, actor: StaffMember, request_id: int) -> None:
        """A fresh booking link by email; the old one stops working."""
        require(actor.roles, Permission.MANAGE_INTERVIEWS)
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            record = await self._get(work, request_id, for_update=True)
            if record.status is not RequestStatus.AWAITING:
                raise Conflict("Only requests still awaiting a booking get a booking link.")
            if record.window_end <= now:
                raise Conflict("The booking window has ended; create a new request instead.")
            await link_store.revoke_links(work.conn, record.id, Purpose.BOOK.value, now=now)
            await store.add_event(
                work.conn,
                record.id,
                at=now,
                actor_id=actor.id,
                actor=actor.name,
                kind="link_resent",
            )
            await self._send_booking_link(work, record.id, now)

    async def listing(
        self,
        actor: StaffMember,
        *,
        status: str = "",
        query: str = "",
        mine: bool = False,
        page: int = 1,
    ) -> Listing:
        require(actor.roles, Permission.MANAGE_INTERVIEWS)
        wanted = None
        if status:
            try:
                wanted = RequestStatus(status)
            except ValueError:
                raise InvalidInput(f"Unknown status {status!r}.") from None
        now = self.clock.now()
        page = max(1, page)
        async with self.db.read() as conn:
            records, total = await store.list_requests(
                conn,
                now=now,
                status=wanted,
                query=query.strip()[:100],
                recruiter_id=actor.id if mine else None,
                limit=PAGE_SIZE,
                offset=(page - 1) * PAGE_SIZE,
            )
            counts = await store.status_counts(
                conn, now=now, recruiter_id=actor.id if mine else None
            )
        items = [Listed(r, effective_status(r.status, r.end_at, now)) for r in records]
        return Listing(items, total, counts, page, max(1, -(-total // PAGE_SIZE)))

    async def upcoming_for(self, actor: StaffMember) -> list[InterviewRecord]:
        """The interviews this person sits on from now on (for their dashboard)."""
        if not actor.can(Permission.CONDUCT_INTERVIEWS):
            return []
        now = self.clock.now()
        async with self.db.read() as conn:
            records = await store.interviews_of(
                conn, actor.id, since=now - timedelta(hours=12), include_cancelled=False
            )
        return [r for r in records if r.end_at is not None and r.end_at > now]

    async def detail(self, actor: StaffMember, request_id: int) -> Detail:
        async with unit_of_work(self.db) as work:
            record = await self._get(work, request_id)
            panel = await store.panel_of(work.conn, record.id)
            booked = await booking_store.booked_interviewers(work.conn, record.id)
            can_manage = actor.can(Permission.MANAGE_INTERVIEWS)
            on_panel = actor.id in {p.user_id for p in [*panel, *booked]}
            if not can_manage and not on_panel:
                raise NotFound("There is no such interview.")
            history = await store.history(work.conn, record.id)
            recording = await recording_store.recording_of(work.conn, record.id)
        status = effective_status(record.status, record.end_at, self.clock.now())
        return Detail(
            record,
            status,
            panel,
            booked,
            history,
            can_manage,
            recording.status if recording is not None else None,
        )

    async def slots(self, actor: StaffMember, request_id: int) -> list[Slot]:
        require(actor.roles, Permission.MANAGE_INTERVIEWS)
        async with unit_of_work(self.db) as work:
            record = await self._get(work, request_id)
            return await self.scheduler.free_slots(work, record)

    async def reschedule(
        self, actor: StaffMember, request_id: int, start: datetime
    ) -> InterviewRecord:
        """Recruiters may book or move at any time (no cutoff, no limit); slot rules apply."""
        require(actor.roles, Permission.MANAGE_INTERVIEWS)
        async with unit_of_work(self.db) as work:
            record = await self._get(work, request_id, for_update=True)
            status = effective_status(record.status, record.end_at, self.clock.now())
            if status in {RequestStatus.CANCELLED, RequestStatus.DONE}:
                raise Conflict(f"This interview is {status.label.lower()}; it cannot be moved.")
            return await self.scheduler.book(
                work,
                record,
                start,
                actor=Actor(actor.id, actor.name),
                candidate_timezone=None,
            )

    async def cancel(self, actor: StaffMember, request_id: int, reason: str) -> InterviewRecord:
        require(actor.roles, Permission.MANAGE_INTERVIEWS)
        reason = reason.strip()
        if len(reason) > 1000:
            raise InvalidInput("Use at most 1000 characters.", {"reason": "Too long."})
        async with unit_of_work(self.db) as work:
            record = await self._get(work, request_id, for_update=True)
            status = effective_status(record.status, record.end_at, self.clock.now())
            if status is RequestStatus.CANCELLED:
                raise Conflict("This interview is already cancelled.")
            if status is RequestStatus.DONE:
                raise Conflict("This interview has already taken place.")
            return await self.scheduler.cancel(
                work, record, actor=Actor(actor.id, actor.name), reason=reason
            )

    async def _get(
        self, work: Work, request_id: int, *, for_update: bool = False
    ) -> InterviewRecord:
        record = await store.get_request(work.conn, request_id, for_update=for_update)
        if record is None:
            raise NotFound("There is no such interview.")
        return record
