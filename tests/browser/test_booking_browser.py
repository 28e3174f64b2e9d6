"""A candidate books on a phone in real Chromium: zone detected, and without JavaScript too."""

from __future__ import annotations

from datetime import date

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser

from liveinterview.services.interviews import PanelChoice
from liveinterview.storage import availability
from liveinterview.storage.db import Database
from liveinterview.web.keys import CLOCK, INTERVIEWS, STAFF
from tests.mailbox import Mailbox
from tests.scheduling import NINE_TO_FIVE, link_in
from tests.staff import PASSWORD

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


async def booking_path(live_server: TestServer, db: Database, mailbox: Mailbox) -> str:
    app = live_server.app
    rita = await app[STAFF].create_user(
        email="rita@example.com", name="Rita", roles=["recruiter"], password=PASSWORD
    )
    ivan = await app[STAFF].create_user(
        email="ivan@example.com", name="Ivan", roles=["interviewer"], password=PASSWORD
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
    return link_in(mailbox.only("zoe@example.com"), "book")


async def test_candidate_on_a_phone_gets_their_own_zone_and_books(
    browser: Browser, live_server: TestServer, db: Database, mailbox: Mailbox
) -> None:
    path = await booking_path(live_server, db, mailbox)
    base = str(live_server.make_url("/")).rstrip("/")
    context = await browser.new_context(
        viewport=PHONE, timezone_id="America/New_York", is_mobile=True, has_touch=True
    )
    page = await context.new_page()
    await page.goto(f"{base}{path}")
    await page.wait_for_url("**tz=America%2FNew_York")  # the script picked the zone
    assert "(shown in America/New_York)" in await page.locator("legend").first.inner_text()
    # Nothing wider than the phone: no sideways scrolling.
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    first = page.get_by_role("radio").first
    assert await first.get_attribute("value") == "2026-03-03T08:00:00+00:00"
    assert (await page.locator("label.slot").first.inner_text()).strip() == "03:00"
    await page.locator("label.slot").nth(1).tap()
    await page.get_by_role("button", name="Book this time").tap()
    await page.wait_for_url("**/manage/**")
    assert (
        "Tuesday 3 March 2026, 03:30–04:30 (America/New_York, EST)"
        in await page.locator("main").inner_text()
    )
    await context.close()


async def test_booking_works_without_javascript(
    browser: Browser, live_server: TestServer, db: Database, mailbox: Mailbox
) -> None:
    path = await booking_path(live_server, db, mailbox)
    base = str(live_server.make_url("/")).rstrip("/")
    context = await browser.new_context(java_script_enabled=False, timezone_id="Asia/Tokyo")
    page = await context.new_page()
    await page.goto(f"{base}{path}")
    assert "(shown in UTC)" in await page.locator("legend").first.inner_text()
    await page.get_by_label("Times are shown in").select_option("Asia/Tokyo")
    await page.get_by_role("button", name="Change time zone").click()
    assert "(shown in Asia/Tokyo)" in await page.locator("legend").first.inner_text()
    await page.locator("label.slot").first.click()
    await page.get_by_role("button", name="Book this time").click()
    await page.wait_for_url("**/manage/**")
    assert "17:00–18:00 (Asia/Tokyo, JST)" in await page.locator("main").inner_text()
    confirmation = mailbox.to("zoe@example.com")[-1]
    assert "Interview confirmed" in str(confirmation.message["Subject"])
    await context.close()
