"""Reviewing and downloading recordings; share links for people without an account."""

from __future__ import annotations

import re
import secrets
import unicodedata
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from liveinterview.domain.errors import InvalidInput, NotFound
from liveinterview.domain.timetext import when
from liveinterview.services.recordings import Review
from liveinterview.web.client import client_of
from liveinterview.web.forms import read_form, record_id, token_param
from liveinterview.web.keys import RECORDINGS
from liveinterview.web.middleware import with_script_nonce
from liveinterview.web.render import redirect, render
from liveinterview.web.session import current_user

FILE_NAME = re.compile(r"^[A-Za-z0-9_.%:-]{1,200}$")  # track files quote ids with %
LABELS = {"microphone": "microphone", "camera": "camera", "screen": "screen share"}


def _file_url(request: web.Request, request_id: int, name: str) -> str:
    return str(request.app.router["recording_file"].url_for(request_id=str(request_id), name=name))


def _context(request: web.Request, review: Review) -> dict[str, object]:
    record, recording = review.record, review.recording
    user_zone = current_user(request).timezone
    rid = record.id
    names = {"candidate": record.candidate_name}
    return {
        "interview": {
            "position": record.position,
            "candidate_name": record.candidate_name,
            "when_text": when(record.start_at, record.end_at, user_zone)
            if record.start_at and record.end_at
            else "",
        },
        "back_url": str(request.app.router["interview"].url_for(request_id=str(rid))),
        "expires_text": f"{recording.expires_at:%Y-%m-%d}",
        "status": review.status,
        "progress": review.progress,
        "failure": review.failure,
        "video_url": _file_url(request, rid, recording.review_file)
        if review.status == "ready" and recording.review_file
        else None,
        "duration": recording.review_seconds,
        "timeline": [
            {
                "offset": e.offset,
                "kind": e.kind,
                "who": e.who,
                "text": e.text,
                "at": e.at.isoformat(),
            }
            for e in review.timeline
            if e.kind != "chat"
        ],
        "chat": [
            {"offset": e.offset, "who": e.who, "text": e.text}
            for e in review.timeline
            if e.kind == "chat"
        ],
        "files": [
            {
                "name": f.name,
                "label": f"{names.get(f.participant, f.participant)}, "
                f"{LABELS.get(f.source, f.source)}",
                "size": f.size,
                "url": _file_url(request, rid, f.name),
            }
            for f in review.files
        ],
        "consents": [{"who": name, "at": at.isoformat()} for _, name, at in review.consents],
        "share_links": [
            {
                "url": url,
                "expires": expires.isoformat(),
                "revoke_url": str(
                    request.app.router["recording_share_revoke"].url_for(
                        request_id=str(rid), creator=str(creator)
                    )
                ),
            }
            for url, expires, creator in review.share_links
        ],
        "can_manage": review.can_manage,
        "delete_url": _route(request, "recording_delete", rid),
        "share_url": _route(request, "recording_share", rid),
        "status_url": _route(request, "recording_status", rid),
    }


def _route(request: web.Request, name: str, request_id: int) -> str:
    return str(request.app.router[name].url_for(request_id=str(request_id)))


async def review_page(request: web.Request) -> web.StreamResponse:
    review = await request.app[RECORDINGS].review(current_user(request), record_id(request))
    nonce = secrets.token_urlsafe(16)
    response = render(
        request, "review/review.html", {**_context(request, review), "csp_nonce": nonce}
    )
    response.headers["Content-Security-Policy"] = with_script_nonce(nonce)
    return response


async def status(request: web.Request) -> web.StreamResponse:
    review = await request.app[RECORDINGS].review(current_user(request), record_id(request))
    return web.json_response(
        {"status": review.status, "progress": review.progress, "failure": review.failure},
        headers={"Cache-Control": "no-store"},
    )


def _download_name(stem: str, suffix: str) -> tuple[str, str]:
    """An ASCII fallback and the UTF-8 name for Content-Disposition."""
    ascii_name = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_name).strip("-") or "recording"
    return ascii_name + suffix, stem + suffix


def _file_response(path: Path, stem: str) -> web.FileResponse:
    ascii_name, utf8_name = _download_name(stem, path.suffix)
    response = web.FileResponse(path)  # answers Range requests with 206 by itself
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(utf8_name)}"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _counted(request: web.Request) -> bool:
    """A player fetches a video in many range requests; count the first, not every seek."""
    range_header = request.headers.get("Range", "")
    return not range_header or range_header.replace(" ", "").startswith("bytes=0-")


async def file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if not FILE_NAME.match(name):
        raise NotFound("There is no such recording file.")
    user = current_user(request)
    request_id = record_id(request)
    recordings = request.app[RECORDINGS]
    path = await recordings.file(
        user,
        request_id,
        name,
        address=client_of(request).address,
        kind="downloaded" if not request.headers.get("Range") else "streamed",
        audit=_counted(request),
    )
    review_name = f"interview-{request_id}-{Path(name).stem}"
    return _file_response(path, review_name)


async def delete(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    if form.text("confirm", max_length=10) != "yes":
        raise InvalidInput("Tick the box to confirm that the recording is deleted for good.")
    await request.app[RECORDINGS].delete_now(
        current_user(request), record_id(request), address=client_of(request).address
    )
    return redirect(request, "interview", notice="recording_deleted",
                    request_id=str(record_id(request)))  # fmt: skip


async def share(request: web.Request) -> web.StreamResponse:
    await request.app[RECORDINGS].create_share_link(current_user(request), record_id(request))
    return redirect(request, "recording", notice="share_created",
                    request_id=str(record_id(request)))  # fmt: skip


async def revoke_share(request: web.Request) -> web.StreamResponse:
    creator = request.match_info["creator"]
    if not creator.isdigit() or len(creator) > 12:
        raise NotFound("There is no such share link.")
    await request.app[RECORDINGS].revoke_share_link(
        current_user(request), record_id(request), int(creator)
    )
    return redirect(request, "recording", notice="share_revoked",
                    request_id=str(record_id(request)))  # fmt: skip


async def shared_page(request: web.Request) -> web.StreamResponse:
    token = token_param(request)
    record, _ = await request.app[RECORDINGS].shared(
        token, address=client_of(request).address, audit=False
    )
    video = str(request.app.router["shared_video"].url_for(token=token))
    return render(
        request,
        "review/shared.html",
        {"position": record.position, "candidate": record.candidate_name, "video_url": video},
    )


async def shared_video(request: web.Request) -> web.StreamResponse:
    token = token_param(request)
    record, path = await request.app[RECORDINGS].shared(
        token, address=client_of(request).address, audit=_counted(request)
    )
    return _file_response(path, f"interview-{record.id}-review")
