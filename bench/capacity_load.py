"""The capacity benchmark's load generator: whole rooms of aiortc clients in one process.

`python -m bench.capacity_load CLIP.webm` reads commands on stdin and answers each with one
JSON line (`bench/forwarding_wire.py` framing):

* `rooms` {target, port | url, rooms, participants}: opens rooms in which every participant
  publishes the clip (VP8 + Opus, paced, looping, back to the keyframe on a PLI) and receives
  everyone else without decoding. `target` is `wire` (our engine or the stock relay, behind
  the forwarding benchmark's signaling) or `janus` (Janus' VideoRoom over its HTTP API).
  Answers when every participant has received a complete keyframe.
* `mark`: every participant's counters, and the inter-frame gaps and per-frame delays
  since the previous mark.
* `late_join` {target, port | url, room}: one more participant that only receives; when it
  saw its first complete keyframe; then it leaves.
* `baseline` {seconds}: a publisher and a subscriber connected directly (no server): the
  delay the two clients and loopback add by themselves.
* `leave`: everyone in this process leaves.

Delay: each publisher notes when it handed each clip frame (and Opus packet) to aiortc
(monotonic clock, the same in every process of the machine); each receiver recognises a
complete frame by its CRC-32 among the clip's frames and subtracts. Servers that forward
the publisher's bytes (ours, Janus) can be timed this way; a server that re-encodes cannot.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import zlib
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.rtp import RtpPacket
from aiortc.sdp import candidate_from_sdp

from bench import forwarding_clip
from bench import forwarding_wire as wire
from bench.capacity_janus import JanusError, JanusHandle, JanusSession
from bench.forwarding_load import (
    JITTER_BUFFER,
    LOOPBACK,
    ClipAudioTrack,
    ClipVideoTrack,
    Participant,
)

READY_TIMEOUT = 40.0  # seconds for a batch of rooms to have video everywhere
CODECS = {"audio": ("audio/opus",), "video": ("video/vp8", "video/rtx")}


# --- sending, with the time each clip item left ------------------------------------------


class TimedVideoTrack(ClipVideoTrack):
    def __init__(self, frames: list[tuple[bytes, bool]]) -> None:
        super().__init__(frames)
        self.sent_at = [0.0] * len(frames)

    async def recv(self) -> Any:
        packet = await super().recv()
        self.sent_at[(self._index - 1) % len(self.sent_at)] = time.monotonic()
        return packet


class TimedAudioTrack(ClipAudioTrack):
    def __init__(self, packets: list[bytes]) -> None:
        super().__init__(packets)
        self.sent_at = [0.0] * len(packets)

    async def recv(self) -> Any:
        packet = await super().recv()
        self.sent_at[(self.sent - 1) % len(self.sent_at)] = time.monotonic()
        return packet


@dataclass(frozen=True)
class ClipIndex:
    """CRC-32 of each clip frame / Opus packet → its positions in the clip."""

    video: dict[int, tuple[int, ...]]
    audio: dict[int, tuple[int, ...]]

    @classmethod
    def of(cls, clip: forwarding_clip.Clip) -> ClipIndex:
        def index(items: list[bytes]) -> dict[int, tuple[int, ...]]:
            found: dict[int, list[int]] = {}
            for position, data in enumerate(items):
                found.setdefault(zlib.crc32(data), []).append(position)
            return {crc: tuple(positions) for crc, positions in found.items()}

        return cls(video=index([d for d, _ in clip.video]), audio=index(clip.audio))


# Where a receiver looks up when its frame left the publisher: for a kind ("audio", "video"),
# the other publishers' send times by clip position.
SentLogs = Callable[[str], list[list[float]]]


# --- receiving -------------------------------------------------------------------------------


class SequenceLoss:
    """Packets expected (from RTP sequence numbers, per SSRC) and packets received, once each."""

    def __init__(self) -> None:
        self.expected = 0
        self.received = 0
        self._highest: dict[int, int] = {}
        self._seen: set[tuple[int, int]] = set()
        self._order: deque[tuple[int, int]] = deque()

    def add(self, ssrc: int, seq: int) -> bool:
        """False for a duplicate."""
        key = (ssrc, seq)
        if key in self._seen:
            return False
        self._seen.add(key)
        self._order.append(key)
        if len(self._order) > 2048:
            self._seen.discard(self._order.popleft())
        self.received += 1
        highest = self._highest.get(ssrc)
        if highest is None:
            self._highest[ssrc] = seq
            self.expected += 1
            return True
        ahead = (seq - highest) & 0xFFFF
        if 0 < ahead < 0x8000:
            self._highest[ssrc] = seq
            self.expected += ahead
        return True


@dataclass
class _Partial:
    chunks: dict[int, bytes] = field(default_factory=dict)
    start: int | None = None
    end: int | None = None
    keyframe: bool = False


class _Counter:
    """A jitter buffer's stand-in never raises into aiortc (that would close the transport)."""

    errors: list[str]

    def add(self, packet: RtpPacket) -> tuple[bool, None]:
        try:
            self._add(packet)
        except Exception as exc:
            if len(self.errors) < 3:
                self.errors.append(f"counter: {exc!r}")
        return False, None

    def _add(self, packet: RtpPacket) -> None:
        raise NotImplementedError


