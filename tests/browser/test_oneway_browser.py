"""End to end: a candidate answers a one-way interview in headless Chromium with a fake
camera, through the real portal, answer socket, media worker and recorder; a recruiter then
watches and rates the kept answers on the review page.

Everything stays on 127.0.0.1. Takes are stopped early from the page to keep this short; the
server's own cut at the limit is tested with raw clients in tests/media/test_oneway_socket.py.
"""

from __future__ import annotations

import asyncio

import av
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from liveinterview.app import create_app
from liveinterview.clock import ManualClock
from liveinterview.config import Settings
from liveinterview.domain.oneway import GRACE, MIN_ANSWER
from liveinterview.storage.db import Database
from liveinterview.storage.tables import oneway_interviews, oneway_ratings, oneway_takes
from liveinterview.web.keys import STAFF
from tests.conftest import CHEAP_HASHER, DbTarget
from tests.mailbox import Mailbox, free_port
from tests.oneway_fixtures import QuestionSpec, sent_interview
from tests.staff import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.media,
    pytest.mark.slow,
    pytest.mark.parametrize("db_target", ["sqlite"], indirect=True),
]
WAIT = 30_000  # ms
LIMIT_S = int(MIN_ANSWER.total_seconds())


@pytest.fixture
async def answer_server(
    aiohttp_server: object, settings: Settings, clock: ManualClock, db_target: DbTarget
) -> TestServer:
    port = free_port()
    configured = settings.replace(
        base_url=f"http://127.0.0.1:{port}",
        port=port,
        media_host_addresses=("127.0.0.1",),
        media_workers=1,
    )
    app = create_app(
        configured, clock=clock, password_hasher=CHEAP_HASHER, db_schema=db_target.schema
    )
    server: TestServer = await aiohttp_server(app, host="127.0.0.1", port=port)  # type: ignore[operator]
    return server


async def record(page: Page) -> None:
    """Start now (skipping the preparation), let media flow, stop."""
    await page.get_by_role("button", name="Start recording now").click(timeout=WAIT)
    stop = page.get_by_role("button", name="Stop recording")
    await stop.wait_for(timeout=WAIT)
    await asyncio.sleep(2.5)  # a few seconds of answer (nothing is asserted on time)
    await stop.click()


async def plays(page: Page) -> float:
    """The take shows in the page's player: its duration as the browser reads it (Range)."""
    player = page.locator("#playback")
    await expect(player).to_be_visible(timeout=WAIT)
    await page.wait_for_function(
        "() => { const v = document.getElementById('playback'); return v.readyState >= 1; }",
        timeout=WAIT,
    )
    return float(await player.evaluate("v => v.duration"))


