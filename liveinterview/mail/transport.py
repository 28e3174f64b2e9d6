"""Deliver composed emails: to an outbox folder (default) or through SMTP."""

from __future__ import annotations

import logging
import os
import tempfile
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Protocol

import aiosmtplib

from liveinterview.config import MailBackend, Settings, SmtpSecurity
from liveinterview.mail.compose import MAIL_POLICY

log = logging.getLogger(__name__)


class MailError(Exception):
    """The message could not be handed over for delivery."""


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class OutboxMailer:
    """Writes each message as an .eml file; the embedded default and handy for development."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        message_id = str(message["Message-ID"]).strip("<>")
        safe_id = "".join(c if c.isalnum() or c in "-._" else "_" for c in message_id)
        # Write-then-rename so a reader never sees half a message.
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(message.as_bytes())
        final = self.directory / f"{safe_id}.eml"
        os.replace(tmp, final)
        log.info(
            "email written to outbox",
            extra={
                "to": str(message["To"]),
                "subject": str(message["Subject"]),
                "file": str(final),
            },
        )


class SmtpMailer:
    """Sends through any SMTP server with aiosmtplib."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage) -> None:
        s = self.settings
        # Sent as bytes serialized with our own policy: aiosmtplib would re-fold the headers
        # with the stdlib SMTP policy and reintroduce its doubled-space folding bug.
        raw = message.as_bytes(policy=MAIL_POLICY.clone(linesep="\r\n"))
        sender = parseaddr(str(message["From"]))[1]
        recipients = [address for _, address in getaddresses(message.get_all("To", []))]
        try:
            await aiosmtplib.send(
                raw,
                sender=sender,
                recipients=recipients,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username or None,
                password=s.smtp_password or None,
                use_tls=s.smtp_security is SmtpSecurity.TLS,
                start_tls=s.smtp_security is SmtpSecurity.STARTTLS,
                timeout=s.smtp_timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise MailError(f"SMTP delivery to {message['To']} failed: {exc}") from exc
        log.info("email sent", extra={"to": str(message["To"]), "subject": str(message["Subject"])})


def build_mailer(settings: Settings) -> Mailer:
    if settings.mail_backend is MailBackend.SMTP:
        return SmtpMailer(settings)
    return OutboxMailer(settings.outbox_dir)
