"""Compose a templated email and queue it inside the current unit of work."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from liveinterview.clock import Clock
from liveinterview.mail.compose import CalendarPart, MailComposer
from liveinterview.services.mail_delivery import MailDelivery
from liveinterview.services.work import Work
from liveinterview.storage import mail_queue


class Notifier:
    """Emails are rows in the same transaction as the change they report (never sent when it
    rolls back), then delivered right after the commit and retried by the delivery loop."""

    def __init__(self, composer: MailComposer, delivery: MailDelivery, clock: Clock) -> None:
        self.composer = composer
        self.delivery = delivery
        self.clock = clock

    async def queue(
        self,
        work: Work,
        template: str,
        *,
        to: tuple[str, str],
        subject: str,
        context: Mapping[str, Any],
        calendar: CalendarPart | None = None,
        dedupe_key: str | None = None,
    ) -> int | None:
        """Queue one email; returns its id, or None if `dedupe_key` was queued before."""
        now = self.clock.now()
        message = self.composer.compose(
            template, to=to, subject=subject, context=context, sent_at=now, calendar=calendar
        )
        mail_id = await mail_queue.enqueue(
            work.conn,
            message=message.as_bytes(),
            recipient=to[1],
            subject=subject,
            now=now,
            dedupe_key=dedupe_key,
        )
        if mail_id is not None:
            work.after_commit(lambda: self._deliver(mail_id))
        return mail_id

    async def _deliver(self, mail_id: int) -> None:
        await self.delivery.deliver([mail_id])
