"""Recruiter asks, candidate books, reschedules and cancels; every email parsed back."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp.test_utils import TestClient
from icalendar import Calendar

from liveinterview.clock import ManualClock
from liveinterview.storage.db import Database
from tests.mailbox import Mailbox
from tests.pages import page_text, submit
from tests.scheduling import (
    calendar_of,
    create_request,
    interviewer,
    latest,
    link_in,
    slot_values,
)
from tests.staff import signed_in_as

Client = TestClient  # type: ignore[type-arg]


def event_of(calendar: Calendar) -> object:
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) == 1
    return events[0]


async def test_book_reschedule_cancel_updates_every_calendar_in_place(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock
) -> None:
    rita = await signed_in_as(client, "rita@example.com", "recruiter")
    ivan = await interviewer(client, db, "ivan@example.com", name="Ivan Petrov")
    ines = await interviewer(
        client,
        db,
        "ines@example.com",
        name="Inès Dubois",
        tz="America/New_York",
        hours={d: [(3 * 60, 11 * 60)] for d in range(5)},  # 03:00–11:00 New York
    )
    request_id = await create_request(client, panel={ivan.id: "required", ines.id: "required"})

    invite = mailbox.only("zoe@example.com")
    assert invite.message["Subject"] == "Pick a time for your interview: Backend Engineer"
    assert "Rita invites you to a 60-minute video interview" in invite.text
    assert "between 3 March – 6 March 2026 (Europe/Berlin)" in " ".join(invite.text.split())
    book_path = link_in(invite, "book")

    # The candidate's page, in the candidate's zone (Tokyo), labelled as such.
    client.session.cookie_jar.clear()
    page = await client.get(f"{book_path}?tz=Asia/Tokyo")
    assert page.status == 200
    body = await page.text()
    assert "(shown in Asia/Tokyo)" in body
    starts = slot_values(body)
    # Overlap of Berlin 09–17 (08–16 UTC) and New York 03–11 (08–16 UTC in March before
    # the US switch on 8 March): 08:00–16:00 UTC, 60-minute interviews every 30 minutes.
    assert starts[0] == "2026-03-03T08:00:00+00:00"
    assert len(starts) == 4 * 15
    assert "17:00" in page_text(body)  # 08:00 UTC is 17:00 in Tokyo

    response = await submit(
        client, book_path, {"start": starts[2], "tz": "Asia/Tokyo"}, token_from=book_path
    )
    assert response.status == 303
    manage_path = response.headers["Location"].split("?")[0]
    assert manage_path.startswith("/manage/")

    # Candidate confirmation: time in Tokyo, REQUEST with everyone as attendees.
    confirmation = latest(mailbox, "zoe@example.com")
    assert confirmation.message["Subject"] == (
        "Interview confirmed: Backend Engineer, Tuesday 3 March 2026, 18:00–19:00 (Asia/Tokyo, JST)"
    )
    alternative = [p.get_content_type() for p in confirmation.message.walk()]
    assert alternative[:5] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    calendar = calendar_of(confirmation)
    assert str(calendar["METHOD"]) == "REQUEST"
    event = event_of(calendar)
    uid = str(event["UID"])  # type: ignore[index]
    assert int(event["SEQUENCE"]) == 0  # type: ignore[index]
    assert event["DTSTART"].dt == datetime(2026, 3, 3, 9, tzinfo=UTC)  # type: ignore[index]
    assert event["DTEND"].dt == datetime(2026, 3, 3, 10, tzinfo=UTC)  # type: ignore[index]
    assert str(event["ORGANIZER"]) == "mailto:rita@example.com"  # type: ignore[index]
    attendees = {str(a): a.params for a in event["ATTENDEE"]}  # type: ignore[index]
    assert set(attendees) == {
        "mailto:zoe@example.com",
        "mailto:ivan@example.com",
        "mailto:ines@example.com",
    }
    assert attendees["mailto:ivan@example.com"]["PARTSTAT"] == "NEEDS-ACTION"
    assert attendees["mailto:ivan@example.com"]["RSVP"] == "TRUE"
    assert attendees["mailto:zoe@example.com"]["PARTSTAT"] == "ACCEPTED"
    candidate_join = link_in(confirmation, "join")
    assert str(event["LOCATION"]).endswith(candidate_join)  # type: ignore[index]
    assert link_in(confirmation, "manage") == manage_path

    # Each interviewer: own email, own zone, own join link.
    ivan_mail = latest(mailbox, "ivan@example.com")
    assert "Tuesday 3 March 2026, 10:00–11:00 (Europe/Berlin, CET)" in ivan_mail.text
    ines_mail = latest(mailbox, "ines@example.com")
    assert "Tuesday 3 March 2026, 04:00–05:00 (America/New_York, EST)" in ines_mail.text
    assert link_in(ivan_mail, "join") != link_in(ines_mail, "join") != candidate_join
    assert str(event_of(calendar_of(ines_mail))["UID"]) == uid  # type: ignore[index]

    # The .ics download on the confirmation page.
    ics = await client.get(f"{manage_path}/invite.ics")
    assert ics.status == 200
    assert ics.headers["Content-Disposition"] == 'attachment; filename="interview-2026-03-03.ics"'
    downloaded = Calendar.from_ical(await ics.read())
    assert str(event_of(downloaded)["UID"]) == uid  # type: ignore[index]

    # Reschedule from the manage page: same UID, SEQUENCE 1, METHOD REQUEST.
    manage = await client.get(manage_path)
    new_starts = slot_values(await manage.text())
    assert starts[2] not in new_starts
    moved = await submit(
        client,
        f"{manage_path}/reschedule",
        {"start": "2026-03-05T13:00:00+00:00", "tz": "Asia/Tokyo"},
        token_from=manage_path,
    )
    assert moved.status == 303
    moved_mail = latest(mailbox, "zoe@example.com")
    assert moved_mail.message["Subject"].startswith("Interview moved: Backend Engineer")
    assert "previously Tuesday 3 March 2026, 18:00–19:00" in moved_mail.text
    moved_event = event_of(calendar_of(moved_mail))
    assert str(moved_event["UID"]) == uid  # type: ignore[index]
    assert int(moved_event["SEQUENCE"]) == 1  # type: ignore[index]
    assert moved_event["DTSTART"].dt == datetime(2026, 3, 5, 13, tzinfo=UTC)  # type: ignore[index]
    assert link_in(moved_mail, "join") == candidate_join  # links survive a move
    assert int(event_of(calendar_of(latest(mailbox, "ivan@example.com")))["SEQUENCE"]) == 1  # type: ignore[index]

    # Cancel: METHOD CANCEL, STATUS CANCELLED, SEQUENCE 2, to everyone; links stop working.
    cancelled = await submit(
        client,
        f"{manage_path}/cancel",
        {"reason": "I accepted another offer"},
        token_from=manage_path,
    )
    assert cancelled.status == 200
    assert "Your interview is cancelled" in page_text(await cancelled.text())
    for address in ("zoe@example.com", "ivan@example.com", "ines@example.com"):
        message = latest(mailbox, address)
        assert message.message["Subject"].startswith("Interview cancelled: Backend Engineer")
        calendar = calendar_of(message)
        assert str(calendar["METHOD"]) == "CANCEL"
        event = event_of(calendar)
        assert str(event["STATUS"]) == "CANCELLED"  # type: ignore[index]
        assert int(event["SEQUENCE"]) == 2  # type: ignore[index]
        assert str(event["UID"]) == uid  # type: ignore[index]
        assert "/join/" not in message.text
    assert "I accepted another offer" in latest(mailbox, "ivan@example.com").text
    for path in (manage_path, candidate_join, book_path):
        assert (await client.get(path)).status == 410

    # The recruiter sees the whole history.
    await signed_in_as(client, "rita2@example.com", "recruiter")
    detail = page_text(await (await client.get(f"/interviews/{request_id}")).text())
    assert "Cancelled" in detail
    for kind in ("created", "booked", "rescheduled", "cancelled"):
        assert kind in detail
    assert rita.name in detail
