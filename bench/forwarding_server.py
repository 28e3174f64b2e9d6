"""The two servers the forwarding benchmark compares, each in a process of its own.

`python -m bench.forwarding_server engine` serves our `AiortcEngine` (packet forwarding);
`python -m bench.forwarding_server relay` serves `StockRelay`, what aiortc offers out of the
box: `MediaRelay` hands each subscriber the publisher's *decoded* frames and each
subscriber's sender encodes them again. Both sit behind the same signaling front (JSON lines
over TCP, `bench/forwarding_wire.py`, one connection per participant), so the load generator
cannot tell them apart. The process prints `{"port": N}` and serves until stdin closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import aioice.ice
from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.sdp import candidate_from_sdp

from bench import forwarding_wire as wire

LOOPBACK = "127.0.0.1"
RELAY_CODECS = {"audio": ("audio/opus",), "video": ("video/vp8", "video/rtx")}

log = logging.getLogger("bench.forwarding_server")


class Events(Protocol):
    async def offer(self, sdp: str, tracks: list[dict[str, str]]) -> None: ...
    async def connection_state(self, state: str) -> None: ...
    async def audio_level(self, level: float) -> None: ...


class Backend(Protocol):
    """The part of `signaling.ports.MediaEngine` the benchmark drives."""

    async def connect(self, room_id: str, participant_id: str, events: Events) -> None: ...
    async def accept_answer(self, room_id: str, participant_id: str, sdp: str) -> None: ...
    async def add_ice_candidate(
        self,
        room_id: str,
        participant_id: str,
        candidate: str,
        sdp_mid: str | None,
        sdp_mline_index: int | None,
    ) -> None: ...
    async def disconnect(self, room_id: str, participant_id: str) -> None: ...


def loopback_only() -> None:
    """aioice gathers on every interface but loopback; the stock relay gets loopback only.

    Patched in this process only. Our engine needs no patch: `host_addresses` does it.
    """
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [LOOPBACK]


# --- B: aiortc's stock relay ---------------------------------------------------------------


@dataclass
class _RelayRoom:
    relay: MediaRelay = field(default_factory=MediaRelay)
    publisher: str | None = None
    sources: dict[str, MediaStreamTrack] = field(default_factory=dict)
    peers: dict[str, RTCPeerConnection] = field(default_factory=dict)
    drains: list[asyncio.Task[None]] = field(default_factory=list)


class StockRelay:
    """A minimal SFU as aiortc's examples build it: `MediaRelay.subscribe` per subscriber.

    The first participant of a room publishes (audio and video); everyone after subscribes to
    them. The relay decodes the publisher's frames once (aiortc's receiver) and every
    subscriber's sender re-encodes them (VP8, Opus), as it must: `MediaRelay` carries frames.
    """

    def __init__(self) -> None:
        self._rooms: dict[str, _RelayRoom] = {}

    async def connect(self, room_id: str, participant_id: str, events: Events) -> None:
        room = self._rooms.setdefault(room_id, _RelayRoom())
        pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        room.peers[participant_id] = pc
        tracks: list[dict[str, str]] = []
        if room.publisher is None:
            room.publisher = participant_id
            for kind in ("audio", "video"):
                pc.addTransceiver(kind, direction="recvonly")

            @pc.on("track")
            def on_track(track: MediaStreamTrack) -> None:
                room.sources[track.kind] = track
                # Drain from the start: a remote track nobody reads buffers without limit.
                room.drains.append(asyncio.ensure_future(_drain(room.relay.subscribe(track))))

        else:
            if set(room.sources) != {"audio", "video"}:
                raise RuntimeError(f"{room.publisher!r} has not started publishing yet")
            for kind in ("audio", "video"):
                proxy = room.relay.subscribe(room.sources[kind], buffered=False)
                pc.addTransceiver(proxy, direction="sendonly")
        for transceiver in pc.getTransceivers():
            codecs = RTCRtpSender.getCapabilities(transceiver.kind).codecs
            transceiver.setCodecPreferences(
                [c for c in codecs if c.mimeType.lower() in RELAY_CODECS[transceiver.kind]]
            )

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            await events.connection_state(pc.connectionState)

        await pc.setLocalDescription(await pc.createOffer())
        if room.publisher != participant_id:
            for transceiver in pc.getTransceivers():
                source = "microphone" if transceiver.kind == "audio" else "camera"
                tracks.append(
                    {"mid": transceiver.mid or "", "participant": room.publisher, "source": source}
                )
        await events.offer(pc.localDescription.sdp, tracks)

    async def accept_answer(self, room_id: str, participant_id: str, sdp: str) -> None:
        pc = self._rooms[room_id].peers[participant_id]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def add_ice_candidate(
        self,
        room_id: str,
        participant_id: str,
        candidate: str,
        sdp_mid: str | None,
        sdp_mline_index: int | None,
    ) -> None:
        pc = self._rooms[room_id].peers[participant_id]
        if not candidate:
            await pc.addIceCandidate(None)
            return
        parsed = candidate_from_sdp(candidate.removeprefix("candidate:"))
        parsed.sdpMid, parsed.sdpMLineIndex = sdp_mid, sdp_mline_index
        await pc.addIceCandidate(parsed)

    async def disconnect(self, room_id: str, participant_id: str) -> None:
        room = self._rooms.get(room_id)
        if room is None:
            return
        pc = room.peers.pop(participant_id, None)
        if pc is not None:
            await pc.close()
        if not room.peers and self._rooms.get(room_id) is room:
            for task in room.drains:
                task.cancel()
            del self._rooms[room_id]


async def _drain(track: MediaStreamTrack) -> None:
    with contextlib.suppress(MediaStreamError):
        while True:
            await track.recv()


# --- the signaling front -----------------------------------------------------------------


class WireEvents:
    """The `MediaEvents` double: offers and states go to the participant's TCP connection."""

    def __init__(self, writer: asyncio.StreamWriter, timing: dict[str, float]) -> None:
        self._writer = writer
        self._timing = timing
        self.connected = asyncio.Event()

    async def offer(self, sdp: str, tracks: list[dict[str, str]]) -> None:
        self._timing.setdefault("offer", time.monotonic())
        self._writer.write(wire.encode({"ev": "offer", "sdp": sdp, "tracks": tracks}))

    async def connection_state(self, state: str) -> None:
        self._timing.setdefault(state, time.monotonic())
        if state == "connected":
            self.connected.set()
        self._writer.write(wire.encode({"ev": "state", "state": state}))

    async def audio_level(self, level: float) -> None:
        pass


