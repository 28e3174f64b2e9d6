"""The candidate's side: pick a time from the emailed link, then reschedule or cancel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from liveinterview.calendar.invites import Attendee, InviteEvent, build_download
from liveinterview.clock import Clock
from liveinterview.domain.errors import Conflict, Gone, InvalidInput
from liveinterview.domain.interviews import (
    ChangePolicy,
    RequestStatus,
    check_candidate_change,
    check_timezone,
    effective_status,
)
from liveinterview.domain.timetext import DaySlots, group_by_day
from liveinterview.services.interview_links import InterviewUrls, LinkKeeper, Purpose
from liveinterview.services.scheduling import Actor, Scheduler
from liveinterview.services.work import Work, unit_of_work
from liveinterview.storage import bookings as booking_store
from liveinterview.storage import interviews as store
from liveinterview.storage.db import Database
from liveinterview.storage.interviews import InterviewRecord, PanelPerson

MAX_REASON = 1000


@dataclass(frozen=True)
class CandidateView:
    """What the candidate's pages show: never another interview, never internal notes."""

    record: InterviewRecord
    status: RequestStatus
    timezone: str
    days: list[DaySlots]  # free times, grouped by the candidate's local day
    interviewers: list[PanelPerson]
    can_reschedule: str | None  # None when allowed, else the reason
    can_cancel: str | None


class BookingService:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        scheduler: Scheduler,
        links: LinkKeeper,
        urls: InterviewUrls,
        policy: ChangePolicy,
    ) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.links = links
        self.urls = urls
        self.policy = policy

    async def booking_page(self, token: str, timezone: str | None) -> CandidateView:
        # Read-only: on SQLite this must not take the write lock bookings queue on.
        async with self.db.read() as conn:
            work = Work(conn)
            record = await self._record(work, token, Purpose.BOOK)
            return await self._view(work, record, timezone, with_slots=True)

    async def book(self, token: str, start: datetime, timezone: str) -> str:
        """Book `start`; returns the manage token for the confirmation page."""
        tz = check_timezone(timezone)
        async with unit_of_work(self.db) as work:
            record = await self._record(work, token, Purpose.BOOK, for_update=True)
            status = effective_status(record.status, record.end_at, self.clock.now())
            if status is RequestStatus.SCHEDULED and record.start_at == start:
                pass  # a repeated submit of the same choice: already done
            elif status is not RequestStatus.AWAITING:
                raise Conflict(
                    "This interview is already booked. Use the link in your confirmation "
                    "email to change it."
                )
            else:
                await self.scheduler.book(
                    work,
                    record,
                    start,
                    actor=Actor(None, "candidate"),
                    candidate_timezone=tz,
                )
            manage = await self.links.tokens(work.conn, record.id, Purpose.MANAGE)
        return manage[None]

    async def manage_page(self, token: str, timezone: str | None) -> CandidateView:
        async with self.db.read() as conn:
            work = Work(conn)
            record = await self._record(work, token, Purpose.MANAGE)
            view = await self._view(work, record, timezone, with_slots=False)
            if view.can_reschedule is None:
                view = await self._view(work, record, timezone, with_slots=True)
            return view

    async def reschedule(self, token: str, start: datetime, timezone: str) -> None:
        tz = check_timezone(timezone)
        async with unit_of_work(self.db) as work:
            record = await self._record(work, token, Purpose.MANAGE, for_update=True)
            if record.start_at == start and record.status is RequestStatus.SCHEDULED:
                return  # a repeated submit
            self._check(record, "reschedule")
            await self.scheduler.book(
                work, record, start, actor=Actor(None, "candidate"), candidate_timezone=tz
            )

    async def cancel(self, token: str, reason: str) -> None:
        reason = reason.strip()
        if len(reason) > MAX_REASON:
            raise InvalidInput(f"Use at most {MAX_REASON} characters.", {"reason": "Too long."})
        async with unit_of_work(self.db) as work:
            record = await self._record(work, token, Purpose.MANAGE, for_update=True)
            self._check(record, "cancel")
            await self.scheduler.cancel(work, record, actor=Actor(None, "candidate"), reason=reason)

    async def calendar_file(self, token: str) -> tuple[str, bytes]:
        """The confirmed interview as an .ics download: (file name, bytes)."""
        async with unit_of_work(self.db) as work:
            record = await self._record(work, token, Purpose.MANAGE)
            if record.start_at is None or record.end_at is None:
                raise Conflict("This interview has no time booked yet.")
            joins = await self.links.tokens(work.conn, record.id, Purpose.JOIN)
            people = await booking_store.booked_interviewers(work.conn, record.id)
        join = self.urls.join(joins[None]) if None in joins else ""
        event = InviteEvent(
            uid=record.uid,
            sequence=record.sequence,
            start=record.start_at,
            end=record.end_at,
            summary=f"Interview: {record.position}",
            description=f"Join in your browser: {join}" if join else "",
            location=join,
            url=join,
            organizer_email=record.recruiter_email,
            organizer_name=record.recruiter_name,
            attendees=(
                Attendee(
                    email=record.candidate_email,
                    name=record.candidate_name,
                    partstat="ACCEPTED",
                    rsvp=False,
                ),
                *(Attendee(email=p.email, name=p.name) for p in people),
            ),
        )
        data = build_download(event, dtstamp=self.clock.now())
        return f"interview-{record.start_at:%Y-%m-%d}.ics", data

    def _check(self, record: InterviewRecord, action: str) -> None:
        check_candidate_change(
            action,
            status=effective_status(record.status, record.end_at, self.clock.now()),
            start=record.start_at,
            now=self.clock.now(),
            reschedules_done=record.reschedule_count,
            policy=self.policy,
        )

    def _reason(self, record: InterviewRecord, action: str) -> str | None:
        try:
            self._check(record, action)
        except (Conflict, Gone) as exc:
            return exc.message
        return None

    async def _record(
        self, work: Work, token: str, purpose: Purpose, *, for_update: bool = False
    ) -> InterviewRecord:
        grant = await self.links.check(work.conn, token, purpose, self.clock.now())
        record = await store.get_request(work.conn, grant.request_id, for_update=for_update)
        if record is None:
            raise Gone("This interview no longer exists.")
        if record.status is RequestStatus.CANCELLED:
            raise Gone("This interview was cancelled.")
        return record

    async def _view(
        self, work: Work, record: InterviewRecord, timezone: str | None, *, with_slots: bool
    ) -> CandidateView:
        tz = check_timezone(timezone) if timezone else (record.candidate_timezone or "UTC")
        status = effective_status(record.status, record.end_at, self.clock.now())
        days: list[DaySlots] = []
        if with_slots and status in {RequestStatus.AWAITING, RequestStatus.SCHEDULED}:
            slots = await self.scheduler.free_slots(work, record)
            days = group_by_day([s.start for s in slots if s.start != record.start_at], tz)
        return CandidateView(
            record=record,
            status=status,
            timezone=tz,
            days=days,
            interviewers=await booking_store.booked_interviewers(work.conn, record.id),
            can_reschedule=self._reason(record, "reschedule"),
            can_cancel=self._reason(record, "cancel"),
        )
