"""Delivering queued mail: right after the commit that queued it, and retried until it goes."""

from __future__ import annotations

import email
import email.policy
import logging
from collections.abc import Sequence
from datetime import timedelta
from email.message import EmailMessage

from liveinterview.clock import Clock
from liveinterview.mail.compose import MAIL_POLICY
from liveinterview.mail.transport import Mailer, MailError
from liveinterview.storage import mail_queue
from liveinterview.storage.db import Database

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
FRESH_GRACE = timedelta(minutes=1)
# After the n-th failed attempt, wait RETRY_DELAYS[n-1]; after the last one, give up.
RETRY_DELAYS = tuple(timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 360, 720, 1440))


class MailDelivery:
    """Claims queued messages and hands them to the transport; safe in several processes."""

    def __init__(self, db: Database, mailer: Mailer, clock: Clock) -> None:
        self.db = db
        self.mailer = mailer
        self.clock = clock

    async def deliver(self, ids: Sequence[int] | None = None) -> int:
        """Send the given queued messages (or every due one); return how many went out.

        Without `ids` (the delivery loop) a message queued less than `FRESH_GRACE` ago and not
        tried yet is left to the request that queued it, which sends it right after its
        commit: otherwise the loop could claim it first and the request's response would go
        out before its own emails.
        """
        sent = 0
        grace = FRESH_GRACE if ids is None else timedelta(0)
        while True:
            async with self.db.transaction() as conn:
                batch = await mail_queue.claim(
                    conn, now=self.clock.now(), lease=LEASE, ids=ids, fresh_grace=grace
                )
            if not batch:
                return sent
            sent += await self._send(batch)
            if ids is not None:
                return sent

    async def _send(self, batch: Sequence[mail_queue.QueuedMail]) -> int:
        sent = 0
        for item in batch:
            error: str | None = None
            try:
                await self.mailer.send(_parse(item.message))
            except MailError as exc:
                error = str(exc)
            except Exception as exc:  # a transport bug must not lose the message either
                log.exception("mail transport failed unexpectedly")
                error = repr(exc)
            async with self.db.transaction() as conn:
                if error is None:
                    await mail_queue.mark_sent(conn, item.id, self.clock.now())
                    sent += 1
                    continue
                attempt = item.attempts + 1
                retry_at = (
                    self.clock.now() + RETRY_DELAYS[attempt - 1]
                    if attempt <= len(RETRY_DELAYS)
                    else None
                )
                await mail_queue.mark_failed(conn, item.id, error=error, retry_at=retry_at)
            if retry_at is None:
                log.error(
                    "email given up after %d attempts",
                    attempt,
                    extra={"mail_id": item.id, "to": item.recipient, "error": error},
                )
            else:
                log.warning(
                    "email delivery failed; will retry",
                    extra={
                        "mail_id": item.id,
                        "to": item.recipient,
                        "error": error,
                        "retry_at": retry_at.isoformat(),
                    },
                )
        return sent


def _parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=MAIL_POLICY)
    assert isinstance(message, EmailMessage)
    return message
