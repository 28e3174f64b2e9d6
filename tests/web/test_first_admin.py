"""No default password: the first admin comes from a one-time setup link."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient

from liveinterview.clock import ManualClock
from liveinterview.web.keys import STAFF
from tests.pages import page_text, submit
from tests.staff import make_staff

Client = TestClient  # type: ignore[type-arg]
GOOD = {
    "name": "Ada Admin",
    "email": "ada@example.com",
    "password": "correct horse battery",
    "confirm": "correct horse battery",
}


async def setup_path(client: Client) -> str:
    link = await client.app[STAFF].issue_setup_link()
    assert link is not None
    assert link.valid_minutes == 60
    return link.url.removeprefix("http://127.0.0.1:8080")


async def test_setup_link_creates_the_first_admin_once(client: Client) -> None:
    path = await setup_path(client)
    response = await submit(client, path, GOOD, token_from=path)
    assert response.status == 303
    assert response.headers["Location"] == "/dashboard?notice=welcome"
    assert (await client.get("/admin/staff")).status == 200
    assert await client.app[STAFF].issue_setup_link() is None
    client.session.cookie_jar.clear()
    again = await client.get(path)
    assert again.status == 410


async def test_setup_form_errors_keep_the_link_usable(client: Client) -> None:
    path = await setup_path(client)
    bad = await submit(
        client, path, {**GOOD, "email": "ada", "confirm": "different"}, token_from=path
    )
    assert bad.status == 400
    body = await bad.text()
    assert 'value="Ada Admin"' in body  # input is kept
    assert "Enter a valid email address" in page_text(body)
    assert (await submit(client, path, GOOD, token_from=path)).status == 303


async def test_a_new_setup_link_replaces_the_old_one(client: Client) -> None:
    old = await setup_path(client)
    new = await setup_path(client)
    assert (await client.get(old)).status == 410
    assert (await client.get(new)).status == 200


async def test_setup_link_expires(client: Client, clock: ManualClock) -> None:
    path = await setup_path(client)
    clock.advance(timedelta(minutes=61))
    response = await client.get(path)
    assert response.status == 410


async def test_setup_link_is_dead_once_an_admin_exists(client: Client) -> None:
    path = await setup_path(client)
    await make_staff(client, "other@example.com", "admin")
    response = await client.get(path)
    assert response.status == 410
    assert "An administrator already exists" in page_text(await response.text())
