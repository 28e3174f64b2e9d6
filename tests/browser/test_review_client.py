"""The recording review page's client, against a fake page server with a real MP4."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import av
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, ViewportSize

from liveinterview.paths import STATIC_DIR, TEMPLATES_DIR
from tests.browser.review_fake_server import (
    VIDEO_SECONDS,
    FakeReviewServer,
    make_review_video,
    render_review_page,
    review_context,
    review_page_environment,
)
from tests.browser.room_fake_server import base_context

pytestmark = pytest.mark.browser
WAIT = 20_000  # ms
PHONE: ViewportSize = {"width": 390, "height": 844}
MakeReview = Callable[..., Awaitable[FakeReviewServer]]


@pytest.fixture(scope="module")
def review_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = make_review_video(tmp_path_factory.mktemp("review") / "review.mp4")
    with av.open(str(path)) as container:
        assert {s.type for s in container.streams} == {"video", "audio"}
        assert container.duration is not None
        assert abs(container.duration / 1_000_000 - VIDEO_SECONDS) < 0.2
    return path


@pytest.fixture
async def make_review(review_video: Path) -> AsyncIterator[MakeReview]:
    servers: list[FakeReviewServer] = []

    async def make(**context: Any) -> FakeReviewServer:
        server = FakeReviewServer(review_video, **context)
        await server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        await server.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context()
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(message.text)

    page.on("console", console)
    yield page
    await context.close()
    assert errors == [], "the page had uncaught errors"


async def open_ready(page: Page, review: FakeReviewServer, suffix: str = "") -> None:
    """Open the page and wait until the video knows its duration."""
    await page.goto(review.page_url + suffix)
    await page.wait_for_function(
        "() => document.getElementById('player').readyState >= 1", timeout=WAIT
    )


async def playhead_near(page: Page, seconds: float) -> None:
    """The video has finished seeking to about `seconds`."""
    await page.wait_for_function(
        """(t) => { const v = document.getElementById('player');
                    return !v.seeking && Math.abs(v.currentTime - t) < 0.3; }""",
        arg=seconds,
        timeout=WAIT,
    )


def timeline_link(page: Page, text: str) -> Any:
    return page.locator("#timeline li", has_text=text).locator("a.jump")


CURRENT_CHAT = """() => [...document.querySelectorAll('#chat [aria-current="true"]')]
    .map((li) => li.querySelector('.chat-text').textContent)"""


async def test_the_video_plays_from_the_server_with_range_requests(
    make_review: MakeReview, page: Page
) -> None:
    review = await make_review()
    await open_ready(page, review)
    assert await page.evaluate("document.getElementById('player').canPlayType('video/mp4')")
    duration = await page.evaluate("document.getElementById('player').duration")
    assert abs(duration - VIDEO_SECONDS) < 0.2
    assert any(r.startswith("bytes=") for r in review.ranges), review.ranges


async def test_clicking_a_timeline_entry_seeks_the_video_there(
    make_review: MakeReview, page: Page
) -> None:
    review = await make_review()
    await open_ready(page, review)
    link = timeline_link(page, "Good intro.")
    assert await link.get_attribute("href") == "#t=1.0"
    named = page.get_by_role("link", name="0:01 Note by Rita Interviewer: Good intro.")
    assert await named.get_attribute("href") == "#t=1.0", "the link says what happened"
    await link.click()
    await playhead_near(page, 1.0)
    assert page.url.endswith("#t=1.0") or page.url.endswith("#t=1")
    assert await page.evaluate("document.getElementById('player').paused"), "stays paused"
    entry = page.locator("#timeline li", has_text="Good intro.")
    assert await entry.get_attribute("aria-current") == "true"
    await page.locator("#review-announcer").get_by_text("Video at 1 second.").wait_for()

    await timeline_link(page, "Ask <more>").click()
    await playhead_near(page, 4.5)
    assert await page.locator("#timeline [aria-current]").count() == 1


async def test_the_chat_message_at_the_playhead_is_highlighted(
    make_review: MakeReview, page: Page
) -> None:
    review = await make_review()
    await open_ready(page, review)
    await page.evaluate("document.getElementById('player').currentTime = 3.4")
    await page.wait_for_function(f"() => ({CURRENT_CHAT})().join() === 'Yes, <clearly>.'")
    current = page.locator('#chat [aria-current="true"]')
    assert "is-current" in (await current.get_attribute("class") or "")
    await page.evaluate("document.getElementById('player').currentTime = 0.3")
    await page.wait_for_function(f"() => ({CURRENT_CHAT})().length === 0")
    # A chat time is a link too.
    await page.locator("#chat li", has_text="Thanks").locator("a.jump").click()
    await playhead_near(page, 4.6)
    assert await page.evaluate(CURRENT_CHAT) == ["Thanks"]
    # Playing moves the highlight along with the video.
    await page.evaluate(
        """() => { const v = document.getElementById('player');
                   v.muted = true; v.currentTime = 1.5; return v.play(); }"""
    )
    await page.wait_for_function(f"() => ({CURRENT_CHAT})().join() === 'Can you see it?'")


async def test_an_address_with_t_seeks_when_the_page_opens(
    make_review: MakeReview, page: Page
) -> None:
    review = await make_review()
    await open_ready(page, review, "#t=2.5")
    await playhead_near(page, 2.5)
    await page.evaluate("location.hash = 't=0:04'")
    await playhead_near(page, 4.0)


async def test_delete_asks_for_confirmation_first(make_review: MakeReview, page: Page) -> None:
    review = await make_review()
    await page.goto(review.page_url)
    assert await page.locator("#delete-confirm-field").is_hidden(), "the dialog confirms instead"
    delete = page.get_by_role("button", name="Delete recording now")
    await delete.click()
    dialog = page.get_by_role("dialog", name="Delete this recording now?")
    await dialog.wait_for()
    assert "Zoë Müller" in await dialog.inner_text()
    await dialog.get_by_role("button", name="Keep the recording").click()
    await dialog.wait_for(state="hidden")
    assert review.posts == []

    await delete.click()
    await dialog.get_by_role("button", name="Delete for good").click()
    await page.wait_for_load_state()
    await page.wait_for_function("() => document.readyState === 'complete'")
    assert review.posts == [("delete", {"csrf_token": "csrf-123", "confirm": "yes"})]


async def test_the_review_page_works_with_the_keyboard(make_review: MakeReview, page: Page) -> None:
    review = await make_review()
    await open_ready(page, review)

    async def tab_to(condition: str, what: str) -> None:
        for _ in range(60):
            await page.keyboard.press("Tab")
            if await page.evaluate(
                f"() => {{ const e = document.activeElement; return {condition}; }}"
            ):
                outline = await page.evaluate(
                    "getComputedStyle(document.activeElement).outlineStyle"
                )
                assert outline != "none", f"{what} shows where the focus is"
                return
        raise AssertionError(f"{what} cannot be reached with Tab")

    await tab_to("e.matches('#timeline a.jump[href=\"#t=3.0\"]')", "the bookmark's time")
    await page.keyboard.press("Enter")
    await playhead_near(page, 3.0)
    focused = await page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#t=3.0", "the focus stays on the entry"

    await tab_to("e.id === 'btn-delete'", "the delete button")
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Delete this recording now?")
    await dialog.wait_for()
    focused = await page.evaluate("document.activeElement.textContent")
    assert focused == "Keep the recording", "the safe choice has the focus"
    await page.keyboard.press("Escape")
    await dialog.wait_for(state="hidden")
    assert await page.evaluate("document.activeElement.id") == "btn-delete"
    assert review.posts == []


async def test_processing_shows_progress_and_reloads_when_ready(
    make_review: MakeReview, page: Page
) -> None:
    review = await make_review(status="processing", progress=0.25)
    review.report = {"status": "processing", "progress": 0.25}
    await page.goto(review.page_url)
    banner = page.locator("#status-banner")
    assert "Preparing the review video" in await banner.inner_text()
    bar = page.get_by_role("progressbar", name="Preparing the review video")
    assert await bar.get_attribute("value") == "25"
    assert await page.locator("#player").count() == 0
    assert await page.get_by_role("button", name="Create share link").count() == 0

    review.report = {"status": "processing", "progress": 0.6}
    await page.wait_for_function(
        "() => document.getElementById('status-progress').value === 60", timeout=WAIT
    )
    assert "60 % done" in await banner.inner_text()
    assert review.page_loads == 1

    review.context.update(status="ready")
    review.report = {"status": "ready", "progress": 1.0}
    await page.locator("#player").wait_for(timeout=WAIT)
    assert review.page_loads == 2
    assert await page.locator("#status-banner").count() == 0


async def test_a_failed_recording_says_why_and_keeps_the_track_files(
    make_review: MakeReview, page: Page
) -> None:
    review = await make_review(status="failed", failure="The camera track is truncated.")
    await page.goto(review.page_url)
    banner = page.locator("#status-banner")
    assert "The review video could not be made" in await banner.inner_text()
    assert "The camera track is truncated." in await banner.inner_text()
    assert await page.locator("#player").count() == 0
    files = page.get_by_role("table")
    assert "Zoë Müller — camera" in await files.inner_text()
    assert "1.2 MB" in await files.inner_text()
    download = files.get_by_role("link", name="Download Zoë Müller — camera")
    assert await download.get_attribute("download") is not None
    assert await page.get_by_role("button", name="Delete recording now").is_visible()
    assert await page.get_by_role("button", name="Create share link").count() == 0
    # Times are shown, but there is nothing to seek.
    assert await page.locator("#timeline a.jump").count() == 0
    assert review.status_polls == 0


async def test_share_links_are_created_copied_and_revoked(
    make_review: MakeReview, page: Page
) -> None:
    review = await make_review()
    await page.goto(review.page_url)
    link = page.get_by_role("textbox", name="Share link 1")
    assert await link.input_value() == "http://127.0.0.1/share/abc123"
    assert await page.get_by_role("button", name="Copy share link 1").is_visible()
    assert "shown once" in await page.locator(".share-link").nth(1).inner_text()
    await page.get_by_role("button", name="Revoke share link 2").click()
    await page.wait_for_function("() => document.readyState === 'complete'")
    assert review.posts == [("share/2/revoke", {"csrf_token": "csrf-123"})]
    await page.get_by_role("button", name="Create share link").click()
    await page.wait_for_function("() => document.readyState === 'complete'")
    assert review.posts[-1] == ("share", {"csrf_token": "csrf-123"})


async def test_timeline_filter_and_markers(make_review: MakeReview, page: Page) -> None:
    review = await make_review()
    await open_ready(page, review)
    entries = page.locator("#timeline li")
    chat_entry = entries.filter(has_text="in the chat")
    assert await chat_entry.is_visible()
    await page.get_by_role("checkbox", name="Chat").uncheck()
    assert await chat_entry.is_hidden()
    assert await entries.filter(has_text="Good intro.").is_visible()
    await page.get_by_role("checkbox", name="Chat").check()
    assert await chat_entry.is_visible()
    # Notes, bookmarks and pauses are marked on a bar under the video.
    await page.locator("#markers").wait_for()
    assert await page.locator("#markers .marker").count() == 5
    await page.locator("#markers .marker-notes").first.click()
    await playhead_near(page, 1.0)


async def test_without_javascript_the_basics_still_work(
    make_review: MakeReview, browser: Browser
) -> None:
    review = await make_review()
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(review.page_url)
    video = page.locator("video#player")
    assert await video.get_attribute("controls") is not None
    assert await video.get_attribute("src") == "/interviews/7/recording/video.mp4"
    assert await timeline_link(page, "Good intro.").get_attribute("href") == "#t=1.0"
    confirm = page.get_by_label("Yes, delete this recording for good")
    assert await confirm.is_visible()
    assert await confirm.get_attribute("required") is not None
    assert await page.locator("#timeline-filter").is_hidden()
    assert "Expires 2026-03-10 13:00 UTC" in await page.locator(".share-link").first.inner_text()
    await confirm.check()
    await page.get_by_role("button", name="Delete recording now").click()
    await page.wait_for_load_state()
    assert review.posts == [("delete", {"csrf_token": "csrf-123", "confirm": "yes"})]
    await context.close()


async def test_moments_show_in_the_viewers_zone_and_consents_are_listed(
    make_review: MakeReview, browser: Browser
) -> None:
    review = await make_review()
    context = await browser.new_context(locale="en-GB", timezone_id="Europe/Berlin")
    page = await context.new_page()
    await page.goto(review.page_url)
    consents = page.get_by_role("region", name="Consent to the recording")
    await consents.get_by_text("13:59").wait_for()  # 12:59:30 UTC is 13:59 in Berlin
    assert "Zoë Müller" in await consents.inner_text()
    assert "UTC" not in await consents.inner_text()
    joined = page.locator("#timeline li", has_text="Rita Interviewer joined")
    assert "13:58" in await joined.inner_text(), "outside the video: the clock time instead"
    assert await joined.locator("a").count() == 0
    assert "14:00" in await page.locator(".share-link").first.inner_text()
    await context.close()


async def test_a_share_link_page_plays_the_video_only(make_review: MakeReview, page: Page) -> None:
    review = await make_review()
    await page.goto(f"{review.base_url}/share/some-token#t=2")
    await playhead_near(page, 2.0)
    assert "every view is logged" in await page.locator("main").inner_text()
    assert await page.locator("form").count() == 0
    assert await page.locator("#timeline").count() == 0


async def test_on_a_phone_everything_stacks_without_sideways_scrolling(
    make_review: MakeReview, browser: Browser
) -> None:
    review = await make_review()
    context = await browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, color_scheme="dark"
    )
    page = await context.new_page()
    await page.goto(review.page_url)
    await page.locator("#player").wait_for()
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    player = await page.locator("#player").bounding_box()
    timeline = await page.locator("#timeline").bounding_box()
    assert player is not None
    assert timeline is not None
    assert timeline["y"] >= player["y"] + player["height"], "the timeline is below the video"
    background = await page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert background == "rgb(18, 22, 28)", "dark mode"
    await context.close()


async def test_review_helpers(make_review: MakeReview, page: Page) -> None:
    """The pure functions, run in the browser itself."""
    review = await make_review()
    await page.goto(review.page_url)
    results = await page.evaluate(
        """async () => {
      const { parseTime, formatClock, spokenTime } = await import("/static/js/review/player.js");
      const { currentIndex } = await import("/static/js/review/transcript.js");
      return {
        times: ["#t=83.5", "t=1:23.5", "#t=1:02:03", "#t=10,20", "#t=npt:7", "#x=1", "#t=",
                "#t=1:2:3:4", "#t=a", "#t=-3"].map(parseTime),
        clocks: [0, 4.99, 65, 3723, -2, NaN].map(formatClock),
        spoken: [1, 65, 3600, 0].map(spokenTime),
        index: [-1, 0, 0.96, 1, 2.5, 9].map((t) => currentIndex([0, 1, 1, 2.5], t)),
        empty: currentIndex([], 3),
      };
    }"""
    )
    assert results["times"] == [83.5, 83.5, 3723, 10, 7, None, None, None, None, None]
    assert results["clocks"] == ["0:00", "0:04", "1:05", "1:02:03", "0:00", "0:00"]
    assert results["spoken"] == ["1 second", "1 minute 5 seconds", "1 hour", "0 seconds"]
    assert results["index"] == [-1, 0, 2, 2, 3, 3]
    assert results["empty"] == -1


# --- the template on its own --------------------------------------------------------------

MINIMAL: dict[str, Any] = {
    "interview": {"position": "Backend", "candidate_name": "Zoë", "when_text": "Tuesday"},
    "csrf_token": "t",
}


@pytest.mark.parametrize(
    ("status", "says"),
    [
        ("recording", "still being recorded"),
        ("processing", "Preparing the review video"),
        ("ready", "Timeline"),
        ("failed", "could not be made"),
        ("deleted", "This recording was deleted"),
        ("expired", "This recording has expired"),
    ],
)
def test_the_page_renders_for_every_status_with_the_least_context(status: str, says: str) -> None:
    html = render_review_page(**MINIMAL, status=status)
    assert says in html
    assert "<video" not in html, "no video without a video_url"


def test_the_page_escapes_everything_and_links_times() -> None:
    html = render_review_page(**review_context())
    assert "Backend &lt;Engineer&gt;" in html
    assert "Ask &lt;more&gt;" in html
    assert "Yes, &lt;clearly&gt;." in html
    assert 'href="#t=4.5"' in html
    assert 'datetime="PT4.5S"' in html
    assert ">0:04<" in html, "whole seconds, as players show them"
    assert html.count('name="csrf_token" value="csrf-123"') == 4  # 2 revokes, share, delete
    assert "not in the recording" in html
    assert "refresh" not in html, "a ready page does not reload itself"
    gone = render_review_page(**review_context(status="deleted"))
    assert "Delete recording now" not in gone
    assert "Download" not in gone
    assert "Create share link" not in gone
    viewer = render_review_page(**review_context(can_manage=False))
    assert "Delete recording now" not in viewer
    assert "Create share link" not in viewer
    waiting = render_review_page(**review_context(status="processing", progress=0.5))
    assert '<meta http-equiv="refresh" content="30">' in waiting
    assert 'data-status-url="/interviews/7/recording/status"' in waiting


def test_the_page_takes_the_interview_under_either_name() -> None:
    html = render_review_page(
        **review_context(interview={"position": "P", "candidate": "Zoë X", "when": "Tue 3 March"})
    )
    assert "Zoë X" in html
    assert "Tue 3 March" in html


def test_share_page_renders_with_its_context() -> None:
    env = review_page_environment()
    html = env.get_template("review/shared.html").render(
        **base_context(), position="Backend", candidate="Zoë", video_url="/s/t/video"
    )
    assert 'src="/s/t/video"' in html
    assert "stops working" not in html


def test_with_a_csp_nonce_every_review_module_has_a_versioned_url() -> None:
    listed = set(
        re.findall(r'"([a-z-]+\.js)"', (TEMPLATES_DIR / "review/_modules.html").read_text())
    )
    on_disk = {path.name for path in (STATIC_DIR / "js/review").glob("*.js")}
    assert listed == on_disk
    html = render_review_page(**MINIMAL, status="ready", csp_nonce="n0nce")
    assert '<script type="importmap" nonce="n0nce">' in html
