"""Creating staff accounts and signing them in, for tests."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from liveinterview.domain.accounts import StaffMember
from liveinterview.web.keys import STAFF
from tests.pages import submit

PASSWORD = "correct horse battery staple"


async def make_staff(
    client: TestClient,  # type: ignore[type-arg]
    email: str,
    *roles: str,
    name: str | None = None,
    password: str = PASSWORD,
) -> StaffMember:
    return await client.app[STAFF].create_user(
        email=email, name=name or email.split("@")[0].title(), roles=roles, password=password
    )


async def sign_in(
    client: TestClient,  # type: ignore[type-arg]
    email: str,
    password: str = PASSWORD,
) -> None:
    response = await submit(client, "/signin", {"email": email, "password": password})
    assert response.status == 303, await response.text()
    assert "li_session" in {c.key for c in client.session.cookie_jar}


async def signed_in_as(
    client: TestClient,  # type: ignore[type-arg]
    email: str,
    *roles: str,
) -> StaffMember:
    member = await make_staff(client, email, *roles)
    await sign_in(client, email)
    return member