class ReceivedVideo(_Counter):
    """Stands in for a video receiver's jitter buffer: complete VP8 frames, never decoded."""

    def __init__(
        self,
        index: dict[int, tuple[int, ...]],
        sources: SentLogs,
        on_first_keyframe: Callable[[], None],
    ) -> None:
        self._index = index
        self._sources = sources
        self._on_first_keyframe = on_first_keyframe
        self.errors = []
        self.loss = SequenceLoss()
        self.packets = 0
        self.bytes = 0
        self.frames = 0
        self.keyframes = 0
        self.incomplete = 0
        self.first_keyframe_at: float | None = None
        self.gaps: list[float] = []
        self.delays: list[float] = []
        self._last: float | None = None
        self._partial: OrderedDict[tuple[int, int], _Partial] = OrderedDict()
        self._done: OrderedDict[tuple[int, int], None] = OrderedDict()

    def _add(self, packet: RtpPacket) -> None:
        now = time.monotonic()
        if not self.loss.add(packet.ssrc, packet.sequence_number):
            return
        data: bytes = packet._data  # type: ignore[attr-defined]  # aiortc's depayloaded VP8
        self.packets += 1
        self.bytes += len(data)
        key = (packet.ssrc, packet.timestamp)
        if key in self._done:
            return
        part = self._partial.get(key)
        if part is None:
            if len(self._partial) >= 32:
                self._partial.popitem(last=False)
                self.incomplete += 1
            part = self._partial[key] = _Partial()
        seq = packet.sequence_number
        part.chunks[seq] = data
        descriptor = packet.payload[0] if packet.payload else 0
        if descriptor & 0x10 and descriptor & 0x07 == 0:  # S bit, partition 0: frame start
            part.start = seq
            part.keyframe = bool(data) and (data[0] & 0x01) == 0
        if packet.marker:
            part.end = seq
        if part.start is not None and part.end is not None:
            count = ((part.end - part.start) & 0xFFFF) + 1
            if len(part.chunks) == count:
                del self._partial[key]
                self._done[key] = None
                if len(self._done) > 64:
                    self._done.popitem(last=False)
                frame = b"".join(part.chunks[(part.start + i) & 0xFFFF] for i in range(count))
                self._complete(now, frame, part.keyframe)

    def _complete(self, now: float, frame: bytes, keyframe: bool) -> None:
        self.frames += 1
        if keyframe:
            self.keyframes += 1
            if self.first_keyframe_at is None:
                self.first_keyframe_at = now
                self._on_first_keyframe()
        if self._last is not None:
            self.gaps.append(now - self._last)
        self._last = now
        delay = _delay(now, self._index.get(zlib.crc32(frame)), self._sources("video"))
        if delay is not None:
            self.delays.append(delay)


