"""Fetching an interviewer's calendar feed ("secret address") without reaching our own network.

The address comes from a user, so the server must not become their proxy into internal
services (SSRF): every address the name resolves to must be public, and the connection is
then made to exactly that checked address, so a second DNS answer cannot swap in another
(DNS rebinding). Redirects are followed by hand and pass the same check.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

import aiohttp

__all__ = ["MAX_REDIRECTS", "FeedFetchError", "fetch_feed"]

MAX_REDIRECTS = 3
_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_SCHEMES = {"http": "http", "https": "https", "webcal": "https", "webcals": "https"}
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # carries an IPv4 address in its last 32 bits

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FeedFetchError(Exception):
    """The feed could not be fetched; the message says why in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def fetch_feed(
    session: aiohttp.ClientSession,
    url: str,
    *,
    timeout_s: float,
    max_bytes: int,
    allow_private_addresses: bool = False,
) -> bytes:
    """The calendar at `url` (http, https or webcal), after at most three redirects."""
    allowed = _any_address if allow_private_addresses else _public_address
    return await _fetch(session, url, timeout_s=timeout_s, max_bytes=max_bytes, allowed=allowed)


async def _fetch(
    session: aiohttp.ClientSession,
    url: str,
    *,
    timeout_s: float,
    max_bytes: int,
    allowed: Callable[[IPAddress], bool],
) -> bytes:
    try:
        async with asyncio.timeout(timeout_s):
            for _ in range(MAX_REDIRECTS + 1):
                target = _Target.parse(url)
                response = await _request(session, target, await _resolve(target, allowed))
                async with response:
                    if response.status in _REDIRECTS:
                        url = _redirect(target, response)
                        continue
                    if response.status != 200:
                        raise FeedFetchError(
                            f"the calendar server answered HTTP {response.status} "
                            f"({response.reason}) instead of the calendar"
                        )
                    return await _body(response, max_bytes)
            raise FeedFetchError(f"the calendar address redirected more than {MAX_REDIRECTS} times")
    except TimeoutError:
        raise FeedFetchError(f"the calendar server did not answer within {timeout_s:g} s") from None
    except aiohttp.ClientError as error:
        raise FeedFetchError(f"the calendar server broke off the connection ({error})") from None


@dataclass(frozen=True)
class _Target:
    """One URL to fetch, split into what the pinned connection needs."""

    url: str
    scheme: str
    host: str
    port: int
    path: str
    authorization: str | None

    @classmethod
    def parse(cls, url: str) -> _Target:
        parts = urlsplit(url.strip())
        scheme = _SCHEMES.get(parts.scheme.lower())
        if scheme is None:
            raise FeedFetchError(
                "the calendar address must start with https://, http:// or webcal://, "
                f"not {url[:80]!r}"
            )
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise FeedFetchError(
                f"the calendar address has an invalid port: {url[:80]!r}"
            ) from None
        if not parts.hostname:
            raise FeedFetchError(f"the calendar address names no server: {url[:80]!r}")
        authorization = None
        if parts.username is not None:  # https://user:password@host/... : HTTP basic auth
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            authorization = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        url = f"{scheme}://{parts.netloc}{path}"
        return cls(url, scheme, parts.hostname, port, path, authorization)

    def at(self, address: IPAddress) -> str:
        """The same URL, but aimed at one already-checked address."""
        host = f"[{address}]" if address.version == 6 else str(address)
        return f"{self.scheme}://{host}:{self.port}{self.path}"

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


async def _resolve(target: _Target, allowed: Callable[[IPAddress], bool]) -> list[IPAddress]:
    try:
        addresses: list[IPAddress] = [ipaddress.ip_address(target.host)]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                target.host, target.port, type=socket.SOCK_STREAM
            )
        except (socket.gaierror, UnicodeError):
            raise FeedFetchError(
                f'the calendar server name "{target.host}" could not be found'
            ) from None
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    # Every address, not just the first: the connection may go to any of them.
    for address in addresses:
        if not allowed(address):
            raise FeedFetchError(
                f'the calendar address "{target.host}" leads to {address}, a private or local '
                "network address; only calendars on the public internet can be fetched"
            )
    if not addresses:
        raise FeedFetchError(f'the calendar server name "{target.host}" could not be found')
    return addresses


async def _request(
    session: aiohttp.ClientSession, target: _Target, addresses: list[IPAddress]
) -> aiohttp.ClientResponse:
    headers = {"Host": target.host_header, "Accept": "text/calendar, */*;q=0.5"}
    if target.authorization is not None:
        headers["Authorization"] = target.authorization
    failure: Exception | None = None
    for address in addresses:
        try:
            return await session.get(
                target.at(address),
                allow_redirects=False,
                headers=headers,
                # TLS still checks the certificate against the name, not the address.
                server_hostname=target.host if target.scheme == "https" else None,
            )
        except aiohttp.ClientSSLError as error:
            raise FeedFetchError(
                f'the secure connection to "{target.host}" failed ({error.__class__.__name__})'
            ) from None
        except aiohttp.ClientConnectorError as error:
            failure = error  # this address does not answer; the next one may
    raise FeedFetchError(
        f'could not connect to the calendar server "{target.host}" ({failure.__class__.__name__})'
    )


def _redirect(target: _Target, response: aiohttp.ClientResponse) -> str:
    location = response.headers.get("Location")
    if not location:
        raise FeedFetchError(
            f"the calendar server sent a redirect (HTTP {response.status}) without an address"
        )
    return urljoin(target.url, location)


async def _body(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    declared = response.content_length
    if declared is not None and declared > max_bytes and "Content-Encoding" not in response.headers:
        response.close()
        raise FeedFetchError(_too_big(max_bytes))
    body = bytearray()
    async for chunk in response.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > max_bytes:
            response.close()  # stop here: the rest is never read, nor kept
            raise FeedFetchError(_too_big(max_bytes))
    return bytes(body)


def _too_big(max_bytes: int) -> str:
    if max_bytes >= 1_000_000:
        limit = f"{max_bytes / 1_000_000:.1f}".removesuffix(".0") + " MB"
    else:
        limit = f"{max_bytes:,} bytes"
    return f"the calendar is larger than the limit of {limit}"


def _any_address(address: IPAddress) -> bool:
    return True


def _public_address(address: IPAddress) -> bool:
    """Only globally routable unicast addresses, also when wrapped inside an IPv6 address."""
    if isinstance(address, ipaddress.IPv6Address):
        inner: ipaddress.IPv4Address | None = address.ipv4_mapped or address.sixtofour
        if address.teredo is not None:
            inner = address.teredo[1]
        if address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
        if inner is not None and not _public_address(inner):
            return False
        if address.ipv4_mapped is not None:
            return True  # is_global is False for the whole ::ffff:0:0/96 block
    return address.is_global and not address.is_multicast
