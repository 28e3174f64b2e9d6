"""Fetching feeds from real aiohttp servers on 127.0.0.1, and the guard against private networks.

No test resolves or contacts anything beyond loopback: guarded addresses are refused before
any connection, and the one name that is resolved for real is "localhost".
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from liveinterview.calendar.feed_fetch import (
    FeedFetchError,
    _fetch,
    _public_address,
    fetch_feed,
)

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n"
Server = Callable[..., Awaitable[Any]]


def feed_app() -> web.Application:
    async def calendar(request: web.Request) -> web.Response:
        return web.Response(body=ICS, content_type="text/calendar")

    async def host(request: web.Request) -> web.Response:
        return web.Response(text=request.host)

    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="nope")

    async def redirect(request: web.Request) -> web.Response:
        hops = int(request.match_info["hops"])
        raise web.HTTPFound(f"/redirect/{hops - 1}" if hops > 1 else "/calendar.ics")

    async def to(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["location"])

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response(body=ICS)

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        while True:
            await response.write(b"x" * 65_536)

    async def announced(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": str(10**9)})
        await response.prepare(request)
        await response.write(b"x" * 1_000)
        await asyncio.sleep(30)
        return response

    async def private(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Basic YWRhOnMzY3JldA==":  # ada:s3cret
            raise web.HTTPUnauthorized()
        return web.Response(body=ICS)

    app = web.Application()
    app.router.add_get("/calendar.ics", calendar)
    app.router.add_get("/host", host)
    app.router.add_get("/status/{code}", status)
    app.router.add_get("/redirect/{hops}", redirect)
    app.router.add_get("/to", to)
    app.router.add_get("/slow", slow)
    app.router.add_get("/endless", endless)
    app.router.add_get("/announced", announced)
    app.router.add_get("/private", private)
    return app


@pytest.fixture
async def base(aiohttp_server: Server) -> str:
    server = await aiohttp_server(feed_app())
    return f"http://127.0.0.1:{server.port}"


class Requests:
    """Every request the client starts, recorded through aiohttp's own tracing."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.config = aiohttp.TraceConfig()
        self.config.on_request_start.append(self._started)

    async def _started(self, session: Any, context: Any, params: Any) -> None:
        self.urls.append(str(params.url))


@pytest.fixture
def requests() -> Requests:
    return Requests()


@pytest.fixture
async def session(requests: Requests) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(trace_configs=[requests.config]) as client:
        yield client


async def fetch(session: aiohttp.ClientSession, url: str, **options: Any) -> bytes:
    options = {"timeout_s": 5, "max_bytes": 1_000_000, "allow_private_addresses": True} | options
    return await fetch_feed(session, url, **options)


async def test_a_calendar_is_fetched_from_a_local_server_when_allowed(
    session: aiohttp.ClientSession, base: str
) -> None:
    assert await fetch(session, f"{base}/calendar.ics") == ICS


async def test_the_connection_goes_to_the_checked_address_but_names_the_host(
    session: aiohttp.ClientSession, base: str, requests: Requests
) -> None:
    port = base.rsplit(":", 1)[1]
    assert await fetch(session, f"http://localhost:{port}/host") == f"localhost:{port}".encode()
    assert requests.urls[-1] == f"http://127.0.0.1:{port}/host"  # ::1 may be tried first


async def test_credentials_in_the_address_are_sent_as_basic_auth(
    session: aiohttp.ClientSession, base: str
) -> None:
    assert await fetch(session, base.replace("://", "://ada:s3cret@") + "/private") == ICS


@pytest.mark.parametrize("hops", [1, 3])
async def test_up_to_three_redirects_are_followed(
    session: aiohttp.ClientSession, base: str, requests: Requests, hops: int
) -> None:
    assert await fetch(session, f"{base}/redirect/{hops}") == ICS
    assert len(requests.urls) == hops + 1


async def test_a_fourth_redirect_is_refused(session: aiohttp.ClientSession, base: str) -> None:
    with pytest.raises(FeedFetchError) as raised:
        await fetch(session, f"{base}/redirect/4")
    assert raised.value.message == "the calendar address redirected more than 3 times"


async def test_every_redirect_target_passes_the_same_address_guard(
    session: aiohttp.ClientSession, base: str, requests: Requests
) -> None:
    only_loopback_v4 = ipaddress.IPv4Address("127.0.0.1").__eq__
    with pytest.raises(FeedFetchError) as raised:
        await _fetch(
            session,
            f"{base}/to?location=http://10.255.255.1/calendar.ics",
            timeout_s=5,
            max_bytes=1_000,
            allowed=only_loopback_v4,
        )
    assert raised.value.message == (
        'the calendar address "10.255.255.1" leads to 10.255.255.1, a private or local network '
        "address; only calendars on the public internet can be fetched"
    )
    assert requests.urls == [f"{base}/to?location=http://10.255.255.1/calendar.ics"]


