"""A candidate's browser played by a real aiortc peer over the real answer WebSocket.

Like static/js/oneway/portal.js: it joins with consent, answers every server offer by filling
the microphone and camera receive slots with a 440 Hz tone and a moving pattern (loopback ICE
only), and sends the take commands. Server messages other than offers queue up for `next`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aiohttp
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcconfiguration import RTCBundlePolicy

from liveinterview.media.ice_hosts import gather_on, ice_connection
from tests.media.clients import LOOPBACK, PatternTrack, ToneTrack, eventually

WAIT = 30.0


class AnswerClient:
    def __init__(self, session: aiohttp.ClientSession, url: str, origin: str) -> None:
        self.session = session
        self.url = url
        self.origin = origin
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.tracks: list[MediaStreamTrack] = [ToneTrack(), PatternTrack()]
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.offers = 0
        self.close_code: int | None = None
        self._gathered = False
        self._reader: asyncio.Task[None] | None = None

    async def open(self) -> AnswerClient:
        self.ws = await self.session.ws_connect(self.url, headers={"Origin": self.origin})
        self._reader = asyncio.ensure_future(self._read())
        return self

    async def send(self, message: dict[str, Any] | str | bytes) -> None:
        assert self.ws is not None
        if isinstance(message, bytes):
            await self.ws.send_bytes(message)
        elif isinstance(message, str):
            await self.ws.send_str(message)
        else:
            await self.ws.send_str(json.dumps(message))

    async def next(self, kind: str, *, within: float = WAIT) -> dict[str, Any]:
        """The next message of this type (earlier ones of other types are dropped)."""
        async with asyncio.timeout(within):
            while True:
                message = await self.inbox.get()
                if message["type"] == kind:
                    return message
                if message["type"] == "error" and kind != "error":
                    raise AssertionError(f"waiting for {kind}, got {message}")

    async def join(self, *, take_over: bool = False) -> dict[str, Any]:
        await self.send({"type": "join", "consent": True, "take_over": take_over})
        return await self.next("welcome")

    async def connected(self, *, within: float = WAIT) -> None:
        await eventually(lambda: self.pc.connectionState == "connected", within=within)

    async def start(self, question: int) -> dict[str, Any]:
        await self.send({"type": "take-start", "question": question})
        return await self.next("take-started")

    async def stop(self, take: int) -> dict[str, Any]:
        await self.send({"type": "take-stop", "take": take})
        return await self.next("take-stopped")

    async def error(self, message: dict[str, Any]) -> dict[str, Any]:
        await self.send(message)
        return await self.next("error")

    async def _read(self) -> None:
        assert self.ws is not None
        async for frame in self.ws:
            if frame.type is not aiohttp.WSMsgType.TEXT:
                break
            message = json.loads(frame.data)
            if message["type"] == "offer":
                await self._answer(message["sdp"])
            else:
                await self.inbox.put(message)
        self.close_code = self.ws.close_code
        await self.inbox.put({"type": "closed", "code": self.ws.close_code})

    async def _answer(self, sdp: str) -> None:
        self.offers += 1
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        if not self._gathered:
            await gather_on(ice_connection(self.pc), [LOOPBACK])
            self._gathered = True
        transceivers = self.pc.getTransceivers()
        audio = next(t for t in transceivers if t.kind == "audio")
        video = next(t for t in transceivers if t.kind == "video")
        for transceiver, track in ((audio, self.tracks[0]), (video, self.tracks[1])):
            transceiver.direction = "sendonly"
            if transceiver.sender.track is not track:
                transceiver.sender.replaceTrack(track)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await self.send({"type": "answer", "sdp": self.pc.localDescription.sdp})

    async def drop(self) -> None:
        """Gone without a word: the peer connection and the socket just end."""
        await self.close()

    async def close(self) -> None:
        await self.pc.close()
        for track in self.tracks:
            track.stop()
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
