"""The capacity benchmark's servers behind the forwarding benchmark's signaling front.

`python -m bench.capacity_server engine [--record DIR]` serves our `AiortcEngine` (recording
every room into DIR/<room> when given); `relay` serves `RoomRelay`, aiortc's stock
`MediaRelay` for rooms in which everyone publishes; `pool --workers N [--record DIR]` serves
the engine as a `WorkerPool` of N media processes (when `liveinterview.media.pool` exists).
`--aiortc-path` makes our engine forward through aiortc's receive and send tasks instead of its
direct path (`AiortcEngine(direct_path=False)`: the *before* of that change). The process
prints `{"port": N}`, then answers JSON commands on stdin, one line each:
`delays` (the engine-side delay samples since the last call; in a pool, gathered
by each worker, `bench/capacity_worker.py`) and `pids` (every
process of this server: the front and its workers). It ends when stdin closes.

Engine-side delay, measured inside the process that runs our engine (no change to the
engine: the bench wraps two of its functions): *queued* is from the moment the receiver tap
completed a frame (`EncodedFrame.arrival`) to when the subscriber's sender takes it from its
queue; *sent* to when the frame's last RTP packet was handed to the socket (on the direct
path when `DirectSend.send` returns, in the same call; on aiortc's path at the sender's next
read).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcconfiguration import RTCBundlePolicy, RTCConfiguration
from aiortc.sdp import candidate_from_sdp

from bench.capacity_worker import DELAYS_ENV, PATH_ENV, aiortc_path
from bench.forwarding_server import (
    LOOPBACK,
    RELAY_CODECS,
    EngineFront,
    Events,
    Front,
    _drain,
    loopback_only,
)
from bench.forwarding_wire import encode
from liveinterview.clock import SystemClock
from liveinterview.media import direct_send, forwarding_track, sender_feed
from liveinterview.media.engine import AiortcEngine
from liveinterview.media.publication import Publication, Source
from liveinterview.media.recording import RoomRecording

log = logging.getLogger("bench.capacity_server")


# --- engine-side delay -----------------------------------------------------------------------


@dataclass
class DelayProbe:
    """Per kind: (queued, sent) seconds for each forwarded frame since the last `drain`."""

    queued: dict[str, list[float]] = field(default_factory=lambda: {"audio": [], "video": []})
    sent: dict[str, list[float]] = field(default_factory=lambda: {"audio": [], "video": []})

    def install(self) -> None:
        probe = self
        rebase = forwarding_track.TimestampRebaser.rebase
        taken: list[tuple[str, float]] = []  # set by rebase, read right after in the sender

        def timed_rebase(
            self: forwarding_track.TimestampRebaser, source: Any, timestamp: int, arrival: float
        ) -> int:
            kind = "video" if self.clock_rate == 90000 else "audio"
            now = time.monotonic()
            probe.queued[kind].append(now - arrival)
            taken.append((kind, arrival))
            return rebase(self, source, timestamp, arrival)

        forwarding_track.TimestampRebaser.rebase = timed_rebase  # type: ignore[method-assign]
        next_frame = sender_feed._FeedingSender._next_encoded_frame

        async def timed_next_frame(self: RTCRtpSender, codec: Any) -> Any:
            state = vars(self)
            previous = state.pop("_bench_arrival", None)
            if previous is not None:  # aiortc sent the previous frame's packets just now
                kind, arrival = previous
                probe.sent[kind].append(time.monotonic() - arrival)
            taken.clear()
            frame = await next_frame(self, codec)  # type: ignore[arg-type]
            if frame is not None and taken:
                state["_bench_arrival"] = taken[-1]
            taken.clear()
            return frame

        sender_feed._FeedingSender._next_encoded_frame = timed_next_frame  # type: ignore[method-assign]
        send = direct_send.DirectSend.send

        def timed_direct(self: direct_send.DirectSend, out: Any) -> None:
            send(self, out)  # the direct path: rebase ran just before, in the same call
            if taken:
                kind, arrival = taken[-1]
                probe.sent[kind].append(time.monotonic() - arrival)
            taken.clear()

        direct_send.DirectSend.send = timed_direct  # type: ignore[method-assign]

    def drain(self) -> dict[str, Any]:
        result = {
            f"{what}_{kind}_ms": [round(v * 1000, 3) for v in samples[kind]]
            for what, samples in (("queued", self.queued), ("sent", self.sent))
            for kind in ("audio", "video")
        }
        for samples in (self.queued, self.sent):
            for values in samples.values():
                values.clear()
        return result


# --- recording -------------------------------------------------------------------------------


class RecordingEngine(AiortcEngine):
    """Our engine with every room recorded into `root/<room>`, as the app does after consent."""

    def __init__(self, root: Path) -> None:
        super().__init__(
            ice_servers=[], host_addresses=[LOOPBACK], on_publication=self._on_publication
        )
        self.root = root
        self._recording_clock = SystemClock()
        self.recordings: dict[str, RoomRecording] = {}

    def _on_publication(
        self, room_id: str, participant_id: str, source: Source, publication: Publication
    ) -> None:
        recording = self.recordings.get(room_id)
        if recording is None:
            recording = RoomRecording(
                self.root / room_id,
                clock=self._recording_clock,
                on_failure=lambda reason: log.error("recording %s failed: %s", room_id, reason),
            )
            self.recordings[room_id] = recording
        recording.attach(participant_id, source, publication, participant_id)

    async def disconnect(self, room_id: str, participant_id: str) -> None:
        await super().disconnect(room_id, participant_id)
        if not self.participants(room_id) and room_id in self.recordings:
            self.recordings.pop(room_id).stop()


# --- the stock relay for rooms in which everyone publishes -----------------------------------


@dataclass
class _Member:
    pc: RTCPeerConnection
    events: Events
    sources: dict[str, MediaStreamTrack] = field(default_factory=dict)
    subscribed: set[str] = field(default_factory=set)  # whose tracks this member is sent
    renegotiate: bool = False


@dataclass
class _Room:
    relay: MediaRelay = field(default_factory=MediaRelay)
    members: dict[str, _Member] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class RoomRelay:
    """aiortc's `MediaRelay` as its examples use it, for rooms where everyone publishes.

    Each participant's connection receives their microphone and camera (the first two
    sections, which they fill) and sends everyone else's through `MediaRelay.subscribe`:
    decoded once per publisher, encoded again per subscriber (VP8, Opus). A participant whose
    tracks arrive is added to the others' connections by a new offer from the server.
    """

    def __init__(self) -> None:
        self._rooms: dict[str, _Room] = {}

    async def connect(self, room_id: str, participant_id: str, events: Events) -> None:
        room = self._rooms.setdefault(room_id, _Room())
        async with room.lock:
            pc = RTCPeerConnection(
                RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
            )
            member = room.members[participant_id] = _Member(pc, events)
            for kind in ("audio", "video"):
                pc.addTransceiver(kind, direction="recvonly")

            @pc.on("track")
            def on_track(track: MediaStreamTrack) -> None:
                member.sources[track.kind] = track
                # Drain from the start: a remote track nobody reads buffers without limit.
                room.tasks.append(asyncio.ensure_future(_drain(room.relay.subscribe(track))))
                if set(member.sources) == {"audio", "video"}:
                    room.tasks.append(asyncio.ensure_future(self._spread(room_id, participant_id)))

            @pc.on("connectionstatechange")
            async def on_state() -> None:
                await events.connection_state(pc.connectionState)

            self._add_sources(room, member, participant_id)
            await self._offer(member)

    def _add_sources(self, room: _Room, member: _Member, me: str) -> None:
        for other_id, other in room.members.items():
            if other_id == me or other_id in member.subscribed:
                continue
            if set(other.sources) != {"audio", "video"}:
                continue
            for kind in ("audio", "video"):
                proxy = room.relay.subscribe(other.sources[kind], buffered=False)
                member.pc.addTransceiver(proxy, direction="sendonly")
            member.subscribed.add(other_id)

    async def _spread(self, room_id: str, publisher: str) -> None:
        """The publisher's tracks arrived: offer them to everyone else in the room."""
        room = self._rooms.get(room_id)
        if room is None:
            return
        async with room.lock:
            for member_id, member in room.members.items():
                if member_id == publisher or publisher in member.subscribed:
                    continue
                self._add_sources(room, member, member_id)
                if member.pc.signalingState == "stable":
                    await self._offer(member)
                else:
                    member.renegotiate = True

    async def _offer(self, member: _Member) -> None:
        for transceiver in member.pc.getTransceivers():
            codecs = RTCRtpSender.getCapabilities(transceiver.kind).codecs
            transceiver.setCodecPreferences(
                [c for c in codecs if c.mimeType.lower() in RELAY_CODECS[transceiver.kind]]
            )
        await member.pc.setLocalDescription(await member.pc.createOffer())
        await member.events.offer(member.pc.localDescription.sdp, [])

    def _pc(self, room_id: str, participant_id: str) -> RTCPeerConnection:
        return self._rooms[room_id].members[participant_id].pc

    async def accept_answer(self, room_id: str, participant_id: str, sdp: str) -> None:
        room = self._rooms[room_id]
        async with room.lock:
            member = room.members[participant_id]
            await member.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
            if member.renegotiate:
                member.renegotiate = False
                self._add_sources(room, member, participant_id)
                await self._offer(member)

    async def add_ice_candidate(
        self,
        room_id: str,
        participant_id: str,
        candidate: str,
        sdp_mid: str | None,
        sdp_mline_index: int | None,
    ) -> None:
        pc = self._pc(room_id, participant_id)
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
        member = room.members.pop(participant_id, None)
        if member is not None:
            await member.pc.close()
        if not room.members and self._rooms.get(room_id) is room:
            for task in room.tasks:
                task.cancel()
            del self._rooms[room_id]


