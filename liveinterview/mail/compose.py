"""Build multipart (text + HTML) emails from jinja2 templates."""

from __future__ import annotations

import email.policy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any

import jinja2

from liveinterview.paths import TEMPLATES_DIR

# CPython folds a long header that needs encoded words so that unfolding leaves a doubled
# space ("2026,  18:00"); headers up to RFC 5322's hard limit stay on one line instead.
MAIL_POLICY = email.policy.default.clone(max_line_length=998)


@dataclass(frozen=True)
class CalendarPart:
    """An iCalendar body to attach as `text/calendar; method=...` (and as a file)."""

    data: bytes
    method: str
    filename: str = "invite.ics"


class MailComposer:
    """Renders `email/<name>.txt` and `email/<name>.html` into one EmailMessage."""

    def __init__(self, mail_from: str, templates_dir: Path = TEMPLATES_DIR) -> None:
        name, address = parseaddr(mail_from)
        if "@" not in address:
            raise ValueError(f"mail_from {mail_from!r} has no email address")
        self.sender = Address(display_name=name, addr_spec=address)
        self.domain = address.rsplit("@", 1)[1]
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates_dir),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",)),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def compose(
        self,
        template: str,
        *,
        to: tuple[str, str],
        subject: str,
        context: Mapping[str, Any],
        sent_at: datetime,
        calendar: CalendarPart | None = None,
    ) -> EmailMessage:
        """One message to one recipient; `to` is (display name, address)."""
        values = {**context, "subject": subject, "recipient_name": to[0]}
        text = self._env.get_template(f"email/{template}.txt").render(values)
        html = self._env.get_template(f"email/{template}.html").render(values)
        message = EmailMessage(policy=MAIL_POLICY)
        message["Subject"] = subject
        message["From"] = self.sender
        message["To"] = Address(display_name=to[0], addr_spec=to[1])
        message["Date"] = format_datetime(sent_at)
        message["Message-ID"] = make_msgid(domain=self.domain)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        if calendar is not None:
            # Inside multipart/alternative is where Gmail and Outlook look for an iTIP
            # message; the attached copy is for clients that only offer files.
            message.add_alternative(
                calendar.data,
                maintype="text",
                subtype="calendar",
                params={"method": calendar.method, "charset": "UTF-8"},
            )
            message.add_attachment(
                calendar.data,
                maintype="application",
                subtype="ics",
                filename=calendar.filename,
            )
        return message
