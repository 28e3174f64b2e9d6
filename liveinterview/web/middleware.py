"""Request ids, one log line per request, and security headers."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from liveinterview.logs import redact_path, request_id
from liveinterview.web.keys import ERROR_REASON

log = logging.getLogger("liveinterview.access")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@web.middleware
async def request_log_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    incoming = request.headers.get("X-Request-Id", "")
    rid = incoming if 8 <= len(incoming) <= 64 and incoming.isalnum() else secrets.token_hex(8)
    reset = request_id.set(rid)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        if not response.prepared:
            response.headers["X-Request-Id"] = rid
        return response
    except web.HTTPException as exc:
        status = exc.status
        exc.headers["X-Request-Id"] = rid
        raise
    except asyncio.CancelledError:
        # The client went away or the server is shutting down (long-lived WebSockets end
        # this way); nginx's 499 says so without looking like a server error.
        status = 499
        raise
    finally:
        level = logging.WARNING if 500 <= status < 600 else logging.INFO
        log.log(
            level,
            "%s %s %s",
            request.method,
            redact_path(request.path),
            status,
            extra={
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "remote": request.remote,
                "reason": request.get(ERROR_REASON),
            },
        )
        request_id.reset(reset)


@web.middleware
async def security_headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if not response.prepared:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        # Links carry capability tokens: never leak them to other sites in Referer.
        headers.setdefault("Referrer-Policy", "no-referrer")
        if request.secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def with_script_nonce(nonce: str) -> str:
    """The policy for a page with one inline script (an import map) allowed by its nonce."""
    return CONTENT_SECURITY_POLICY.replace(
        "script-src 'self'", f"script-src 'self' 'nonce-{nonce}'"
    )