class ReceivedAudio(_Counter):
    """Stands in for an audio receiver's jitter buffer: counts and times Opus packets."""

    def __init__(self, index: dict[int, tuple[int, ...]], sources: SentLogs) -> None:
        self._index = index
        self._sources = sources
        self.errors = []
        self.loss = SequenceLoss()
        self.packets = 0
        self.bytes = 0
        self.delays: list[float] = []

    def _add(self, packet: RtpPacket) -> None:
        now = time.monotonic()
        if not self.loss.add(packet.ssrc, packet.sequence_number):
            return
        self.packets += 1
        self.bytes += len(packet.payload)
        delay = _delay(now, self._index.get(zlib.crc32(packet.payload)), self._sources("audio"))
        if delay is not None:
            self.delays.append(delay)


def _delay(now: float, positions: tuple[int, ...] | None, logs: list[list[float]]) -> float | None:
    """Seconds since the latest sending of this clip item by any other publisher of the room."""
    if not positions:
        return None
    sent = 0.0
    for log in logs:
        for position in positions:
            at = log[position]
            if sent < at <= now:
                sent = at
    if sent == 0.0 or now - sent > 5.0:
        return None
    return now - sent


class Receiving:
    """A participant's receivers, whatever the server: counters summed, lists drained."""

    def __init__(self, index: ClipIndex, sources: SentLogs) -> None:
        self.index = index
        self.sources = sources
        self.video: list[ReceivedVideo] = []
        self.audio: list[ReceivedAudio] = []
        self.got_keyframe = asyncio.Event()

    def counter(self, kind: str) -> ReceivedVideo | ReceivedAudio:
        if kind == "video":
            video = ReceivedVideo(self.index.video, self.sources, self.got_keyframe.set)
            self.video.append(video)
            return video
        audio = ReceivedAudio(self.index.audio, self.sources)
        self.audio.append(audio)
        return audio

    def first_keyframe_at(self) -> float | None:
        times = [v.first_keyframe_at for v in self.video if v.first_keyframe_at is not None]
        return min(times, default=None)

    def stats(self) -> dict[str, Any]:
        gaps: list[float] = []
        video_delays: list[float] = []
        audio_delays: list[float] = []
        for video in self.video:
            gaps += video.gaps
            video_delays += video.delays
            video.gaps, video.delays = [], []
        for audio in self.audio:
            audio_delays += audio.delays
            audio.delays = []
        return {
            "frames": sum(v.frames for v in self.video),
            "keyframes": sum(v.keyframes for v in self.video),
            "incomplete": sum(v.incomplete for v in self.video),
            "video_bytes": sum(v.bytes for v in self.video),
            "video_packets": sum(v.packets for v in self.video),
            "video_expected": sum(v.loss.expected for v in self.video),
            "audio_packets": sum(a.packets for a in self.audio),
            "audio_expected": sum(a.loss.expected for a in self.audio),
            "gaps_ms": [round(g * 1000, 2) for g in gaps],
            "video_delay_ms": [round(d * 1000, 3) for d in video_delays],
            "audio_delay_ms": [round(d * 1000, 3) for d in audio_delays],
            "counter_errors": [e for c in [*self.video, *self.audio] for e in c.errors],
        }


def tap(pc: RTCPeerConnection, receiving: Receiving, tapped: set[int]) -> None:
    """Replace the jitter buffer of every new receiver by a counter (nothing is decoded)."""
    for transceiver in pc.getTransceivers():
        receiver = transceiver.receiver
        if id(receiver) in tapped:
            continue
        if JITTER_BUFFER not in vars(receiver):
            raise RuntimeError(f"aiortc's receiver has no {JITTER_BUFFER} any more")
        setattr(receiver, JITTER_BUFFER, receiving.counter(transceiver.kind))
        tapped.add(id(receiver))


def _peer_connection() -> RTCPeerConnection:
    return RTCPeerConnection(
        RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    )


def _prefer_codecs(pc: RTCPeerConnection) -> None:
    for transceiver in pc.getTransceivers():
        codecs = RTCRtpSender.getCapabilities(transceiver.kind).codecs
        transceiver.setCodecPreferences(
            [c for c in codecs if c.mimeType.lower() in CODECS[transceiver.kind]]
        )


def _on_keyframe_request(sender: RTCRtpSender, camera: ClipVideoTrack) -> None:
    """A PLI or FIR from the server restarts the clip at its keyframe, as a browser would."""
    send_keyframe = sender._send_keyframe

    def on_request() -> None:
        camera.request_keyframe()
        send_keyframe()

    sender._send_keyframe = on_request  # type: ignore[method-assign]


