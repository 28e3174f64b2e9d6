"""The WebSocket endpoint: origin and token check, then a receive loop into the hub."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from signaling import messages as wire
from signaling.hub import Hub, Session
from signaling.ports import Admission, GateRefused, MediaEngine, MediaError, RoomGate

log = logging.getLogger(__name__)

JOIN_TIMEOUT_SECONDS = 15.0
HEARTBEAT_SECONDS = 20.0
POLICY_VIOLATION = 1008
FINAL_REFUSAL = 4003  # the client must not reconnect: the reason is in the last message
PROBE_SECONDS = 120.0  # a connection check holds a peer connection this long at most
TOO_MANY_STRIKES = 10


@dataclass
class RateLimit:
    """A token bucket: `burst` messages at once, refilled at `per_second`."""

    burst: float = 20.0
    per_second: float = 10.0
    tokens: float = 20.0
    stamp: float = 0.0

    def allow(self, now: float, cost: float = 1.0) -> bool:
        if self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.per_second)
        self.stamp = now
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True


class JsonSocket:
    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self._lock = asyncio.Lock()

    async def send(self, text: str) -> None:
        async with self._lock:  # aiohttp forbids concurrent writes on one socket
            if not self.ws.closed:
                await self.ws.send_str(text)

    async def close(self, code: int, reason: str) -> None:
        await self.ws.close(code=code, message=reason.encode()[:120])


def origin_allowed(origin: str | None, allowed: Collection[str], request_host: str) -> bool:
    """Browsers always send Origin on WebSockets; it must be our own site."""
    if not origin:
        return False
    parts = urlsplit(origin)
    if not parts.scheme or not parts.netloc:
        return False
    candidate = f"{parts.scheme}://{parts.netloc}"
    return candidate in allowed or parts.netloc == request_host


def websocket_handler(
    *,
    hub: Hub,
    gate: RoomGate,
    allowed_origins: Callable[[], Collection[str]],
    token_of: Callable[[web.Request], str],
    register: Callable[[web.WebSocketResponse], None] = lambda ws: None,
    unregister: Callable[[web.WebSocketResponse], None] = lambda ws: None,
    max_message_bytes: int = wire.MAX_TEXT_FRAME,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Build the aiohttp handler for `/join/{token}/ws`."""

    async def handler(request: web.Request) -> web.StreamResponse:
        if not origin_allowed(request.headers.get("Origin"), allowed_origins(), request.host):
            raise web.HTTPForbidden(text="This page may only be opened from our own site.")
        if request.query.get("probe") == "1":
            return await _probe(request, hub, gate, token_of(request), register, unregister)
        try:
            admission = await gate.admit(token_of(request))
        except GateRefused as exc:
            if exc.status in {409, 410}:
                # A valid link at the wrong time: say why on the socket and close for good
                # (4003), because a browser sees an HTTP refusal as a network failure and
                # would keep reconnecting.
                return await refuse_on_socket(request, exc)
            raise http_error(exc) from None
        ws = web.WebSocketResponse(
            heartbeat=HEARTBEAT_SECONDS, max_msg_size=max_message_bytes, compress=False
        )
        await ws.prepare(request)
        register(ws)
        socket = JsonSocket(ws)
        session: Session | None = None
        limit = RateLimit()
        strikes = 0
        try:
            session = await _await_join(ws, socket, hub, admission)
            if session is None:
                return ws
            async for frame in ws:
                if frame.type is WSMsgType.ERROR:
                    break
                if frame.type is WSMsgType.BINARY:
                    await socket.send(wire.error("binary_frame", "Only JSON text is accepted."))
                    strikes += 1
                elif frame.type is WSMsgType.TEXT:
                    if not limit.allow(time.monotonic()):
                        await socket.send(
                            wire.error("rate_limited", "Too many messages; slow down.")
                        )
                        strikes += 1
                    else:
                        try:
                            message = wire.decode(frame.data)
                        except wire.ProtocolError as exc:
                            await socket.send(wire.error(exc.code, exc.message))
                            strikes += 1
                        else:
                            if message.type == "chat" and not limit.allow(time.monotonic(), 4):
                                await socket.send(
                                    wire.error("rate_limited", "Too many chat messages.")
                                )
                            else:
                                await hub.handle(session, message)
                if strikes >= TOO_MANY_STRIKES:
                    await ws.close(code=POLICY_VIOLATION, message=b"Too many invalid messages")
                    break
                if session.closed:
                    break
        finally:
            unregister(ws)
            if session is not None and not session.closed:
                await hub.disconnected(session)
            if not ws.closed:
                with contextlib.suppress(Exception):
                    await ws.close()
        return ws

    return handler


async def refuse_on_socket(request: web.Request, exc: GateRefused) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(max_msg_size=wire.MAX_TEXT_FRAME)
    await ws.prepare(request)
    code = "not_open" if exc.status == 409 else "closed"
    await ws.send_str(wire.error(code, exc.message))
    await ws.close(code=FINAL_REFUSAL, message=exc.message.encode()[:120])
    return ws


