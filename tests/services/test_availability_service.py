"""The interviewer's availability service on a real database, with feeds from a real server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from liveinterview.clock import ManualClock
from liveinterview.config import Settings
from liveinterview.domain.accounts import StaffMember
from liveinterview.domain.errors import InvalidInput, NotFound, PermissionDenied
from liveinterview.services.accounts import Client as Visitor
from liveinterview.services.availability import AvailabilityInput, AvailabilityService
from liveinterview.services.calendar_sources import CalendarSources, feed_address
from liveinterview.storage import availability as store
from liveinterview.storage.tables import audit_events
from liveinterview.web.keys import AVAILABILITY
from tests.conftest import START
from tests.feeds import CUT_OFF, FeedServer, at, feed_server, ics
from tests.staff import make_staff

Client = TestClient  # type: ignore[type-arg]
VISITOR = Visitor("127.0.0.1", "pytest")
TIMEOUT = 0.5
MAX_BYTES = 20_000
NO_HOURS = ("",) * 7
SCHEME_HINT = (
    "Enter an address starting with https://, http:// or webcal://, "
    "like the calendar's “secret address in iCal format”."
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The feed server runs on 127.0.0.1, which is refused unless private addresses are allowed.
    return settings.replace(
        feed_allow_private_addresses=True, feed_timeout_seconds=TIMEOUT, feed_max_bytes=MAX_BYTES
    )


@pytest.fixture
async def feeds(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> AsyncIterator[FeedServer]:
    async for server in feed_server(aiohttp_server):
        yield server


def service(client: Client) -> AvailabilityService:
    return client.app[AVAILABILITY]


def calendars(client: Client) -> CalendarSources:
    return client.app[AVAILABILITY].calendars


def form(**changes: Any) -> AvailabilityInput:
    values: dict[str, Any] = {
        "timezone": "Europe/Berlin",
        "buffer_before": "10",
        "buffer_after": "5",
        "max_per_day": "3",
        "max_per_week": "",
        "min_notice_hours": "24",
        "hours": ("09:00-12:00, 13:00-17:00", "9-17", "", "", "10-14", "", ""),
    }
    values.update(changes)
    return AvailabilityInput(**values)


async def interviewer(client: Client, email: str = "ivan@example.com") -> StaffMember:
    return await make_staff(client, email, "interviewer")


async def audit_actions(client: Client) -> list[tuple[str, str]]:
    async with service(client).db.read() as conn:
        rows = await conn.execute(
            select(audit_events.c.action, audit_events.c.subject)
            .where(~audit_events.c.action.like("staff.%"))
            .order_by(audit_events.c.id)
        )
        return [(row.action, row.subject) for row in rows]


async def busy_of(client: Client, user_id: int) -> list[tuple[datetime, datetime]]:
    async with service(client).db.read() as conn:
        found = await store.busy_for(
            conn, [user_id], START - timedelta(days=2), START + timedelta(days=200)
        )
    return sorted(found[user_id])


async def broken(client: Client, user_id: int) -> dict[int, str]:
    async with service(client).db.read() as conn:
        return await store.broken_sources(conn, [user_id])


# --- settings, hours and overrides -------------------------------------------------------------


async def test_a_new_interviewer_sees_the_defaults(client: Client) -> None:
    ivan = await interviewer(client)
    overview = await service(client).overview(ivan)
    assert overview.timezone == "UTC"
    assert overview.timezone_never_set is True
    assert overview.today == date(2026, 3, 2)
    assert overview.form == AvailabilityInput("UTC", "0", "0", "", "", "12", NO_HOURS)
    assert overview.overrides == []
    assert overview.calendars == []
    assert overview.problem is None
    assert "Europe/Berlin" in overview.timezones


async def test_settings_and_hours_are_saved_together(client: Client) -> None:
    ivan = await interviewer(client)
    await service(client).save(ivan, form(), VISITOR)
    overview = await service(client).overview(ivan)
    assert overview.timezone_never_set is False
    assert overview.form == AvailabilityInput(
        "Europe/Berlin",
        "10",
        "5",
        "3",
        "",
        "24",
        ("09:00-12:00, 13:00-17:00", "09:00-17:00", "", "", "10:00-14:00", "", ""),
    )
    async with service(client).db.read() as conn:
        prefs = (await store.prefs_for(conn, [ivan.id]))[ivan.id]
        week = (await store.weekly_for(conn, [ivan.id]))[ivan.id]
    assert prefs == store.InterviewerPrefs(ivan.id, "Europe/Berlin", 10, 5, 3, None, 1440)
    assert week == {0: [(540, 720), (780, 1020)], 1: [(540, 1020)], 4: [(600, 840)]}
    assert await audit_actions(client) == [
        ("availability.settings_saved", ""),
        ("availability.hours_saved", ""),
    ]


async def test_every_problem_is_reported_and_nothing_is_saved(client: Client) -> None:
    ivan = await interviewer(client)
    await service(client).save(ivan, form(), VISITOR)
    bad = form(
        timezone="Nowhere/Special",
        buffer_before="300",
        hours=("13:00-12:00", "", "25:00-26:00", "", "", "", ""),
    )
    with pytest.raises(InvalidInput) as caught:
        await service(client).save(ivan, bad, VISITOR)
    assert caught.value.message == "Please correct the marked fields."
    assert caught.value.fields == {
        "timezone": "Choose a time zone from the list, like Europe/Berlin.",
        "buffer_before": "Enter a whole number of minutes from 0 to 240.",
        "hours_monday": "Monday: 13:00-12:00 ends before it starts",
        "hours_wednesday": "Wednesday: '25:00' is not a time",
    }
    assert (await service(client).overview(ivan)).form.hours[0] == "09:00-12:00, 13:00-17:00"
    assert len(await audit_actions(client)) == 2


async def test_a_single_problem_is_the_message_itself(client: Client) -> None:
    ivan = await interviewer(client)
    with pytest.raises(InvalidInput) as caught:
        await service(client).save(ivan, form(max_per_week="0"), VISITOR)
    message = "Leave empty for no limit, or enter a whole number from 1 to 200."
    assert caught.value.message == message
    assert caught.value.fields == {"max_per_week": message}


async def test_settings_and_hours_can_be_saved_apart(client: Client) -> None:
    ivan = await interviewer(client)
    await service(client).save_weekly_hours(ivan, ("9-17",) * 5 + ("", ""), VISITOR)
    await service(client).save_settings(ivan, form(timezone="Asia/Tokyo"), VISITOR)
    overview = await service(client).overview(ivan)
    assert overview.form.hours == ("09:00-17:00",) * 5 + ("", "")
    assert overview.form.timezone == "Asia/Tokyo"
    with pytest.raises(InvalidInput) as caught:
        await service(client).save_weekly_hours(ivan, ("9-17, 16-18",) + ("",) * 6, VISITOR)
    assert caught.value.fields == {"hours_monday": "Monday: 09:00-17:00 and 16:00-18:00 overlap"}


async def test_overrides_replace_each_other_and_can_be_removed(client: Client) -> None:
    ivan = await interviewer(client)
    availability = service(client)
    day = await availability.set_override(
        ivan, day="2026-03-10", kind="hours", hours="10-12", client=VISITOR
    )
    assert day == date(2026, 3, 10)
    await availability.set_override(ivan, day="2026-03-05", kind="off", hours="", client=VISITOR)
    await availability.set_override(
        ivan, day="2026-03-10", kind="hours", hours="14:00-18:00, 08:00-09:00", client=VISITOR
    )
    overview = await availability.overview(ivan)
    assert [(o.day, o.hours, o.day_off) for o in overview.overrides] == [
        (date(2026, 3, 5), "", True),
        (date(2026, 3, 10), "08:00-09:00, 14:00-18:00", False),
    ]
    await availability.delete_override(ivan, "2026-03-05", VISITOR)
    assert [o.day for o in (await availability.overview(ivan)).overrides] == [date(2026, 3, 10)]
    with pytest.raises(NotFound):
        await availability.delete_override(ivan, "2026-03-05", VISITOR)
    with pytest.raises(NotFound):
        await availability.delete_override(ivan, "2026-02-31", VISITOR)
    assert await audit_actions(client) == [
        ("availability.override_set", "2026-03-10"),
        ("availability.override_set", "2026-03-05"),
        ("availability.override_set", "2026-03-10"),
        ("availability.override_deleted", "2026-03-05"),
    ]


async def test_the_past_is_judged_in_the_interviewers_own_zone(
    client: Client, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))  # already 3 March on Kiritimati (UTC+14)
    ivan = await interviewer(client)
    kiri = await interviewer(client, "kiri@example.com")
    await service(client).save_settings(kiri, form(timezone="Pacific/Kiritimati"), VISITOR)
    await service(client).set_override(ivan, day="2026-03-02", kind="off", hours="", client=VISITOR)
    with pytest.raises(InvalidInput) as caught:
        await service(client).set_override(
            kiri, day="2026-03-02", kind="off", hours="", client=VISITOR
        )
    assert caught.value.fields == {"day": "2026-03-02 is in the past; choose today or later."}
    assert (await service(client).overview(kiri)).today == date(2026, 3, 3)


async def test_past_overrides_are_no_longer_listed(client: Client, clock: ManualClock) -> None:
    ivan = await interviewer(client)
    await service(client).set_override(ivan, day="2026-03-03", kind="off", hours="", client=VISITOR)
    clock.advance(timedelta(days=2))
    assert (await service(client).overview(ivan)).overrides == []


async def test_only_interviewers_have_availability(client: Client) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter")
    availability = service(client)
    attempts: list[Awaitable[object]] = [
        availability.overview(rita),
        availability.save(rita, form(), VISITOR),
        availability.save_settings(rita, form(), VISITOR),
        availability.save_weekly_hours(rita, NO_HOURS, VISITOR),
        availability.set_override(rita, day="2026-03-10", kind="off", hours="", client=VISITOR),
        availability.delete_override(rita, "2026-03-10", VISITOR),
        availability.calendars.add_feed(
            rita, url="https://example.com/x.ics", label="", client=VISITOR
        ),
        availability.calendars.upload(rita, data=ics(), filename="a.ics", label="", client=VISITOR),
        availability.calendars.refresh_now(rita, 1, VISITOR),
        availability.calendars.remove(rita, 1, VISITOR),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            await attempt
    assert await audit_actions(client) == []


# --- uploads ------------------------------------------------------------------------------------


async def test_an_upload_is_imported_at_once(client: Client) -> None:
    ivan = await interviewer(client)
    data = ics(("2026-03-03T10:00", "2026-03-03T11:00"), ("2026-03-04T15:00", "2026-03-04T16:30"))
    entry = await calendars(client).upload(
        ivan, data=data, filename="work.ics", label="", client=VISITOR
    )
    assert (entry.kind, entry.label, entry.status, entry.event_count) == (
        "upload",
        "work.ics",
        "ok",
        2,
    )
    assert entry.last_success_at == START
    assert entry.next_fetch_at is None
    assert await busy_of(client, ivan.id) == [
        (at("2026-03-03T10:00"), at("2026-03-03T11:00")),
        (at("2026-03-04T15:00"), at("2026-03-04T16:30")),
    ]
    assert await broken(client, ivan.id) == {}
    assert await audit_actions(client) == [("calendar.uploaded", "work.ics")]


async def test_only_busy_times_inside_the_import_window_are_kept(client: Client) -> None:
    ivan = await interviewer(client)
    data = ics(
        ("2026-02-20T10:00", "2026-02-20T11:00"),  # before now - 1 day
        ("2026-03-01T08:00", "2026-03-01T10:00"),  # straddles now - 1 day
        ("2026-06-30T08:00", "2026-06-30T09:00"),  # inside now + 120 days
        ("2026-07-01T08:00", "2026-07-01T09:00"),  # after it
    )
    await calendars(client).upload(ivan, data=data, filename="", label="Home", client=VISITOR)
    assert await busy_of(client, ivan.id) == [
        (at("2026-03-01T09:00"), at("2026-03-01T10:00")),
        (at("2026-06-30T08:00"), at("2026-06-30T09:00")),
    ]


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (b"", {"file": "Choose an .ics file to upload."}),
        (
            CUT_OFF,
            {
                "file": "This file could not be imported: "
                "the file ends inside VEVENT; it looks cut off."
            },
        ),
        (
            b"Name,Start\nDentist,2026-03-03",
            {
                "file": "This file could not be imported: this is not an iCalendar file: "
                "it starts with 'Name,Start', not BEGIN:VCALENDAR."
            },
        ),
        (
            ics(("2026-03-03T10:00", "2026-03-03T11:00"), summary="x" * MAX_BYTES),
            {
                "file": "This file could not be imported: "
                "the calendar is 20.2 KB; the limit is 20 KB."
            },
        ),
    ],
    ids=["empty", "cut-off", "not-a-calendar", "too-large"],
)
async def test_a_bad_upload_changes_nothing(
    client: Client, data: bytes, fields: dict[str, str]
) -> None:
    ivan = await interviewer(client)
    good = ics(("2026-03-03T10:00", "2026-03-03T11:00"))
    await calendars(client).upload(ivan, data=good, filename="old.ics", label="", client=VISITOR)
    with pytest.raises(InvalidInput) as caught:
        await calendars(client).upload(
            ivan, data=data, filename="new.ics", label="", client=VISITOR
        )
    assert caught.value.fields == fields
    assert caught.value.message == fields["file"]
    assert [c.label for c in (await service(client).overview(ivan)).calendars] == ["old.ics"]
    assert await busy_of(client, ivan.id) == [(at("2026-03-03T10:00"), at("2026-03-03T11:00"))]
    assert await audit_actions(client) == [("calendar.uploaded", "old.ics")]


# --- feeds --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://calendar.example.com/a/b.ics", "https://calendar.example.com/a/b.ics"),
        (
            "  webcal://p12-caldav.example.com/published/2/abc ",
            "https://p12-caldav.example.com/published/2/abc",
        ),
        ("WEBCAL://example.com", "https://example.com/"),
        ("http://example.com:8080/x.ics?key=1#frag", "http://example.com:8080/x.ics?key=1"),
    ],
)
def test_feed_addresses_are_normalized(raw: str, expected: str) -> None:
    assert feed_address(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter the calendar's secret address."),
        (
            "calendar.example.com/x.ics",
            SCHEME_HINT,
        ),
        (
            "ftp://example.com/x.ics",
            SCHEME_HINT,
        ),
        ("https:///x.ics", "This is not a valid web address."),
        ("https://exa mple.com/x.ics", "This is not a valid web address."),
        ("https://example.com:99999/x.ics", "This is not a valid web address."),
        ("https://example.com/" + "x" * 2000, "The address is longer than 2000 characters."),
    ],
)
def test_bad_feed_addresses_are_explained(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        feed_address(raw)
    assert caught.value.fields == {"url": message}


async def test_a_feed_is_imported_when_added(client: Client, feeds: FeedServer) -> None:
    ivan = await interviewer(client)
    url = feeds.serve("work.ics", ics(("2026-03-03T10:00", "2026-03-03T11:00")))
    entry = await calendars(client).add_feed(ivan, url=url, label="", client=VISITOR)
    assert (entry.kind, entry.label, entry.host, entry.status) == (
        "feed",
        "127.0.0.1",
        "127.0.0.1",
        "ok",
    )
    assert entry.event_count == 1
    assert entry.next_fetch_at == START + timedelta(minutes=30)
    assert await busy_of(client, ivan.id) == [(at("2026-03-03T10:00"), at("2026-03-03T11:00"))]
    assert await audit_actions(client) == [("calendar.feed_added", "127.0.0.1")]


async def test_a_feed_that_cannot_be_read_is_not_added(client: Client, feeds: FeedServer) -> None:
    ivan = await interviewer(client)
    availability = service(client)
    broken_url = feeds.serve("broken.ics", CUT_OFF)
    with pytest.raises(InvalidInput) as caught:
        await availability.calendars.add_feed(ivan, url=broken_url, label="Work", client=VISITOR)
    assert caught.value.fields == {
        "url": "This calendar could not be added: the file ends inside VEVENT; it looks cut off."
    }
    with pytest.raises(InvalidInput) as missing:
        await availability.calendars.add_feed(
            ivan, url=feeds.url("nothing.ics"), label="", client=VISITOR
        )
    assert missing.value.fields == {
        "url": "This calendar could not be added: "
        "the calendar server answered HTTP 404 (Not Found) instead of the calendar."
    }
    assert (await availability.overview(ivan)).calendars == []
    assert await audit_actions(client) == []


async def test_the_same_feed_cannot_be_added_twice(client: Client, feeds: FeedServer) -> None:
    ivan = await interviewer(client)
    url = feeds.serve("work.ics", ics())
    await calendars(client).add_feed(ivan, url=url, label="", client=VISITOR)
    with pytest.raises(InvalidInput) as caught:
        await calendars(client).add_feed(ivan, url=url, label="", client=VISITOR)
    assert caught.value.fields == {"url": "You have already added this calendar."}
    assert feeds.hits["work.ics"] == 1


async def test_due_feeds_are_refreshed_in_the_background(
    client: Client, clock: ManualClock, feeds: FeedServer
) -> None:
    ivan = await interviewer(client)
    url = feeds.serve("work.ics", ics(("2026-03-03T10:00", "2026-03-03T11:00")))
    await calendars(client).add_feed(ivan, url=url, label="Work", client=VISITOR)
    feeds.serve("work.ics", ics(("2026-03-05T10:00", "2026-03-05T12:00")))

    clock.advance(timedelta(minutes=29))
    assert await calendars(client).refresh_due_feeds() == 0
    assert feeds.hits["work.ics"] == 1

    clock.advance(timedelta(minutes=1))
    assert await calendars(client).refresh_due_feeds() == 1
    assert feeds.hits["work.ics"] == 2
    assert await busy_of(client, ivan.id) == [(at("2026-03-05T10:00"), at("2026-03-05T12:00"))]
    (entry,) = (await service(client).overview(ivan)).calendars
    assert entry.last_success_at == START + timedelta(minutes=30)
    assert entry.next_fetch_at == START + timedelta(minutes=60)
    assert await calendars(client).refresh_due_feeds() == 0


@pytest.mark.parametrize(
    ("make_answer", "reason"),
    [
        (
            lambda feeds: feeds.serve("work.ics", CUT_OFF),
            "the file ends inside VEVENT; it looks cut off",
        ),
        (
            lambda feeds: feeds.serve("work.ics", b"gone", status=404),
            "the calendar server answered HTTP 404 (Not Found) instead of the calendar",
        ),
        (
            lambda feeds: feeds.stall("work.ics"),
            f"the calendar server did not answer within {TIMEOUT:g} s",
        ),
        (
            lambda feeds: feeds.serve("work.ics", b"x" * (MAX_BYTES + 1)),
            "the calendar is larger than the limit of 20,000 bytes",
        ),
    ],
    ids=["broken-calendar", "not-found", "too-slow", "too-large"],
)
async def test_a_failing_feed_stops_slots_until_it_works_again(
    client: Client,
    clock: ManualClock,
    feeds: FeedServer,
    make_answer: Callable[[FeedServer], str],
    reason: str,
) -> None:
    ivan = await interviewer(client)
    good = ics(("2026-03-03T10:00", "2026-03-03T11:00"))
    url = feeds.serve("work.ics", good)
    await calendars(client).add_feed(ivan, url=url, label="Work", client=VISITOR)

    make_answer(feeds)
    clock.advance(timedelta(minutes=30))
    assert await calendars(client).refresh_due_feeds() == 1
    (entry,) = (await service(client).overview(ivan)).calendars
    assert (entry.status, entry.error) == ("error", reason)
    assert entry.last_success_at == START
    assert entry.last_attempt_at == START + timedelta(minutes=30)
    assert entry.next_fetch_at == START + timedelta(minutes=35)  # failures are retried sooner
    assert await broken(client, ivan.id) == {ivan.id: f"calendar 'Work' is not readable: {reason}"}
    assert (await service(client).overview(ivan)).problem == (
        f"calendar 'Work' is not readable: {reason}"
    )
    # The last good busy times stay; they are not offered anyway while the feed is broken.
    assert await busy_of(client, ivan.id) == [(at("2026-03-03T10:00"), at("2026-03-03T11:00"))]

    feeds.serve("work.ics", ics(("2026-03-06T09:00", "2026-03-06T10:00")))
    clock.advance(timedelta(minutes=5))
    assert await calendars(client).refresh_due_feeds() == 1
    (entry,) = (await service(client).overview(ivan)).calendars
    assert (entry.status, entry.error) == ("ok", "")
    assert await broken(client, ivan.id) == {}
    assert await busy_of(client, ivan.id) == [(at("2026-03-06T09:00"), at("2026-03-06T10:00"))]


async def test_refresh_now_fetches_at_once(
    client: Client, clock: ManualClock, feeds: FeedServer
) -> None:
    ivan = await interviewer(client)
    url = feeds.serve("work.ics", ics(("2026-03-03T10:00", "2026-03-03T11:00")))
    entry = await calendars(client).add_feed(ivan, url=url, label="Work", client=VISITOR)
    feeds.serve("work.ics", ics())
    clock.advance(timedelta(minutes=3))
    refreshed = await calendars(client).refresh_now(ivan, entry.id, VISITOR)
    assert (refreshed.status, refreshed.event_count) == ("ok", 0)
    assert refreshed.next_fetch_at == START + timedelta(minutes=33)
    assert await busy_of(client, ivan.id) == []

    feeds.serve("work.ics", b"", status=500)
    failed = await calendars(client).refresh_now(ivan, entry.id, VISITOR)
    assert (failed.status, failed.error) == (
        "error",
        "the calendar server answered HTTP 500 (Internal Server Error) instead of the calendar",
    )
    assert (await audit_actions(client))[-2:] == [
        ("calendar.refreshed", "Work"),
        ("calendar.refreshed", "Work"),
    ]


async def test_uploads_are_never_fetched(client: Client, clock: ManualClock) -> None:
    ivan = await interviewer(client)
    entry = await calendars(client).upload(
        ivan, data=ics(), filename="a.ics", label="", client=VISITOR
    )
    clock.advance(timedelta(days=1))
    assert await calendars(client).refresh_due_feeds() == 0
    with pytest.raises(InvalidInput) as caught:
        await calendars(client).refresh_now(ivan, entry.id, VISITOR)
    assert caught.value.message == "An uploaded file cannot be refreshed; upload it again instead."


async def test_removing_a_calendar_removes_its_busy_times_and_its_problem(
    client: Client, clock: ManualClock, feeds: FeedServer
) -> None:
    ivan = await interviewer(client)
    url = feeds.serve("work.ics", ics(("2026-03-03T10:00", "2026-03-03T11:00")))
    entry = await calendars(client).add_feed(ivan, url=url, label="Work", client=VISITOR)
    feeds.serve("work.ics", b"", status=404)
    clock.advance(timedelta(minutes=30))
    await calendars(client).refresh_due_feeds()
    assert ivan.id in await broken(client, ivan.id)

    await calendars(client).remove(ivan, entry.id, VISITOR)
    assert await broken(client, ivan.id) == {}
    assert await busy_of(client, ivan.id) == []
    assert (await audit_actions(client))[-1] == ("calendar.removed", "Work")
    with pytest.raises(NotFound):
        await calendars(client).remove(ivan, entry.id, VISITOR)


async def test_nobody_touches_another_interviewers_calendar(
    client: Client, feeds: FeedServer
) -> None:
    ivan = await interviewer(client)
    olga = await interviewer(client, "olga@example.com")
    admin = await make_staff(client, "ada@example.com", "admin")
    url = feeds.serve("work.ics", ics(("2026-03-03T10:00", "2026-03-03T11:00")))
    entry = await calendars(client).add_feed(ivan, url=url, label="Work", client=VISITOR)
    for other in (olga, admin):
        with pytest.raises(NotFound):
            await calendars(client).refresh_now(other, entry.id, VISITOR)
        with pytest.raises(NotFound):
            await calendars(client).remove(other, entry.id, VISITOR)
        assert (await service(client).overview(other)).calendars == []
    assert feeds.hits["work.ics"] == 1
    assert [c.id for c in (await service(client).overview(ivan)).calendars] == [entry.id]
    assert await busy_of(client, ivan.id) == [(at("2026-03-03T10:00"), at("2026-03-03T11:00"))]
