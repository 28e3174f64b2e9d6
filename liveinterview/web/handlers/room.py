"""The join page (pre-join check, lobby and room in one page) and its WebSocket."""

from __future__ import annotations

import secrets

from aiohttp import web

from liveinterview.domain.rooms import RoomState
from liveinterview.web.forms import record_id, token_param
from liveinterview.web.keys import CLOCK, ROOM_SOCKET, ROOMS
from liveinterview.web.middleware import with_script_nonce
from liveinterview.web.render import render, see_other
from liveinterview.web.session import current_user

RECORDING_NOTICE = (
    "This interview is recorded, audio and video. The recording is seen only by the hiring "
    "team for this position and deleted after the retention period."
)


async def join_page(request: web.Request) -> web.StreamResponse:
    token = token_param(request)
    view = await request.app[ROOMS].view(token)
    window = view.window
    context: dict[str, object] = {
        "position": view.record.position,
        "when_text": view.when,
        "participant_name": view.participant,
        "role": "candidate" if view.is_candidate else "interviewer",
        "ws_url": _ws_url(request, token),
        "ice_servers": request.app[ROOMS].ice_servers(view.participant_id),
        "recorded": view.record.recorded,
        "recording_notice": RECORDING_NOTICE,
        "panel_text": ", ".join(view.interviewers),
    }
    if window.state is RoomState.NOT_YET:
        context["opens_at"] = window.opens_at.isoformat()
        context["server_now"] = request.app[CLOCK].now().isoformat()
    elif window.state is RoomState.OVER:
        context["closed_message"] = "This interview has ended. Thank you!"
    elif window.state is RoomState.CANCELLED:
        context["closed_message"] = "This interview was cancelled."
    # The room's import map is an inline script; a per-response nonce allows exactly it.
    nonce = secrets.token_urlsafe(16)
    context["csp_nonce"] = nonce
    response = render(request, "room/prejoin.html", context)
    response.headers["Content-Security-Policy"] = with_script_nonce(nonce)
    return response


def _ws_url(request: web.Request, token: str) -> str:
    path = request.app.router["join_ws"].url_for(token=token)
    return f"{'wss' if request.secure else 'ws'}://{request.host}{path}"


async def staff_join(request: web.Request) -> web.StreamResponse:
    """'Join' from the dashboard: the interviewer's own join link."""
    token = await request.app[ROOMS].staff_join_token(current_user(request), record_id(request))
    return see_other(str(request.app.router["join"].url_for(token=token)))


async def room_socket(request: web.Request) -> web.StreamResponse:
    """The signaling WebSocket of a join link (built with the hub in create_app)."""
    return await request.app[ROOM_SOCKET](request)
