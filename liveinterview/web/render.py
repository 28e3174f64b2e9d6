"""Page rendering with the values every template needs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web

from liveinterview.domain.accounts import Permission
from liveinterview.domain.interviews import common_timezones
from liveinterview.domain.timetext import day_range, when
from liveinterview.logs import request_id
from liveinterview.paths import TEMPLATES_DIR
from liveinterview.web.csrf import csrf_token
from liveinterview.web.keys import CSRF_NONCE, USER

NOTICES = {
    "signed_out": "You are signed out.",
    "invited": "Invitation sent.",
    "resent": "Invitation sent again.",
    "deactivated": "Account deactivated; its sessions have ended.",
    "reactivated": "Account reactivated.",
    "roles": "Roles updated.",
    "password_changed": "Your password was changed. Other sessions were signed out.",
    "reset_sent": (
        "If an account exists for that address, we have emailed a link to reset the password. "
        "It is valid for a limited time."
    ),
    "welcome": "Welcome! Your account is ready.",
    "request_sent": "Interview request created; the booking link is on its way to the candidate.",
    "rescheduled": "The interview has been moved; everyone has an updated invitation.",
    "cancelled": "The interview is cancelled; everyone has been told.",
    "link_resent": "A new booking link is on its way; the old one no longer works.",
    "recording_deleted": "The recording was deleted from disk.",
    "share_created": (
        "Share link created. Anyone with it can watch the review video until it expires."
    ),
    "share_revoked": "Share links revoked; they no longer work.",
    "feed_created": "Your feed address is ready. The previous address, if any, no longer works.",
    "feed_revoked": "Your feed is turned off; its address no longer works.",
    "booked": "Your interview is booked. A confirmation with a calendar invitation is on its way.",
}


def page_context(request: web.Request) -> dict[str, Any]:
    """What every page needs; works even for errors raised before any middleware ran."""
    user = request.get(USER)
    return {
        "request": request,
        "user": user,
        "can": (lambda permission: bool(user and user.can(Permission(permission)))),
        "csrf_token": csrf_token(request) if CSRF_NONCE in request else "",
        "request_id": request_id.get(),
        "notice": NOTICES.get(request.query.get("notice", "")),
    }


def setup_templates(app: web.Application) -> jinja2.Environment:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=True),
        undefined=jinja2.StrictUndefined,
    )

    def static(path: str) -> str:
        # The router's static resource adds a content hash, so browsers never see stale files.
        return str(app.router["static"].url_for(filename=path))

    env.globals["static"] = static
    env.globals["timezones"] = common_timezones
    env.filters["localtime"] = _localtime
    env.filters["localdate"] = _localdate
    env.filters["when"] = when
    env.filters["daterange"] = day_range
    env.filters["isotime"] = lambda text, tz: _localtime(datetime.fromisoformat(text), tz)
    return env


def _localtime(moment: datetime, tz: str) -> str:
    """'Tue 3 Mar 2026, 14:00' in `tz`."""
    local = moment.astimezone(ZoneInfo(tz))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


def _localdate(moment: datetime, tz: str) -> str:
    local = moment.astimezone(ZoneInfo(tz))
    return f"{local:%a} {local.day} {local:%b %Y}"


def render(
    request: web.Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> web.Response:
    response = aiohttp_jinja2.render_template(
        template, request, {**page_context(request), **(context or {})}, status=status
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(request: web.Request, route: str, *, notice: str = "", **parts: str) -> web.Response:
    """A 303 See Other to a named route, optionally with a notice key from NOTICES."""
    url = request.app.router[route].url_for(**parts)
    if notice:
        url = url.with_query(notice=notice)
    return see_other(str(url))


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})