# --- the process -------------------------------------------------------------------------------


def child_pids(pid: int) -> list[int]:
    """`pid` and all its descendants (from /proc/<pid>/task/*/children)."""
    found = [pid]
    for current in found:
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    found += [int(p) for p in handle.read().split()]
    return found


async def build(args: argparse.Namespace) -> tuple[Front, Callable[[], dict[str, Any]] | None]:
    if args.kind == "relay":
        loopback_only()
        return Front(RoomRelay()), None
    if args.kind == "pool":
        from bench.capacity_pool import pool_front

        folder = Path(tempfile.mkdtemp(prefix="bench-delays-"))
        front, files = await pool_front(args.workers, args.record, folder)
        return front, files.drain
    probe = DelayProbe()
    probe.install()
    if args.record:
        return EngineFront(RecordingEngine(Path(args.record))), probe.drain
    return EngineFront(AiortcEngine(ice_servers=[], host_addresses=[LOOPBACK])), probe.drain


async def serve(args: argparse.Namespace) -> None:
    front, delays = await build(args)
    server = await asyncio.start_server(front.session, LOOPBACK, 0)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        command = json.loads(line).get("cmd")
        reply: dict[str, Any]
        if command == "delays":
            reply = delays() if delays else {}
        elif command == "pids":
            reply = {"pids": child_pids(os.getpid())}
        else:
            reply = {"error": f"unknown command {command!r}"}
        sys.stdout.write(encode(reply).decode())
        sys.stdout.flush()
    server.close()
    close = getattr(front.backend, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):
            await close()
    if DELAYS_ENV in os.environ:  # the pool's delay samples
        shutil.rmtree(os.environ[DELAYS_ENV], ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["engine", "relay", "pool"])
    parser.add_argument("--record", default="", help="record every room under this directory")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--aiortc-path", action="store_true", help="no direct path (before)")
    args = parser.parse_args()
    if args.aiortc_path:
        os.environ[PATH_ENV] = "aiortc"  # read here and by the pool's workers
        aiortc_path()
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
