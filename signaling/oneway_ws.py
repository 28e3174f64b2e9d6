"""The one-way answer socket (`/answer/{token}/ws`, docs/oneway.md): the live room's checks
(Origin, size and rate limits, `error` replies, the probe), one candidate publishing to the
server, and the take commands handed to the app's `AnswerSeat`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from signaling import messages as wire
from signaling import oneway_messages as answers
from signaling.oneway_ports import AnswerDesk, AnswerSeat, Refused
from signaling.ports import GateRefused, MediaEngine, MediaError
from signaling.ws import (
    HEARTBEAT_SECONDS,
    JOIN_TIMEOUT_SECONDS,
    POLICY_VIOLATION,
    TOO_MANY_STRIKES,
    JsonSocket,
    RateLimit,
    http_error,
    origin_allowed,
    refuse_on_socket,
    serve_probe,
)

log = logging.getLogger(__name__)

REPLACED = 4000  # another tab took the interview over (the page does not reconnect)
SERVICE_RESTART = 1012  # the page reconnects
TRY_AGAIN_LATER = 1013  # the page reconnects (with its backoff)


class _Events:
    """Media events to the candidate: offers; the rest is not shown."""

    def __init__(self, send: Callable[..., Awaitable[None]]) -> None:
        self.send = send

    async def offer(self, sdp: str, tracks: list[dict[str, str]]) -> None:
        await self.send("offer", sdp=sdp, tracks=tracks)

    async def connection_state(self, state: str) -> None:
        await self.send("media-state", state=state)

    async def audio_level(self, level: float) -> None:
        return None


def answer_socket_handler(
    *,
    desk: AnswerDesk,
    media: MediaEngine,
    allowed_origins: Callable[[], Collection[str]],
    token_of: Callable[[web.Request], str],
    register: Callable[[web.WebSocketResponse], None] = lambda ws: None,
    unregister: Callable[[web.WebSocketResponse], None] = lambda ws: None,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        if not origin_allowed(request.headers.get("Origin"), allowed_origins(), request.host):
            raise web.HTTPForbidden(text="This page may only be opened from our own site.")
        token = token_of(request)
        try:
            member = await desk.check_link(token)
        except GateRefused as exc:
            if exc.status in {409, 410}:
                return await refuse_on_socket(request, exc)
            raise http_error(exc) from None
        if request.query.get("probe") == "1":
            return await serve_probe(request, media, member, register, unregister)
        ws = web.WebSocketResponse(
            heartbeat=HEARTBEAT_SECONDS, max_msg_size=wire.MAX_TEXT_FRAME, compress=False
        )
        await ws.prepare(request)
        register(ws)
        connection = _Connection(ws, desk, media, token)
        try:
            await connection.run()
        finally:
            unregister(ws)
            # Shielded: a server that cancels handlers of lost connections (aiohttp's
            # handler_cancellation) must still discard the take and close the media.
            await asyncio.shield(connection.end())
        return ws

    return handler


class _Connection:
    def __init__(
        self, ws: web.WebSocketResponse, desk: AnswerDesk, media: MediaEngine, token: str
    ) -> None:
        self.ws = ws
        self.socket = JsonSocket(ws)
        self.desk = desk
        self.media = media
        self.token = token
        self.seat: AnswerSeat | None = None
        self.media_connected = False

    async def send(self, kind: str, **fields: Any) -> None:
        await self.socket.send(wire.encode(kind, **fields))

    async def error(self, code: str, message: str, in_reply_to: str | None = None) -> None:
        await self.socket.send(wire.error(code, message, in_reply_to=in_reply_to))

    async def close(self, why: str) -> None:
        """Closed by the app: its media goes first, then the socket."""
        if why == "replaced":  # another connection took the interview over: final
            await self.error("replaced", "This interview was opened in another tab or window.")
            code, text = REPLACED, b"Opened in another tab"
        else:  # the media plane lost the room: the page reconnects and rejoins
            code, text = SERVICE_RESTART, b"Media server restarted; reconnecting"
        await self.drop_media()
        await self.ws.close(code=code, message=text)

    async def drop_media(self) -> None:
        if self.media_connected and self.seat is not None:
            self.media_connected = False
            with contextlib.suppress(Exception):
                await self.media.disconnect(self.seat.room_id, self.seat.participant_id)

    async def run(self) -> None:
        limit = RateLimit()
        strikes = 0
        joined_by = time.monotonic() + JOIN_TIMEOUT_SECONDS
        while not self.ws.closed:
            timeout = None if self.seat else max(0.0, joined_by - time.monotonic())
            try:
                frame = await self.ws.receive(timeout=timeout)
            except TimeoutError:
                await self.ws.close(code=POLICY_VIOLATION, message=b"No join message")
                return
            if frame.type in {WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED}:
                return
            if frame.type is WSMsgType.ERROR:
                return
            if frame.type is not WSMsgType.TEXT:
                await self.error("binary_frame", "Only JSON text is accepted.")
                strikes += 1
            elif not limit.allow(time.monotonic()):
                await self.error("rate_limited", "Too many messages; slow down.")
                strikes += 1
            else:
                try:
                    message = answers.decode(frame.data)
                except wire.ProtocolError as exc:
                    await self.error(exc.code, exc.message)
                    strikes += 1
                else:
                    await self.handle(message)
            if strikes >= TOO_MANY_STRIKES:
                await self.ws.close(code=POLICY_VIOLATION, message=b"Too many invalid messages")
                return

    async def handle(self, message: answers.AnyAnswerMessage) -> None:
        kind = message.type
        try:
            if isinstance(message, wire.Ping):
                await self.send("pong", t=message.t)
            elif isinstance(message, answers.Join):
                await self.join(message)
            elif self.seat is None:
                await self.error("join_first", 'Send "join" first.', in_reply_to=kind)
            elif isinstance(message, wire.Answer):
                await self.media.accept_answer(
                    self.seat.room_id, self.seat.participant_id, message.sdp
                )
            elif isinstance(message, wire.Candidate):
                await self.media.add_ice_candidate(
                    self.seat.room_id,
                    self.seat.participant_id,
                    message.candidate,
                    message.sdpMid,
                    message.sdpMLineIndex,
                )
            elif isinstance(message, answers.TakeStart):
                await self.seat.start_take(message.question)
            elif isinstance(message, answers.TakeStop):
                await self.seat.stop_take(message.take)
            elif isinstance(message, answers.Keep):
                await self.seat.keep(message.take)
        except Refused as exc:
            await self.error(exc.code, exc.message, in_reply_to=kind)
        except MediaError as exc:
            await self.error("media", exc.message, in_reply_to=kind)

    async def join(self, message: answers.Join) -> None:
        if self.seat is not None:
            await self.error("already_joined", "You have joined already.", in_reply_to="join")
            return
        seat = await self.desk.seat(
            self.token,
            consent=message.consent,
            take_over=message.take_over,
            send=self.send,
            close=self.close,
        )
        self.seat = seat
        await self.send("welcome", **seat.welcome())
        try:
            await self.media.connect(seat.room_id, seat.participant_id, _Events(self.send))
            self.media_connected = True
        except MediaError as exc:
            # No media, no answers: free the interview and let the page try again later.
            await self.error("media", exc.message, in_reply_to="join")
            await self.ws.close(code=TRY_AGAIN_LATER, message=b"Media server unavailable")

    async def end(self) -> None:
        """Whatever ended the socket: the seat is released, then the media connection."""
        if self.seat is not None:
            try:
                await self.seat.release()
            except Exception:
                log.exception("releasing the answer seat failed")
            await self.drop_media()
            self.seat = None
        if not self.ws.closed:
            with contextlib.suppress(Exception):
                await self.ws.close(code=WSCloseCode.OK)