def http_error(exc: GateRefused) -> web.HTTPException:
    kinds: dict[int, type[web.HTTPException]] = {
        403: web.HTTPForbidden,
        404: web.HTTPNotFound,
        409: web.HTTPConflict,
        410: web.HTTPGone,
    }
    return kinds.get(exc.status, web.HTTPBadRequest)(text=exc.message)


async def _await_join(
    ws: web.WebSocketResponse, socket: JsonSocket, hub: Hub, admission: Admission
) -> Session | None:
    """The first message must be `join`, within a few seconds."""
    while True:
        try:
            frame = await ws.receive(timeout=JOIN_TIMEOUT_SECONDS)
        except TimeoutError:
            await ws.close(code=POLICY_VIOLATION, message=b"No join message")
            return None
        if frame.type in {WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR}:
            return None
        if frame.type is not WSMsgType.TEXT:
            await socket.send(wire.error("binary_frame", "Only JSON text is accepted."))
            continue
        try:
            message = wire.decode(frame.data)
        except wire.ProtocolError as exc:
            await socket.send(wire.error(exc.code, exc.message))
            continue
        if isinstance(message, wire.Ping):
            await socket.send(wire.encode("pong", t=message.t))
            continue
        if not isinstance(message, wire.Join):
            await socket.send(
                wire.error("join_first", 'Send "join" first.', in_reply_to=message.type)
            )
            continue
        try:
            return await hub.join(admission, socket, message)
        except Exception as exc:  # RoomError and friends: tell the client, close politely
            code = getattr(exc, "code", "refused")
            text = getattr(exc, "message", "You cannot join this room now.")
            if code == "refused":
                log.exception("join failed")
            await socket.send(wire.error(code, text, in_reply_to="join"))
            await ws.close(code=FINAL_REFUSAL, message=text.encode()[:120])
            return None


class _ProbeEvents:
    """Media events of a probe: only the offer matters."""

    def __init__(self, socket: JsonSocket) -> None:
        self.socket = socket

    async def offer(self, sdp: str, tracks: list[dict[str, str]]) -> None:
        await self.socket.send(wire.encode("offer", sdp=sdp, tracks=tracks))

    async def connection_state(self, state: str) -> None:
        return None

    async def audio_level(self, level: float) -> None:
        return None


async def _probe(
    request: web.Request,
    hub: Hub,
    gate: RoomGate,
    token: str,
    register: Callable[[web.WebSocketResponse], None],
    unregister: Callable[[web.WebSocketResponse], None],
) -> web.StreamResponse:
    """The pre-join check: ping/pong for the round trip, and a peer connection that sends the
    participant's camera straight back, so the page can see media really flow. Allowed before
    the room opens; it is nobody's seat and ends after PROBE_SECONDS."""
    try:
        admission = await gate.identify(token)
    except GateRefused as exc:
        if exc.status in {409, 410}:
            return await refuse_on_socket(request, exc)
        raise http_error(exc) from None
    return await serve_probe(request, hub.media, admission.participant_id, register, unregister)


async def serve_probe(
    request: web.Request,
    media: MediaEngine,
    member: str,
    register: Callable[[web.WebSocketResponse], None],
    unregister: Callable[[web.WebSocketResponse], None],
) -> web.StreamResponse:
    """The probe's socket for an identified participant (also the one-way portal's check)."""
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, max_msg_size=wire.MAX_TEXT_FRAME)
    await ws.prepare(request)
    register(ws)
    socket = JsonSocket(ws)
    room_id = f"probe-{secrets.token_hex(8)}"
    limit = RateLimit()
    try:
        await media.connect_probe(room_id, member, _ProbeEvents(socket))
        async with asyncio.timeout(PROBE_SECONDS):
            async for frame in ws:
                if frame.type is not WSMsgType.TEXT:
                    break
                if not limit.allow(time.monotonic()):
                    await socket.send(wire.error("rate_limited", "Too many messages; slow down."))
                    continue
                try:
                    message = wire.decode(frame.data)
                    if isinstance(message, wire.Ping):
                        await socket.send(wire.encode("pong", t=message.t))
                    elif isinstance(message, wire.Answer):
                        await media.accept_answer(room_id, member, message.sdp)
                    elif isinstance(message, wire.Candidate):
                        await media.add_ice_candidate(
                            room_id,
                            member,
                            message.candidate,
                            message.sdpMid,
                            message.sdpMLineIndex,
                        )
                    else:
                        await socket.send(
                            wire.error(
                                "probe_only",
                                "This is the connection check; join the room from the page.",
                                in_reply_to=message.type,
                            )
                        )
                except wire.ProtocolError as exc:
                    await socket.send(wire.error(exc.code, exc.message))
                except MediaError as exc:
                    await socket.send(wire.error("media", exc.message))
    except TimeoutError:
        await ws.close(code=1000, message=b"Connection check finished")
    finally:
        unregister(ws)
        await media.close_room(room_id)
        if not ws.closed:
            await ws.close()
    return ws
