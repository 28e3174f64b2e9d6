"""Real headless Chromium (Debian's), driven by Playwright, against the app on loopback."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, async_playwright

from liveinterview.app import create_app
from liveinterview.clock import ManualClock
from liveinterview.config import Settings
from tests.conftest import CHEAP_HASHER, DbTarget
from tests.mailbox import free_port
from tests.signaling.fakes import FakeMedia

CHROMIUM = Path(os.environ.get("LIVEINTERVIEW_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream=fps=30",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():  # noqa: ASYNC240 - one stat before launching a browser
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def live_server(
    aiohttp_server: object, settings: Settings, clock: ManualClock, db_target: DbTarget
) -> TestServer:
    """The app on a real loopback port, with base_url pointing at it."""
    port = free_port()
    app = create_app(
        settings.replace(base_url=f"http://127.0.0.1:{port}", port=port),
        clock=clock,
        password_hasher=CHEAP_HASHER,
        db_schema=db_target.schema,
        media_engine=FakeMedia(),
    )
    return await aiohttp_server(app, host="127.0.0.1", port=port)  # type: ignore[operator,no-any-return]
