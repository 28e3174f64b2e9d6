"""Reminder emails before interviews, sent once even with several app processes."""

from __future__ import annotations

import logging
from datetime import timedelta

from liveinterview.clock import Clock
from liveinterview.domain.interviews import RequestStatus
from liveinterview.services.invitations import Invitations
from liveinterview.services.work import unit_of_work
from liveinterview.storage import bookings as booking_store
from liveinterview.storage import interviews as store
from liveinterview.storage import reminders
from liveinterview.storage.db import Database

log = logging.getLogger(__name__)


def _stale(late: timedelta, offset: timedelta) -> bool:
    """A reminder found more than half its lead time late (the server was down) is dropped:
    a "tomorrow" email an hour before the start misleads more than it helps."""
    return late > offset / 2


class ReminderService:
    def __init__(self, *, db: Database, clock: Clock, invitations: Invitations) -> None:
        self.db = db
        self.clock = clock
        self.invitations = invitations

    async def send_due(self) -> int:
        """Queue every due reminder; each is claimed and its email queued in one transaction."""
        queued = 0
        while True:
            async with unit_of_work(self.db) as work:
                now = self.clock.now()
                due = await reminders.claim_due_reminders(work.conn, now=now)
                for reminder in due:
                    record = await store.get_request(work.conn, reminder.request_id)
                    if (
                        record is None
                        or record.status is not RequestStatus.SCHEDULED
                        or record.start_at is None
                        or record.start_at <= now
                        or _stale(now - reminder.due_at, timedelta(minutes=reminder.offset_minutes))
                    ):
                        continue
                    recipient = None
                    if reminder.recipient != "candidate":
                        user_id = int(reminder.recipient.removeprefix("user:"))
                        booked = await booking_store.booked_interviewers(work.conn, record.id)
                        matches = [p for p in booked if p.user_id == user_id]
                        if not matches:
                            continue  # no longer on this interview
                        recipient = matches[0]
                    await self.invitations.remind(
                        work,
                        record,
                        recipient=recipient,
                        offset=timedelta(minutes=reminder.offset_minutes),
                        dedupe_key=f"reminder:{reminder.id}",
                    )
                    queued += 1
            if not due:
                return queued
