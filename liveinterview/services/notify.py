"""Compose and send one templated email; used from after-commit actions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from liveinterview.clock import Clock
from liveinterview.mail.compose import CalendarPart, MailComposer
from liveinterview.mail.transport import Mailer


class Notifier:
    def __init__(self, composer: MailComposer, mailer: Mailer, clock: Clock) -> None:
        self.composer = composer
        self.mailer = mailer
        self.clock = clock

    async def email(
        self,
        template: str,
        *,
        to: tuple[str, str],
        subject: str,
        context: Mapping[str, Any],
        calendar: CalendarPart | None = None,
    ) -> None:
        message = self.composer.compose(
            template,
            to=to,
            subject=subject,
            context=context,
            sent_at=self.clock.now(),
            calendar=calendar,
        )
        await self.mailer.send(message)
