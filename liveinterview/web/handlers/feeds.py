"""The interviewer's own subscribable calendar feed."""

from __future__ import annotations

from aiohttp import web

from liveinterview.web.forms import token_param
from liveinterview.web.keys import FEEDS, SETTINGS
from liveinterview.web.render import redirect, render
from liveinterview.web.session import current_user


async def feed_page(request: web.Request) -> web.StreamResponse:
    token = await request.app[FEEDS].current_token(current_user(request))
    url = None
    if token:
        path = request.app.router["feed"].url_for(token=token)
        url = request.app[SETTINGS].base_url + str(path)
    return render(request, "feed.html", {"feed_url": url})


async def create(request: web.Request) -> web.StreamResponse:
    await request.app[FEEDS].new_token(current_user(request))
    return redirect(request, "own_feed", notice="feed_created")


async def revoke(request: web.Request) -> web.StreamResponse:
    await request.app[FEEDS].revoke(current_user(request))
    return redirect(request, "own_feed", notice="feed_revoked")


async def feed(request: web.Request) -> web.StreamResponse:
    data = await request.app[FEEDS].render(token_param(request))
    return web.Response(
        body=data,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )
