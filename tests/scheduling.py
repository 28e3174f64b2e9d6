"""Setting up interviewers, requests and bookings for scheduling tests."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient
from icalendar import Calendar

from liveinterview.domain.accounts import StaffMember
from liveinterview.storage import availability
from liveinterview.storage.db import Database
from liveinterview.web.keys import CLOCK
from tests.mailbox import Mailbox, Received
from tests.pages import submit
from tests.staff import make_staff

Client = TestClient  # type: ignore[type-arg]
BASE = "http://127.0.0.1:8080"
NINE_TO_FIVE = {day: [(9 * 60, 17 * 60)] for day in range(5)}


async def interviewer(
    client: Client,
    db: Database,
    email: str,
    *,
    name: str | None = None,
    tz: str = "Europe/Berlin",
    hours: dict[int, list[tuple[int, int]]] | None = None,
    notice_minutes: int = 0,
    buffer_before: int = 0,
    buffer_after: int = 0,
    max_per_day: int | None = None,
) -> StaffMember:
    member = await make_staff(client, email, "interviewer", name=name)
    async with db.transaction() as conn:
        await availability.save_prefs(
            conn,
            availability.InterviewerPrefs(
                user_id=member.id,
                timezone=tz,
                buffer_before_minutes=buffer_before,
                buffer_after_minutes=buffer_after,
                max_per_day=max_per_day,
                min_notice_minutes=notice_minutes,
            ),
            client.app[CLOCK].now(),
        )
        await availability.replace_weekly(conn, member.id, hours or NINE_TO_FIVE)
    return member


async def create_request(
    client: Client,
    *,
    candidate: str = "Zoë Müller",
    email: str = "zoe@example.com",
    position: str = "Backend Engineer",
    panel: dict[int, str],
    first_day: str = "2026-03-03",
    last_day: str = "2026-03-06",
    duration: int = 60,
    step: int = 30,
    timezone: str = "Europe/Berlin",
    note: str = "",
) -> int:
    fields = [
        ("candidate_name", candidate),
        ("candidate_email", email),
        ("position", position),
        ("duration", str(duration)),
        ("step", str(step)),
        ("first_day", first_day),
        ("last_day", last_day),
        ("timezone", timezone),
        ("recorded", "on"),
        ("note", note),
        *((f"place_{uid}", place) for uid, place in panel.items()),
    ]
    response = await submit(client, "/interviews/new", fields, token_from="/interviews/new")
    assert response.status == 303, await response.text()
    match = re.match(r"/interviews/(\d+)\?notice=request_sent", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def link_in(message: Received, kind: str) -> str:
    """The path of the first link of a kind ('book', 'manage', 'join') in an email."""
    for url in message.links():
        if f"/{kind}/" in url:
            return urlsplit(url).path
    raise AssertionError(f"no /{kind}/ link in {message.message['Subject']!r}")


def slot_values(body: str) -> list[str]:
    return re.findall(r'name="start" value="([^"]+)"', body)


def calendar_of(message: Received) -> Calendar:
    parts = [p for p in message.message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, f"expected one text/calendar part, got {len(parts)}"
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return Calendar.from_ical(payload)


def latest(mailbox: Mailbox, address: str) -> Received:
    found = mailbox.to(address)
    assert found, f"no email to {address}"
    return found[-1]
