"""Emails are multipart text + HTML, written to the outbox or sent through real SMTP."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path

import pytest

from liveinterview.config import MailBackend, Settings, SmtpSecurity
from liveinterview.mail.compose import CalendarPart, MailComposer
from liveinterview.mail.transport import (
    MailError,
    OutboxMailer,
    SmtpMailer,
    build_mailer,
)
from tests.mailbox import Mailbox

SENT_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def compose(**overrides: object) -> email.message.EmailMessage:
    composer = MailComposer("LiveInterview <no-reply@liveinterview.test>")
    values: dict[str, object] = {
        "to": ("Zoë Müller", "zoe@example.com"),
        "subject": "Reset your LiveInterview password",
        "context": {"link": "http://x/reset/abc", "valid_minutes": 60, "address": "1.2.3.4"},
        "sent_at": SENT_AT,
    }
    values.update(overrides)
    return composer.compose("password_reset", **values)  # type: ignore[arg-type]


def test_message_has_text_and_html_alternatives_with_headers() -> None:
    message = compose()
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert str(message["To"]) == "Zoë Müller <zoe@example.com>"
    assert str(message["From"]) == "LiveInterview <no-reply@liveinterview.test>"
    assert message["Message-ID"].endswith("@liveinterview.test>")
    assert message["Date"] == "Mon, 02 Mar 2026 09:00:00 +0000"
    text = message.get_body(("plain",))
    assert text is not None
    assert "Hello Zoë Müller" in text.get_content()


def test_html_part_escapes_what_it_is_given() -> None:
    message = compose(to=("<script>alert(1)</script>", "zoe@example.com"))
    html = message.get_body(("html",))
    assert html is not None
    assert "<script>alert" not in html.get_content()
    assert "&lt;script&gt;" in html.get_content()


def test_calendar_part_is_an_alternative_and_an_attachment() -> None:
    ics = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    message = compose(calendar=CalendarPart(ics, "REQUEST"))
    assert message.get_content_type() == "multipart/mixed"
    alternative = next(message.iter_parts())
    types = [p.get_content_type() for p in alternative.iter_parts()]
    assert types == ["text/plain", "text/html", "text/calendar"]
    calendar = list(alternative.iter_parts())[2]
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content() == ics.decode()
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["invite.ics"]


def test_composer_rejects_a_sender_without_an_address() -> None:
    with pytest.raises(ValueError, match="has no email address"):
        MailComposer("LiveInterview")


async def test_outbox_writes_a_parseable_eml_file(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    await OutboxMailer(outbox).send(compose())
    files = list(outbox.glob("*.eml"))
    assert len(files) == 1
    assert list(outbox.glob("*.tmp")) == []
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "Reset your LiveInterview password"


async def test_smtp_delivers_to_a_real_server(mailbox: Mailbox) -> None:
    settings = Settings(
        mail_backend=MailBackend.SMTP, smtp_host=mailbox.host, smtp_port=mailbox.port
    )
    mailer = build_mailer(settings)
    assert isinstance(mailer, SmtpMailer)
    await mailer.send(compose())
    received = mailbox.only("zoe@example.com")
    assert received.mail_from == "no-reply@liveinterview.test"
    assert "http://x/reset/abc" in received.text
    assert "http://x/reset/abc" in received.html


async def test_smtp_failure_is_a_clear_mail_error() -> None:
    settings = Settings(
        mail_backend=MailBackend.SMTP,
        smtp_host="127.0.0.1",
        smtp_port=1,  # nothing listens there
        smtp_security=SmtpSecurity.NONE,
        smtp_timeout_seconds=2,
    )
    with pytest.raises(MailError, match=r"SMTP delivery to Zoë Müller <zoe@example\.com> failed"):
        await SmtpMailer(settings).send(compose())


def test_default_backend_is_the_outbox() -> None:
    mailer = build_mailer(Settings(data_dir=Path("/tmp/li")))
    assert isinstance(mailer, OutboxMailer)
    assert mailer.directory == Path("/tmp/li/outbox")
