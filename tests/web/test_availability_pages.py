"""Interviewers keep their hours, overrides and calendars through the real pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import pytest
from aiohttp import ClientResponse, FormData
from aiohttp.test_utils import TestClient, TestServer

from liveinterview.app import create_app
from liveinterview.clock import ManualClock
from liveinterview.config import Settings
from liveinterview.storage import availability as store
from liveinterview.web.keys import AVAILABILITY
from tests.conftest import CHEAP_HASHER, DbTarget
from tests.feeds import CUT_OFF, FeedServer, at, feed_server, ics
from tests.pages import csrf_token, page_text, submit
from tests.signaling.fakes import FakeMedia
from tests.staff import make_staff, sign_in, signed_in_as

Client = TestClient  # type: ignore[type-arg]
MAX_BYTES = 20_000
MAX_BODY = 200_000
WEEK = {
    "hours_monday": "09:00-12:00, 13:00-17:00",
    "hours_tuesday": "9-17",
    "hours_wednesday": "",
    "hours_thursday": "",
    "hours_friday": "10-14",
    "hours_saturday": "",
    "hours_sunday": "",
}
SETTINGS_FORM = {
    "timezone": "Europe/Berlin",
    "buffer_before": "10",
    "buffer_after": "0",
    "max_per_day": "4",
    "max_per_week": "",
    "min_notice_hours": "12",
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Test feeds are served from 127.0.0.1, refused unless private addresses are allowed.
    return settings.replace(
        feed_allow_private_addresses=True,
        feed_timeout_seconds=0.5,
        feed_max_bytes=MAX_BYTES,
        max_body_bytes=MAX_BODY,
    )


@pytest.fixture
async def feeds(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> AsyncIterator[FeedServer]:
    async for server in feed_server(aiohttp_server):
        yield server


async def text_of(response: ClientResponse) -> str:
    return page_text(await response.text())


async def save(client: Client, **changes: str) -> ClientResponse:
    return await submit(
        client, "/availability", {**SETTINGS_FORM, **WEEK, **changes}, token_from="/availability"
    )


async def upload(client: Client, data: bytes, filename: str = "work.ics") -> ClientResponse:
    form = FormData()
    form.add_field("file", data, filename=filename, content_type="text/calendar")
    form.add_field("upload_label", "")
    form.add_field("csrf_token", await csrf_token(client, "/availability/calendars"))
    return await client.post("/availability/calendars/upload", data=form, allow_redirects=False)


async def add_feed(client: Client, url: str, label: str = "") -> ClientResponse:
    return await submit(
        client,
        "/availability/calendars/feed",
        {"url": url, "label": label},
        token_from="/availability/calendars",
    )


def source_ids(body: str) -> list[int]:
    return [int(n) for n in re.findall(r"/availability/calendars/(\d+)/delete", body)]


# --- hours and settings -------------------------------------------------------------------------


async def test_interviewers_find_their_availability_from_the_navigation(client: Client) -> None:
    await signed_in_as(client, "ivan@example.com", "interviewer")
    dashboard = await (await client.get("/dashboard")).text()
    assert '<a href="/availability">Availability</a>' in dashboard
    assert "Set your working hours and calendars" in page_text(dashboard)


async def test_recruiters_have_no_availability(client: Client) -> None:
    await signed_in_as(client, "rita@example.com", "recruiter")
    dashboard = await (await client.get("/dashboard")).text()
    assert 'href="/availability"' not in dashboard
    for path in ("/availability", "/availability/calendars"):
        assert (await client.get(path)).status == 403
    for path in (
        "/availability",
        "/availability/overrides",
        "/availability/calendars/feed",
        "/availability/calendars/1/refresh",
        "/availability/calendars/1/delete",
        "/availability/overrides/2026-03-10/delete",
    ):
        response = await submit(client, path, {}, token_from="/dashboard")
        assert response.status == 403, path


async def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = await client.get("/availability", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/signin?next=/availability"


async def test_the_form_labels_every_input_and_names_the_zone(client: Client) -> None:
    await signed_in_as(client, "ivan@example.com", "interviewer")
    body = await (await client.get("/availability")).text()
    for name in [*SETTINGS_FORM, *WEEK]:
        assert f'<label for="f-{name}">' in body, name
        assert f'id="f-{name}" name="{name}"' in body, name
    assert '<label for="f-hours_monday">Monday <span class="visually-hidden">(times in UTC)' in body
    # Never set: the browser's zone may be suggested, by a script that is only an enhancement.
    assert "data-detect-timezone" in body
    script = re.search(r'<script type="module" src="(/static/js/own-timezone\.js[^"]*)"', body)
    assert script is not None
    served = await client.get(script.group(1))
    assert served.status == 200
    assert "select[data-detect-timezone]" in await served.text()
    assert '<option value="UTC" selected>UTC</option>' in body


async def test_saving_shows_the_new_values(client: Client) -> None:
    await signed_in_as(client, "ivan@example.com", "interviewer")
    response = await save(client)
    assert response.status == 303
    assert response.headers["Location"] == "/availability?notice=saved"
    body = await (await client.get("/availability?notice=saved")).text()
    assert "Your availability was saved." in page_text(body)
    assert '<option value="Europe/Berlin" selected>Europe/Berlin</option>' in body
    assert "data-detect-timezone" not in body
    assert 'name="hours_monday" type="text" value="09:00-12:00, 13:00-17:00"' in body
    assert 'name="hours_tuesday" type="text" value="09:00-17:00"' in body
    assert 'name="hours_friday" type="text" value="10:00-14:00"' in body
    assert 'name="buffer_before" type="number" value="10"' in body
    assert 'name="max_per_day" type="number" value="4"' in body
    assert "Times are in Europe/Berlin" in page_text(body)


async def test_bad_values_are_marked_and_nothing_is_saved(client: Client) -> None:
    ivan = await signed_in_as(client, "ivan@example.com", "interviewer")
    response = await save(
        client,
        hours_monday="13:00-12:00",
        hours_tuesday="09:00-11:00, 10:30-12:00",
        hours_wednesday="25:00-26:00",
        buffer_after="500",
    )
    assert response.status == 400
    body = await response.text()
    text = page_text(body)
    assert "Please correct the marked fields." in text
    for message in (
        "Monday: 13:00-12:00 ends before it starts",
        "Tuesday: 09:00-11:00 and 10:30-12:00 overlap",
        "Wednesday: '25:00' is not a time",
        "Enter a whole number of minutes from 0 to 240.",
    ):
        assert text.count(message) == 2, message  # in the summary and next to the field
    assert body.count('aria-invalid="true"') == 4
    assert '<a href="#f-hours_monday">' in body
    # What was typed is shown again, to be corrected; the browser's zone does not replace it.
    assert 'name="hours_monday" type="text" value="13:00-12:00"' in body
    assert '<option value="Europe/Berlin" selected>Europe/Berlin</option>' in body
    assert "data-detect-timezone" not in body
    async with client.app[AVAILABILITY].db.read() as conn:
        assert (await store.weekly_for(conn, [ivan.id]))[ivan.id] == {}
        assert (await store.prefs_for(conn, [ivan.id]))[ivan.id].timezone == "UTC"


async def test_an_override_is_added_listed_and_removed(client: Client) -> None:
    await signed_in_as(client, "ivan@example.com", "interviewer")
    added = await submit(
        client,
        "/availability/overrides",
        {"day": "2026-03-10", "kind": "hours", "hours": "10-12"},
        token_from="/availability",
    )
    assert added.status == 303
    assert added.headers["Location"] == "/availability?notice=override_saved"
    await submit(
        client,
        "/availability/overrides",
        {"day": "2026-03-05", "kind": "off", "hours": ""},
        token_from="/availability",
    )
    text = await text_of(await client.get("/availability"))
    assert "Thursday, 2026-03-05 Day off" in text
    assert "Tuesday, 2026-03-10 10:00-12:00" in text

    removed = await submit(
        client, "/availability/overrides/2026-03-05/delete", {}, token_from="/availability"
    )
    assert removed.status == 303
    text = await text_of(await client.get("/availability"))
    assert "2026-03-05" not in text
    assert "Tuesday, 2026-03-10 10:00-12:00" in text
    again = await submit(
        client, "/availability/overrides/2026-03-05/delete", {}, token_from="/availability"
    )
    assert again.status == 404


async def test_an_override_in_the_past_is_refused(client: Client) -> None:
    await signed_in_as(client, "ivan@example.com", "interviewer")
    response = await submit(
        client,
        "/availability/overrides",
        {"day": "2026-03-01", "kind": "hours", "hours": ""},
        token_from="/availability",
    )
    assert response.status == 400
    body = await response.text()
    text = page_text(body)
    assert "2026-03-01 is in the past; choose today or later." in text
    assert "Enter the hours, like 10:00-14:00, or choose a day off." in text
    assert 'id="f-day" name="day" type="date" value="2026-03-01"' in body
    assert "No date overrides." in text


# --- calendars ----------------------------------------------------------------------------------


async def test_a_feed_is_added_and_listed(client: Client, feeds: FeedServer) -> None:
    await signed_in_as(client, "ivan@example.com", "interviewer")
    url = feeds.serve("work.ics", ics(("2026-03-03T10:00", "2026-03-03T11:00")))
    response = await add_feed(client, url.replace("http://", "webcal://"), label="")
    # webcal:// means https://, which this plain-HTTP test server does not speak.
    assert response.status == 400
    assert 'This calendar could not be added: the secure connection to "127.0.0.1" failed' in (
        await text_of(response)
    )
    assert feeds.hits["work.ics"] == 0

    response = await add_feed(client, url, label="Work calendar")
    assert response.status == 303
    assert response.headers["Location"] == "/availability/calendars?notice=feed_added"
    body = await (await client.get(response.headers["Location"])).text()
    text = page_text(body)
    assert "The calendar was added and its busy times imported." in text
    assert (
        "Work calendar Feed from 127.0.0.1, updated every 30 minutes OK 1 2026-03-02 09:00" in text
    )
    assert url not in body  # the secret address is never shown again
    assert "Refresh now" in text


async def test_a_feed_that_fails_on_adding_is_explained(client: Client, feeds: FeedServer) -> None:
    await signed_in_as(client, "ivan@example.com", "interviewer")
    response = await add_feed(client, feeds.serve("bad.ics", CUT_OFF))
    assert response.status == 400
    body = await response.text()
    message = "This calendar could not be added: the file ends inside VEVENT; it looks cut off."
    assert page_text(body).count(message) == 2
    assert 'id="f-url" name="url" type="url" value="http://127.0.0.1:' in body
    assert "No calendars connected yet." in page_text(body)


async def test_private_addresses_are_refused_by_default(
    aiohttp_client: Callable[..., Awaitable[Client]],
    settings: Settings,
    clock: ManualClock,
    db_target: DbTarget,
    feeds: FeedServer,
) -> None:
    defaults = Settings()
    assert defaults.feed_allow_private_addresses is False
    app = create_app(
        settings.replace(feed_allow_private_addresses=defaults.feed_allow_private_addresses),
        clock=clock,
        password_hasher=CHEAP_HASHER,
        db_schema=db_target.schema,
        media_engine=FakeMedia(),
    )
    client = await aiohttp_client(app)
    await signed_in_as(client, "ivan@example.com", "interviewer")
    response = await add_feed(client, feeds.serve("work.ics", ics()))
    assert response.status == 400
    assert (
        'This calendar could not be added: the calendar address "127.0.0.1" leads to 127.0.0.1, '
        "a private or local network address; only calendars on the public internet can be "
        "fetched." in await text_of(response)
    )
    assert feeds.hits["work.ics"] == 0


async def test_an_upload_is_imported_and_listed(client: Client) -> None:
    ivan = await signed_in_as(client, "ivan@example.com", "interviewer")
    data = ics(("2026-03-03T10:00", "2026-03-03T11:00"), ("2026-03-04T10:00", "2026-03-04T11:00"))
    response = await upload(client, data, filename="export.ics")
    assert response.status == 303
    assert response.headers["Location"] == "/availability/calendars?notice=uploaded"
    text = await text_of(await client.get("/availability/calendars"))
    assert "export.ics Uploaded file OK 2 2026-03-02 09:00 Remove" in text
    async with client.app[AVAILABILITY].db.read() as conn:
        busy = await store.busy_for(conn, [ivan.id], at("2026-03-01T00:00"), at("2026-04-01T00:00"))
    assert sorted(busy[ivan.id]) == [
        (at("2026-03-03T10:00"), at("2026-03-03T11:00")),
        (at("2026-03-04T10:00"), at("2026-03-04T11:00")),
    ]


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (
            CUT_OFF,
            400,
            "This file could not be imported: the file ends inside VEVENT; it looks cut off.",
        ),
        (
            ics(("2026-03-03T10:00", "2026-03-03T11:00"), summary="x" * MAX_BYTES),
            400,
            "This file could not be imported: the calendar is 20.2 KB; the limit is 20 KB.",
        ),
        (
            b"x" * MAX_BODY,
            413,
            "What you sent is larger than the limit of 195 KB. Send something smaller.",
        ),
        (b"", 400, "Choose an .ics file to upload."),
    ],
    ids=["malformed", "larger-than-the-calendar-limit", "larger-than-any-request", "empty"],
)
async def test_a_bad_upload_is_explained_and_changes_nothing(
    client: Client, data: bytes, status: int, message: str
) -> None:
    await signed_in_as(client, "ivan@example.com", "interviewer")
    assert (await upload(client, ics(), filename="first.ics")).status == 303
    response = await upload(client, data)
    assert response.status == status
    assert message in await text_of(response)
    body = await (await client.get("/availability/calendars")).text()
    assert len(source_ids(body)) == 1
    assert "first.ics" in page_text(body)


async def test_a_broken_feed_is_shown_and_stops_slots_until_it_works_again(
    client: Client, clock: ManualClock, feeds: FeedServer
) -> None:
    ivan = await signed_in_as(client, "ivan@example.com", "interviewer")
    url = feeds.serve("work.ics", ics(("2026-03-03T10:00", "2026-03-03T11:00")))
    await add_feed(client, url, label="Work")
    feeds.serve("work.ics", CUT_OFF)
    clock.advance(timedelta(minutes=30))
    assert await client.app[AVAILABILITY].calendars.refresh_due_feeds() == 1

    reason = "the file ends inside VEVENT; it looks cut off"
    for path in ("/availability", "/availability/calendars"):
        text = await text_of(await client.get(path))
        assert "Candidates are not offered any times with you right now" in text
        assert f"The calendar 'Work' is not readable: {reason}." in text
    text = await text_of(await client.get("/availability/calendars"))
    assert f"Cannot be read {reason} Last tried 2026-03-02 09:30." in text
    async with client.app[AVAILABILITY].db.read() as conn:
        assert await store.broken_sources(conn, [ivan.id]) == {
            ivan.id: f"calendar 'Work' is not readable: {reason}"
        }

    feeds.serve("work.ics", ics())
    (source_id,) = source_ids(await (await client.get("/availability/calendars")).text())
    refreshed = await submit(
        client,
        f"/availability/calendars/{source_id}/refresh",
        {},
        token_from="/availability/calendars",
    )
    assert refreshed.status == 303
    assert refreshed.headers["Location"] == "/availability/calendars?notice=refreshed"
    text = await text_of(await client.get("/availability/calendars"))
    assert "Candidates are not offered" not in text
    assert "Work Feed from 127.0.0.1, updated every 30 minutes OK 0 2026-03-02 09:30" in text
    async with client.app[AVAILABILITY].db.read() as conn:
        assert await store.broken_sources(conn, [ivan.id]) == {}


async def test_a_failed_refresh_now_says_so(client: Client, feeds: FeedServer) -> None:
    await signed_in_as(client, "ivan@example.com", "interviewer")
    await add_feed(client, feeds.serve("work.ics", ics()), label="Work")
    feeds.serve("work.ics", b"", status=404)
    (source_id,) = source_ids(await (await client.get("/availability/calendars")).text())
    response = await submit(
        client,
        f"/availability/calendars/{source_id}/refresh",
        {},
        token_from="/availability/calendars",
    )
    assert response.headers["Location"] == "/availability/calendars?notice=refresh_failed"
    text = await text_of(await client.get(response.headers["Location"]))
    assert "The calendar could not be read; the reason is shown below." in text
    assert (
        "Cannot be read the calendar server answered HTTP 404 (Not Found) instead of the "
        "calendar Last tried 2026-03-02 09:00." in text
    )


async def test_a_calendar_is_removed(client: Client) -> None:
    await signed_in_as(client, "ivan@example.com", "interviewer")
    await upload(client, ics(("2026-03-03T10:00", "2026-03-03T11:00")))
    (source_id,) = source_ids(await (await client.get("/availability/calendars")).text())
    response = await submit(
        client,
        f"/availability/calendars/{source_id}/delete",
        {},
        token_from="/availability/calendars",
    )
    assert response.status == 303
    text = await text_of(await client.get("/availability/calendars?notice=removed"))
    assert "The calendar was removed, with its busy times." in text
    assert "No calendars connected yet." in text


async def test_another_interviewers_calendar_is_not_found(
    client: Client, feeds: FeedServer
) -> None:
    await make_staff(client, "olga@example.com", "interviewer")
    await signed_in_as(client, "ivan@example.com", "interviewer")
    await add_feed(client, feeds.serve("work.ics", ics()), label="Ivan's work")
    (source_id,) = source_ids(await (await client.get("/availability/calendars")).text())

    client.session.cookie_jar.clear()
    await sign_in(client, "olga@example.com")
    calendars = await (await client.get("/availability/calendars")).text()
    assert "Ivan's work" not in calendars
    for action in ("refresh", "delete"):
        response = await submit(
            client,
            f"/availability/calendars/{source_id}/{action}",
            {},
            token_from="/availability/calendars",
        )
        assert response.status == 404, action
    assert feeds.hits["work.ics"] == 1

    client.session.cookie_jar.clear()
    await sign_in(client, "ivan@example.com")
    assert source_ids(await (await client.get("/availability/calendars")).text()) == [source_id]
