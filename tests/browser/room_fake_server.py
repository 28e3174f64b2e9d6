"""A stand-in for the room's signaling server, for testing the browser client on its own.

It serves the real join-page templates and static files and speaks docs/signaling.md on a
WebSocket, validating every client frame with the real codec (`signaling.messages.decode`).
Media is real: an aiortc peer connection offers the three receive slots and loops the
browser's own microphone, camera and screen back as another participant ("Ivan"), or, in probe
mode, echoes the camera, so the browser's getStats() shows frames decoded. ICE stays on 127.0.0.1.
Recording consent, the recording's state and interviewers' notes behave as signaling/hub.py's do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import jinja2
from aiohttp import WSMsgType, web
from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaBlackhole
from aiortc.mediastreams import MediaStreamTrack
from aiortc.sdp import candidate_from_sdp

from liveinterview.paths import STATIC_DIR, TEMPLATES_DIR
from liveinterview.web.middleware import CONTENT_SECURITY_POLICY
from signaling.messages import ProtocolError, decode

TOKEN = "fake-join-token"
ME = "p-zoe"
IVAN: dict[str, Any] = {
    "id": "p-ivan",
    "name": "Ivan Petrov",
    "role": "interviewer",
    "audio": True,
    "video": True,
    "screen": False,
    "connection": "connected",
    "quality": "good",
}
RECORDING_NOTICE = (
    "This interview is recorded. The hiring team watches the recording to decide; "
    "it is deleted after 90 days."
)


def page_defaults() -> dict[str, Any]:
    """The context the real page handler is asked to pass (see the report)."""
    return {
        "position": "Backend Engineer",
        "when_text": "Tuesday 3 March 2026, 14:00–15:00 (Europe/Berlin)",
        "participant_name": "Zoë Müller",
        "role": "candidate",
        "ice_servers": [],
        "recorded": True,
        "recording_notice": RECORDING_NOTICE,
    }


def template_environment(static: Callable[[str], str]) -> jinja2.Environment:
    """Like the app's (liveinterview/web/render.py): strict about missing context variables."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=True),
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(static=static, url=lambda name, **parts: "/")
    return env


def base_context() -> dict[str, Any]:
    """What base.html needs from the app's page_context(), for an anonymous visitor."""
    return {
        "user": None,
        "can": lambda permission: False,
        "csrf_token": "",
        "request_id": "",
        "notice": None,
    }


@contextlib.contextmanager
def loopback_ice() -> Iterator[None]:
    """aioice skips 127.0.0.1 when gathering; these tests use nothing else."""
    with mock.patch("aioice.ice.get_host_addresses", return_value=["127.0.0.1"]):
        yield


@dataclass(eq=False)
class Connection:
    """One browser WebSocket and, once offered, its peer connection."""

    number: int
    ws: web.WebSocketResponse
    probe: bool
    transport: asyncio.Transport | None
    pc: RTCPeerConnection | None = None
    sinks: list[MediaBlackhole] = field(default_factory=list)
    tasks: list[asyncio.Future[None]] = field(default_factory=list)

    async def close_media(self) -> None:
        for sink in self.sinks:
            await sink.stop()
        self.sinks.clear()
        self.tasks.clear()
        if self.pc is not None:
            await self.pc.close()
            self.pc = None


