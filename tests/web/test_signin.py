"""Signing in and out through the real pages, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient

from liveinterview.clock import ManualClock
from tests.pages import page_text, submit
from tests.staff import PASSWORD, make_staff, sign_in

Client = TestClient  # type: ignore[type-arg]


async def test_signin_page_renders_a_labelled_form(client: Client) -> None:
    response = await client.get("/signin")
    body = await response.text()
    assert response.status == 200
    assert '<label for="f-email">Email address</label>' in body
    assert '<label for="f-password">Password</label>' in body
    assert 'autocomplete="current-password"' in body


async def test_staff_signs_in_and_reaches_the_dashboard(client: Client) -> None:
    await make_staff(client, "rita@example.com", "recruiter", name="Rita Recruiter")
    response = await submit(
        client, "/signin", {"email": " Rita@Example.com ", "password": PASSWORD, "next": ""}
    )
    assert response.status == 303
    assert response.headers["Location"] == "/dashboard"
    cookie = response.cookies["li_session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["secure"] == ""  # plain http base URL in tests
    dashboard = await client.get("/dashboard")
    assert "Hello, Rita Recruiter" in page_text(await dashboard.text())


async def test_signin_redirects_to_next_only_within_the_site(client: Client) -> None:
    await make_staff(client, "rita@example.com", "recruiter")
    ok = await submit(
        client, "/signin", {"email": "rita@example.com", "password": PASSWORD, "next": "/account"}
    )
    assert ok.headers["Location"] == "/account"
    await client.post("/signout", data={"csrf_token": "x"}, allow_redirects=False)
    evil = await submit(
        client,
        "/signin",
        {"email": "rita@example.com", "password": PASSWORD, "next": "//evil.example/x"},
    )
    assert evil.headers["Location"] == "/dashboard"


async def test_wrong_password_and_unknown_account_get_the_same_answer(client: Client) -> None:
    await make_staff(client, "rita@example.com", "recruiter")
    wrong = await submit(client, "/signin", {"email": "rita@example.com", "password": "nope"})
    unknown = await submit(client, "/signin", {"email": "nobody@example.com", "password": "nope"})
    for response in (wrong, unknown):
        assert response.status == 400
        text = page_text(await response.text())
        assert "The email address or password is not correct." in text
    assert "li_session" not in wrong.cookies


async def test_empty_fields_are_explained(client: Client) -> None:
    response = await submit(client, "/signin", {"email": "", "password": ""})
    assert response.status == 400
    assert "Enter your email address and password." in page_text(await response.text())


async def test_signed_out_visitors_are_sent_to_signin_with_next(client: Client) -> None:
    response = await client.get("/dashboard", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/signin?next=/dashboard"


async def test_signout_ends_the_session_on_the_server(client: Client) -> None:
    await make_staff(client, "rita@example.com", "recruiter")
    await sign_in(client, "rita@example.com")
    stolen = client.session.cookie_jar.filter_cookies(client.make_url("/"))["li_session"].value
    response = await submit(client, "/signout", {}, token_from="/dashboard")
    assert response.status == 303
    assert response.headers["Location"] == "/signin?notice=signed_out"
    # Replaying the old cookie does not work: the session row is gone.
    replay = await client.get("/dashboard", cookies={"li_session": stolen}, allow_redirects=False)
    assert replay.status == 303


async def test_session_expires_after_the_configured_hours(
    client: Client, clock: ManualClock
) -> None:
    await make_staff(client, "rita@example.com", "recruiter")
    await sign_in(client, "rita@example.com")
    clock.advance(timedelta(hours=11, minutes=59))
    assert (await client.get("/dashboard", allow_redirects=False)).status == 200
    clock.advance(timedelta(minutes=2))
    assert (await client.get("/dashboard", allow_redirects=False)).status == 303


async def test_failed_signins_are_throttled_per_account(client: Client, clock: ManualClock) -> None:
    await make_staff(client, "rita@example.com", "recruiter")
    for _ in range(5):
        response = await submit(client, "/signin", {"email": "rita@example.com", "password": "x"})
        assert response.status == 400
    # Even the right password must wait now: the account is being guessed at.
    blocked = await submit(client, "/signin", {"email": "rita@example.com", "password": PASSWORD})
    assert blocked.status == 429
    assert blocked.headers["Retry-After"] == "900"
    assert "Too many failed sign-in attempts. Try again in 15 minutes" in page_text(
        await blocked.text()
    )
    clock.advance(timedelta(minutes=15))
    assert (
        await submit(client, "/signin", {"email": "rita@example.com", "password": PASSWORD})
    ).status == 303


async def test_success_clears_the_account_failure_count(client: Client) -> None:
    await make_staff(client, "rita@example.com", "recruiter")
    for _ in range(4):
        await submit(client, "/signin", {"email": "rita@example.com", "password": "x"})
    await sign_in(client, "rita@example.com")
    for _ in range(4):
        response = await submit(client, "/signin", {"email": "rita@example.com", "password": "x"})
        assert response.status == 400


async def test_failed_signins_are_throttled_per_address_across_accounts(client: Client) -> None:
    # 20 failures from one address spread over many accounts (password spraying).
    for i in range(20):
        response = await submit(
            client, "/signin", {"email": f"user{i}@example.com", "password": "Winter2026!"}
        )
        assert response.status == 400
    await make_staff(client, "rita@example.com", "recruiter")
    blocked = await submit(client, "/signin", {"email": "rita@example.com", "password": PASSWORD})
    assert blocked.status == 429


async def test_deactivated_account_with_right_password_is_told_so(client: Client) -> None:
    admin = await make_staff(client, "ada@example.com", "admin")
    rita = await make_staff(client, "rita@example.com", "recruiter")
    from liveinterview.services.accounts import Client as Who
    from liveinterview.web.keys import STAFF

    await client.app[STAFF].deactivate(admin, rita.id, Who("127.0.0.1"))
    response = await submit(client, "/signin", {"email": "rita@example.com", "password": PASSWORD})
    assert response.status == 400
    assert "This account has been deactivated." in page_text(await response.text())
