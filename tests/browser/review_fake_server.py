"""A stand-in for the app's recording review page, for testing the review client on its own.

It renders the real templates/review/review.html with a made-up context, serves a short real
MP4 (made here with PyAV: H.264 + AAC) with aiohttp's FileResponse (Range requests, 206), answers
the status endpoint from a dict the test changes, and records what the forms post.
"""

from __future__ import annotations

import fractions
import math
import struct
from pathlib import Path
from typing import Any

import av
import jinja2
from aiohttp import web

from liveinterview.paths import STATIC_DIR
from liveinterview.web.middleware import CONTENT_SECURITY_POLICY
from tests.browser.room_fake_server import base_context, template_environment

BASE = "/interviews/7/recording"
VIDEO_SECONDS = 5
# One colour per second, so a seek is visible in a screenshot too.
COLOURS_YUV = [(82, 90, 240), (145, 54, 34), (41, 240, 110), (210, 16, 146), (170, 166, 16)]


def make_review_video(path: Path, *, seconds: int = VIDEO_SECONDS, fps: int = 25) -> Path:
    """A small H.264/AAC MP4: a colour per second and a 440 Hz tone, like a composed review file."""
    width, height, rate, samples = 320, 180, 48000, 1024
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "g": str(fps)}  # a keyframe a second: quick seeks
        audio = out.add_stream("aac", rate=rate)
        audio.layout = "mono"
        for i in range(seconds * fps):
            frame = av.VideoFrame(width, height, "yuv420p")
            for plane, value in zip(frame.planes, COLOURS_YUV[(i // fps) % 5], strict=True):
                plane.update(bytes([value]) * (plane.line_size * plane.height))
            frame.pts, frame.time_base = i, fractions.Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        for k in range(seconds * rate // samples):
            tone = b"".join(
                struct.pack(
                    "<h", int(8000 * math.sin(2 * math.pi * 440 * (k * samples + j) / rate))
                )
                for j in range(samples)
            )
            sound = av.AudioFrame(format="s16", layout="mono", samples=samples)
            sound.planes[0].update(tone)
            sound.sample_rate, sound.pts = rate, k * samples
            sound.time_base = fractions.Fraction(1, rate)
            out.mux(audio.encode(sound))
        out.mux(audio.encode())
    return path


def review_context(**changes: Any) -> dict[str, Any]:
    """A ready recording of a 5-second interview, with every kind of timeline entry."""
    context: dict[str, Any] = {
        "interview": {
            "position": "Backend <Engineer>",
            "candidate_name": "Zoë Müller",
            "when_text": "Tuesday 3 March 2026, 14:00–15:00 (Europe/Berlin)",
        },
        "status": "ready",
        "progress": 1.0,
        "failure": "",
        "video_url": f"{BASE}/video.mp4",
        "duration": VIDEO_SECONDS,
        "timeline": [
            {
                "offset": None,
                "kind": "joined",
                "who": "Rita Interviewer",
                "text": "",
                "at": "2026-03-03T12:58:00+00:00",
            },
            {"offset": 0.0, "kind": "joined", "who": "Zoë Müller", "text": ""},
            {"offset": 1.0, "kind": "note", "who": "Rita Interviewer", "text": "Good intro."},
            {"offset": 2.0, "kind": "chat", "who": "Zoë Müller", "text": "Can you see it?"},
            {"offset": 2.5, "kind": "screen_start", "who": "Zoë Müller", "text": ""},
            {"offset": 3.0, "kind": "bookmark", "who": "Rita Interviewer", "text": "Bookmark"},
            {"offset": 3.5, "kind": "muted", "who": "Zoë Müller", "text": ""},
            {"offset": 4.0, "kind": "paused", "who": "Rita Interviewer", "text": ""},
            {"offset": 4.0, "kind": "resumed", "who": "Rita Interviewer", "text": ""},
            {"offset": 4.5, "kind": "bookmark", "who": "Ivan Petrov", "text": "Ask <more>"},
            {"offset": None, "kind": "ended", "who": "Rita Interviewer", "text": ""},
        ],
        "chat": [
            {"offset": None, "who": "Rita Interviewer", "text": "Welcome, before we start"},
            {"offset": 0.8, "who": "Zoë Müller", "text": "Hello!"},
            {"offset": 2.0, "who": "Zoë Müller", "text": "Can you see it?"},
            {"offset": 3.2, "who": "Rita Interviewer", "text": "Yes, <clearly>."},
            {"offset": 4.6, "who": "Zoë Müller", "text": "Thanks"},
        ],
        "files": [
            {
                "name": "p-zoe__camera__1.webm",
                "label": "Zoë Müller — camera",
                "size": 1_234_567,
                "url": f"{BASE}/files/p-zoe__camera__1.webm",
            },
            {
                "name": "p-zoe__microphone__1.webm",
                "label": "Zoë Müller — microphone",
                "size": 98_304,
                "url": f"{BASE}/files/p-zoe__microphone__1.webm",
            },
        ],
        "share_links": [
            {
                "url": "http://127.0.0.1/share/abc123",
                "expires": "2026-03-10T13:00:00+00:00",
                "revoke_url": f"{BASE}/share/1/revoke",
            },
            {
                "url": None,
                "expires": "Monday 9 March 2026, 9:00",
                "revoke_url": f"{BASE}/share/2/revoke",
            },
        ],
        "consents": [
            {"who": "Zoë Müller", "at": "2026-03-03T12:59:30+00:00"},
            {"who": "Rita Interviewer", "at": "2026-03-03T12:58:00+00:00"},
        ],
        "csrf_token": "csrf-123",
        "delete_url": f"{BASE}/delete",
        "share_url": f"{BASE}/share",
        "status_url": f"{BASE}/status",
    }
    context.update(changes)
    return context


def review_page_environment() -> jinja2.Environment:
    return template_environment(lambda path: f"/static/{path}")


def render_review_page(**context: Any) -> str:
    """The page as the app's strict template environment renders it."""
    page = {**base_context(), **context}
    return review_page_environment().get_template("review/review.html").render(page)


class FakeReviewServer:
    """`await start()`, open `page_url`, change `context` / `report`, inspect `posts`."""

    def __init__(self, video: Path, **context: Any) -> None:
        self.video = video
        self.context = review_context(**context)
        self.report: dict[str, Any] = {"status": self.context["status"], "progress": 0.0}
        self.posts: list[tuple[str, dict[str, str]]] = []
        self.status_polls = 0
        self.page_loads = 0
        self.ranges: list[str] = []  # Range headers of the video requests
        self._runner: web.AppRunner | None = None
        self._templates: jinja2.Environment | None = None
        self.base_url = ""

    async def start(self) -> str:
        app = web.Application(middlewares=[self._headers])
        app.router.add_get(BASE, self._page)
        app.router.add_get(f"{BASE}/video.mp4", self._video)
        app.router.add_get(f"{BASE}/files/{{name}}", self._file)
        app.router.add_get(f"{BASE}/status", self._status)
        app.router.add_get("/share/{token}", self._shared)
        app.router.add_post(f"{BASE}/{{action:.+}}", self._post)
        app.router.add_static("/static/", STATIC_DIR, name="static", append_version=True)
        self._templates = template_environment(
            lambda path: str(app.router["static"].url_for(filename=path))
        )
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def page_url(self) -> str:
        return f"{self.base_url}{BASE}"

    @web.middleware
    async def _headers(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    async def _page(self, request: web.Request) -> web.Response:
        assert self._templates is not None
        self.page_loads += 1
        html = self._templates.get_template("review/review.html").render(
            {**base_context(), "request": request, **self.context}
        )
        return web.Response(
            text=html, content_type="text/html", headers={"Cache-Control": "no-store"}
        )

    async def _shared(self, request: web.Request) -> web.Response:
        """The page a share link opens (no account): the video only."""
        assert self._templates is not None
        html = self._templates.get_template("review/shared.html").render(
            {
                **base_context(),
                "request": request,
                "position": self.context["interview"]["position"],
                "candidate": self.context["interview"]["candidate_name"],
                "video_url": self.context["video_url"],
                "expires": "2026-03-10T13:00:00+00:00",
            }
        )
        return web.Response(text=html, content_type="text/html")

    async def _video(self, request: web.Request) -> web.FileResponse:
        self.ranges.append(request.headers.get("Range", ""))
        return web.FileResponse(self.video)

    async def _file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        return web.Response(
            body=b"webm",
            content_type="video/webm",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def _status(self, request: web.Request) -> web.Response:
        self.status_polls += 1
        return web.json_response(self.report)

    async def _post(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.posts.append((request.match_info["action"], {k: str(v) for k, v in form.items()}))
        raise web.HTTPSeeOther(BASE)
