"""CSRF protection for every state-changing request: signed double-submit token + Origin."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

from liveinterview.domain.errors import PermissionDenied
from liveinterview.web.keys import CSRF_NONCE, SETTINGS

COOKIE = "li_csrf"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRejected(PermissionDenied):
    """The request did not prove it came from one of our own pages."""


def _sign(secret: str, nonce: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{nonce}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: web.Request) -> str:
    """The token to put in a form's hidden field (or the X-CSRF-Token header)."""
    return _sign(request.app[SETTINGS].secret_key, request[CSRF_NONCE])


def _same_origin(request: web.Request, origin: str) -> bool:
    parts = urlsplit(origin)
    own = urlsplit(request.app[SETTINGS].base_url)
    return (parts.scheme, parts.netloc) in {
        (own.scheme, own.netloc),
        (request.scheme, request.host),
    }


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    nonce = request.cookies.get(COOKIE, "")
    fresh = not (16 <= len(nonce) <= 64 and nonce.replace("-", "").replace("_", "").isalnum())
    if fresh:
        nonce = secrets.token_urlsafe(24)
    request[CSRF_NONCE] = nonce
    # Unknown routes and wrong methods get their own 404/405 answer, not a CSRF complaint.
    routed = request.match_info.http_exception is None
    if routed and request.method not in SAFE_METHODS:
        await _check(request, nonce, fresh)
    response = await handler(request)
    if fresh and not response.prepared:
        settings = request.app[SETTINGS]
        response.set_cookie(
            COOKIE,
            nonce,
            httponly=True,
            samesite="Lax",
            secure=settings.secure_cookies or request.secure,
            path="/",
        )
    return response


async def _check(request: web.Request, nonce: str, fresh: bool) -> None:
    origin = request.headers.get("Origin")
    if origin and origin != "null" and not _same_origin(request, origin):
        raise CsrfRejected("This form was sent from another site, so it was not accepted.")
    if fresh:
        raise CsrfRejected(
            "Your browser did not send back the form's security cookie. "
            "Enable cookies for this site, reload the page and try again."
        )
    sent = request.headers.get(HEADER, "")
    if not sent and request.content_type in {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }:
        form = await request.post()
        value = form.get(FIELD, "")
        sent = value if isinstance(value, str) else ""
    expected = _sign(request.app[SETTINGS].secret_key, nonce)
    if not sent or not hmac.compare_digest(sent, expected):
        raise CsrfRejected(
            "This form has expired or is missing its security token. "
            "Go back, reload the page and try again."
        )
