"""A staff member signs in with the keyboard alone in real Chromium."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser

from liveinterview.web.keys import STAFF
from tests.staff import PASSWORD

pytestmark = pytest.mark.browser
ACTIVE_ELEMENT = "document.activeElement.id || document.activeElement.textContent.trim()"


async def test_keyboard_only_signin_reaches_the_dashboard(
    browser: Browser, live_server: TestServer
) -> None:
    await live_server.app[STAFF].create_user(
        email="rita@example.com", name="Rita Recruiter", roles=["recruiter"], password=PASSWORD
    )
    base = str(live_server.make_url("/")).rstrip("/")
    page = await browser.new_page()
    await page.goto(f"{base}/signin")
    assert await page.title() == "Sign in · LiveInterview"

    # Tab order: skip link, brand, email, password, button.
    focused = []
    for _ in range(5):
        await page.keyboard.press("Tab")
        focused.append(await page.evaluate(ACTIVE_ELEMENT))
    assert focused == ["Skip to content", "LiveInterview", "f-email", "f-password", "Sign in"]

    await page.focus("#f-email")
    await page.keyboard.type("rita@example.com")
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{base}/dashboard")
    assert await page.locator("h1").inner_text() == "Hello, Rita Recruiter"

    # The focused element shows a visible outline (keyboard users can see where they are).
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    await page.close()


async def test_wrong_password_shows_the_error_to_screen_readers(
    browser: Browser, live_server: TestServer
) -> None:
    base = str(live_server.make_url("/")).rstrip("/")
    page = await browser.new_page()
    await page.goto(f"{base}/signin")
    await page.get_by_label("Email address").fill("nobody@example.com")
    await page.get_by_label("Password").fill("wrong password")
    await page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    assert await alert.inner_text() == "The email address or password is not correct."
    await page.close()
