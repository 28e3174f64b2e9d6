"""The candidate's pages: no account, the link in the email is the key."""

from __future__ import annotations

from aiohttp import web

from liveinterview.domain.errors import Conflict, InvalidInput
from liveinterview.domain.interviews import common_timezones
from liveinterview.services.scheduling import SlotTaken
from liveinterview.web.forms import parse_start, read_form, token_param
from liveinterview.web.keys import BOOKING, ERROR_REASON
from liveinterview.web.render import redirect, render


def _tz(request: web.Request) -> str | None:
    value = request.query.get("tz", "").strip()
    return value[:64] or None


async def _book_page(
    request: web.Request,
    *,
    timezone: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    view = await request.app[BOOKING].booking_page(token_param(request), timezone or _tz(request))
    return render(
        request,
        "candidate/book.html",
        {
            "view": view,
            "error": error,
            "timezones": common_timezones(),
            "detect": timezone is None and _tz(request) is None,
        },
        status=status,
    )


async def book_page(request: web.Request) -> web.StreamResponse:
    try:
        return await _book_page(request)
    except InvalidInput as exc:  # an unknown ?tz= value: show UTC and say why
        request[ERROR_REASON] = exc.message
        return await _book_page(request, timezone="UTC", error=exc.message, status=400)


async def book(request: web.Request) -> web.StreamResponse:
    token = token_param(request)
    form = await read_form(request)
    timezone = form.text("tz", max_length=64) or "UTC"
    try:
        start = parse_start(form.text("start", max_length=40))
        manage_token = await request.app[BOOKING].book(token, start, timezone)
    except SlotTaken as exc:
        request[ERROR_REASON] = exc.message
        return await _book_page(request, timezone=timezone, error=exc.message, status=409)
    except (InvalidInput, Conflict) as exc:
        request[ERROR_REASON] = exc.message
        return await _book_page(
            request,
            timezone=timezone if "timezone" not in getattr(exc, "fields", {}) else "UTC",
            error=exc.message,
            status=400 if isinstance(exc, InvalidInput) else 409,
        )
    response = redirect(request, "manage", notice="booked", token=manage_token)
    return response


async def _manage_page(
    request: web.Request,
    *,
    timezone: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    view = await request.app[BOOKING].manage_page(token_param(request), timezone or _tz(request))
    return render(
        request,
        "candidate/manage.html",
        {"view": view, "error": error, "timezones": common_timezones(), "detect": False},
        status=status,
    )


async def manage_page(request: web.Request) -> web.StreamResponse:
    try:
        return await _manage_page(request)
    except InvalidInput as exc:
        request[ERROR_REASON] = exc.message
        return await _manage_page(request, timezone="UTC", error=exc.message, status=400)


async def reschedule(request: web.Request) -> web.StreamResponse:
    token = token_param(request)
    form = await read_form(request)
    timezone = form.text("tz", max_length=64) or "UTC"
    try:
        start = parse_start(form.text("start", max_length=40))
        await request.app[BOOKING].reschedule(token, start, timezone)
    except (InvalidInput, Conflict) as exc:
        request[ERROR_REASON] = exc.message
        return await _manage_page(
            request,
            timezone=timezone if not isinstance(exc, InvalidInput) else "UTC",
            error=exc.message,
            status=400 if isinstance(exc, InvalidInput) else 409,
        )
    return redirect(request, "manage", notice="rescheduled", token=token)


async def cancel(request: web.Request) -> web.StreamResponse:
    token = token_param(request)
    form = await read_form(request)
    try:
        await request.app[BOOKING].cancel(token, form.text("reason", max_length=2000))
    except (InvalidInput, Conflict) as exc:
        request[ERROR_REASON] = exc.message
        return await _manage_page(
            request, error=exc.message, status=400 if isinstance(exc, InvalidInput) else 409
        )
    return render(request, "candidate/cancelled.html")


async def calendar_file(request: web.Request) -> web.StreamResponse:
    name, data = await request.app[BOOKING].calendar_file(token_param(request))
    return web.Response(
        body=data,
        content_type="text/calendar",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
