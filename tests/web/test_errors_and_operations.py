"""Friendly errors with the right status, health, request ids, headers, proxies, shutdown."""

from __future__ import annotations

import logging

import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient

from liveinterview.app import create_app
from liveinterview.config import Settings
from liveinterview.web.keys import OPEN_SOCKETS
from tests.conftest import CHEAP_HASHER, DbTarget
from tests.pages import csrf_token, page_text
from tests.signaling.fakes import FakeMedia

Client = TestClient  # type: ignore[type-arg]


async def test_unknown_page_is_a_friendly_404(client: Client) -> None:
    response = await client.get("/no/such/page")
    assert response.status == 404
    text = page_text(await response.text())
    assert "Page not found" in text
    assert "We could not find that page." in text
    assert response.headers["X-Request-Id"] in text


async def test_wrong_method_is_a_405_naming_the_method(client: Client) -> None:
    response = await client.delete("/signin")
    assert response.status == 405
    assert "does not accept DELETE requests" in page_text(await response.text())
    assert "POST" in response.headers["Allow"]


async def test_json_clients_get_json_errors(client: Client) -> None:
    response = await client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status == 404
    body = await response.json()
    assert body["error"]["status"] == 404
    assert body["error"]["request_id"] == response.headers["X-Request-Id"]


async def test_oversized_body_is_a_413_and_changes_nothing(
    aiohttp_client: object, settings: Settings, db_target: DbTarget
) -> None:
    app = create_app(
        settings.replace(max_body_bytes=4096),
        password_hasher=CHEAP_HASHER,
        db_schema=db_target.schema,
        media_engine=FakeMedia(),
    )
    client: Client = await aiohttp_client(app)  # type: ignore[operator]
    token = await csrf_token(client)
    response = await client.post(
        "/signin", data={"email": "a@example.com", "password": "x" * 10_000, "csrf_token": token}
    )
    assert response.status == 413
    assert "larger than the limit of 4 KB" in page_text(await response.text())


async def test_malformed_form_fields_are_rejected_precisely(client: Client) -> None:
    token = await csrf_token(client)
    response = await client.post(
        "/signin", data={"email": "a" * 300, "password": "x", "csrf_token": token}
    )
    assert response.status == 400
    assert "longer than 254 characters" in page_text(await response.text())


async def test_healthz_reports_the_database(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_is_503_when_the_database_is_unreachable(
    aiohttp_client: object, settings: Settings
) -> None:
    broken = settings.replace(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    client: Client = await aiohttp_client(create_app(broken, media_engine=FakeMedia()))  # type: ignore[operator]
    response = await client.get("/healthz")
    assert response.status == 503
    body = await response.json()
    assert body["status"] == "unavailable"
    assert body["database"].startswith("unreachable")


async def test_server_errors_are_logged_once_with_the_request_id(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("kaboom")

    client.app.router._frozen = False  # a handler that fails, added to the real app
    client.app.router.add_get("/boom", boom)
    client.app.router._frozen = True
    with caplog.at_level(logging.INFO):
        response = await client.get("/boom")
    assert response.status == 500
    text = page_text(await response.text())
    rid = response.headers["X-Request-Id"]
    assert f"the reference {rid}" in text
    assert "kaboom" not in text
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1
    assert tracebacks[0].request_id == rid  # type: ignore[attr-defined]


async def test_request_id_from_a_proxy_is_kept(client: Client) -> None:
    response = await client.get("/healthz", headers={"X-Request-Id": "abcdef1234567890"})
    assert response.headers["X-Request-Id"] == "abcdef1234567890"


async def test_pages_carry_security_headers(client: Client) -> None:
    response = await client.get("/signin")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


async def test_tokens_never_reach_the_access_log(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    token = "Zk3" * 15
    with caplog.at_level(logging.INFO, logger="liveinterview.access"):
        await client.get(f"/reset-password/{token}")
    assert token not in caplog.text
    assert "GET /reset-password/… 404" in caplog.text


async def test_behind_a_trusted_proxy_cookies_are_secure_and_the_address_is_real(
    aiohttp_client: object, settings: Settings, db_target: DbTarget
) -> None:
    app = create_app(
        settings.replace(trust_proxy=True, base_url="https://interviews.example.com"),
        password_hasher=CHEAP_HASHER,
        db_schema=db_target.schema,
        media_engine=FakeMedia(),
    )
    client: Client = await aiohttp_client(app)  # type: ignore[operator]
    response = await client.get(
        "/signin",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7, 198.51.100.9"},
    )
    cookie = response.cookies["li_csrf"]
    assert cookie["secure"] is True
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


async def test_untrusted_forwarded_headers_are_ignored(client: Client) -> None:
    response = await client.get("/signin", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers
    assert response.cookies["li_csrf"]["secure"] == ""


async def test_shutdown_closes_open_websockets_with_going_away(
    aiohttp_client: object, settings: Settings, db_target: DbTarget
) -> None:
    app = create_app(
        settings, password_hasher=CHEAP_HASHER, db_schema=db_target.schema, media_engine=FakeMedia()
    )

    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        request.app[OPEN_SOCKETS].add(ws)
        async for _ in ws:
            pass
        return ws

    app.router.add_get("/test-ws", echo)
    client: Client = await aiohttp_client(app)  # type: ignore[operator]
    ws = await client.ws_connect("/test-ws")
    await ws.send_str("hello")
    assert len(app[OPEN_SOCKETS]) == 1
    await app.shutdown()
    message = await ws.receive(timeout=5)
    assert message.type is WSMsgType.CLOSE
    assert message.data == 1001  # GOING_AWAY
    assert message.extra == "Server shutdown"
