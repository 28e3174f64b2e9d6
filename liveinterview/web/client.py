"""The client's real address and scheme, honouring a trusted reverse proxy."""

from __future__ import annotations

import ipaddress

from aiohttp import web
from aiohttp.typedefs import Handler

from liveinterview.services.accounts import Client
from liveinterview.web.keys import SETTINGS


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


@web.middleware
async def forwarded_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Behind a TLS-terminating proxy, take scheme and client address from its headers."""
    if request.app[SETTINGS].trust_proxy:
        changes: dict[str, str] = {}
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip().lower()
        if proto in {"http", "https"}:
            changes["scheme"] = proto
        # The proxy appends the address it saw; earlier entries are client-controlled.
        forwarded_for = request.headers.get("X-Forwarded-For", "").split(",")[-1]
        address = _valid_ip(forwarded_for)
        if address:
            changes["remote"] = address
        host = request.headers.get("X-Forwarded-Host", "").split(",")[-1].strip()
        if host:
            changes["host"] = host
        if changes:
            request = request.clone(**changes)  # type: ignore[arg-type]
    return await handler(request)


def client_of(request: web.Request) -> Client:
    return Client(
        address=request.remote or "unknown",
        user_agent=request.headers.get("User-Agent", "")[:300],
    )
