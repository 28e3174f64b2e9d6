"""Liveness and readiness for load balancers and monitoring."""

from __future__ import annotations

from aiohttp import web

from liveinterview.web.keys import HEALTH


async def healthz(request: web.Request) -> web.Response:
    checks = await request.app[HEALTH].check()
    healthy = all(value == "ok" for value in checks.values())
    return web.json_response(
        {"status": "ok" if healthy else "unavailable", **checks},
        status=200 if healthy else 503,
        headers={"Cache-Control": "no-store"},
    )
