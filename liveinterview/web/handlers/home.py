"""The front door and each staff member's dashboard."""

from __future__ import annotations

from aiohttp import web

from liveinterview.web.keys import INTERVIEWS, USER
from liveinterview.web.render import redirect, render
from liveinterview.web.session import current_user


async def index(request: web.Request) -> web.StreamResponse:
    return redirect(request, "dashboard" if request.get(USER) else "signin")


async def dashboard(request: web.Request) -> web.StreamResponse:
    upcoming = await request.app[INTERVIEWS].upcoming_for(current_user(request))
    return render(request, "dashboard.html", {"upcoming": upcoming})
