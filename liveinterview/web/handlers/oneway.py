"""Recruiters' pages for one-way interviews: question sets, invitations, the dashboard,
one candidate's answers, the position comparison, and answer playback."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from aiohttp import web

from liveinterview.domain.errors import Conflict, InvalidInput, NotFound
from liveinterview.domain.interviews import common_timezones
from liveinterview.domain.oneway import InterviewState
from liveinterview.domain.oneway_review import SORT_KEYS, Recommendation
from liveinterview.web.client import client_of
from liveinterview.web.forms import Form, read_form
from liveinterview.web.handlers.recordings import _counted, _file_response
from liveinterview.web.keys import CLOCK, ERROR_REASON, ONEWAY
from liveinterview.web.render import redirect, render
from liveinterview.web.session import current_user

NOTICES = {
    "set_created": "Question set created. Add its questions below.",
    "set_saved": "Question set saved.",
    "archived": "Question set archived; it is no longer offered for invitations.",
    "restored": "Question set restored.",
    "question_added": "Question added.",
    "question_saved": "Question saved. Interviews already sent keep their own copy.",
    "question_moved": "Question moved.",
    "question_deleted": "Question deleted.",
    "rated": "Your rating is saved.",
    "recommended": "Your recommendation is saved.",
    "withdrawn": "The interview is withdrawn; the candidate has been told.",
    "deleted": "The one-way interview and its answers were deleted.",
}
STATE_LABELS = {
    InterviewState.INVITED: "Invited",
    InterviewState.STARTED: "Started",
    InterviewState.COMPLETED: "Completed",
    InterviewState.EXPIRED: "Expired",
    InterviewState.WITHDRAWN: "Withdrawn",
}


def _notice(request: web.Request) -> str | None:
    return NOTICES.get(request.query.get("notice", ""))


def _page(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    notice = _notice(request)
    extra = {"notice": notice} if notice else {}
    return render(
        request,
        template,
        {"state_labels": STATE_LABELS, **context, **extra},
        status=status,
    )


def _id(request: web.Request, name: str, what: str) -> int:
    raw = request.match_info[name]
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound(f"There is no such {what}.")
    return int(raw)


def _number(raw: str) -> int | None:
    """An integer as typed (negative ones too: the rules then say what is allowed)."""
    raw = raw.strip()
    if not raw or len(raw) > 9:
        return None
    try:
        return int(raw)
    except ValueError:
        return None


def _failed(request: web.Request, exc: InvalidInput | Conflict) -> int:
    request[ERROR_REASON] = exc.message
    return 409 if isinstance(exc, Conflict) else 400


# --- question sets -----------------------------------------------------------------------


async def _sets_page(
    request: web.Request,
    *,
    title: str = "",
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    sets = await request.app[ONEWAY].sets(current_user(request))
    return _page(
        request,
        "oneway/sets.html",
        {"sets": sets, "title_value": title, "errors": errors or {}, "error": error},
        status=status,
    )


async def sets_page(request: web.Request) -> web.StreamResponse:
    return await _sets_page(request)


async def create_set(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    title = form.text("title", max_length=1000)
    try:
        set_id = await request.app[ONEWAY].create_set(current_user(request), title)
    except InvalidInput as exc:
        status = _failed(request, exc)
        return await _sets_page(
            request, title=title, errors=exc.fields, error=exc.message, status=status
        )
    return redirect(request, "oneway_set", notice="set_created", set_id=str(set_id))


async def _set_page(
    request: web.Request,
    *,
    form_key: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    detail = await request.app[ONEWAY].set_detail(current_user(request), _set_id(request))
    return _page(
        request,
        "oneway/set.html",
        {
            "detail": detail,
            "form_key": form_key,
            "values": values or {},
            "errors": errors or {},
            "error": error,
        },
        status=status,
    )


def _set_id(request: web.Request) -> int:
    return _id(request, "set_id", "question set")


async def set_page(request: web.Request) -> web.StreamResponse:
    return await _set_page(request)


async def rename_set(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    title = form.text("title", max_length=1000)
    try:
        await request.app[ONEWAY].rename_set(current_user(request), _set_id(request), title)
    except InvalidInput as exc:
        status = _failed(request, exc)
        return await _set_page(
            request,
            form_key="title",
            values={"title": title},
            errors=exc.fields,
            error=exc.message,
            status=status,
        )
    return redirect(request, "oneway_set", notice="set_saved", set_id=str(_set_id(request)))


async def archive_set(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    archived = form.text("archived", max_length=5) == "yes"
    await request.app[ONEWAY].archive_set(
        current_user(request), _set_id(request), archived=archived
    )
    return redirect(
        request,
        "oneway_set",
        notice="archived" if archived else "restored",
        set_id=str(_set_id(request)),
    )


def _question_values(form: Form) -> dict[str, str]:
    return {
        "text": form.text("text", max_length=5000),
        "prep": form.text("prep", max_length=20),
        "limit": form.text("limit", max_length=20),
        "attempts": form.text("attempts", max_length=20),
    }


async def add_question(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    values = _question_values(form)
    practice = form.text("practice", max_length=5) == "yes"
    try:
        await request.app[ONEWAY].add_question(
            current_user(request),
            _set_id(request),
            text=values["text"],
            prep_seconds=_number(values["prep"]),
            answer_seconds=_number(values["limit"]),
            attempts=_number(values["attempts"]),
            practice=practice,
        )
    except InvalidInput as exc:
        status = _failed(request, exc)
        return await _set_page(
            request,
            form_key="practice" if practice else "new",
            values=values,
            errors=exc.fields,
            error=exc.message,
            status=status,
        )
    return redirect(request, "oneway_set", notice="question_added", set_id=str(_set_id(request)))


def _question_id(request: web.Request) -> int:
    return _id(request, "question_id", "question")


async def edit_question(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    values = _question_values(form)
    question_id = _question_id(request)
    try:
        await request.app[ONEWAY].edit_question(
            current_user(request),
            _set_id(request),
            question_id,
            text=values["text"],
            prep_seconds=_number(values["prep"]),
            answer_seconds=_number(values["limit"]),
            attempts=_number(values["attempts"]),
        )
    except InvalidInput as exc:
        status = _failed(request, exc)
        return await _set_page(
            request,
            form_key=f"q{question_id}",
            values=values,
            errors=exc.fields,
            error=exc.message,
            status=status,
        )
    return redirect(request, "oneway_set", notice="question_saved", set_id=str(_set_id(request)))


async def move_question(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    await request.app[ONEWAY].move_question(
        current_user(request),
        _set_id(request),
        _question_id(request),
        form.text("direction", max_length=10),
    )
    return redirect(request, "oneway_set", notice="question_moved", set_id=str(_set_id(request)))


async def delete_question(request: web.Request) -> web.StreamResponse:
    await request.app[ONEWAY].delete_question(
        current_user(request), _set_id(request), _question_id(request)
    )
    return redirect(request, "oneway_set", notice="question_deleted", set_id=str(_set_id(request)))


# --- invitations -------------------------------------------------------------------------


async def _invite_page(
    request: web.Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    result: Any = None,
    status: int = 200,
) -> web.Response:
    user = current_user(request)
    sets = await request.app[ONEWAY].usable_sets(user)
    next_week = date.fromordinal(request.app[CLOCK].now().date().toordinal() + 7)
    defaults = {
        "set_id": request.query.get("set", ""),
        "position": "",
        "deadline_day": next_week.isoformat(),
        "deadline_time": "17:00",
        "timezone": user.timezone,
        "lines": "",
    }
    return _page(
        request,
        "oneway/invite.html",
        {
            "sets": sets,
            "values": {**defaults, **(values or {})},
            "errors": errors or {},
            "error": error,
            "result": result,
            "timezones": common_timezones(),
        },
        status=status,
    )


async def invite_page(request: web.Request) -> web.StreamResponse:
    return await _invite_page(request)


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def _time(raw: str) -> time | None:
    try:
        return time.fromisoformat(raw.strip())
    except ValueError:
        return None


async def invite(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    values = {
        "set_id": form.text("set_id", max_length=12),
        "position": form.text("position", max_length=1000),
        "deadline_day": form.text("deadline_day", max_length=20),
        "deadline_time": form.text("deadline_time", max_length=20),
        "timezone": form.text("timezone", max_length=64),
        "lines": form.text("lines", max_length=100_000),
    }
    set_id = _number(values["set_id"])
    try:
        result = await request.app[ONEWAY].invite(
            current_user(request),
            set_id=set_id if set_id is not None and set_id > 0 else None,
            position=values["position"],
            deadline_day=_date(values["deadline_day"]),
            deadline_time=_time(values["deadline_time"]),
            timezone=values["timezone"],
            lines=values["lines"],
        )
    except InvalidInput as exc:
        status = _failed(request, exc)
        return await _invite_page(
            request, values=values, errors=exc.fields, error=exc.message, status=status
        )
    # The bad lines stay in the box, to be corrected and sent again.
    kept = "\n".join(b.text for b in result.bad)
    if not result.sent:
        request[ERROR_REASON] = "no line could be sent"
        return await _invite_page(
            request,
            values={**values, "lines": kept},
            error="No invitation was sent: every line has a problem.",
            result=result,
            status=400,
        )
    return await _invite_page(request, values={**values, "lines": kept}, result=result)


# --- the dashboard and the position page ---------------------------------------------------


async def dashboard(request: web.Request) -> web.StreamResponse:
    page_raw = request.query.get("page", "1")
    page = int(page_raw) if page_raw.isdigit() and len(page_raw) < 6 else 1
    state = request.query.get("state", "")
    query = request.query.get("q", "")
    listing = await request.app[ONEWAY].listing(
        current_user(request), state=state, query=query, page=page
    )
    return _page(
        request,
        "oneway/dashboard.html",
        {"listing": listing, "states": list(InterviewState), "state": state, "q": query},
    )


async def position_page(request: web.Request) -> web.StreamResponse:
    sort = request.query.get("sort", "average")
    order = request.query.get("order", "desc")
    if order not in {"asc", "desc"}:
        raise InvalidInput("Sort order is asc or desc.")
    comparison = await request.app[ONEWAY].compare(
        current_user(request),
        request.match_info["position"],
        sort=sort,
        descending=order == "desc",
    )
    return _page(
        request,
        "oneway/position.html",
        {
            "comparison": comparison,
            "sort_keys": SORT_KEYS,
            "recommendations": list(Recommendation),
        },
    )


# --- one candidate -----------------------------------------------------------------------


def _interview_id(request: web.Request) -> int:
    return _id(request, "interview_id", "one-way interview")


async def _interview_page(
    request: web.Request,
    *,
    form_key: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    review = await request.app[ONEWAY].review(
        current_user(request), _interview_id(request), address=client_of(request).address
    )
    return _page(
        request,
        "oneway/interview.html",
        {
            "review": review,
            "recommendations": list(Recommendation),
            "form_key": form_key,
            "values": values or {},
            "errors": errors or {},
            "error": error,
        },
        status=status,
    )


async def interview_page(request: web.Request) -> web.StreamResponse:
    return await _interview_page(request)


async def rate(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    take_id = _id(request, "take_id", "answer")
    values = {
        "rating": form.text("rating", max_length=10),
        "comment": form.text("comment", max_length=10_000),
    }
    try:
        await request.app[ONEWAY].rate(
            current_user(request),
            _interview_id(request),
            take_id,
            rating=_number(values["rating"]),
            comment=values["comment"],
        )
    except (InvalidInput, Conflict) as exc:
        status = _failed(request, exc)
        return await _interview_page(
            request,
            form_key=f"t{take_id}",
            values=values,
            errors=getattr(exc, "fields", {}),
            error=exc.message,
            status=status,
        )
    return redirect(
        request, "oneway_interview", notice="rated", interview_id=str(_interview_id(request))
    )


async def recommend(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    values = {
        "recommendation": form.text("recommendation", max_length=20),
        "comment": form.text("comment", max_length=10_000),
    }
    try:
        await request.app[ONEWAY].recommend(
            current_user(request),
            _interview_id(request),
            recommendation=values["recommendation"],
            comment=values["comment"],
        )
    except InvalidInput as exc:
        status = _failed(request, exc)
        return await _interview_page(
            request,
            form_key="verdict",
            values=values,
            errors=exc.fields,
            error=exc.message,
            status=status,
        )
    return redirect(
        request, "oneway_interview", notice="recommended", interview_id=str(_interview_id(request))
    )


async def withdraw(request: web.Request) -> web.StreamResponse:
    await read_form(request)
    try:
        await request.app[ONEWAY].withdraw(
            current_user(request), _interview_id(request), address=client_of(request).address
        )
    except Conflict as exc:
        status = _failed(request, exc)
        return await _interview_page(request, error=exc.message, status=status)
    return redirect(
        request, "oneway_interview", notice="withdrawn", interview_id=str(_interview_id(request))
    )


async def delete(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    if form.text("confirm", max_length=10) != "yes":
        request[ERROR_REASON] = "deletion not confirmed"
        return await _interview_page(
            request,
            error="Tick the box to confirm that the interview and its answers are deleted "
            "for good.",
            status=400,
        )
    try:
        await request.app[ONEWAY].delete(
            current_user(request), _interview_id(request), address=client_of(request).address
        )
    except Conflict as exc:
        status = _failed(request, exc)
        return await _interview_page(request, error=exc.message, status=status)
    return redirect(request, "oneway", notice="deleted")


async def take_video(request: web.Request) -> web.StreamResponse:
    """A take's WebM for the player or as a download (HTTP Range: 206), audited once."""
    interview, take, path = await request.app[ONEWAY].take_file(
        current_user(request),
        _id(request, "take_id", "answer"),
        address=client_of(request).address,
        kind="streamed" if request.headers.get("Range") else "downloaded",
        audit=_counted(request),
    )
    stem = f"oneway-{interview.id}-question-{take.question + 1}-attempt-{take.attempt}"
    return _file_response(path, stem)
