"""The one place where failures become HTTP answers: friendly pages or JSON errors."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from liveinterview.domain.errors import (
    Conflict,
    DomainError,
    Gone,
    InvalidInput,
    NotFound,
    NotSignedIn,
    PermissionDenied,
    Throttled,
)
from liveinterview.logs import request_id
from liveinterview.web.keys import ERROR_REASON, SETTINGS
from liveinterview.web.render import render

log = logging.getLogger(__name__)

_STATUS: list[tuple[type[DomainError], int]] = [
    (InvalidInput, 400),
    (NotSignedIn, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (Gone, 410),
    (Throttled, 429),
]

TITLES = {
    400: "That did not work",
    401: "Please sign in",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed here",
    409: "That clashes with something",
    410: "This link no longer works",
    413: "Too large",
    429: "Too many attempts",
    500: "Something went wrong on our side",
    503: "Temporarily unavailable",
}


def status_for(error: DomainError) -> int:
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 400


def _http_message(request: web.Request, exc: web.HTTPException) -> str:
    if exc.status == 404:
        return "We could not find that page. Check the address, or go back to the start."
    if exc.status == 405:
        return f"This address does not accept {request.method} requests."
    if exc.status == 413:
        limit = request.app[SETTINGS].max_body_bytes
        return f"What you sent is larger than the limit of {_size(limit)}. Send something smaller."
    return exc.text or exc.reason


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    return f"{n / 1024:.0f} KB"


def wants_json(request: web.Request) -> bool:
    if request.path.startswith(("/api/", "/healthz")):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(request: web.Request, status: int, message: str) -> web.Response:
    request[ERROR_REASON] = message
    if wants_json(request):
        return web.json_response(
            {"error": {"status": status, "message": message, "request_id": request_id.get()}},
            status=status,
        )
    try:
        response = render(
            request,
            "error.html",
            {"status": status, "title": TITLES.get(status, "Error"), "message": message},
            status=status,
        )
    except Exception:  # the error page itself must never fail
        log.exception("error page could not be rendered")
        response = web.Response(text=f"{status}: {message}", status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error_response(request, exc.status, _http_message(request, exc))
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except NotSignedIn as exc:
        if request.method == "GET" and not wants_json(request):
            target = request.app.router["signin"].url_for().with_query(next=request.path_qs)
            raise web.HTTPSeeOther(location=target) from None
        return error_response(request, 401, exc.message)
    except DomainError as exc:
        response = error_response(request, status_for(exc), exc.message)
        if isinstance(exc, Throttled):
            response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response
    except Exception:
        log.exception("unhandled error")
        return error_response(
            request,
            500,
            "The problem has been logged. Please try again in a moment; if it keeps "
            f"happening, tell your administrator the reference {request_id.get()}.",
        )
