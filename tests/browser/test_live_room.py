"""End to end: two headless Chromiums meet through the real pages, signaling and SFU.

The server is the real app with the aiortc engine gathering on 127.0.0.1 only; both browsers
run with fake camera/microphone and --allow-loopback-in-peer-connection.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page

from liveinterview.app import create_app
from liveinterview.clock import ManualClock
from liveinterview.config import Settings
from liveinterview.media.engine import build_engine
from liveinterview.services.interviews import PanelChoice
from liveinterview.storage import availability
from liveinterview.storage.db import Database
from liveinterview.web.keys import BOOKING, CLOCK, HUB, INTERVIEWS, STAFF
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
        base_url=f"http://127.0.0.1:{port}", port=port, media_host_addresses=("127.0.0.1",)
    )
    app = create_app(
        configured,
        clock=clock,
        password_hasher=CHEAP_HASHER,
        db_schema=db_target.schema,
        media_engine=build_engine(configured),
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
