"""Browsers played by real aiortc peers, and the `MediaEvents` double that links them.

A `ClientPeer` behaves like static/js/room/peer.js: it answers every server offer in order,
fills its three receive slots (the first audio and the first two video sections) with its
own microphone, camera and screen tracks, and counts the frames it decodes from each other
participant. Everything runs on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import os
import struct
import time
from collections import Counter, deque
from collections.abc import Callable

from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcconfiguration import RTCBundlePolicy
from av import AudioFrame, VideoFrame

from liveinterview.media import sdp_text
from liveinterview.media.engine import AiortcEngine
from liveinterview.media.ice_hosts import gather_on, ice_connection
from signaling.ports import MediaError

LOOPBACK = "127.0.0.1"


class ToneTrack(MediaStreamTrack):
    """A 440 Hz microphone at about -10 dBov, paced in real time (20 ms frames)."""

    kind = "audio"

    def __init__(self, amplitude: float = 0.3) -> None:
        super().__init__()
        samples = [
            int(amplitude * 32767 * math.sin(2 * math.pi * 440 * n / 48000)) for n in range(960)
        ]
        self._pcm = struct.pack(f"<{len(samples)}h", *samples)
        self._start: float | None = None
        self._count = 0

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            await asyncio.sleep(max(0.0, self._start + self._count * 0.02 - time.monotonic()))
        frame = AudioFrame(format="s16", layout="mono", samples=960)
        frame.planes[0].update(self._pcm)
        frame.sample_rate = 48000
        frame.pts = self._count * 960
        frame.time_base = fractions.Fraction(1, 48000)
        self._count += 1
        return frame


class PatternTrack(MediaStreamTrack):
    """A small camera: a moving gradient with a noisy band, so frames span several packets."""

    kind = "video"

    def __init__(self, width: int = 320, height: int = 240, fps: int = 15) -> None:
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self._row = bytes(range(256)) * (width // 256 + 2)
        self._start: float | None = None
        self._count = 0

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            due = self._start + self._count / self.fps
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        shift = (self._count * 3) % 256
        band = self.height // 8
        luma = self._row[shift : shift + self.width] * (self.height - band)
        luma += os.urandom(self.width * band)
        frame = VideoFrame(width=self.width, height=self.height, format="yuv420p")
        frame.planes[0].update(luma)
        chroma = bytes([128]) * (self.width // 2 * self.height // 2)
        frame.planes[1].update(chroma)
        frame.planes[2].update(chroma)
        frame.pts = self._count * (90000 // self.fps)
        frame.time_base = fractions.Fraction(1, 90000)
        self._count += 1
        return frame


class ClientEvents:
    """The `MediaEvents` double: offers go to the client peer, the rest is recorded."""

    def __init__(self, client: ClientPeer) -> None:
        self.client = client

    async def offer(self, sdp: str, tracks: list[dict[str, str]]) -> None:
        self.client.offers.append(sdp)
        self.client.track_maps.append(tracks)
        self.client.unanswered.append(sdp)
        self.client._new_offer.set()

    async def connection_state(self, state: str) -> None:
        self.client.states.append(state)

    async def audio_level(self, level: float) -> None:
        self.client.levels.append(level)


class ClientPeer:
    def __init__(
        self,
        engine: AiortcEngine,
        room_id: str,
        participant_id: str,
        *,
        publish: bool = True,
        answering: bool = True,
    ) -> None:
        self.engine = engine
        self.room_id = room_id
        self.participant_id = participant_id
        self._answering = asyncio.Event()
        self.answering = answering
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.events = ClientEvents(self)
        self.offers: list[str] = []
        self.track_maps: list[list[dict[str, str]]] = []  # the `tracks` sent with each offer
        self.answers: list[str] = []
        self.states: list[str] = []
        self.levels: list[float] = []
        self.answer_errors: list[MediaError] = []
        self.unanswered: deque[str] = deque()  # offers not answered yet, oldest first
        self._new_offer = asyncio.Event()
        self.local: dict[str, MediaStreamTrack | None] = {
            "microphone": ToneTrack() if publish else None,
            "camera": PatternTrack() if publish else None,
            "screen": None,
        }
        self.slots: dict[str, RTCRtpTransceiver] = {}
        self.keyframe_requests = 0  # PLIs/FIRs that reached our camera's sender
        self.decoded: Counter[tuple[str, str]] = Counter()  # (participant, source) -> frames
        self.mapping: dict[str, tuple[str, str]] = {}  # mid -> (participant, source)
        self._readers: list[asyncio.Task[None]] = []
        self._gathered = False
        self.pc.on("track", self._on_track)
        self._answerer = asyncio.ensure_future(self._answer_offers())

    async def join(self) -> None:
        await self.engine.connect(self.room_id, self.participant_id, self.events)

    async def answer_next(self) -> str:
        """Answer the oldest unanswered offer now (for clients that do not answer by themselves)."""
        return await self._answer(self.unanswered.popleft())

    @property
    def answering(self) -> bool:
        return self._answering.is_set()

    @answering.setter
    def answering(self, value: bool) -> None:
        if value:
            self._answering.set()
        else:
            self._answering.clear()

    async def _answer_offers(self) -> None:
        while True:
            await self._answering.wait()
            if not self.unanswered:
                self._new_offer.clear()
                await self._new_offer.wait()
                continue
            sdp = self.unanswered.popleft()
            try:
                await self._answer(sdp)
            except MediaError as exc:
                self.answer_errors.append(exc)

    async def _answer(self, sdp: str) -> str:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        if not self._gathered:
            await gather_on(ice_connection(self.pc), [LOOPBACK])
            self._gathered = True
        self._fill_slots()
        self.mapping = {
            mid: (participant, source) for mid, (participant, source) in sdp_text.msids(sdp).items()
        }
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        answer = self.pc.localDescription.sdp
        self.answers.append(answer)
        await self.engine.accept_answer(self.room_id, self.participant_id, answer)
        return answer

    def _fill_slots(self) -> None:
        if not self.slots:
            transceivers = self.pc.getTransceivers()
            audio = [t for t in transceivers if t.kind == "audio"]
            video = [t for t in transceivers if t.kind == "video"]
            self.slots = {"microphone": audio[0], "camera": video[0], "screen": video[1]}
            camera_sender = self.slots["camera"].sender
            send_keyframe = camera_sender._send_keyframe

            def counting_keyframe_request() -> None:
                self.keyframe_requests += 1
                send_keyframe()

            camera_sender._send_keyframe = counting_keyframe_request  # type: ignore[method-assign]
        for source, transceiver in self.slots.items():
            transceiver.direction = "sendonly"
            track = self.local[source]
            if transceiver.sender.track is not track:
                transceiver.sender.replaceTrack(track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        transceiver = next(t for t in self.pc.getTransceivers() if t.receiver.track is track)
        self._readers.append(asyncio.ensure_future(self._read(transceiver, track)))

    async def _read(self, transceiver: RTCRtpTransceiver, track: MediaStreamTrack) -> None:
        try:
            while True:
                await track.recv()
                owner = self.mapping.get(transceiver.mid or "")
                if owner is not None:
                    self.decoded[owner] += 1
        except MediaStreamError:
            pass

    def frames_from(self, participant_id: str, source: str) -> int:
        return self.decoded[(participant_id, source)]

    async def close(self) -> None:
        self._answerer.cancel()
        for task in self._readers:
            task.cancel()
        await self.pc.close()
        for track in self.local.values():
            if track is not None:
                track.stop()


async def eventually(condition: Callable[[], bool], *, within: float = 20.0) -> None:
    """Wait until `condition` holds (a deadline against hangs, not a performance check)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s: {condition}")
        await asyncio.sleep(0.05)
