"""Staff sessions in an HttpOnly cookie, and the checks handlers declare."""

from __future__ import annotations

import functools
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler

from liveinterview.domain.accounts import Permission, StaffMember
from liveinterview.domain.errors import NotSignedIn, PermissionDenied
from liveinterview.web.keys import ACCOUNTS, SETTINGS, USER

COOKIE = "li_session"
_SKIP_PREFIXES = ("/static/", "/healthz")


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Put the signed-in staff member (or None) at request["user"]."""
    request[USER] = None
    token = request.cookies.get(COOKIE, "")
    if token and not request.path.startswith(_SKIP_PREFIXES):
        request[USER] = await request.app[ACCOUNTS].user_for_session(token)
    return await handler(request)


def current_user(request: web.Request) -> StaffMember:
    user: StaffMember | None = request.get(USER)
    if user is None:
        raise NotSignedIn("Please sign in to continue.")
    return user


def staff_only(permission: Permission | None = None) -> Callable[[Handler], Handler]:
    """Decorator: the handler needs a signed-in staff member holding `permission`."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapped(request: web.Request) -> web.StreamResponse:
            user = current_user(request)
            if permission is not None and not user.can(permission):
                raise PermissionDenied("Your account does not have access to this page.")
            return await handler(request)

        return wrapped

    return decorate


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    settings = request.app[SETTINGS]
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="Lax",
        secure=settings.secure_cookies or request.secure,
        path="/",
    )


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/")
