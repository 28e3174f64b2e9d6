"""Every state-changing request must prove it comes from one of our pages."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from tests.pages import csrf_token, page_text
from tests.staff import PASSWORD, make_staff, signed_in_as

Client = TestClient  # type: ignore[type-arg]


async def test_form_without_token_is_rejected_and_changes_nothing(client: Client) -> None:
    await make_staff(client, "rita@example.com", "recruiter")
    await client.get("/signin")  # the browser has the cookie, but the form lacks the token
    response = await client.post(
        "/signin",
        data={"email": "rita@example.com", "password": PASSWORD},
        allow_redirects=False,
    )
    assert response.status == 403
    assert "missing its security token" in page_text(await response.text())
    assert "li_session" not in response.cookies


async def test_form_with_a_forged_token_is_rejected(client: Client) -> None:
    await client.get("/signin")
    response = await client.post(
        "/signin",
        data={"email": "a@example.com", "password": "x", "csrf_token": "0" * 64},
        allow_redirects=False,
    )
    assert response.status == 403


async def test_token_from_another_browser_does_not_work(
    client: Client, aiohttp_client: object
) -> None:
    token = await csrf_token(client)
    client.session.cookie_jar.clear()
    await client.get("/signin")  # a new cookie nonce
    response = await client.post(
        "/signin", data={"email": "a@example.com", "password": "x", "csrf_token": token}
    )
    assert response.status == 403


async def test_post_without_the_cookie_explains_cookies(client: Client) -> None:
    token = await csrf_token(client)
    client.session.cookie_jar.clear()
    response = await client.post(
        "/signin", data={"email": "a@example.com", "password": "x", "csrf_token": token}
    )
    assert response.status == 403
    assert "Enable cookies" in page_text(await response.text())


async def test_cross_site_origin_is_rejected_even_with_a_token(client: Client) -> None:
    token = await csrf_token(client)
    response = await client.post(
        "/signin",
        data={"email": "a@example.com", "password": "x", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status == 403
    assert "sent from another site" in page_text(await response.text())


async def test_same_origin_header_is_accepted(client: Client) -> None:
    token = await csrf_token(client)
    response = await client.post(
        "/signin",
        data={"email": "a@example.com", "password": "x", "csrf_token": token},
        headers={"Origin": "http://127.0.0.1:8080"},
    )
    assert response.status == 400  # got through CSRF to the real check


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/signout", {}),
        ("/admin/staff", {"email": "eve@example.com", "name": "Eve", "roles": "admin"}),
        ("/account/password", {"current": PASSWORD, "password": "x" * 12, "confirm": "x" * 12}),
    ],
)
async def test_signed_in_actions_need_the_token_too(
    client: Client, path: str, form: dict[str, str]
) -> None:
    await signed_in_as(client, "ada@example.com", "admin")
    response = await client.post(path, data=form, allow_redirects=False)
    assert response.status == 403
    still_in = await client.get("/dashboard", allow_redirects=False)
    assert still_in.status == 200
    staff_page = page_text(await (await client.get("/admin/staff")).text())
    assert "eve@example.com" not in staff_page


async def test_json_clients_can_send_the_token_in_a_header(client: Client) -> None:
    token = await csrf_token(client)
    response = await client.post("/signout", headers={"X-CSRF-Token": token}, allow_redirects=False)
    assert response.status == 303
