"""The front door and each staff member's dashboard."""

from __future__ import annotations

from aiohttp import web

from liveinterview.web.keys import USER
from liveinterview.web.render import redirect, render


async def index(request: web.Request) -> web.StreamResponse:
    return redirect(request, "dashboard" if request.get(USER) else "signin")


async def dashboard(request: web.Request) -> web.StreamResponse:
    return render(request, "dashboard.html")
