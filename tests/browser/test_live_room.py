"""End to end: two headless Chromiums meet through the real pages, signaling and SFU.

The server is the real app with the aiortc engine gathering on 127.0.0.1 only; both browsers
run with fake camera/microphone and --allow-loopback-in-peer-connection.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import aiohttp
import av
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page
from sqlalchemy import select

from liveinterview.app import create_app
from liveinterview.clock import ManualClock
from liveinterview.config import Settings
from liveinterview.services.interviews import PanelChoice
from liveinterview.storage import availability
from liveinterview.storage.db import Database
from liveinterview.storage.tables import audit_events, recordings
from liveinterview.web.keys import BOOKING, CLOCK, COMPOSER, HUB, INTERVIEWS, STAFF
from tests.conftest import CHEAP_HASHER, DbTarget
from tests.mailbox import Mailbox, free_port
from tests.scheduling import NINE_TO_FIVE, latest, link_in
from tests.staff import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.media]
START = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
WAIT = 20_000  # ms

FRAMES_FROM = """async ([who, source]) => {
  const peer = window.liveInterview.room?.peer;
  const remote = peer && [...peer.remote.values()].find(
    (r) => r.participant === who && r.source === source);
  if (!remote) return [0, 0, 0];
  let frames = 0, width = 0, height = 0;
  (await remote.receiver.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp") {
      frames += s.framesDecoded ?? 0; width = s.frameWidth ?? 0; height = s.frameHeight ?? 0;
    }
  });
  return [frames, width, height];
}"""


@pytest.fixture
async def room_server(
    aiohttp_server: object, settings: Settings, clock: ManualClock, db_target: DbTarget
) -> TestServer:
    port = free_port()
    configured = settings.replace(
        base_url=f"http://127.0.0.1:{port}",
        port=port,
        media_host_addresses=("127.0.0.1",),
    )
    app = create_app(
        configured,
        clock=clock,
        password_hasher=CHEAP_HASHER,
        db_schema=db_target.schema,  # the real aiortc engine and recorder: no media_engine given
    )
    server: TestServer = await aiohttp_server(app, host="127.0.0.1", port=port)  # type: ignore[operator]
    return server


async def booked_links(server: TestServer, db: Database, mailbox: Mailbox) -> tuple[str, str, str]:
    """An interview booked for START: (candidate's join link, Ivan's, Ivan's participant id)."""
    app = server.app
    rita = await app[STAFF].create_user(
        email="rita@example.com", name="Rita Recruiter", roles=["recruiter"], password=PASSWORD
    )
    ivan = await app[STAFF].create_user(
        email="ivan@example.com", name="Ivan Petrov", roles=["interviewer"], password=PASSWORD
    )
    async with db.transaction() as conn:
        await availability.save_prefs(
            conn,
            availability.InterviewerPrefs(ivan.id, "Europe/Berlin", min_notice_minutes=0),
            app[CLOCK].now(),
        )
        await availability.replace_weekly(conn, ivan.id, NINE_TO_FIVE)
    await app[INTERVIEWS].create(
        rita,
        candidate_name="Zoë Müller",
        candidate_email="zoe@example.com",
        position="Backend Engineer",
        duration_minutes=60,
        step_minutes=30,
        first_day=date(2026, 3, 3),
        last_day=date(2026, 3, 6),
        timezone="Europe/Berlin",
        recorded=True,
        note="",
        panel=[PanelChoice(ivan.id, "required")],
    )
    book = link_in(mailbox.only("zoe@example.com"), "book").rsplit("/", 1)[1]
    await app[BOOKING].book(book, START, "Europe/Berlin")
    return (
        link_in(latest(mailbox, "zoe@example.com"), "join"),
        link_in(latest(mailbox, "ivan@example.com"), "join"),
        f"user:{ivan.id}",
    )


async def enter(page: Page, url: str) -> None:
    await page.goto(url)
    await page.get_by_label("I understand that this interview is recorded").check()
    await page.get_by_role("button", name="Join the interview").click(timeout=WAIT)


async def video_from(page: Page, who: str) -> tuple[int, int, int]:
    """Wait until `who`'s camera frames are decoded and keep coming; (frames, width, height)."""
    deadline = time.monotonic() + WAIT / 1000
    first = 0
    while True:
        frames, width, height = await page.evaluate(FRAMES_FROM, [who, "camera"])
        if first == 0 and frames > 0:
            first = frames
        elif first and frames > first + 15:
            return frames, width, height
        if time.monotonic() > deadline:
            raise AssertionError(f"video from {who}: {frames} frames decoded")
        await asyncio.sleep(0.2)


async def captured(page: Page) -> tuple[int, int]:
    size = await page.locator("#room-stage .tile-self video").evaluate(
        "v => [v.videoWidth, v.videoHeight]"
    )
    assert size[0] > 0
    return int(size[0]), int(size[1])


async def test_candidate_and_interviewer_see_hear_and_chat_through_the_server(
    browser: Browser,
    room_server: TestServer,
    db: Database,
    mailbox: Mailbox,
    clock: ManualClock,
) -> None:
    candidate_link, ivan_link, ivan_id = await booked_links(room_server, db, mailbox)
    clock.set(START - timedelta(minutes=5))
    base = str(room_server.make_url("/")).rstrip("/")
    ivan_context = await browser.new_context()
    zoe_context = await browser.new_context()
    ivan, zoe = await ivan_context.new_page(), await zoe_context.new_page()

    await enter(ivan, base + ivan_link)
    await enter(zoe, base + candidate_link)
    await zoe.locator("#lobby-wait").wait_for(timeout=WAIT)
    await ivan.get_by_role("button", name="Admit Zoë Müller").click(timeout=WAIT)

    # Each receives the other's camera: the captured picture, or Chrome's own downscale of it
    # (its encoder drops resolution when the CPU is busy), never anything else.
    for viewer, publisher, who in ((zoe, ivan, ivan_id), (ivan, zoe, "candidate")):
        _, width, height = await video_from(viewer, who)
        source_width, source_height = await captured(publisher)
        assert width * source_height == height * source_width  # same picture shape
        assert source_width // 4 <= width <= source_width

    await zoe.get_by_role("textbox", name="Message to everyone").fill("Can you hear me?")
    await zoe.keyboard.press("Enter")
    await ivan.locator("#chat-log").get_by_text("Can you hear me?").wait_for(timeout=WAIT)

    await ivan.get_by_role("button", name="Mute microphone").click()
    ivan_tile = zoe.locator(f'#room-stage .tile[data-participant="{ivan_id}"]')
    await ivan_tile.locator(".flag-muted").wait_for(timeout=WAIT)

    # A reload: Zoë comes back to the same seat, no ghost tile at Ivan's side.
    await zoe.reload()  # the page rejoins by itself, skipping the pre-join check
    await video_from(zoe, ivan_id)
    assert await zoe.locator("#prejoin").is_hidden()
    await video_from(ivan, "candidate")
    assert await ivan.locator("#room-stage .tile").count() == 2
    room = room_server.app[HUB].room("interview-1")
    assert room is not None
    assert sorted(room.members) == ["candidate", ivan_id]
    await ivan_context.close()
    await zoe_context.close()


async def test_the_call_is_recorded_composed_and_downloaded_by_its_recruiter_only(
    browser: Browser,
    room_server: TestServer,
    db: Database,
    mailbox: Mailbox,
    clock: ManualClock,
) -> None:
    candidate_link, ivan_link, ivan_id = await booked_links(room_server, db, mailbox)
    clock.set(START - timedelta(minutes=5))
    base = str(room_server.make_url("/")).rstrip("/")
    ivan_context, zoe_context = await browser.new_context(), await browser.new_context()
    ivan, zoe = await ivan_context.new_page(), await zoe_context.new_page()
    await enter(ivan, base + ivan_link)
    await enter(zoe, base + candidate_link)
    await ivan.get_by_role("button", name="Admit Zoë Müller").click(timeout=WAIT)
    await video_from(zoe, ivan_id)
    await video_from(ivan, "candidate")
    await zoe.locator("#room").get_by_text("Recording", exact=True).first.wait_for(timeout=WAIT)
    await zoe.get_by_role("textbox", name="Message to everyone").fill("Hello from Zoë")
    await zoe.keyboard.press("Enter")
    await ivan.locator("#chat-log").get_by_text("Hello from Zoë").wait_for(timeout=WAIT)
    await asyncio.sleep(8)  # talk for a while: the recording needs some seconds to compose
    await ivan.get_by_role("button", name="End interview for everyone").click()
    await ivan.get_by_role("dialog").get_by_role("button", name="End interview").click()
    await zoe.get_by_role("heading", name="The interview has ended").wait_for(timeout=WAIT)
    await ivan_context.close()
    await zoe_context.close()

    app = room_server.app
    # The app's own compose job (every 15 s) may claim the job first: run it here too, then
    # wait for whichever took it (a deadline against hangs, not a timing check).
    await app[COMPOSER].run_due()
    await eventually_async(lambda: recording_status(db), "ready", within=120)
    rita_session = aiohttp.ClientSession(base_url=base, cookie_jar=aiohttp.CookieJar(unsafe=True))
    other_session = aiohttp.ClientSession(base_url=base, cookie_jar=aiohttp.CookieJar(unsafe=True))
    try:
        await sign_in_with(rita_session, "rita@example.com")
        review = await rita_session.get("/interviews/1/recording")
        assert review.status == 200
        page = await review.text()
        assert "Hello from Zoë" in page
        video_url = re.search(r'src="(/interviews/1/recording/files/review\.mp4)"', page)
        assert video_url, "the review page plays the composed video"
        full = await rita_session.get(video_url.group(1))
        assert full.status == 200
        body = await full.read()
        assert full.headers["Content-Disposition"].startswith('attachment; filename="interview-1-')
        ranged = await rita_session.get(video_url.group(1), headers={"Range": "bytes=100-199"})
        assert ranged.status == 206
        assert await ranged.read() == body[100:200]
        with av.open(io.BytesIO(body)) as container:
            kinds = sorted(s.type for s in container.streams)
            assert kinds == ["audio", "video"]
            assert container.duration is not None
            assert 6 <= container.duration / 1_000_000 <= 60
        await app[STAFF].create_user(
            email="other@example.com", name="Other", roles=["recruiter"], password=PASSWORD
        )
        await sign_in_with(other_session, "other@example.com")
        assert (await other_session.get(video_url.group(1))).status == 404
        assert (await other_session.get("/interviews/1/recording")).status == 404
        anonymous = await aiohttp.ClientSession(
            base_url=base, cookie_jar=aiohttp.CookieJar(unsafe=True)
        ).__aenter__()
        try:  # the candidate has no account: staff pages send them to sign in
            blocked = await anonymous.get(video_url.group(1), allow_redirects=False)
            assert blocked.status == 303
            assert blocked.headers["Location"].startswith("/signin")
        finally:
            await anonymous.close()
    finally:
        await rita_session.close()
        await other_session.close()
    async with db.read() as conn:
        actions = [
            row.action
            for row in await conn.execute(
                select(audit_events.c.action).where(audit_events.c.action.like("recording.%"))
            )
        ]
    assert actions.count("recording.downloaded") == 1  # the full download, not the seek
    assert "recording.viewed" in actions


async def sign_in_with(session: aiohttp.ClientSession, email: str) -> None:
    page = await (await session.get("/signin")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    response = await session.post(
        "/signin",
        data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
        allow_redirects=False,
    )
    assert response.status == 303


async def recording_status(db: Database) -> str | None:
    async with db.read() as conn:
        return (
            await conn.execute(select(recordings.c.status).where(recordings.c.request_id == 1))
        ).scalar_one_or_none()


async def eventually_async(
    read: Callable[[], Awaitable[object]], wanted: object, *, within: float
) -> None:
    deadline = time.monotonic() + within
    while (found := await read()) != wanted:
        if found == "failed" or time.monotonic() > deadline:
            raise AssertionError(f"wanted {wanted!r}, still {found!r}")
        await asyncio.sleep(0.2)
