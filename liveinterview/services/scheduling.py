"""Booking, moving and cancelling an interview: the one code path candidates and recruiters share.

Every change runs inside the caller's unit of work: re-check the slot with the same function
that listed it, write the bookings (PostgreSQL's exclusion constraint is the last guard),
update links, reminders and history, and queue the emails, which go out after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from liveinterview.clock import Clock
from liveinterview.domain.availability import (
    Slot,
    SlotRequest,
    SlotUnavailable,
    check_slot,
    free_slots,
)
from liveinterview.domain.errors import Conflict
from liveinterview.domain.interviews import Panel, RequestStatus, reminder_times
from liveinterview.services.interview_links import LinkKeeper, Purpose
from liveinterview.services.invitations import Change, Invitations
from liveinterview.services.schedules import load_schedules
from liveinterview.services.work import Work
from liveinterview.storage import bookings, reminders
from liveinterview.storage import interviews as store
from liveinterview.storage import links as link_store
from liveinterview.storage.availability import prefs_for
from liveinterview.storage.interviews import InterviewRecord

# A join link works until well after the planned end, so an overrunning interview goes on.
JOIN_GRACE = timedelta(hours=12)


class SlotTaken(Conflict):
    """The chosen time is no longer free (someone else just took it, or it never was)."""


@dataclass(frozen=True)
class Actor:
    """Who changes the booking: a staff member, or the candidate (user_id None)."""

    user_id: int | None
    name: str

    @property
    def is_candidate(self) -> bool:
        return self.user_id is None


def slot_request(record: InterviewRecord, panel: Panel) -> SlotRequest:
    return SlotRequest(
        required=panel.required,
        pools=panel.pools,
        duration=timedelta(minutes=record.duration_minutes),
        step=timedelta(minutes=record.step_minutes),
        window_start=record.window_start,
        window_end=record.window_end,
    )


class Scheduler:
    def __init__(
        self,
        *,
        clock: Clock,
        links: LinkKeeper,
        invitations: Invitations,
        reminder_offsets: tuple[timedelta, ...],
    ) -> None:
        self.clock = clock
        self.links = links
        self.invitations = invitations
        self.reminder_offsets = reminder_offsets

    async def free_slots(self, work: Work, record: InterviewRecord) -> list[Slot]:
        """What can be booked now; a booked interview's own time counts as free for it."""
        people = await store.panel_of(work.conn, record.id)
        panel = store.panel_from(people)
        now = self.clock.now()
        schedules = await load_schedules(
            work.conn,
            panel.everyone,
            window_start=record.window_start,
            window_end=record.window_end,
            now=now,
            exclude_request_id=record.id,
        )
        return free_slots(slot_request(record, panel), schedules, now)

    async def book(
        self,
        work: Work,
        record: InterviewRecord,
        start: datetime,
        *,
        actor: Actor,
        candidate_timezone: str | None,
    ) -> InterviewRecord:
        """Book `start` for a request that has no time yet, or move it there."""
        now = self.clock.now()
        moving = record.status is RequestStatus.SCHEDULED
        people = await store.panel_of(work.conn, record.id)
        panel = store.panel_from(people)
        schedules = await load_schedules(
            work.conn,
            panel.everyone,
            window_start=record.window_start,
            window_end=record.window_end,
            now=now,
            exclude_request_id=record.id,
        )
        try:
            slot = check_slot(start, slot_request(record, panel), schedules, now)
        except SlotUnavailable as exc:
            raise SlotTaken(
                "This time was just taken or is no longer available. Please choose another."
            ) from exc
        before = await bookings.booked_interviewers(work.conn, record.id) if moving else []
        await bookings.release_bookings(work.conn, record.id)
        prefs = await prefs_for(work.conn, slot.interviewers)
        busy = {
            uid: (
                slot.start - timedelta(minutes=prefs[uid].buffer_before_minutes),
                slot.end + timedelta(minutes=prefs[uid].buffer_after_minutes),
            )
            for uid in slot.interviewers
        }
        try:
            await bookings.add_bookings(
                work.conn,
                request_id=record.id,
                start=slot.start,
                end=slot.end,
                busy=busy,
                now=now,
            )
        except bookings.BookingCollision as exc:
            raise SlotTaken(
                "This time was just taken by another booking. Please choose another."
            ) from exc
        sequence = record.sequence + 1 if moving else record.sequence
        reschedules = record.reschedule_count + (1 if moving and actor.is_candidate else 0)
        await store.mark_scheduled(
            work.conn,
            record.id,
            start=slot.start,
            end=slot.end,
            candidate_timezone=candidate_timezone,
            sequence=sequence,
            reschedule_count=reschedules,
            now=now,
        )
        updated = await store.get_request(work.conn, record.id)
        assert updated is not None
        await self._ensure_links(work, updated, slot, now)
        await self._plan_reminders(work, updated, slot)
        await store.add_event(
            work.conn,
            record.id,
            at=now,
            actor_id=actor.user_id,
            actor=actor.name,
            kind="rescheduled" if moving else "booked",
            details={
                "start": slot.start.isoformat(),
                "end": slot.end.isoformat(),
                "interviewers": list(slot.interviewers),
                **({"previous_start": record.start_at.isoformat()} if record.start_at else {}),
            },
        )
        booked = await bookings.booked_interviewers(work.conn, record.id)
        dropped = [p for p in before if p.user_id not in {b.user_id for b in booked}]
        await self.invitations.send(
            work,
            updated,
            change=Change.RESCHEDULED if moving else Change.BOOKED,
            attendees=booked,
            dropped=dropped,
            previous_start=record.start_at if moving else None,
        )
        return updated

    async def cancel(
        self, work: Work, record: InterviewRecord, *, actor: Actor, reason: str
    ) -> InterviewRecord:
        now = self.clock.now()
        attendees = await bookings.booked_interviewers(work.conn, record.id)
        was_scheduled = record.status is RequestStatus.SCHEDULED
        await bookings.release_bookings(work.conn, record.id)
        await store.mark_cancelled(
            work.conn,
            record.id,
            sequence=record.sequence + 1 if was_scheduled else record.sequence,
            now=now,
        )
        await reminders.cancel_reminders(work.conn, record.id)
        updated = await store.get_request(work.conn, record.id)
        assert updated is not None
        await store.add_event(
            work.conn,
            record.id,
            at=now,
            actor_id=actor.user_id,
            actor=actor.name,
            kind="cancelled",
            details={"reason": reason} if reason else {},
        )
        # The emails still carry working links to nothing; revoking after queueing them
        # keeps the manage link out of the cancellation (there is nothing left to manage).
        await self.invitations.send(
            work,
            updated,
            change=Change.CANCELLED,
            attendees=attendees if was_scheduled else [],
            dropped=[],
            previous_start=record.start_at,
            reason=reason,
        )
        await link_store.revoke_links(work.conn, record.id, None, now=now)
        return updated

    async def _ensure_links(
        self, work: Work, record: InterviewRecord, slot: Slot, now: datetime
    ) -> None:
        """Manage and join links for everyone booked; existing ones are kept and extended."""
        wanted = (
            (Purpose.MANAGE, (None,), slot.start),
            (Purpose.JOIN, (None, *slot.interviewers), slot.end + JOIN_GRACE),
        )
        for purpose, holders, until in wanted:
            existing = await self.links.tokens(work.conn, record.id, purpose)
            for user_id in holders:
                if user_id not in existing:
                    await self.links.issue(
                        work.conn,
                        request_id=record.id,
                        purpose=purpose,
                        user_id=user_id,
                        now=now,
                        expires_at=until,
                    )
            await link_store.extend_links(work.conn, record.id, purpose.value, expires_at=until)

    async def _plan_reminders(self, work: Work, record: InterviewRecord, slot: Slot) -> None:
        due = reminder_times(slot.start, self.reminder_offsets, self.clock.now())
        recipients = ["candidate", *(f"user:{uid}" for uid in slot.interviewers)]
        await reminders.replace_reminders(
            work.conn,
            record.id,
            [
                (recipient, int(offset.total_seconds() // 60), due_at)
                for offset, due_at in due
                for recipient in recipients
            ],
        )
