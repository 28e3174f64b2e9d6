"""The interviewer's own availability pages: hours and settings, date overrides, calendars."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from liveinterview.domain.errors import InvalidInput
from liveinterview.domain.hours import WEEKDAYS, weekday_field
from liveinterview.services.availability import AvailabilityInput
from liveinterview.web.client import client_of
from liveinterview.web.forms import Form, read_form
from liveinterview.web.keys import AVAILABILITY, ERROR_REASON
from liveinterview.web.render import redirect, render
from liveinterview.web.session import current_user

HOURS_PAGE = "availability.html"
CALENDARS_PAGE = "calendars.html"
NOTICES = {
    "saved": "Your availability was saved.",
    "override_saved": "The date override was saved.",
    "override_deleted": "The date override was removed.",
    "feed_added": "The calendar was added and its busy times imported.",
    "uploaded": "The file was imported.",
    "refreshed": "The calendar was refreshed.",
    "refresh_failed": "The calendar could not be read; the reason is shown below.",
    "removed": "The calendar was removed, with its busy times.",
}


async def _page(
    request: web.Request,
    template: str,
    *,
    form: AvailabilityInput | None = None,
    values: dict[str, str] | None = None,
    error: InvalidInput | None = None,
) -> web.Response:
    """The page with the stored values, or with what was sent and why it was refused."""
    overview = await request.app[AVAILABILITY].overview(current_user(request))
    context: dict[str, Any] = {
        "overview": overview,
        "form": form or overview.form,
        "values": values or {},
        "errors": error.fields if error else {},
        "error": error.message if error else None,
        # Suggest the browser's zone only on a fresh page, never over what was just sent.
        "detect_timezone": overview.timezone_never_set and form is None,
    }
    notice = NOTICES.get(request.query.get("notice", ""))
    if notice and error is None:
        context["notice"] = notice
    if error is not None:
        request[ERROR_REASON] = error.message
    return render(request, template, context, status=400 if error else 200)


def _id(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not raw.isdigit() or len(raw) > 12:
        raise web.HTTPNotFound()
    return int(raw)


# --- hours and settings --------------------------------------------------------------------


async def availability_page(request: web.Request) -> web.StreamResponse:
    return await _page(request, HOURS_PAGE)


def _availability_input(form: Form) -> AvailabilityInput:
    return AvailabilityInput(
        timezone=form.text("timezone", max_length=64),
        buffer_before=form.text("buffer_before", max_length=20),
        buffer_after=form.text("buffer_after", max_length=20),
        max_per_day=form.text("max_per_day", max_length=20),
        max_per_week=form.text("max_per_week", max_length=20),
        min_notice_hours=form.text("min_notice_hours", max_length=20),
        hours=tuple(form.text(weekday_field(day), max_length=500) for day in range(len(WEEKDAYS))),
    )


async def save_availability(request: web.Request) -> web.StreamResponse:
    submitted = _availability_input(await read_form(request))
    try:
        await request.app[AVAILABILITY].save(current_user(request), submitted, client_of(request))
    except InvalidInput as exc:
        return await _page(request, HOURS_PAGE, form=submitted, error=exc)
    return redirect(request, "availability", notice="saved")


async def add_override(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    values = {
        "day": form.text("day", max_length=20),
        "kind": form.text("kind", max_length=10),
        "hours": form.text("hours", max_length=500),
    }
    try:
        await request.app[AVAILABILITY].set_override(
            current_user(request),
            day=values["day"],
            kind=values["kind"],
            hours=values["hours"],
            client=client_of(request),
        )
    except InvalidInput as exc:
        return await _page(request, HOURS_PAGE, values=values, error=exc)
    return redirect(request, "availability", notice="override_saved")


async def delete_override(request: web.Request) -> web.StreamResponse:
    await request.app[AVAILABILITY].delete_override(
        current_user(request), request.match_info["day"], client_of(request)
    )
    return redirect(request, "availability", notice="override_deleted")


# --- calendars ----------------------------------------------------------------------------


async def calendars_page(request: web.Request) -> web.StreamResponse:
    return await _page(request, CALENDARS_PAGE)


async def add_feed(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    values = {
        "url": form.text("url", max_length=2000),
        "label": form.text("label", max_length=200),
    }
    try:
        await request.app[AVAILABILITY].calendars.add_feed(
            current_user(request),
            url=values["url"],
            label=values["label"],
            client=client_of(request),
        )
    except InvalidInput as exc:
        return await _page(request, CALENDARS_PAGE, values=values, error=exc)
    return redirect(request, "calendars", notice="feed_added")


async def upload(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    label = form.text("upload_label", max_length=200)
    field = form.raw.get("file")
    data, filename = b"", ""
    if isinstance(field, web.FileField):
        data = await asyncio.to_thread(field.file.read)
        filename = field.filename or ""
    try:
        await request.app[AVAILABILITY].calendars.upload(
            current_user(request),
            data=data,
            filename=filename,
            label=label,
            client=client_of(request),
        )
    except InvalidInput as exc:
        return await _page(request, CALENDARS_PAGE, values={"upload_label": label}, error=exc)
    return redirect(request, "calendars", notice="uploaded")


async def refresh(request: web.Request) -> web.StreamResponse:
    entry = await request.app[AVAILABILITY].calendars.refresh_now(
        current_user(request), _id(request, "source_id"), client_of(request)
    )
    return redirect(
        request, "calendars", notice="refreshed" if entry.status == "ok" else "refresh_failed"
    )


async def remove(request: web.Request) -> web.StreamResponse:
    await request.app[AVAILABILITY].calendars.remove(
        current_user(request), _id(request, "source_id"), client_of(request)
    )
    return redirect(request, "calendars", notice="removed")