def _count_retransmissions(sender: RTCRtpSender, publisher: Publisher) -> None:
    """Count the packets the server asked for again (NACK): each one held frames back."""
    retransmit = sender._retransmit

    async def counted(sequence_number: int) -> None:
        publisher.retransmissions += 1
        await retransmit(sequence_number)

    sender._retransmit = counted  # type: ignore[method-assign]


# --- participants ----------------------------------------------------------------------------


class Publisher:
    """What every participant sends: the clip, timed."""

    def __init__(self, clip: forwarding_clip.Clip | None) -> None:
        self.camera = TimedVideoTrack(clip.video) if clip else None
        self.microphone = TimedAudioTrack(clip.audio) if clip else None
        self.retransmissions = 0

    def sent_logs(self, kind: str) -> list[list[float]]:
        track = self.camera if kind == "video" else self.microphone
        return [] if track is None else [track.sent_at]

    def sent(self) -> dict[str, int]:
        return {
            "sent_frames": self.camera.sent if self.camera else 0,
            "sent_audio": self.microphone.sent if self.microphone else 0,
            "restarts": self.camera.restarts if self.camera else 0,
            "retransmissions": self.retransmissions,
        }

    def stop_tracks(self) -> None:
        for track in (self.camera, self.microphone):
            if track is not None:
                track.stop()


class WireParticipant(Participant):
    """Our engine or the stock relay: one peer connection, the server offers (renegotiates)."""

    def __init__(
        self, participant_id: str, clip: forwarding_clip.Clip | None, receiving: Receiving
    ) -> None:
        super().__init__(participant_id, clip)
        self.receiving = receiving
        self.publisher = Publisher(clip)
        self.camera = self.publisher.camera
        self.microphone = self.publisher.microphone

    def _counter_for(self, kind: str) -> Any:
        return self.receiving.counter(kind)

    def _fill_slots(self) -> None:
        super()._fill_slots()
        video = next(t for t in self.pc.getTransceivers() if t.kind == "video")
        _count_retransmissions(video.sender, self.publisher)

    async def leave(self) -> None:
        await self.close()
        self.publisher.stop_tracks()


class JanusParticipant:
    """Janus' VideoRoom: a publisher connection (we offer) and a subscriber one (Janus offers)."""

    def __init__(
        self,
        participant_id: str,
        clip: forwarding_clip.Clip | None,
        receiving: Receiving,
        http: aiohttp.ClientSession,
        url: str,
    ) -> None:
        self.id = participant_id
        self.receiving = receiving
        self.publisher = Publisher(clip)
        self.session = JanusSession(http, url)
        self.feed: int | None = None
        self.errors: list[str] = []
        self.timing: dict[str, float] = {}
        self.connected = asyncio.Event()
        self._pcs: list[RTCPeerConnection] = []
        self._tapped: set[int] = set()
        self._tasks: set[asyncio.Future[None]] = set()

    async def publish(self, room: int, *, create: bool) -> None:
        """Join the room as a publisher and send the clip."""
        camera, microphone = self.publisher.camera, self.publisher.microphone
        assert camera is not None
        assert microphone is not None
        self.timing["connect"] = time.monotonic()
        await self.session.create()
        handle = await self.session.attach()
        if create:
            await handle.create_room(room, publishers=6)
        self.feed = await handle.join_publisher(room, self.id)
        pc = self._new_pc(handle)
        pc.addTransceiver(microphone, direction="sendonly")
        video = pc.addTransceiver(camera, direction="sendonly")
        _prefer_codecs(pc)
        _on_keyframe_request(video.sender, camera)
        _count_retransmissions(video.sender, self.publisher)
        await pc.setLocalDescription(await pc.createOffer())
        answer = await handle.publish(pc.localDescription.sdp)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    async def subscribe(self, room: int, feeds: list[int], attempts: int = 50) -> None:
        """Receive the feeds (Janus says "No such feed" until a publisher is connected)."""
        self.timing.setdefault("connect", time.monotonic())
        if not self.session_started:
            await self.session.create()
        handle = await self.session.attach()
        for attempt in range(attempts):
            try:
                offer = await handle.join_subscriber(room, feeds)
                break
            except JanusError as exc:
                if "No such feed" not in str(exc) or attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.2)
        pc = self._new_pc(handle)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        tap(pc, self.receiving, self._tapped)
        await pc.setLocalDescription(await pc.createAnswer())
        await handle.start(pc.localDescription.sdp)

    @property
    def session_started(self) -> bool:
        return bool(self.session._session_url)

    def _new_pc(self, handle: JanusHandle) -> RTCPeerConnection:
        pc = _peer_connection()
        self._pcs.append(pc)

        def on_state() -> None:
            if pc.connectionState == "connected":
                self.timing.setdefault("connected", time.monotonic())
                if all(p.connectionState == "connected" for p in self._pcs):
                    self.connected.set()
            elif pc.connectionState == "failed":
                self.errors.append(f"{self.id}: a connection to Janus failed")

        pc.on("connectionstatechange", on_state)

        def on_trickle(candidate: dict[str, Any]) -> None:
            if candidate.get("completed") or not candidate.get("candidate"):
                return
            parsed = candidate_from_sdp(candidate["candidate"].removeprefix("candidate:"))
            parsed.sdpMid = candidate.get("sdpMid")
            parsed.sdpMLineIndex = candidate.get("sdpMLineIndex")
            task = asyncio.ensure_future(pc.addIceCandidate(parsed))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        handle.on_trickle = on_trickle
        return pc

    async def leave(self) -> None:
        await self.session.destroy()
        await asyncio.gather(*(pc.close() for pc in self._pcs))
        self.publisher.stop_tracks()


