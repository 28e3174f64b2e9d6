"""Queued mail goes out after commit, once, and is retried when the server is down."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.message import EmailMessage

import pytest

from liveinterview.clock import ManualClock
from liveinterview.config import Settings
from liveinterview.mail.compose import MailComposer
from liveinterview.mail.transport import MailError, SmtpMailer
from liveinterview.services.mail_delivery import MailDelivery
from liveinterview.services.notify import Notifier
from liveinterview.services.work import unit_of_work
from liveinterview.storage import mail_queue
from liveinterview.storage.db import Database
from tests.mailbox import Mailbox


class FlakyMailer:
    """A transport that fails while `down` is set; otherwise forwards to real SMTP."""

    def __init__(self, inner: SmtpMailer) -> None:
        self.inner = inner
        self.down = False
        self.calls = 0

    async def send(self, message: EmailMessage) -> None:
        self.calls += 1
        if self.down:
            raise MailError("SMTP delivery failed: connection refused")
        await self.inner.send(message)


@pytest.fixture
def flaky(settings: Settings) -> FlakyMailer:
    return FlakyMailer(SmtpMailer(settings))


def notifier_for(db: Database, mailer: object, clock: ManualClock) -> Notifier:
    delivery = MailDelivery(db, mailer, clock)  # type: ignore[arg-type]
    return Notifier(MailComposer("LiveInterview <no-reply@liveinterview.test>"), delivery, clock)


async def queue_one(
    notifier: Notifier, db: Database, *, key: str | None = None, delivered: bool = True
) -> int | None:
    """Queue one email in a unit of work; `delivered=False`: its own after-commit delivery
    never runs (the request is still busy, or its process died)."""
    async with unit_of_work(db) as work:
        mail_id = await notifier.queue(
            work,
            "password_changed",
            to=("Rita", "rita@example.com"),
            subject="Your LiveInterview password was changed",
            context={"signin_link": "http://127.0.0.1:8080/signin"},
            dedupe_key=key,
        )
        if not delivered:
            work._after_commit.clear()
    return mail_id


async def test_mail_is_sent_right_after_commit(
    db: Database, clock: ManualClock, mailbox: Mailbox, flaky: FlakyMailer
) -> None:
    notifier = notifier_for(db, flaky, clock)
    await queue_one(notifier, db)
    assert len(mailbox.to("rita@example.com")) == 1
    async with db.read() as conn:
        assert await mail_queue.counts(conn) == {"sent": 1}


async def test_the_loop_leaves_a_fresh_message_to_the_work_that_queued_it(
    db: Database, clock: ManualClock, mailbox: Mailbox, flaky: FlakyMailer
) -> None:
    # The loop ran between the commit and the request's own delivery (as on a busy machine):
    # it must not take the message, or the response goes out before its email.
    notifier = notifier_for(db, flaky, clock)
    mail_id = await queue_one(notifier, db, delivered=False)  # the request is still busy
    assert mail_id is not None
    assert await notifier.delivery.deliver() == 0
    assert await notifier.delivery.deliver([mail_id]) == 1  # the request's own, right away
    assert len(mailbox.to("rita@example.com")) == 1


async def test_the_loop_sends_a_message_the_work_never_delivered_after_a_minute(
    db: Database, clock: ManualClock, mailbox: Mailbox, flaky: FlakyMailer
) -> None:
    notifier = notifier_for(db, flaky, clock)
    await queue_one(notifier, db, delivered=False)  # the process died before delivering
    clock.advance(timedelta(seconds=59))
    assert await notifier.delivery.deliver() == 0
    clock.advance(timedelta(seconds=1))
    assert await notifier.delivery.deliver() == 1
    assert len(mailbox.to("rita@example.com")) == 1


async def test_rolled_back_work_sends_nothing(
    db: Database, clock: ManualClock, mailbox: Mailbox, flaky: FlakyMailer
) -> None:
    notifier = notifier_for(db, flaky, clock)

    async def failing_change() -> None:
        async with unit_of_work(db) as work:
            await notifier.queue(
                work,
                "password_changed",
                to=("Rita", "rita@example.com"),
                subject="x",
                context={"signin_link": "http://x"},
            )
            raise RuntimeError("the business change failed")

    with pytest.raises(RuntimeError, match="the business change failed"):
        await failing_change()
    assert mailbox.messages == []
    assert flaky.calls == 0
    async with db.read() as conn:
        assert await mail_queue.counts(conn) == {}


async def test_failed_delivery_is_retried_later_and_not_lost(
    db: Database, clock: ManualClock, mailbox: Mailbox, flaky: FlakyMailer
) -> None:
    notifier = notifier_for(db, flaky, clock)
    flaky.down = True
    await queue_one(notifier, db)
    assert mailbox.messages == []
    delivery = notifier.delivery
    assert await delivery.deliver() == 0  # not due yet: the retry waits a minute
    flaky.down = False
    clock.advance(timedelta(seconds=59))
    assert await delivery.deliver() == 0
    clock.advance(timedelta(seconds=1))
    assert await delivery.deliver() == 1
    assert len(mailbox.to("rita@example.com")) == 1
    assert await delivery.deliver() == 0  # sent once, never again
    assert flaky.calls == 2


async def test_delivery_gives_up_after_the_last_retry(
    db: Database, clock: ManualClock, flaky: FlakyMailer
) -> None:
    notifier = notifier_for(db, flaky, clock)
    flaky.down = True
    await queue_one(notifier, db)
    for _ in range(10):
        clock.advance(timedelta(days=1))
        await notifier.delivery.deliver()
    async with db.read() as conn:
        assert await mail_queue.counts(conn) == {"failed": 1}
    assert flaky.calls == 9  # the first attempt plus eight retries


async def test_dedupe_key_queues_a_message_once(
    db: Database, clock: ManualClock, mailbox: Mailbox, flaky: FlakyMailer
) -> None:
    notifier = notifier_for(db, flaky, clock)
    assert await queue_one(notifier, db, key="reminder:1:24h") is not None
    assert await queue_one(notifier, db, key="reminder:1:24h") is None
    assert len(mailbox.messages) == 1


async def test_two_delivery_workers_never_send_one_message_twice(
    db: Database, clock: ManualClock, mailbox: Mailbox, flaky: FlakyMailer
) -> None:
    notifier = notifier_for(db, flaky, clock)
    flaky.down = True
    for _ in range(30):
        await queue_one(notifier, db)
    flaky.down = False
    clock.advance(timedelta(minutes=1))
    # Separate engines, as separate processes would have.
    other_db = Database(db.url, schema=db.schema)
    try:
        workers = [MailDelivery(db, flaky, clock), MailDelivery(other_db, flaky, clock)]
        sent = await asyncio.gather(*(w.deliver() for w in workers for _ in range(3)))
    finally:
        await other_db.close()
    assert sum(sent) == 30
    assert len(mailbox.messages) == 30
