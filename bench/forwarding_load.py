"""The forwarding benchmark's load generator: aiortc participants in a process of their own.

`python -m bench.forwarding_load CLIP.webm` reads commands from stdin and answers each with
one JSON line on stdout (`bench/forwarding_wire.py` framing):

* `join` {port, room, participants, publish, wait_video}: connect participants; a publisher
  sends the clip (VP8 + Opus, paced by its own clock, looping, back to the keyframe on a
  PLI); a subscriber receives without decoding. Answers once all are connected (and, with
  `wait_video`, have a complete keyframe).
* `mark`: every participant's counters and the inter-frame gaps since the last mark.
* `late_join` {port, room, participant}: one more subscriber; when it saw its first complete
  keyframe, with the server's own timing; then it leaves.
* `leave`: everyone in this process leaves.

Subscribers count instead of decoding: each receiver's jitter buffer (which would feed
aiortc's decoder thread) is replaced by a counter that reassembles VP8 frames from the RTP
packets (first packet with the start bit to the marker bit, no hole) and counts Opus packets.
ICE uses 127.0.0.1 only: aioice's host enumeration is patched in this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aioice.ice
import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.rtp import RtpPacket

from bench import forwarding_clip
from bench import forwarding_wire as wire

LOOPBACK = "127.0.0.1"
JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"  # aiortc 1.16's receiver, name-mangled


# --- sending ---------------------------------------------------------------------------------


class ClipVideoTrack(MediaStreamTrack):
    """The clip's VP8 frames at 30 fps, looping; a keyframe request restarts the clip."""

    kind = "video"

    def __init__(self, frames: list[tuple[bytes, bool]]) -> None:
        super().__init__()
        self._frames = frames
        self._index = 0
        self._start: float | None = None
        self._restart = False
        self.sent = 0
        self.restarts = 0

    def request_keyframe(self) -> None:
        self._restart = True

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            due = self._start + self.sent / forwarding_clip.FPS
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        if self._restart:
            self._restart = False
            self._index = 0
            self.restarts += 1
        data, _ = self._frames[self._index]
        self._index = (self._index + 1) % len(self._frames)
        packet = av.Packet(data)
        packet.pts = self.sent * (90000 // forwarding_clip.FPS)
        packet.time_base = fractions.Fraction(1, 90000)
        self.sent += 1
        return packet


class ClipAudioTrack(MediaStreamTrack):
    """The clip's Opus packets every 20 ms, looping."""

    kind = "audio"

    def __init__(self, packets: list[bytes]) -> None:
        super().__init__()
        self._packets = packets
        self._start: float | None = None
        self.sent = 0

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            await asyncio.sleep(max(0.0, self._start + self.sent * 0.02 - time.monotonic()))
        packet = av.Packet(self._packets[self.sent % len(self._packets)])
        packet.pts = self.sent * forwarding_clip.AUDIO_FRAME
        packet.time_base = fractions.Fraction(1, forwarding_clip.AUDIO_RATE)
        self.sent += 1
        return packet


# --- receiving -------------------------------------------------------------------------------


@dataclass
class _Partial:
    seqs: set[int] = field(default_factory=set)
    size: int = 0
    start: int | None = None
    end: int | None = None
    keyframe: bool = False


class VideoCounter:
    """Stands in for a video receiver's jitter buffer: complete VP8 frames, never decoded."""

    def __init__(self) -> None:
        self.packets = 0
        self.frames = 0
        self.keyframes = 0
        self.bytes = 0
        self.incomplete = 0
        self.first_frame_at: float | None = None
        self.first_frame_keyframe: bool | None = None
        self.first_keyframe_at: float | None = None
        self.got_keyframe = asyncio.Event()
        self.gaps: list[float] = []  # seconds between consecutive complete frames
        self._last: float | None = None
        self._partial: OrderedDict[tuple[int, int], _Partial] = OrderedDict()
        self._done: OrderedDict[tuple[int, int], None] = OrderedDict()

    def add(self, packet: RtpPacket) -> tuple[bool, None]:
        now = time.monotonic()
        self.packets += 1
        key = (packet.ssrc, packet.timestamp)
        if key in self._done:
            return False, None  # a late copy of a frame already complete
        part = self._partial.get(key)
        if part is None:
            if len(self._partial) >= 32:
                self._partial.popitem(last=False)
                self.incomplete += 1
            part = self._partial[key] = _Partial()
        seq = packet.sequence_number
        if seq in part.seqs:
            return False, None
        data: bytes = packet._data  # type: ignore[attr-defined]  # aiortc's depayloaded VP8
        part.seqs.add(seq)
        part.size += len(data)
        descriptor = packet.payload[0] if packet.payload else 0
        if descriptor & 0x10 and descriptor & 0x07 == 0:  # S bit, partition 0: frame start
            part.start = seq
            part.keyframe = bool(data) and (data[0] & 0x01) == 0
        if packet.marker:
            part.end = seq
        if (
            part.start is not None
            and part.end is not None
            and len(part.seqs) == ((part.end - part.start) & 0xFFFF) + 1
        ):
            del self._partial[key]
            self._done[key] = None
            if len(self._done) > 64:
                self._done.popitem(last=False)
            self._complete(now, part)
        return False, None

    def _complete(self, now: float, part: _Partial) -> None:
        self.frames += 1
        self.bytes += part.size
        if self.first_frame_at is None:
            self.first_frame_at, self.first_frame_keyframe = now, part.keyframe
        if part.keyframe:
            self.keyframes += 1
            if self.first_keyframe_at is None:
                self.first_keyframe_at = now
                self.got_keyframe.set()
        if self._last is not None:
            self.gaps.append(now - self._last)
        self._last = now


class AudioCounter:
    """Stands in for an audio receiver's jitter buffer: counts Opus packets."""

    def __init__(self) -> None:
        self.packets = 0
        self.bytes = 0

    def add(self, packet: RtpPacket) -> tuple[bool, None]:
        self.packets += 1
        self.bytes += len(packet.payload)
        return False, None


# --- participants ----------------------------------------------------------------------------


class Participant:
    def __init__(self, participant_id: str, clip: forwarding_clip.Clip | None) -> None:
        self.id = participant_id
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.video = VideoCounter()
        self.audio = AudioCounter()
        self.camera = ClipVideoTrack(clip.video) if clip else None
        self.microphone = ClipAudioTrack(clip.audio) if clip else None
        self.keyframe_requests: list[float] = []
        self.timing: dict[str, float] = {}
        self.server_timing: dict[str, Any] | None = None
        self.errors: list[str] = []
        self.connected = asyncio.Event()
        self.timing_received = asyncio.Event()
        self._tapped: set[int] = set()
        self._filled = False
        self._trickled = False
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None
        self.pc.on("connectionstatechange", self._on_state)

    def _on_state(self) -> None:
        if self.pc.connectionState == "connected":
            self.timing.setdefault("connected", time.monotonic())
            self.connected.set()

    async def join(self, port: int, room: str, *, watch: bool = False) -> None:
        reader, self._writer = await asyncio.open_connection(LOOPBACK, port)
        self.timing["connect"] = time.monotonic()
        self._send({"op": "connect", "room": room, "participant": self.id, "watch": watch})
        self._task = asyncio.ensure_future(self._run(reader))

    def _send(self, message: dict[str, Any]) -> None:
        assert self._writer is not None
        self._writer.write(wire.encode(message))

    async def _run(self, reader: asyncio.StreamReader) -> None:
        try:
            while (message := await wire.read(reader)) is not None:
                event = message.get("ev")
                if event == "offer":
                    self.timing.setdefault("offer", time.monotonic())
                    await self._answer(message["sdp"])
                elif event == "error":
                    self.errors.append(message["message"])
                elif event == "timing":
                    self.server_timing = message["timing"]
                    self.timing_received.set()
        except Exception as exc:  # reported with the counters, never lost in a task
            self.errors.append(f"{self.id}: {exc!r}")

    async def _answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        for transceiver in self.pc.getTransceivers():
            receiver = transceiver.receiver
            if id(receiver) not in self._tapped:
                if JITTER_BUFFER not in vars(receiver):
                    raise RuntimeError(f"aiortc's receiver has no {JITTER_BUFFER} any more")
                setattr(receiver, JITTER_BUFFER, self._counter_for(transceiver.kind))
                self._tapped.add(id(receiver))
        if self.camera and self.microphone and not self._filled:
            self._fill_slots()
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        answer, candidates = wire.split_candidates(self.pc.localDescription.sdp)
        self.timing.setdefault("answer", time.monotonic())
        self._send({"op": "answer", "sdp": answer})
        if not self._trickled:  # like a browser: candidates after the answer, then the end
            self._trickled = True
            mid = self.pc.getTransceivers()[0].mid
            for candidate in candidates:
                self._send({"op": "candidate", "candidate": candidate, "sdpMid": mid})
            self._send({"op": "candidate", "candidate": ""})

    def _counter_for(self, kind: str) -> VideoCounter | AudioCounter:
        """What stands in for the jitter buffer of a new receiver of this kind."""
        return self.video if kind == "video" else self.audio

    def _fill_slots(self) -> None:
        """The first audio and the first video section carry the microphone and the camera."""
        assert self.camera
        assert self.microphone
        transceivers = self.pc.getTransceivers()
        audio = next(t for t in transceivers if t.kind == "audio")
        video = next(t for t in transceivers if t.kind == "video")
        for transceiver, track in ((audio, self.microphone), (video, self.camera)):
            transceiver.direction = "sendonly"
            transceiver.sender.replaceTrack(track)
        sender = video.sender
        send_keyframe = sender._send_keyframe
        camera = self.camera

        def on_keyframe_request() -> None:  # a PLI or FIR from the server
            self.keyframe_requests.append(time.monotonic())
            camera.request_keyframe()
            send_keyframe()

        sender._send_keyframe = on_keyframe_request
        self._filled = True

    def counters(self) -> dict[str, Any]:
        gaps, self.video.gaps = self.video.gaps, []
        return {
            "frames": self.video.frames,
            "keyframes": self.video.keyframes,
            "video_bytes": self.video.bytes,
            "video_packets": self.video.packets,
            "incomplete": self.video.incomplete,
            "audio_packets": self.audio.packets,
            "audio_bytes": self.audio.bytes,
            "gaps_ms": [round(gap * 1000, 2) for gap in gaps],
            "sent_frames": self.camera.sent if self.camera else 0,
            "sent_audio": self.microphone.sent if self.microphone else 0,
            "restarts": self.camera.restarts if self.camera else 0,
            "keyframe_requests": list(self.keyframe_requests),
            "errors": list(self.errors),
        }

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.pc.close()
        for track in (self.camera, self.microphone):
            if track is not None:
                track.stop()


# --- commands --------------------------------------------------------------------------------


class LoadGenerator:
    def __init__(self, clip: forwarding_clip.Clip) -> None:
        self.clip = clip
        self.participants: dict[str, Participant] = {}

    async def join(self, message: dict[str, Any]) -> dict[str, Any]:
        began = time.monotonic()
        joined = []
        for participant_id in message["participants"]:
            participant = Participant(participant_id, self.clip if message["publish"] else None)
            self.participants[participant_id] = participant
            joined.append(participant)
            await participant.join(message["port"], message["room"])

        async def ready(participant: Participant) -> None:
            await participant.connected.wait()
            if message.get("wait_video"):
                await participant.video.got_keyframe.wait()

        try:
            await asyncio.wait_for(asyncio.gather(*(ready(p) for p in joined)), 20)
        except TimeoutError:
            errors = [e for p in joined for e in p.errors]
            return {"ok": False, "error": f"not ready after 20 s; server said: {errors}"}
        return {"ok": True, "seconds": time.monotonic() - began}

    def mark(self) -> dict[str, Any]:
        return {
            "t": time.monotonic(),
            "participants": {pid: p.counters() for pid, p in self.participants.items()},
        }

    async def late_join(self, message: dict[str, Any]) -> dict[str, Any]:
        participant = Participant(message["participant"], None)
        try:
            await participant.join(message["port"], message["room"], watch=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(participant.video.got_keyframe.wait(), message["timeout"])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(participant.timing_received.wait(), 2)
            video = participant.video
            return {
                "client": dict(participant.timing),
                "first_frame": video.first_frame_at,
                "first_frame_keyframe": video.first_frame_keyframe,
                "first_keyframe": video.first_keyframe_at,
                "server": participant.server_timing,
                "errors": participant.errors,
            }
        finally:
            await participant.close()

    async def leave(self) -> dict[str, Any]:
        await asyncio.gather(*(p.close() for p in self.participants.values()))
        self.participants.clear()
        return {"ok": True}


async def serve(clip_path: Path) -> None:
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [LOOPBACK]
    generator = LoadGenerator(forwarding_clip.load(clip_path))
    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)
    print(wire.encode({"ready": True}).decode(), end="", flush=True)
    while (message := await wire.read(commands)) is not None:
        command = message.get("cmd")
        reply: dict[str, Any]
        if command == "join":
            reply = await generator.join(message)
        elif command == "mark":
            reply = generator.mark()
        elif command == "late_join":
            reply = await generator.late_join(message)
        elif command == "leave":
            reply = await generator.leave()
        else:
            reply = {"ok": False, "error": f"unknown command {command!r}"}
        print(wire.encode(reply).decode(), end="", flush=True)
    await generator.leave()


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1])))