class Front:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        room = participant = None
        timing: dict[str, float] = {}
        watcher: asyncio.Task[None] | None = None
        try:
            while (message := await wire.read(reader)) is not None:
                op = message.get("op")
                try:
                    if op == "connect":
                        room, participant = message["room"], message["participant"]
                        timing["connect"] = time.monotonic()
                        events = WireEvents(writer, timing)
                        if message.get("watch"):
                            watcher = asyncio.ensure_future(
                                self._report_timing(writer, room, participant, events, timing)
                            )
                        await self.backend.connect(room, participant, events)
                    elif op == "answer" and room and participant:
                        await self.backend.accept_answer(room, participant, message["sdp"])
                        timing.setdefault("answer_applied", time.monotonic())
                    elif op == "candidate" and room and participant:
                        await self.backend.add_ice_candidate(
                            room,
                            participant,
                            message["candidate"],
                            message.get("sdpMid"),
                            message.get("sdpMLineIndex"),
                        )
                    else:
                        raise ValueError(f"unexpected message {op!r}")
                except Exception as exc:  # e.g. an answer racing the room's teardown
                    log.warning("%s in %s: %s failed: %s", participant, room, op, exc)
                    writer.write(wire.encode({"ev": "error", "message": f"{op}: {exc}"}))
        finally:
            if watcher is not None:
                watcher.cancel()
            if room and participant:
                await self.backend.disconnect(room, participant)
            writer.close()

    async def _report_timing(
        self,
        writer: asyncio.StreamWriter,
        room: str,
        participant: str,
        events: WireEvents,
        timing: dict[str, float],
    ) -> None:
        """For a late joiner: when did the first video frame leave the server for it?"""
        first = await self.first_video_out(room, participant)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(events.connected.wait(), 10)
        report: dict[str, Any] = dict(timing)
        if first is not None:
            report["first_keyframe_out"], report["first_out_was_keyframe"] = first
        writer.write(wire.encode({"ev": "timing", "timing": report}))

    async def first_video_out(self, room: str, participant: str) -> tuple[float, bool] | None:
        return None  # the stock relay has no such hook; the client side still measures


class EngineFront(Front):
    async def first_video_out(self, room: str, participant: str) -> tuple[float, bool] | None:
        """Polls the engine's own diagnostics (every 2 ms) until the camera slot sent a frame."""
        from liveinterview.media.engine import AiortcEngine
        from liveinterview.media.publication import Source

        assert isinstance(self.backend, AiortcEngine)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for info in self.backend.participants(room):
                if info.participant_id != participant:
                    continue
                for slot in info.slots:
                    if slot.source is Source.CAMERA and slot.stats.frames_out > 0:
                        return time.monotonic(), bool(slot.stats.first_out_keyframe)
            await asyncio.sleep(0.002)
        return None


async def serve(kind: str) -> None:
    front: Front
    if kind == "engine":
        from liveinterview.media.engine import AiortcEngine

        front = EngineFront(AiortcEngine(ice_servers=[], host_addresses=[LOOPBACK]))
    elif kind == "relay":
        loopback_only()
        front = Front(StockRelay())
    else:
        raise SystemExit(f"usage: python -m bench.forwarding_server engine|relay, not {kind!r}")
    server = await asyncio.start_server(front.session, LOOPBACK, 0)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port}), flush=True)
    await stdin_closed()
    server.close()


async def stdin_closed() -> None:
    """Returns when the parent closes our stdin (or dies): the end of the run."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(4096):
        pass


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    asyncio.run(serve(sys.argv[1] if len(sys.argv) > 1 else ""))
