"""The candidate's one-way interview portal, their takes' playback, and the answer socket."""

from __future__ import annotations

import secrets

from aiohttp import web

from liveinterview.web.forms import token_param
from liveinterview.web.keys import ANSWER_SOCKET, ANSWERS, CLOCK
from liveinterview.web.middleware import with_script_nonce
from liveinterview.web.render import render

CONSENT_NOTICE = (
    "Your answers are recorded, audio and video, on our server while you speak. Only the "
    "hiring team for this position sees them, and they are deleted {days} days after the "
    "deadline at the latest."
)


async def answer_page(request: web.Request) -> web.StreamResponse:
    token = token_param(request)
    portal = await request.app[ANSWERS].portal(token)  # NotFound: 404, Gone: 410 (closed)
    interview = portal.interview
    path = request.app.router["answer_ws"].url_for(token=token)
    nonce = secrets.token_urlsafe(16)
    context: dict[str, object] = {
        "interview": interview,
        "questions": portal.real_questions,
        "practice": portal.practice,
        "answered": sum(1 for t in portal.takes if t.status.value == "kept"),
        "deadline_iso": interview.deadline.isoformat(),
        "server_now": request.app[CLOCK].now().isoformat(),
        "consent_notice": CONSENT_NOTICE.format(days=portal.retention_days),
        "ws_url": f"{'wss' if request.secure else 'ws'}://{request.host}{path}",
        "csp_nonce": nonce,
    }
    response = render(request, "oneway_candidate/portal.html", context)
    response.headers["Content-Security-Policy"] = with_script_nonce(nonce)
    response.headers["Cache-Control"] = "no-store"
    return response


async def take_video(request: web.Request) -> web.StreamResponse:
    """One of the candidate's own takes (WebM; Range requests answered with 206)."""
    take_id = request.match_info["take_id"]
    if not take_id.isdigit() or len(take_id) > 10:
        raise web.HTTPNotFound()
    path = await request.app[ANSWERS].take_file(token_param(request), int(take_id))
    response = web.FileResponse(path)
    response.content_type = "video/webm"
    response.headers["Cache-Control"] = "private, no-store"
    return response


async def answer_socket(request: web.Request) -> web.StreamResponse:
    """The answer WebSocket (built in create_app: signaling.oneway_ws)."""
    return await request.app[ANSWER_SOCKET](request)