Member = WireParticipant | JanusParticipant


# --- commands --------------------------------------------------------------------------------


class LoadGenerator:
    def __init__(self, clip: forwarding_clip.Clip) -> None:
        self.clip = clip
        self.index = ClipIndex.of(clip)
        self.rooms: dict[str, list[Member]] = {}
        self._http: aiohttp.ClientSession | None = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        return self._http

    def _sources(self, room: str, me: str) -> SentLogs:
        def logs(kind: str) -> list[list[float]]:
            found: list[list[float]] = []
            for member in self.rooms.get(room, []):
                if member.id != me:
                    found += member.publisher.sent_logs(kind)
            return found

        return logs

    def _member(
        self, message: dict[str, Any], room: str, participant_id: str, publish: bool
    ) -> Member:
        receiving = Receiving(self.index, self._sources(room, participant_id))
        clip = self.clip if publish else None
        if message["target"] == "janus":
            return JanusParticipant(participant_id, clip, receiving, self.http, message["url"])
        return WireParticipant(participant_id, clip, receiving)

    async def open_rooms(self, message: dict[str, Any]) -> dict[str, Any]:
        began = time.monotonic()
        names: list[str] = message["rooms"]
        count = message.get("participants", 2)
        opened: list[Member] = []
        for room in names:
            members = [self._member(message, room, f"{room}-p{i}", True) for i in range(count)]
            self.rooms[room] = members
            opened += members
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                await asyncio.gather(*(self._open(message, room) for room in names))
        except (TimeoutError, JanusError, aiohttp.ClientError, OSError) as exc:
            errors = [e for m in opened for e in m.errors]
            return {"ok": False, "error": f"{exc!r}; clients said: {errors[:5]}"}
        return {"ok": True, "seconds": time.monotonic() - began}

    async def _open(self, message: dict[str, Any], room: str) -> None:
        members = self.rooms[room]
        if message["target"] == "janus":
            number = _janus_room(room)
            janus = [m for m in members if isinstance(m, JanusParticipant)]
            await janus[0].publish(number, create=True)
            await asyncio.gather(*(m.publish(number, create=False) for m in janus[1:]))
            await asyncio.gather(*(m.connected.wait() for m in janus))
            await asyncio.gather(
                *(
                    m.subscribe(number, [o.feed for o in janus if o is not m and o.feed])
                    for m in janus
                )
            )
        else:
            for member in members:
                assert isinstance(member, WireParticipant)
                await member.join(message["port"], room)
        await asyncio.gather(*(m.receiving.got_keyframe.wait() for m in members))

    def mark(self) -> dict[str, Any]:
        participants = {}
        for members in self.rooms.values():
            for member in members:
                stats = member.receiving.stats()
                errors = list(member.errors) + stats.pop("counter_errors")
                participants[member.id] = {
                    **stats,
                    **member.publisher.sent(),
                    "errors": errors,
                }
        return {"t": time.monotonic(), "participants": participants}

    async def late_join(self, message: dict[str, Any]) -> dict[str, Any]:
        room = message["room"]
        member = self._member(message, room, f"{room}-late-{time.monotonic_ns()}", False)
        began = time.monotonic()
        try:
            if isinstance(member, JanusParticipant):
                feeds = [m.feed for m in self.rooms[room] if isinstance(m, JanusParticipant)]
                await member.subscribe(_janus_room(room), [f for f in feeds if f])
            else:
                await member.join(message["port"], room, watch=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(member.receiving.got_keyframe.wait(), message["timeout"])
            server: dict[str, Any] | None = None
            if isinstance(member, WireParticipant):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(member.timing_received.wait(), 2)
                server = member.server_timing
            first = member.receiving.first_keyframe_at()
            return {
                "connect": member.timing.get("connect", began),
                "connected": member.timing.get("connected"),
                "first_keyframe": first,
                "server": server,
                "errors": list(member.errors),
            }
        except (JanusError, aiohttp.ClientError, OSError) as exc:
            return {"connect": began, "first_keyframe": None, "errors": [repr(exc)]}
        finally:
            await member.leave()

    async def baseline(self, message: dict[str, Any]) -> dict[str, Any]:
        """A publisher straight to a subscriber, no server: the clients' and loopback's delay."""
        publisher = Publisher(self.clip)
        logs = publisher.sent_logs
        receiving = Receiving(self.index, logs)
        sending, receiving_pc = _peer_connection(), _peer_connection()
        tapped: set[int] = set()
        try:
            assert publisher.camera is not None
            assert publisher.microphone is not None
            sending.addTransceiver(publisher.microphone, direction="sendonly")
            video = sending.addTransceiver(publisher.camera, direction="sendonly")
            _prefer_codecs(sending)
            _on_keyframe_request(video.sender, publisher.camera)
            await sending.setLocalDescription(await sending.createOffer())
            await receiving_pc.setRemoteDescription(sending.localDescription)
            tap(receiving_pc, receiving, tapped)
            await receiving_pc.setLocalDescription(await receiving_pc.createAnswer())
            await sending.setRemoteDescription(receiving_pc.localDescription)
            await asyncio.wait_for(receiving.got_keyframe.wait(), 20)
            await asyncio.sleep(1.0)
            receiving.stats()  # drop the start
            await asyncio.sleep(message["seconds"])
            return {"ok": True, **receiving.stats()}
        finally:
            await sending.close()
            await receiving_pc.close()
            publisher.stop_tracks()

    async def leave(self) -> dict[str, Any]:
        members = [m for ms in self.rooms.values() for m in ms]
        await asyncio.gather(*(m.leave() for m in members), return_exceptions=True)
        self.rooms.clear()
        return {"ok": True}

    async def close(self) -> None:
        await self.leave()
        if self._http is not None:
            await self._http.close()


def _janus_room(room: str) -> int:
    return zlib.crc32(room.encode()) + 1000


async def serve(clip_path: Path) -> None:
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [LOOPBACK]
    generator = LoadGenerator(forwarding_clip.load(clip_path))
    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)
    print(wire.encode({"ready": True}).decode(), end="", flush=True)
    handlers = {
        "rooms": generator.open_rooms,
        "late_join": generator.late_join,
        "baseline": generator.baseline,
    }
    while (message := await wire.read(commands)) is not None:
        command = message.get("cmd")
        reply: dict[str, Any]
        if command in handlers:
            reply = await handlers[command](message)
        elif command == "mark":
            reply = generator.mark()
        elif command == "leave":
            reply = await generator.leave()
        else:
            reply = {"ok": False, "error": f"unknown command {command!r}"}
        print(wire.encode(reply).decode(), end="", flush=True)
    await generator.close()


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1])))
