"""Recruiters' pages: the interview dashboard, new requests, and one request's page."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from liveinterview.domain.errors import Conflict, InvalidInput
from liveinterview.domain.interviews import RequestStatus, check_timezone, common_timezones
from liveinterview.domain.timetext import group_by_day
from liveinterview.services.interviews import POOL_CHOICES, PanelChoice
from liveinterview.web.forms import parse_start, read_form, record_id
from liveinterview.web.keys import CLOCK, ERROR_REASON, INTERVIEWS, SETTINGS
from liveinterview.web.render import redirect, render
from liveinterview.web.session import current_user

DURATIONS = (30, 45, 60, 90, 120)
STEPS = (15, 30, 60)


async def listing(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    page_raw = request.query.get("page", "1")
    page = int(page_raw) if page_raw.isdigit() and len(page_raw) < 6 else 1
    result = await request.app[INTERVIEWS].listing(
        user,
        status=request.query.get("status", ""),
        query=request.query.get("q", ""),
        mine=request.query.get("mine") == "1",
        page=page,
    )
    return render(
        request,
        "interviews/list.html",
        {
            "listing": result,
            "statuses": list(RequestStatus),
            "status": request.query.get("status", ""),
            "q": request.query.get("q", ""),
            "mine": request.query.get("mine") == "1",
        },
    )


async def _new_form(
    request: web.Request,
    *,
    values: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    user = current_user(request)
    interviewers = await request.app[INTERVIEWS].interviewers(user)
    today = request.app[CLOCK].now().date()
    defaults: dict[str, object] = {
        "duration": "60",
        "step": "30",
        "first_day": today.isoformat(),
        "last_day": date.fromordinal(today.toordinal() + 14).isoformat(),
        "timezone": user_timezone(request),
        "recorded": True,
        "auto_admit": request.app[SETTINGS].room_auto_admit,
        "places": {},
    }
    return render(
        request,
        "interviews/new.html",
        {
            "values": {**defaults, **(values or {})},
            "errors": errors or {},
            "error": error,
            "interviewers": interviewers,
            "durations": DURATIONS,
            "steps": STEPS,
            "pools": range(1, POOL_CHOICES + 1),
            "timezones": common_timezones(),
        },
        status=status,
    )


def user_timezone(request: web.Request) -> str:
    return current_user(request).timezone


async def new_page(request: web.Request) -> web.StreamResponse:
    return await _new_form(request)


def _int_or_none(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isdigit() and len(raw) < 6 else None


def _date_or_none(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


async def create(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    form = await read_form(request)
    places = {
        key.removeprefix("place_"): form.text(key, max_length=10)
        for key in form.raw
        if key.startswith("place_") and key.removeprefix("place_").isdigit()
    }
    values: dict[str, object] = {
        "candidate_name": form.text("candidate_name", max_length=200),
        "candidate_email": form.text("candidate_email", max_length=254),
        "position": form.text("position", max_length=300),
        "duration": form.text("duration", max_length=6),
        "step": form.text("step", max_length=6),
        "first_day": form.text("first_day", max_length=20),
        "last_day": form.text("last_day", max_length=20),
        "timezone": form.text("timezone", max_length=64),
        "recorded": form.text("recorded", max_length=5) == "on",
        "auto_admit": form.text("auto_admit", max_length=5) == "on",
        "note": form.text("note", max_length=4000),
        "places": places,
    }
    errors: dict[str, str] = {}
    first_day = _date_or_none(str(values["first_day"]))
    last_day = _date_or_none(str(values["last_day"]))
    if first_day is None:
        errors["window_start"] = "Enter a date like 2026-03-02."
    if last_day is None:
        errors["window_end"] = "Enter a date like 2026-03-16."
    try:
        record = await request.app[INTERVIEWS].create(
            user,
            candidate_name=str(values["candidate_name"]),
            candidate_email=str(values["candidate_email"]),
            position=str(values["position"]),
            duration_minutes=_int_or_none(str(values["duration"])),
            step_minutes=_int_or_none(str(values["step"])),
            first_day=first_day,
            last_day=last_day,
            timezone=str(values["timezone"]),
            recorded=bool(values["recorded"]),
            note=str(values["note"]),
            auto_admit=bool(values["auto_admit"]),
            panel=[PanelChoice(int(uid), place) for uid, place in places.items() if place],
        )
    except InvalidInput as exc:
        request[ERROR_REASON] = exc.message
        return await _new_form(
            request,
            values=values,
            errors={**exc.fields, **errors},
            error=exc.message,
            status=400,
        )
    return redirect(request, "interview", notice="request_sent", request_id=str(record.id))


async def _detail(
    request: web.Request, *, error: str | None = None, status: int = 200
) -> web.Response:
    user = current_user(request)
    service = request.app[INTERVIEWS]
    detail = await service.detail(user, record_id(request))
    tz = check_timezone(request.query.get("tz") or user.timezone)
    days = []
    if detail.can_manage and detail.status in {RequestStatus.AWAITING, RequestStatus.SCHEDULED}:
        slots = await service.slots(user, detail.record.id)
        days = group_by_day([s.start for s in slots if s.start != detail.record.start_at], tz)
    return render(
        request,
        "interviews/detail.html",
        {"detail": detail, "days": days, "tz": tz, "error": error},
        status=status,
    )


async def detail(request: web.Request) -> web.StreamResponse:
    return await _detail(request)


async def reschedule(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    form = await read_form(request)
    request_id = record_id(request)
    try:
        start = parse_start(form.text("start", max_length=40))
        await request.app[INTERVIEWS].reschedule(user, request_id, start)
    except (Conflict, InvalidInput) as exc:
        request[ERROR_REASON] = exc.message
        return await _detail(
            request, error=exc.message, status=409 if isinstance(exc, Conflict) else 400
        )
    return redirect(request, "interview", notice="rescheduled", request_id=str(request_id))


async def cancel(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    form = await read_form(request)
    request_id = record_id(request)
    try:
        await request.app[INTERVIEWS].cancel(user, request_id, form.text("reason", max_length=2000))
    except (Conflict, InvalidInput) as exc:
        request[ERROR_REASON] = exc.message
        return await _detail(
            request, error=exc.message, status=409 if isinstance(exc, Conflict) else 400
        )
    return redirect(request, "interview", notice="cancelled", request_id=str(request_id))


async def resend(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    request_id = record_id(request)
    try:
        await request.app[INTERVIEWS].resend_booking_link(user, request_id)
    except Conflict as exc:
        request[ERROR_REASON] = exc.message
        return await _detail(request, error=exc.message, status=409)
    return redirect(request, "interview", notice="link_resent", request_id=str(request_id))
