"""Admins invite, re-invite, change roles and deactivate staff; emails arrive by SMTP."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient

from liveinterview.clock import ManualClock
from tests.mailbox import Mailbox
from tests.pages import page_text, submit
from tests.staff import PASSWORD, make_staff, sign_in, signed_in_as

Client = TestClient  # type: ignore[type-arg]
NEW_PASSWORD = "a brand new passphrase"


async def invite(client: Client, email: str, name: str, *roles: str) -> int:
    fields = [("email", email), ("name", name)] + [("roles", r) for r in roles]
    response = await submit(client, "/admin/staff", fields, token_from="/admin/staff")
    return response.status


async def test_recruiter_cannot_reach_admin_pages(client: Client) -> None:
    await signed_in_as(client, "rita@example.com", "recruiter")
    response = await client.get("/admin/staff")
    assert response.status == 403
    assert "does not have access" in page_text(await response.text())
    posted = await submit(
        client,
        "/admin/staff",
        [("email", "x@example.com"), ("name", "X"), ("roles", "admin")],
        token_from="/dashboard",
    )
    assert posted.status == 403


async def test_interviewer_cannot_deactivate_anyone(client: Client) -> None:
    admin = await make_staff(client, "ada@example.com", "admin")
    await signed_in_as(client, "ivan@example.com", "interviewer")
    response = await submit(
        client, f"/admin/staff/{admin.id}/deactivate", {}, token_from="/dashboard"
    )
    assert response.status == 403


async def test_invited_colleague_sets_a_password_and_is_signed_in(
    client: Client, mailbox: Mailbox
) -> None:
    await signed_in_as(client, "ada@example.com", "admin")
    assert await invite(client, "Ivan@Example.com", "Ivan Petrov", "interviewer") == 303
    message = mailbox.only("ivan@example.com")
    assert message.message["Subject"] == "Ada invited you to LiveInterview"
    assert message.message.get_content_type() == "multipart/alternative"
    assert "as interviewer" in message.text
    assert "as interviewer" in message.html
    (link,) = [u for u in message.links() if "/invite/" in u]
    assert link.startswith("http://127.0.0.1:8080/invite/")

    client.session.cookie_jar.clear()
    path = link.removeprefix("http://127.0.0.1:8080")
    page = await client.get(path)
    assert "Welcome, Ivan Petrov" in page_text(await page.text())
    response = await submit(
        client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, token_from=path
    )
    assert response.status == 303
    dashboard = page_text(await (await client.get("/dashboard")).text())
    assert "Hello, Ivan Petrov" in dashboard
    assert "Your interviews" in dashboard
    assert "Interview requests" not in dashboard

    # The link works once.
    client.session.cookie_jar.clear()
    again = await client.get(path)
    assert again.status == 410
    assert "This link has already been used." in page_text(await again.text())


async def test_invitation_expires(client: Client, mailbox: Mailbox, clock: ManualClock) -> None:
    await signed_in_as(client, "ada@example.com", "admin")
    await invite(client, "ivan@example.com", "Ivan", "interviewer")
    (link,) = [u for u in mailbox.only("ivan@example.com").links() if "/invite/" in u]
    clock.advance(timedelta(hours=72, seconds=1))
    response = await client.get(link.removeprefix("http://127.0.0.1:8080"))
    assert response.status == 410
    assert "expired" in page_text(await response.text())


async def test_resend_invalidates_the_previous_link(client: Client, mailbox: Mailbox) -> None:
    await signed_in_as(client, "ada@example.com", "admin")
    await invite(client, "ivan@example.com", "Ivan", "interviewer")
    first = next(u for u in mailbox.only("ivan@example.com").links() if "/invite/" in u)
    staff_page = await (await client.get("/admin/staff")).text()
    assert "Resend invitation" in staff_page
    ivan_id = int(staff_page.split("/resend")[0].rsplit("/admin/staff/", 1)[1])
    response = await submit(client, f"/admin/staff/{ivan_id}/resend", {}, token_from="/admin/staff")
    assert response.status == 303
    assert len(mailbox.to("ivan@example.com")) == 2
    second = next(u for u in mailbox.to("ivan@example.com")[1].links() if "/invite/" in u)
    assert first != second
    client.session.cookie_jar.clear()
    assert (await client.get(first.removeprefix("http://127.0.0.1:8080"))).status == 410
    assert (await client.get(second.removeprefix("http://127.0.0.1:8080"))).status == 200


async def test_invite_form_reports_every_bad_field_and_creates_nothing(
    client: Client, mailbox: Mailbox
) -> None:
    await signed_in_as(client, "ada@example.com", "admin")
    response = await submit(
        client,
        "/admin/staff",
        [("email", "not-an-email"), ("name", " ")],
        token_from="/admin/staff",
    )
    assert response.status == 400
    body = await response.text()
    assert 'aria-invalid="true"' in body
    text = page_text(body)
    assert "Enter a valid email address" in text
    assert "Enter a name." in text
    assert mailbox.messages == []


async def test_inviting_an_existing_address_is_refused(client: Client, mailbox: Mailbox) -> None:
    await signed_in_as(client, "ada@example.com", "admin")
    await make_staff(client, "rita@example.com", "recruiter")
    assert await invite(client, "RITA@example.com", "Rita", "recruiter") == 400
    assert mailbox.messages == []


async def test_invite_without_roles_is_refused(client: Client, mailbox: Mailbox) -> None:
    await signed_in_as(client, "ada@example.com", "admin")
    assert await invite(client, "ivan@example.com", "Ivan") == 400
    assert mailbox.messages == []


async def test_deactivation_ends_the_users_sessions_at_once(client: Client) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter")
    await sign_in(client, "rita@example.com")
    ritas_cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))["li_session"]
    client.session.cookie_jar.clear()
    before = await client.get(
        "/dashboard", cookies={"li_session": ritas_cookie.value}, allow_redirects=False
    )
    assert before.status == 200
    client.session.cookie_jar.clear()

    await signed_in_as(client, "ada@example.com", "admin")
    response = await submit(
        client, f"/admin/staff/{rita.id}/deactivate", {}, token_from="/admin/staff"
    )
    assert response.status == 303
    assert "Deactivated" in page_text(await (await client.get("/admin/staff")).text())

    client.session.cookie_jar.clear()
    alone = await client.get(
        "/dashboard", cookies={"li_session": ritas_cookie.value}, allow_redirects=False
    )
    assert alone.status == 303
    assert alone.headers["Location"].startswith("/signin")


async def test_reactivated_user_can_sign_in_again(client: Client) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter")
    await signed_in_as(client, "ada@example.com", "admin")
    await submit(client, f"/admin/staff/{rita.id}/deactivate", {}, token_from="/admin/staff")
    await submit(client, f"/admin/staff/{rita.id}/reactivate", {}, token_from="/admin/staff")
    client.session.cookie_jar.clear()
    response = await submit(client, "/signin", {"email": "rita@example.com", "password": PASSWORD})
    assert response.status == 303


async def test_admin_cannot_deactivate_themselves_or_the_last_admin(client: Client) -> None:
    ada = await signed_in_as(client, "ada@example.com", "admin")
    own = await submit(client, f"/admin/staff/{ada.id}/deactivate", {}, token_from="/admin/staff")
    assert own.status == 409
    assert "cannot deactivate your own account" in page_text(await own.text())
    demote = await submit(
        client,
        f"/admin/staff/{ada.id}/roles",
        [("roles", "recruiter")],
        token_from="/admin/staff",
    )
    assert demote.status == 409
    assert "at least one active administrator" in page_text(await demote.text())
    assert (await client.get("/admin/staff")).status == 200


async def test_roles_can_be_changed(client: Client) -> None:
    await signed_in_as(client, "ada@example.com", "admin")
    ivan = await make_staff(client, "ivan@example.com", "interviewer")
    response = await submit(
        client,
        f"/admin/staff/{ivan.id}/roles",
        [("roles", "interviewer"), ("roles", "recruiter")],
        token_from="/admin/staff",
    )
    assert response.status == 303
    client.session.cookie_jar.clear()
    await sign_in(client, "ivan@example.com")
    dashboard = page_text(await (await client.get("/dashboard")).text())
    assert "Interview requests" in dashboard
    assert "Your interviews" in dashboard


async def test_unknown_member_is_not_found(client: Client) -> None:
    await signed_in_as(client, "ada@example.com", "admin")
    response = await submit(client, "/admin/staff/9999/deactivate", {}, token_from="/admin/staff")
    assert response.status == 404
