"""Recruiter dashboard, request form errors, interviewer dashboard and feed, bad links."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestClient
from icalendar import Calendar

from liveinterview.clock import ManualClock
from liveinterview.storage.db import Database
from tests.mailbox import Mailbox
from tests.pages import page_text, submit
from tests.scheduling import create_request, interviewer, link_in, slot_values
from tests.staff import sign_in, signed_in_as

Client = TestClient  # type: ignore[type-arg]
SLOT = "2026-03-03T09:00:00+00:00"


async def book(client: Client, mailbox: Mailbox, email: str, start: str = SLOT) -> str:
    path = link_in(mailbox.only(email), "book")
    response = await submit(client, path, {"start": start, "tz": "UTC"}, token_from=path)
    assert response.status == 303
    return response.headers["Location"].split("?")[0]


async def test_dashboard_lists_filters_and_searches_requests(
    client: Client, db: Database, mailbox: Mailbox
) -> None:
    rita = await signed_in_as(client, "rita@example.com", "recruiter")
    ivan = await interviewer(client, db, "ivan@example.com")
    await create_request(
        client,
        candidate="Ada Lovelace",
        email="ada@example.com",
        position="Analyst",
        panel={ivan.id: "required"},
    )
    await create_request(
        client,
        candidate="Alan Turing",
        email="alan@example.com",
        position="Cryptographer",
        panel={ivan.id: "required"},
    )
    await book(client, mailbox, "alan@example.com")
    await sign_in(client, "rita@example.com")

    everything = page_text(await (await client.get("/interviews")).text())
    assert "Ada Lovelace" in everything
    assert "Alan Turing" in everything
    assert "Awaiting booking 1" in everything
    assert "Scheduled 1" in everything

    scheduled = page_text(await (await client.get("/interviews?status=scheduled")).text())
    assert "Alan Turing" in scheduled
    assert "Ada Lovelace" not in scheduled
    assert "Tue 3 Mar 2026, 09:00" in scheduled  # Rita's zone is UTC

    found = page_text(await (await client.get("/interviews?q=crypto")).text())
    assert "Alan Turing" in found
    assert "Ada Lovelace" not in found

    await signed_in_as(client, "other@example.com", "recruiter")
    mine = page_text(await (await client.get("/interviews?mine=1")).text())
    assert "No interview requests." in mine
    assert rita.name in page_text(await (await client.get("/interviews")).text())

    bad = await client.get("/interviews?status=lost")
    assert bad.status == 400
    assert "Unknown status 'lost'" in page_text(await bad.text())


async def test_the_request_form_keeps_input_and_marks_every_problem(
    client: Client, db: Database, mailbox: Mailbox
) -> None:
    await signed_in_as(client, "rita@example.com", "recruiter")
    ivan = await interviewer(client, db, "ivan@example.com")
    response = await submit(
        client,
        "/interviews/new",
        [
            ("candidate_name", "Zoë"),
            ("candidate_email", "not an email"),
            ("position", ""),
            ("duration", "0"),
            ("step", "30"),
            ("first_day", "2026-03-10"),
            ("last_day", "2026-03-01"),
            ("timezone", "Europe/Berlin"),
            (f"place_{ivan.id}", ""),
        ],
        token_from="/interviews/new",
    )
    assert response.status == 400
    body = await response.text()
    text = page_text(body)
    assert 'value="Zoë"' in body
    for problem in (
        "Enter a valid email address",
        "Enter the position the interview is for.",
        "Use from 10 to 480 minutes.",
        "The booking window must end after it starts.",
        "Choose at least one interviewer.",
    ):
        assert problem in text
    assert mailbox.messages == []


async def test_a_recruiter_cannot_put_a_non_interviewer_on_a_panel(
    client: Client, mailbox: Mailbox
) -> None:
    rita = await signed_in_as(client, "rita@example.com", "recruiter")
    response = await submit(
        client,
        "/interviews/new",
        [
            ("candidate_name", "Zoë"),
            ("candidate_email", "zoe@example.com"),
            ("position", "Engineer"),
            ("duration", "60"),
            ("step", "30"),
            ("first_day", "2026-03-03"),
            ("last_day", "2026-03-06"),
            ("timezone", "UTC"),
            (f"place_{rita.id}", "required"),
        ],
        token_from="/interviews/new",
    )
    assert response.status == 400
    assert "not an active interviewer" in page_text(await response.text())


async def test_interviewers_see_their_interviews_but_not_the_recruiter_tools(
    client: Client, db: Database, mailbox: Mailbox
) -> None:
    await signed_in_as(client, "rita@example.com", "recruiter")
    ivan = await interviewer(client, db, "ivan@example.com", tz="Europe/Berlin")
    request_id = await create_request(client, panel={ivan.id: "required"})
    await book(client, mailbox, "zoe@example.com")
    await sign_in(client, "ivan@example.com")
    dashboard = page_text(await (await client.get("/dashboard")).text())
    assert "Zoë Müller · Backend Engineer" in dashboard
    assert "Tuesday 3 March 2026, 10:00–11:00 (Europe/Berlin, CET)" in dashboard
    detail = await client.get(f"/interviews/{request_id}")
    assert detail.status == 200
    assert "Cancel interview" not in await detail.text()
    assert (await client.get("/interviews")).status == 403

    # Another interviewer, not on the panel, learns nothing.
    await interviewer(client, db, "eve@example.com")
    await sign_in(client, "eve@example.com")
    assert (await client.get(f"/interviews/{request_id}")).status == 404


async def test_an_interviewers_feed_lists_interviews_and_can_be_replaced(
    client: Client, db: Database, mailbox: Mailbox
) -> None:
    await signed_in_as(client, "rita@example.com", "recruiter")
    ivan = await interviewer(client, db, "ivan@example.com")
    await create_request(client, panel={ivan.id: "required"})
    await book(client, mailbox, "zoe@example.com")
    await sign_in(client, "ivan@example.com")
    created = await submit(client, "/availability/feed", {}, token_from="/availability/feed")
    assert created.status == 303
    page = await (await client.get("/availability/feed")).text()
    (url,) = re.findall(r'value="(http://127\.0\.0\.1:8080/feeds/[^"]+\.ics)"', page)
    path = url.removeprefix("http://127.0.0.1:8080")

    client.session.cookie_jar.clear()  # calendar apps have no session
    response = await client.get(path)
    assert response.status == 200
    assert response.content_type == "text/calendar"
    calendar = Calendar.from_ical(await response.read())
    (event,) = calendar.walk("VEVENT")
    assert event["DTSTART"].dt == datetime(2026, 3, 3, 9, tzinfo=UTC)
    assert "Zoë Müller" in str(event["SUMMARY"])
    assert "/join/" in str(event["LOCATION"])

    await sign_in(client, "ivan@example.com")
    await submit(client, "/availability/feed", {}, token_from="/availability/feed")
    client.session.cookie_jar.clear()
    assert (await client.get(path)).status == 404  # the old address stopped working
    await sign_in(client, "ivan@example.com")
    await submit(client, "/availability/feed/revoke", {}, token_from="/availability/feed")
    assert "Create my feed address" in await (await client.get("/availability/feed")).text()


async def test_candidate_links_that_are_wrong_expired_or_for_something_else(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock
) -> None:
    await signed_in_as(client, "rita@example.com", "recruiter")
    ivan = await interviewer(client, db, "ivan@example.com")
    await create_request(client, panel={ivan.id: "required"})
    book_path = link_in(mailbox.only("zoe@example.com"), "book")
    token = book_path.rsplit("/", 1)[1]
    client.session.cookie_jar.clear()

    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for path in (f"/book/{tampered}", f"/manage/{token}", f"/join/{token}", "/book/short"):
        response = await client.get(path)
        assert response.status == 404, path
        assert "This link is not valid" in page_text(await response.text())

    bad_tz = await client.get(f"{book_path}?tz=Mars/Olympus")
    assert bad_tz.status == 400
    assert "'Mars/Olympus' is not a known time zone." in page_text(await bad_tz.text())
    assert slot_values(await bad_tz.text())  # still usable, in UTC

    not_a_time = await submit(
        client, book_path, {"start": "tomorrow at noon", "tz": "UTC"}, token_from=book_path
    )
    assert not_a_time.status == 400
    assert "Choose one of the times shown." in page_text(await not_a_time.text())
    off_grid = await submit(
        client,
        book_path,
        {"start": "2026-03-03T09:07:00+00:00", "tz": "UTC"},
        token_from=book_path,
    )
    assert off_grid.status == 409
    assert "This time was just taken or is no longer available" in page_text(await off_grid.text())

    clock.advance(timedelta(days=10))  # the booking window (until 6 March) is over
    expired = await client.get(book_path)
    assert expired.status == 410
    assert "This link has expired." in page_text(await expired.text())


async def test_candidates_cannot_change_within_the_cutoff(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock
) -> None:
    await signed_in_as(client, "rita@example.com", "recruiter")
    ivan = await interviewer(client, db, "ivan@example.com")
    await create_request(client, panel={ivan.id: "required"})
    manage = await book(client, mailbox, "zoe@example.com", "2026-03-04T09:00:00+00:00")
    clock.set(datetime(2026, 3, 3, 10, tzinfo=UTC))  # 23 hours before
    page = page_text(await (await client.get(manage)).text())
    assert "Changes are possible until 24 hours before the interview." in page
    # The page offers no forms any more; a hand-made request is refused all the same.
    refused = await submit(client, f"{manage}/cancel", {"reason": ""}, token_from="/signin")
    assert refused.status == 409
    assert not any(
        str(m.message["Subject"]).startswith("Interview cancelled") for m in mailbox.messages
    )


async def test_a_recruiter_moves_and_cancels_from_the_request_page(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock
) -> None:
    await signed_in_as(client, "rita@example.com", "recruiter")
    ivan = await interviewer(client, db, "ivan@example.com")
    request_id = await create_request(client, panel={ivan.id: "required"})
    await book(client, mailbox, "zoe@example.com")
    clock.set(datetime(2026, 3, 3, 8, 30, tzinfo=UTC))  # inside the candidate's cutoff
    await sign_in(client, "rita@example.com")
    page = f"/interviews/{request_id}"
    options = slot_values(await (await client.get(page)).text())
    assert SLOT not in options  # its own time is not offered again
    moved = await submit(client, f"{page}/reschedule", {"start": options[0]}, token_from=page)
    assert moved.status == 303
    assert moved.headers["Location"] == f"{page}?notice=rescheduled"
    subjects = [str(m.message["Subject"]) for m in mailbox.to("zoe@example.com")]
    assert subjects[-1].startswith("Interview moved: Backend Engineer")
    back = await submit(client, f"{page}/reschedule", {"start": SLOT}, token_from=page)
    assert back.status == 303  # the old time is free again: the recruiter may go back
    cancelled = await submit(client, f"{page}/cancel", {"reason": "Role filled"}, token_from=page)
    assert cancelled.status == 303
    assert "Role filled" in mailbox.to("ivan@example.com")[-1].text
    again = await submit(client, f"{page}/cancel", {"reason": ""}, token_from=page)
    assert again.status == 409
    assert "already cancelled" in page_text(await again.text())