async def test_a_redirect_to_another_scheme_is_refused(
    session: aiohttp.ClientSession, base: str
) -> None:
    with pytest.raises(FeedFetchError) as raised:
        await fetch(session, f"{base}/to?location=file:///etc/passwd")
    assert raised.value.message == (
        "the calendar address must start with https://, http:// or webcal://, "
        "not 'file:///etc/passwd'"
    )


STATUS_CASES = [
    pytest.param(404, "the calendar server answered HTTP 404 (Not Found) instead of the calendar"),
    pytest.param(403, "the calendar server answered HTTP 403 (Forbidden) instead of the calendar"),
    pytest.param(
        500,
        "the calendar server answered HTTP 500 (Internal Server Error) instead of the calendar",
    ),
    pytest.param(204, "the calendar server answered HTTP 204 (No Content) instead of the calendar"),
]


@pytest.mark.parametrize(("code", "message"), STATUS_CASES)
async def test_any_status_but_200_is_reported_by_number(
    session: aiohttp.ClientSession, base: str, code: int, message: str
) -> None:
    with pytest.raises(FeedFetchError) as raised:
        await fetch(session, f"{base}/status/{code}")
    assert raised.value.message == message


async def test_a_server_that_does_not_answer_in_time_is_given_up_on(
    session: aiohttp.ClientSession, base: str
) -> None:
    with pytest.raises(FeedFetchError) as raised:
        await fetch(session, f"{base}/slow", timeout_s=0.3)
    assert raised.value.message == "the calendar server did not answer within 0.3 s"


async def test_an_endless_body_is_cut_off_at_the_limit(
    session: aiohttp.ClientSession, base: str
) -> None:
    with pytest.raises(FeedFetchError) as raised:
        await fetch(session, f"{base}/endless", max_bytes=200_000)
    assert raised.value.message == "the calendar is larger than the limit of 200,000 bytes"


async def test_an_announced_oversize_body_is_refused_before_reading(
    session: aiohttp.ClientSession, base: str
) -> None:
    with pytest.raises(FeedFetchError) as raised:
        await fetch(session, f"{base}/announced", max_bytes=2_000_000, timeout_s=10)
    assert raised.value.message == "the calendar is larger than the limit of 2 MB"


async def test_a_closed_port_is_reported_as_unreachable(session: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FeedFetchError) as raised:
        await fetch(session, f"http://127.0.0.1:{port}/calendar.ics")
    assert raised.value.message == (
        'could not connect to the calendar server "127.0.0.1" (ClientConnectorError)'
    )


# Private and local addresses below are inputs to the address guard, which refuses them before
# any connection is made (the tests check that only the loopback test server was requested).
GUARDED = [
    pytest.param("http://127.0.0.1:8080/cal.ics", "127.0.0.1", id="loopback"),
    pytest.param("https://10.1.2.3/cal.ics", "10.1.2.3", id="private-10"),
    pytest.param("http://192.168.0.10/cal.ics", "192.168.0.10", id="private-192-168"),
    pytest.param("http://[::1]:8080/cal.ics", "::1", id="ipv6-loopback"),
    pytest.param("http://169.254.169.254/latest/", "169.254.169.254", id="cloud-metadata"),
    pytest.param("http://[fe80::1]/cal.ics", "fe80::1", id="ipv6-link-local"),
    pytest.param("http://[::ffff:127.0.0.1]/cal.ics", "::ffff:7f00:1", id="ipv4-mapped-loopback"),
    pytest.param("http://[64:ff9b::a00:1]/cal.ics", "64:ff9b::a00:1", id="nat64-of-10-0-0-1"),
    pytest.param("http://0.0.0.0/cal.ics", "0.0.0.0", id="unspecified"),  # noqa: S104
    pytest.param("http://100.64.0.1/cal.ics", "100.64.0.1", id="carrier-grade-nat"),
    pytest.param("webcal://127.0.0.1/cal.ics", "127.0.0.1", id="webcal-to-loopback"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "address"), GUARDED)
async def test_private_and_local_addresses_are_refused_without_connecting(
    session: aiohttp.ClientSession, requests: Requests, url: str, address: str
) -> None:
    with pytest.raises(FeedFetchError) as raised:
        await fetch(session, url, allow_private_addresses=False)
    assert f"leads to {address}, a private or local network address" in raised.value.message
    assert requests.urls == []