async def test_a_candidate_answers_two_questions_rerecords_one_and_a_recruiter_rates_them(
    browser: Browser,
    answer_server: TestServer,
    db: Database,
    clock: ManualClock,
    settings: Settings,
    mailbox: Mailbox,
) -> None:
    app = answer_server.app
    rita = await app[STAFF].create_user(
        email="rita@example.com", name="Rita Recruiter", roles=["recruiter"], password=PASSWORD
    )
    sent = await sent_interview(
        db,
        settings.secret_key,
        now=clock.now(),
        recruiter_id=rita.id,
        practice=QuestionSpec("Practice: your favourite tool?", 5, LIMIT_S, 1),
        questions=[
            QuestionSpec("Tell us about a system you built.", 5, LIMIT_S, 2),
            QuestionSpec("Why this team?", 5, LIMIT_S, 2),
        ],
    )
    base = str(answer_server.make_url("/")).rstrip("/")
    context = await browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = await context.new_page()
    await page.goto(f"{base}/answer/{sent.token}")

    # Instructions and consent.
    await expect(page.get_by_role("heading", name="Backend screening")).to_be_visible()
    continue_button = page.get_by_role("button", name="Continue to the camera check")
    await continue_button.click()
    await expect(page.locator("#intro-hint")).to_be_visible()  # consent first
    await page.get_by_label("I agree that my answers are recorded").check()
    await continue_button.click()

    # The room's device and connection check: the server echoes our camera back.
    await expect(page.locator("#check-media")).to_have_attribute("data-status", "ok", timeout=WAIT)
    await page.get_by_role("button", name="Continue", exact=True).click()

    # Practice: recorded the same way, playable, never kept.
    await expect(page.get_by_role("heading", name="Practice question")).to_be_visible(timeout=WAIT)
    await record(page)
    assert await plays(page) > 0
    await page.get_by_role("button", name="Start the interview").click()

    # Question 1, twice; the second attempt is kept.
    await expect(page.get_by_role("heading", name="Question 1 of 2")).to_be_visible()
    await expect(page.locator("#question-text")).to_have_text("Tell us about a system you built.")
    await record(page)
    assert await plays(page) > 0
    await page.get_by_role("button", name="Record again (1 attempt left)").click(timeout=WAIT)
    await record(page)
    await plays(page)
    await expect(page.get_by_role("button", name="Record again")).to_be_hidden()
    await page.get_by_role("button", name="Keep this answer").click()

    # Question 2, once.
    await expect(page.get_by_role("heading", name="Question 2 of 2")).to_be_visible(timeout=WAIT)
    await record(page)
    await plays(page)
    await page.get_by_role("button", name="Keep this answer").click()
    await expect(page.get_by_role("heading", name="Thank you!")).to_be_visible(timeout=WAIT)
    await context.close()

    # On the server: two kept answers, within the limits, attempts as recorded.
    async with db.read() as conn:
        takes = list(
            await conn.execute(
                select(oneway_takes)
                .where(oneway_takes.c.interview_id == sent.id)
                .order_by(oneway_takes.c.id)
            )
        )
        interview = (
            await conn.execute(select(oneway_interviews).where(oneway_interviews.c.id == sent.id))
        ).one()
    assert [(t.question_idx, t.attempt, t.status) for t in takes] == [
        (-1, 0, "discarded"),
        (0, 1, "not_kept"),
        (0, 2, "kept"),
        (1, 1, "kept"),
    ]
    assert interview.state == "completed"
    assert interview.consent_at is not None
    assert interview.completed_at is not None
    limit_ms = (LIMIT_S + GRACE.total_seconds()) * 1000
    root = settings.recordings_root
    assert not (root / takes[0].directory).exists()  # the practice is deleted
    for take in takes[1:]:
        assert 0 < take.duration_ms <= limit_ms
        with av.open(str(root / take.directory / take.file)) as container:
            codecs = sorted(s.codec_context.name for s in container.streams)
            assert container.duration is not None
            seconds = container.duration / 1e6
            frames = sum(1 for _ in container.decode(video=0))
        assert codecs == ["opus", "vp8"]
        assert 0 < seconds <= limit_ms / 1000
        assert abs(seconds * 1000 - take.duration_ms) < 100
        assert frames > 10
    confirmation = mailbox.only("zoe@example.com")
    assert "are in" in str(confirmation.message["Subject"])
    notification = mailbox.only("rita@example.com")
    assert "Zoë Müller answered" in str(notification.message["Subject"])
    assert f"{base}/oneway/interviews/{sent.id}" in notification.links()

    # The recruiter watches and rates both kept answers.
    staff = await browser.new_context()
    review = await staff.new_page()
    await review.goto(f"{base}/signin")
    await review.get_by_label("Email").fill("rita@example.com")
    await review.get_by_label("Password").fill(PASSWORD)
    await review.get_by_role("button", name="Sign in").click()
    await review.goto(f"{base}/oneway/interviews/{sent.id}")
    players = review.locator("video")
    await expect(players).to_have_count(2)
    for index, rating in ((1, "4"), (2, "5")):
        section = review.locator("section.oneway-answer").nth(index - 1)
        await expect(section).to_contain_text(f"attempt {2 if index == 1 else 1}")
        await section.get_by_label(rating, exact=True).check()
        await section.get_by_role("button", name="Save rating").click()
        await expect(
            review.locator("section.oneway-answer")
            .nth(index - 1)
            .get_by_role("button", name="Update rating")
        ).to_be_visible(timeout=WAIT)
    await staff.close()
    async with db.read() as conn:
        ratings = {
            r.take_id: r.rating
            for r in await conn.execute(select(oneway_ratings.c.take_id, oneway_ratings.c.rating))
        }
    assert ratings == {takes[2].id: 4, takes[3].id: 5}
