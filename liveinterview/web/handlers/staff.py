"""First-admin setup, accepting invitations, and the admin's staff page."""

from __future__ import annotations

from aiohttp import web

from liveinterview.domain.accounts import Role
from liveinterview.domain.errors import Conflict, InvalidInput
from liveinterview.web.client import client_of
from liveinterview.web.forms import read_form, token_param
from liveinterview.web.keys import ERROR_REASON, STAFF
from liveinterview.web.render import redirect, render
from liveinterview.web.session import current_user, set_session_cookie

ROLES = [role.value for role in Role]


async def setup_page(request: web.Request) -> web.StreamResponse:
    await request.app[STAFF].check_setup_link(token_param(request))
    return render(request, "setup.html", {"values": {}, "errors": {}, "error": None})


async def setup(request: web.Request) -> web.StreamResponse:
    token = token_param(request)
    form = await read_form(request)
    values = {
        "email": form.text("email", max_length=254),
        "name": form.text("name", max_length=200),
    }
    try:
        signed_in = await request.app[STAFF].complete_setup(
            token,
            email=values["email"],
            name=values["name"],
            password=form.text("password", max_length=1024),
            confirm=form.text("confirm", max_length=1024),
            client=client_of(request),
        )
    except InvalidInput as exc:
        request[ERROR_REASON] = exc.message
        return render(
            request,
            "setup.html",
            {"values": values, "errors": exc.fields, "error": exc.message},
            status=400,
        )
    response = redirect(request, "dashboard", notice="welcome")
    set_session_cookie(request, response, signed_in.session_token)
    return response


async def accept_invite_page(request: web.Request) -> web.StreamResponse:
    user = await request.app[STAFF].invite_link_user(token_param(request))
    return render(request, "accept_invite.html", {"account": user, "error": None})


async def accept_invite(request: web.Request) -> web.StreamResponse:
    token = token_param(request)
    form = await read_form(request)
    staff = request.app[STAFF]
    try:
        signed_in = await staff.accept_invite(
            token,
            password=form.text("password", max_length=1024),
            confirm=form.text("confirm", max_length=1024),
            client=client_of(request),
        )
    except InvalidInput as exc:
        request[ERROR_REASON] = exc.message
        user = await staff.invite_link_user(token)
        return render(
            request, "accept_invite.html", {"account": user, "error": exc.message}, status=400
        )
    response = redirect(request, "dashboard", notice="welcome")
    set_session_cookie(request, response, signed_in.session_token)
    return response


async def _staff_page(
    request: web.Request,
    *,
    values: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    members = await request.app[STAFF].list_staff(current_user(request))
    return render(
        request,
        "staff.html",
        {
            "members": members,
            "all_roles": ROLES,
            "values": values or {"roles": ["interviewer"]},
            "errors": errors or {},
            "error": error,
        },
        status=status,
    )


async def staff_page(request: web.Request) -> web.StreamResponse:
    return await _staff_page(request)


async def invite(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    values: dict[str, object] = {
        "email": form.text("email", max_length=254),
        "name": form.text("name", max_length=200),
        "roles": form.all("roles"),
    }
    try:
        await request.app[STAFF].invite(
            current_user(request),
            email=str(values["email"]),
            name=str(values["name"]),
            roles=form.all("roles"),
            client=client_of(request),
        )
    except InvalidInput as exc:
        request[ERROR_REASON] = exc.message
        return await _staff_page(
            request, values=values, errors=exc.fields, error=exc.message, status=400
        )
    return redirect(request, "staff", notice="invited")


def _member_id(request: web.Request) -> int:
    raw = request.match_info["user_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise web.HTTPNotFound()
    return int(raw)


async def _member_action(request: web.Request, action: str) -> web.StreamResponse:
    staff = request.app[STAFF]
    actor = current_user(request)
    user_id = _member_id(request)
    client = client_of(request)
    try:
        if action == "deactivate":
            await staff.deactivate(actor, user_id, client)
        elif action == "reactivate":
            await staff.reactivate(actor, user_id, client)
        elif action == "resend":
            await staff.resend_invite(actor, user_id, client)
        else:
            form = await read_form(request)
            await staff.set_roles(actor, user_id, form.all("roles"), client)
    except (Conflict, InvalidInput) as exc:
        request[ERROR_REASON] = exc.message
        status = 409 if isinstance(exc, Conflict) else 400
        return await _staff_page(request, error=exc.message, status=status)
    notice = {"deactivate": "deactivated", "reactivate": "reactivated", "resend": "resent"}
    return redirect(request, "staff", notice=notice.get(action, "roles"))


async def deactivate(request: web.Request) -> web.StreamResponse:
    return await _member_action(request, "deactivate")


async def reactivate(request: web.Request) -> web.StreamResponse:
    return await _member_action(request, "reactivate")


async def resend_invite(request: web.Request) -> web.StreamResponse:
    return await _member_action(request, "resend")


async def set_roles(request: web.Request) -> web.StreamResponse:
    return await _member_action(request, "roles")