async def test_localhost_is_refused_whatever_it_resolves_to(
    session: aiohttp.ClientSession, requests: Requests
) -> None:
    with pytest.raises(FeedFetchError) as raised:
        await fetch(session, "http://localhost:8080/cal.ics", allow_private_addresses=False)
    assert raised.value.message.startswith('the calendar address "localhost" leads to ')
    assert requests.urls == []


async def test_a_name_with_one_private_address_among_public_ones_is_refused(
    session: aiohttp.ClientSession, requests: Requests, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def two_answers(host: str, port: int, **_: Any) -> list[Any]:
        assert host == "calendar.example.com"
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", two_answers)
    with pytest.raises(FeedFetchError) as raised:
        await fetch(session, "https://calendar.example.com/cal.ics", allow_private_addresses=False)
    assert raised.value.message == (
        'the calendar address "calendar.example.com" leads to 10.0.0.7, a private or local '
        "network address; only calendars on the public internet can be fetched"
    )
    assert requests.urls == []


BAD_ADDRESSES = [
    pytest.param(
        "ftp://calendar.example.com/cal.ics",
        "the calendar address must start with https://, http:// or webcal://, "
        "not 'ftp://calendar.example.com/cal.ics'",
        id="ftp",
    ),
    pytest.param(
        "calendar.example.com/cal.ics",
        "the calendar address must start with https://, http:// or webcal://, "
        "not 'calendar.example.com/cal.ics'",
        id="no-scheme",
    ),
    pytest.param(
        "https:///cal.ics", "the calendar address names no server: 'https:///cal.ics'",
        id="no-host",
    ),
    pytest.param(
        "http://calendar.example.com:99999/cal.ics",
        "the calendar address has an invalid port: 'http://calendar.example.com:99999/cal.ics'",
        id="bad-port",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("url", "message"), BAD_ADDRESSES)
async def test_addresses_that_are_not_web_calendars_are_refused(
    session: aiohttp.ClientSession, requests: Requests, url: str, message: str
) -> None:
    with pytest.raises(FeedFetchError) as raised:
        await fetch(session, url, allow_private_addresses=False)
    assert raised.value.message == message
    assert requests.urls == []


PUBLIC = [
    ("8.8.8.8", True), ("2001:4860:4860::8888", True), ("::ffff:8.8.8.8", True),
    ("64:ff9b::808:808", True), ("127.0.0.1", False), ("10.0.0.1", False),
    ("172.16.0.1", False), ("192.168.1.1", False), ("169.254.169.254", False),
    ("100.64.0.1", False), ("0.0.0.0", False), ("255.255.255.255", False),  # noqa: S104
    ("224.0.0.1", False), ("192.0.2.1", False), ("::1", False), ("::", False),
    ("fe80::1", False), ("fc00::1", False), ("ff02::1", False), ("::ffff:10.0.0.1", False),
    ("64:ff9b::a00:1", False), ("2002:a00:1::1", False),
]  # fmt: skip


@pytest.mark.parametrize(("address", "public"), PUBLIC)
def test_only_globally_routable_addresses_count_as_public(address: str, public: bool) -> None:
    assert _public_address(ipaddress.ip_address(address)) is public


# --- TLS: webcal:// is https://, checked against the name while connected to the address ---


def certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    crypto = pytest.importorskip("cryptography", reason="TLS tests make a throwaway certificate")
    del crypto
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
async def tls_server(tmp_path: Path) -> AsyncIterator[tuple[int, Path]]:
    cert_path, key_path = certificate(tmp_path, "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    runner = web.AppRunner(feed_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield port, cert_path
    finally:
        await runner.cleanup()


async def test_webcal_is_fetched_over_tls_verified_against_the_host_name(
    tls_server: tuple[int, Path],
) -> None:
    port, cert_path = tls_server
    trusting = ssl.create_default_context(cafile=str(cert_path))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trusting)) as client:
        assert await fetch(client, f"webcal://localhost:{port}/calendar.ics") == ICS


async def test_a_certificate_for_another_name_is_refused(
    tls_server: tuple[int, Path], tmp_path: Path
) -> None:
    port, _ = tls_server
    other, _ = certificate(tmp_path, "calendar.example.com")
    trusting_other = ssl.create_default_context(cafile=str(other))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trusting_other)) as client:
        with pytest.raises(FeedFetchError) as raised:
            await fetch(client, f"https://localhost:{port}/calendar.ics")
    assert raised.value.message.startswith('the secure connection to "localhost" failed')