class FakeRoomServer:
    """`await start()`, open `page_url` in a browser, then drive and inspect the conversation."""

    def __init__(self, **page: Any) -> None:
        self.page: dict[str, Any] = {**page_defaults(), **page}
        self.state = "room"  # what `welcome.state` says: "room" or "lobby"
        self.others: list[dict[str, Any]] = [dict(IVAN)]
        self.waiting: list[dict[str, Any]] = []  # the lobby, as interviewers see it
        # The app's own Content-Security-Policy, optionally with a script nonce for the page.
        self.csp_nonce: str | None = None
        self.static_requests: list[str] = []  # path?query of every static file served
        self.received: list[tuple[int, dict[str, Any]]] = []  # (connection number, message)
        self.protocol_errors: list[tuple[dict[str, Any] | str, str]] = []
        self.connections: list[Connection] = []
        self.chat_history: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []  # what interviewers see in welcome.notes
        # welcome.recording; None: "recording" for a recorded interview, else "off".
        self.recording: dict[str, Any] | None = None
        self._runner: web.AppRunner | None = None
        self._patch = loopback_ice()
        self.base_url = ""
        self._templates: jinja2.Environment | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> str:
        self._patch.__enter__()
        app = web.Application(middlewares=[self._headers])
        app.router.add_get("/join/{token}", self._page, name="join")
        app.router.add_get("/join/{token}/ws", self._socket, name="join_ws")
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
        for conn in self.connections:
            await conn.close_media()
            await conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
        self._patch.__exit__(None, None, None)

    @property
    def page_url(self) -> str:
        return f"{self.base_url}/join/{TOKEN}"

    # --- what tests call ---------------------------------------------------------------------

    def messages(self, kind: str, *, probe: bool | None = None) -> list[dict[str, Any]]:
        """Client messages of one type, in order (optionally only probe or only room sockets)."""
        wanted = {c.number for c in self.connections if probe is None or c.probe == probe}
        return [m for n, m in self.received if m.get("type") == kind and n in wanted]

    def room_connection(self) -> Connection:
        """The newest non-probe connection."""
        return [c for c in self.connections if not c.probe][-1]

    async def send(self, kind: str, **fields: Any) -> None:
        await self.room_connection().ws.send_str(json.dumps({"type": kind, **fields}))

    async def send_raw(self, frame: str) -> None:
        await self.room_connection().ws.send_str(frame)

    async def close_socket(self, code: int, reason: str) -> None:
        """Close the newest room connection on purpose, with a close code."""
        await self.room_connection().ws.close(code=code, message=reason.encode())

    async def drop(self) -> None:
        """Cut the newest room connection like a network blip: no close frame, no `leave`."""
        conn = self.room_connection()
        assert conn.transport is not None
        conn.transport.abort()
        await conn.close_media()

    async def admit(self) -> None:
        """Let a candidate in from the lobby: `admitted`, then the offer."""
        self.state = "room"
        await self.send("admitted")
        await self._offer(self.room_connection())

    async def wait_until(
        self, condition: Callable[[], object], *, within: float = 20, what: str = ""
    ) -> None:
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or condition}")
            await asyncio.sleep(0.05)

    # --- HTTP --------------------------------------------------------------------------------

    @web.middleware
    async def _headers(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/static/"):
            self.static_requests.append(request.path_qs)
        response: web.StreamResponse = await handler(request)
        policy = CONTENT_SECURITY_POLICY
        if self.csp_nonce:
            policy = policy.replace(
                "script-src 'self'", f"script-src 'self' 'nonce-{self.csp_nonce}'"
            )
        response.headers.setdefault("Content-Security-Policy", policy)
        return response

    async def _page(self, request: web.Request) -> web.Response:
        assert self._templates is not None
        context = {
            **base_context(),
            "request": request,
            "ws_url": f"ws://{request.host}/join/{request.match_info['token']}/ws",
            **self.page,
        }
        if self.csp_nonce:
            context["csp_nonce"] = self.csp_nonce
        html = self._templates.get_template("room/prejoin.html").render(context)
        return web.Response(
            text=html, content_type="text/html", headers={"Cache-Control": "no-store"}
        )

    # --- WebSocket ---------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=64 * 1024)
        await ws.prepare(request)
        conn = Connection(
            number=len(self.connections) + 1,
            ws=ws,
            probe=request.query.get("probe") == "1",
            transport=request.transport,
        )
        self.connections.append(conn)
        if conn.probe:
            await self._offer(conn)  # the probe needs no join: the echo test starts at once
        try:
            async for frame in ws:
                if frame.type == WSMsgType.TEXT:
                    await self._receive(conn, frame.data)
        finally:
            await conn.close_media()
        return ws

    async def _receive(self, conn: Connection, frame: str) -> None:
        try:
            message = decode(frame)
        except ProtocolError as exc:
            self.protocol_errors.append((frame, exc.message))
            await conn.ws.send_str(
                json.dumps({"type": "error", "code": exc.code, "message": exc.message})
            )
            return
        data = message.model_dump(exclude_none=True)
        self.received.append((conn.number, data))
        handler = getattr(self, f"_on_{data['type']}", None)
        if handler is not None:
            await handler(conn, data)

    async def _reply(self, conn: Connection, kind: str, **fields: Any) -> None:
        await conn.ws.send_str(json.dumps({"type": kind, **fields}))

    async def _on_ping(self, conn: Connection, data: dict[str, Any]) -> None:
        await self._reply(conn, "pong", t=data["t"])

    async def _on_join(self, conn: Connection, data: dict[str, Any]) -> None:
        if self.page["recorded"] and not data.get("consent"):
            # As the hub refuses it: an error naming the cause, then close 4003.
            await self._reply(
                conn,
                "error",
                code="consent_required",
                message="This interview is recorded: please confirm the recording notice to join.",
                in_reply_to="join",
            )
            await conn.ws.close(code=4003, message=b"Consent to the recording is required")
            return
        if self.recording is None:
            self.recording = {"state": "recording" if self.page["recorded"] else "off"}
        interviewer = self.page["role"] == "interviewer"
        you = {
            "id": ME,
            "name": data.get("name", self.page["participant_name"]),
            "role": self.page["role"],
            "audio": data["audio"],
            "video": data["video"],
            "screen": False,
            "connection": "connected",
            "quality": "good",
        }
        await self._reply(
            conn,
            "welcome",
            you=you,
            # The real hub leaves `you` out; listing it too checks the client skips it.
            participants=[you, *self.others],
            ice_servers=[],
            state=self.state,
            recorded=self.page["recorded"],
            recording=self.recording,
            notes=self.notes if interviewer else [],
            chat=self.chat_history[-50:],
            interview={
                "position": self.page["position"],
                "start": "2026-03-03T13:00:00Z",
                "end": "2026-03-03T14:00:00Z",
            },
            # Beyond docs/signaling.md, as signaling/hub.py sends it: the lobby, to interviewers.
            waiting=self.waiting if interviewer else [],
        )
        if self.state == "room":
            await self._offer(conn)

    async def _on_answer(self, conn: Connection, data: dict[str, Any]) -> None:
        assert conn.pc is not None, "an answer without an offer"
        await conn.pc.setRemoteDescription(RTCSessionDescription(sdp=data["sdp"], type="answer"))

    async def _on_candidate(self, conn: Connection, data: dict[str, Any]) -> None:
        text = data["candidate"]
        if conn.pc is None or not text:
            return
        candidate = candidate_from_sdp(text.removeprefix("candidate:"))
        if candidate.ip != "127.0.0.1" or candidate.protocol != "udp":
            return  # loopback only
        candidate.sdpMid = data.get("sdpMid")
        candidate.sdpMLineIndex = data.get("sdpMLineIndex")
        await conn.pc.addIceCandidate(candidate)

    async def _on_chat(self, conn: Connection, data: dict[str, Any]) -> None:
        message = {
            "type": "chat",
            "id": f"c{len(self.chat_history) + 1}",
            "from": {"id": ME, "name": self.page["participant_name"]},
            "text": data["text"],
            "at": datetime.now(UTC).isoformat(),
        }
        self.chat_history.append(message)
        await conn.ws.send_str(json.dumps(message))

    async def _on_recording(self, conn: Connection, data: dict[str, Any]) -> None:
        if self.page["role"] != "interviewer":
            await self._reply(
                conn,
                "error",
                code="forbidden",
                message="Only interviewers can pause or resume the recording.",
                in_reply_to="recording",
            )
            return
        self.recording = {"state": "paused" if data["paused"] else "recording"}
        await self._reply(conn, "recording", **self.recording)

    async def _on_note(self, conn: Connection, data: dict[str, Any]) -> None:
        if self.page["role"] != "interviewer":
            await self._reply(
                conn,
                "error",
                code="forbidden",
                message="Only interviewers can take notes.",
                in_reply_to="note",
            )
            return
        note = {
            "id": f"n{len(self.notes) + 1}",
            "from": {"id": ME, "name": self.page["participant_name"]},
            "text": data["text"],
            "bookmark": data["bookmark"],
            "at": datetime.now(UTC).isoformat(),
        }
        self.notes.append(note)
        await self._reply(conn, "note", **note)

    async def _on_end(self, conn: Connection, data: dict[str, Any]) -> None:
        await self._reply(conn, "ended", by=self.page["participant_name"])
        await conn.ws.close()

    async def _on_leave(self, conn: Connection, data: dict[str, Any]) -> None:
        await conn.ws.close()

    # --- media -------------------------------------------------------------------------------

    async def _offer(self, conn: Connection) -> None:
        """Offer mic/camera/screen receive slots, plus send slots that loop the browser back."""
        await conn.close_media()
        # MAX_BUNDLE: under aiortc's default (BALANCED) a second transceiver of one kind stays on
        # its own transport, which the browser's BUNDLE answer closes: it would never send.
        pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        conn.pc = pc
        mic = pc.addTransceiver("audio", direction="recvonly")
        camera = pc.addTransceiver("video", direction="recvonly")
        screen = pc.addTransceiver("video", direction="recvonly")
        loops: list[tuple[RTCRtpTransceiver, RTCRtpTransceiver, str, str]] = []
        if conn.probe:
            echo = pc.addTransceiver("video", direction="sendonly")
            loops.append((camera, echo, "probe-echo", "camera"))
        else:
            ivan_mic = pc.addTransceiver("audio", direction="sendonly")
            ivan_camera = pc.addTransceiver("video", direction="sendonly")
            ivan_screen = pc.addTransceiver("video", direction="sendonly")
            loops += [
                (mic, ivan_mic, IVAN["id"], "microphone"),
                (camera, ivan_camera, IVAN["id"], "camera"),
                (screen, ivan_screen, IVAN["id"], "screen"),
            ]

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            for slot, sender, _, _ in loops:
                if slot.receiver.track is track:
                    sender.sender.replaceTrack(track)  # read (and re-encoded) by the sender
                    return
            # Every other track is drained from the start, or it would buffer without limit.
            sink = MediaBlackhole()
            sink.addTrack(track)
            conn.sinks.append(sink)
            conn.tasks.append(asyncio.ensure_future(sink.start()))

        await pc.setLocalDescription(await pc.createOffer())
        tracks = [
            {"mid": sender.mid, "participant": who, "source": source}
            for _, sender, who, source in loops
        ]
        await self._reply(conn, "offer", sdp=pc.localDescription.sdp, tracks=tracks)
