"""Reminders go out once, on time, to everyone booked, and follow moves and cancellations."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestClient

from liveinterview.clock import ManualClock
from liveinterview.services.reminders import ReminderService
from liveinterview.storage import reminders as reminder_store
from liveinterview.storage.db import Database
from liveinterview.web.keys import INTERVIEWS, REMINDERS
from tests.mailbox import Mailbox
from tests.pages import submit
from tests.scheduling import create_request, interviewer, link_in
from tests.staff import signed_in_as

Client = TestClient  # type: ignore[type-arg]
START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # Wednesday 10:00 in Berlin


async def book(client: Client, db: Database, mailbox: Mailbox) -> int:
    await signed_in_as(client, "rita@example.com", "recruiter")
    ivan = await interviewer(client, db, "ivan@example.com", name="Ivan Petrov")
    request_id = await create_request(client, panel={ivan.id: "required"})
    path = link_in(mailbox.only("zoe@example.com"), "book")
    response = await submit(
        client, path, {"start": START.isoformat(), "tz": "America/New_York"}, token_from=path
    )
    assert response.status == 303
    return request_id


def reminders_to(mailbox: Mailbox, address: str) -> list[str]:
    return [
        str(m.message["Subject"])
        for m in mailbox.to(address)
        if str(m.message["Subject"]).startswith("Reminder")
    ]


async def test_each_reminder_goes_out_once_at_its_time(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock
) -> None:
    await book(client, db, mailbox)
    service = client.app[REMINDERS]
    assert await service.send_due() == 0
    clock.set(START - timedelta(hours=24, seconds=1))
    assert await service.send_due() == 0
    clock.set(START - timedelta(hours=24))
    assert await service.send_due() == 2  # candidate and Ivan
    assert await service.send_due() == 0
    candidate = mailbox.to("zoe@example.com")[-1]
    assert candidate.message["Subject"] == "Reminder: interview tomorrow, Backend Engineer"
    assert "Wednesday 4 March 2026, 04:00–05:00 (America/New_York, EST)" in candidate.text
    assert "/join/" in candidate.text
    assert reminders_to(mailbox, "ivan@example.com") == [
        "Reminder: interview tomorrow, Backend Engineer"
    ]
    clock.set(START - timedelta(minutes=14))
    assert await service.send_due() == 2
    assert reminders_to(mailbox, "zoe@example.com") == [
        "Reminder: interview tomorrow, Backend Engineer",
        "Reminder: interview in 15 minutes, Backend Engineer",
    ]


async def test_two_processes_never_send_the_same_reminder(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock
) -> None:
    await book(client, db, mailbox)
    clock.set(START - timedelta(minutes=15))
    # A second "process": its own engine and service over the same database.
    other_db = Database(db.url, schema=db.schema)
    try:
        other = ReminderService(
            db=other_db, clock=clock, invitations=client.app[REMINDERS].invitations
        )
        counts = await asyncio.gather(
            client.app[REMINDERS].send_due(), other.send_due(), other.send_due()
        )
    finally:
        await other_db.close()
    # The 24-hour reminders are long overdue by now and dropped; the 15-minute ones go once.
    assert sum(counts) == 2
    assert len(reminders_to(mailbox, "zoe@example.com")) == 1
    assert len(reminders_to(mailbox, "ivan@example.com")) == 1


async def test_moving_the_interview_replans_its_reminders(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock
) -> None:
    request_id = await book(client, db, mailbox)
    user = await signed_in_as(client, "rita2@example.com", "recruiter")
    later = START + timedelta(days=1)
    await client.app[INTERVIEWS].reschedule(user, request_id, later)
    async with db.read() as conn:
        pending = await reminder_store.pending_reminders(conn, request_id)
    assert sorted({due for _, _, due in pending}) == [
        later - timedelta(hours=24),
        later - timedelta(minutes=15),
    ]
    clock.set(START - timedelta(minutes=15))  # the old time: nothing is due any more
    assert await client.app[REMINDERS].send_due() == 0


async def test_a_cancelled_interview_sends_no_reminders(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock
) -> None:
    request_id = await book(client, db, mailbox)
    user = await signed_in_as(client, "rita2@example.com", "recruiter")
    await client.app[INTERVIEWS].cancel(user, request_id, "position filled")
    clock.set(START - timedelta(minutes=15))
    assert await client.app[REMINDERS].send_due() == 0
    assert reminders_to(mailbox, "zoe@example.com") == []


async def test_a_restart_neither_loses_nor_repeats_a_reminder(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock
) -> None:
    await book(client, db, mailbox)
    clock.set(START - timedelta(hours=23, minutes=50))  # the server was down for ten minutes
    fresh = ReminderService(db=db, clock=clock, invitations=client.app[REMINDERS].invitations)
    assert await fresh.send_due() == 2
    assert await client.app[REMINDERS].send_due() == 0
    assert len(reminders_to(mailbox, "zoe@example.com")) == 1
