"""Sign in, sign out, forgotten and reset passwords."""

from __future__ import annotations

from aiohttp import web

from liveinterview.domain.errors import InvalidInput, Throttled
from liveinterview.web.client import client_of
from liveinterview.web.errors import status_for
from liveinterview.web.forms import read_form, safe_next, token_param
from liveinterview.web.keys import ACCOUNTS, ERROR_REASON, USER
from liveinterview.web.render import redirect, render, see_other
from liveinterview.web.session import clear_session_cookie, current_user, set_session_cookie


def _dashboard(request: web.Request) -> str:
    return str(request.app.router["dashboard"].url_for())


async def signin_page(request: web.Request) -> web.StreamResponse:
    target = safe_next(request.query.get("next", ""), _dashboard(request))
    if request.get(USER) is not None:
        return see_other(target)
    return render(request, "signin.html", {"next": target, "email": "", "error": None})


async def signin(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    email = form.text("email", max_length=254)
    target = safe_next(form.text("next"), _dashboard(request))
    try:
        signed_in = await request.app[ACCOUNTS].sign_in(
            email, form.text("password", max_length=1024), client_of(request)
        )
    except (InvalidInput, Throttled) as exc:
        response = render(
            request,
            "signin.html",
            {"next": target, "email": email, "error": exc.message},
            status=status_for(exc),
        )
        if isinstance(exc, Throttled):
            response.headers["Retry-After"] = str(exc.retry_after_seconds)
        request[ERROR_REASON] = exc.message
        return response
    response = see_other(target)
    set_session_cookie(request, response, signed_in.session_token)
    return response


async def signout(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get("li_session", "")
    if token:
        await request.app[ACCOUNTS].sign_out(token)
    response = redirect(request, "signin", notice="signed_out")
    clear_session_cookie(response)
    return response


async def forgot_page(request: web.Request) -> web.StreamResponse:
    return render(request, "forgot.html", {"email": "", "error": None})


async def forgot(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    email = form.text("email", max_length=254)
    try:
        await request.app[ACCOUNTS].request_reset(email, client_of(request))
    except InvalidInput as exc:
        request[ERROR_REASON] = exc.message
        return render(request, "forgot.html", {"email": email, "error": exc.message}, status=400)
    return redirect(request, "signin", notice="reset_sent")


async def reset_page(request: web.Request) -> web.StreamResponse:
    user = await request.app[ACCOUNTS].reset_link_user(token_param(request))
    return render(request, "reset.html", {"account": user, "error": None})


async def reset(request: web.Request) -> web.StreamResponse:
    token = token_param(request)
    form = await read_form(request)
    accounts = request.app[ACCOUNTS]
    try:
        signed_in = await accounts.reset_password(
            token,
            form.text("password", max_length=1024),
            form.text("confirm", max_length=1024),
            client_of(request),
        )
    except InvalidInput as exc:
        request[ERROR_REASON] = exc.message
        user = await accounts.reset_link_user(token)
        return render(request, "reset.html", {"account": user, "error": exc.message}, status=400)
    response = redirect(request, "dashboard", notice="password_changed")
    set_session_cookie(request, response, signed_in.session_token)
    return response


async def account_page(request: web.Request) -> web.StreamResponse:
    return render(request, "account.html", {"error": None})


async def change_password(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    form = await read_form(request)
    try:
        await request.app[ACCOUNTS].change_password(
            user,
            form.text("current", max_length=1024),
            form.text("password", max_length=1024),
            form.text("confirm", max_length=1024),
            keep_session=request.cookies.get("li_session", ""),
        )
    except InvalidInput as exc:
        request[ERROR_REASON] = exc.message
        return render(request, "account.html", {"error": exc.message}, status=400)
    return redirect(request, "account", notice="password_changed")
