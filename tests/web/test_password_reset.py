"""Forgotten passwords: a single-use, expiring link by email; other sessions end."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient

from liveinterview.clock import ManualClock
from tests.mailbox import Mailbox
from tests.pages import page_text, submit
from tests.staff import PASSWORD, make_staff, sign_in

Client = TestClient  # type: ignore[type-arg]
BASE = "http://127.0.0.1:8080"
NEW = "a completely new passphrase"


async def ask_reset(client: Client, email: str) -> int:
    response = await submit(client, "/forgot-password", {"email": email}, token_from="/signin")
    return response.status


def reset_path(mailbox: Mailbox, email: str, index: int = -1) -> str:
    message = mailbox.to(email)[index]
    (link,) = [u for u in message.links() if "/reset-password/" in u]
    return link.removeprefix(BASE)


async def test_reset_link_sets_a_new_password_and_ends_old_sessions(
    client: Client, mailbox: Mailbox
) -> None:
    await make_staff(client, "rita@example.com", "recruiter")
    await sign_in(client, "rita@example.com")
    old_session = client.session.cookie_jar.filter_cookies(client.make_url("/"))["li_session"]
    client.session.cookie_jar.clear()

    assert await ask_reset(client, "rita@example.com") == 303
    message = mailbox.only("rita@example.com")
    assert message.message["Subject"] == "Reset your LiveInterview password"
    assert "expires in 60 minutes" in message.text
    path = reset_path(mailbox, "rita@example.com")

    page = await client.get(path)
    assert "For rita@example.com" in page_text(await page.text())
    response = await submit(client, path, {"password": NEW, "confirm": NEW}, token_from=path)
    assert response.status == 303
    assert response.headers["Location"] == "/dashboard?notice=password_changed"
    changed = mailbox.to("rita@example.com")[-1]
    assert changed.message["Subject"] == "Your LiveInterview password was changed"

    client.session.cookie_jar.clear()
    stale = await client.get(
        "/dashboard", cookies={"li_session": old_session.value}, allow_redirects=False
    )
    assert stale.status == 303
    old = await submit(client, "/signin", {"email": "rita@example.com", "password": PASSWORD})
    assert old.status == 400
    new = await submit(client, "/signin", {"email": "rita@example.com", "password": NEW})
    assert new.status == 303


async def test_unknown_address_gets_the_same_answer_and_no_email(
    client: Client, mailbox: Mailbox
) -> None:
    await make_staff(client, "rita@example.com", "recruiter")
    assert await ask_reset(client, "nobody@example.com") == 303
    assert await ask_reset(client, "rita@example.com") == 303
    assert [m.rcpt_tos for m in mailbox.messages] == [["rita@example.com"]]


async def test_invalid_address_is_explained(client: Client, mailbox: Mailbox) -> None:
    response = await submit(client, "/forgot-password", {"email": "rita"}, token_from="/signin")
    assert response.status == 400
    assert "is not a valid email address" in page_text(await response.text())
    assert mailbox.messages == []


async def test_repeated_requests_within_a_minute_send_one_email(
    client: Client, mailbox: Mailbox, clock: ManualClock
) -> None:
    await make_staff(client, "rita@example.com", "recruiter")
    for _ in range(3):
        await ask_reset(client, "rita@example.com")
    assert len(mailbox.to("rita@example.com")) == 1
    clock.advance(timedelta(minutes=1))
    await ask_reset(client, "rita@example.com")
    assert len(mailbox.to("rita@example.com")) == 2


async def test_only_the_newest_reset_link_works(
    client: Client, mailbox: Mailbox, clock: ManualClock
) -> None:
    await make_staff(client, "rita@example.com", "recruiter")
    await ask_reset(client, "rita@example.com")
    first = reset_path(mailbox, "rita@example.com")
    clock.advance(timedelta(minutes=2))
    await ask_reset(client, "rita@example.com")
    second = reset_path(mailbox, "rita@example.com")
    assert (await client.get(first)).status == 410
    assert (await client.get(second)).status == 200


async def test_reset_link_expires_and_cannot_be_reused(
    client: Client, mailbox: Mailbox, clock: ManualClock
) -> None:
    await make_staff(client, "rita@example.com", "recruiter")
    await ask_reset(client, "rita@example.com")
    path = reset_path(mailbox, "rita@example.com")
    used = await submit(client, path, {"password": NEW, "confirm": NEW}, token_from=path)
    assert used.status == 303
    again = await submit(client, path, {"password": NEW, "confirm": NEW}, token_from="/signin")
    assert again.status == 410
    assert "already been used" in page_text(await again.text())

    clock.advance(timedelta(minutes=5))
    await ask_reset(client, "rita@example.com")
    later = reset_path(mailbox, "rita@example.com")
    clock.advance(timedelta(minutes=61))
    expired = await client.get(later)
    assert expired.status == 410
    assert "expired" in page_text(await expired.text())


async def test_weak_new_password_is_explained_and_the_link_still_works(
    client: Client, mailbox: Mailbox
) -> None:
    await make_staff(client, "rita@example.com", "recruiter")
    await ask_reset(client, "rita@example.com")
    path = reset_path(mailbox, "rita@example.com")
    weak = await submit(client, path, {"password": "short", "confirm": "short"}, token_from=path)
    assert weak.status == 400
    assert "Use at least 10 characters." in page_text(await weak.text())
    assert (await client.get(path)).status == 200


async def test_tampered_token_reveals_nothing(client: Client) -> None:
    for path in ("/reset-password/" + "A" * 43, "/reset-password/short", "/invite/" + "b" * 43):
        response = await client.get(path)
        assert response.status == 404
        assert "This link is not valid" in page_text(await response.text())


async def test_signed_in_user_changes_password_and_keeps_this_session(
    client: Client, mailbox: Mailbox
) -> None:
    await make_staff(client, "rita@example.com", "recruiter")
    await sign_in(client, "rita@example.com")
    wrong = await submit(
        client,
        "/account/password",
        {"current": "wrong", "password": NEW, "confirm": NEW},
        token_from="/account",
    )
    assert wrong.status == 400
    assert "current password is not correct" in page_text(await wrong.text())
    ok = await submit(
        client,
        "/account/password",
        {"current": PASSWORD, "password": NEW, "confirm": NEW},
        token_from="/account",
    )
    assert ok.status == 303
    assert (await client.get("/account", allow_redirects=False)).status == 200
    assert mailbox.to("rita@example.com")[-1].message["Subject"] == (
        "Your LiveInterview password was changed"
    )
