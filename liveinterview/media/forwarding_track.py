"""A subscriber's send slot as a track: encoded frames in, `av.Packet`s out, never a decoder.

One `ForwardingTrack` belongs to one send slot of one subscriber's peer connection for its
whole life; the slot is pointed at a publication (`attach`) and away again (`detach`) as
participants come and go, so the sender's RTP stream (SSRC, sequence numbers) continues and
its timestamps are rebased to stay continuous. Video waits for a keyframe after attaching and
after anything was lost on the way (the publisher restarted, the relay or the sender dropped
frames, the queue overflowed), and asks the publication for one meanwhile.

Frames reach the sender one of two ways. Normally (`send_directly`) the sender's direct path
(`direct_send.DirectSend`) gets each frame in the call that delivered it, so a packet received
goes out again before the event loop turns. Otherwise frames are queued for aiortc's sender
task, which reads them with `next_outgoing`.
"""

from __future__ import annotations

import asyncio
import fractions
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from liveinterview.media.packets import AUDIO_CLOCK_RATE, VIDEO_CLOCK_RATE, EncodedFrame
from liveinterview.media.publication import Publication

QUEUE_LIMITS = {"audio": 50, "video": 30}  # about one second of media either way


# Not frozen: made for every packet or frame, and a frozen dataclass' __init__ costs ~4× as much
# (one object.__setattr__ per field). Treat as immutable all the same.
@dataclass(slots=True)
class OutgoingFrame:
    data: bytes  # the encoded frame (video) or packet (audio), as the publisher encoded it
    timestamp: int  # RTP timestamp on this track's own timeline
    keyframe: bool
    audio_level: int | None  # -dBov, forwarded in the audio-level header extension


class TimestampRebaser:
    """Keeps one outgoing RTP timeline continuous while its source changes."""

    def __init__(self, clock_rate: int) -> None:
        self.clock_rate = clock_rate
        self._source: tuple[object, int] | None = None
        self._offset = 0
        self._last: tuple[int, float] | None = None  # (outgoing timestamp, arrival)

    def rebase(self, source: tuple[object, int], timestamp: int, arrival: float) -> int:
        if source != self._source:
            if self._last is None:
                self._offset = -timestamp
            else:
                last_out, last_arrival = self._last
                elapsed = max(1, round((arrival - last_arrival) * self.clock_rate))
                self._offset = last_out + elapsed - timestamp
            self._source = source
        out = timestamp + self._offset
        self._last = (out, arrival)
        return out


@dataclass
class ForwardingStats:
    frames_in: int = 0
    frames_out: int = 0
    skipped_waiting_keyframe: int = 0
    overflows: int = 0
    sender_drops: int = 0
    first_out_keyframe: bool | None = None  # was the first frame that went out a keyframe?


class ForwardingTrack(MediaStreamTrack):
    def __init__(self, kind: str) -> None:
        super().__init__()
        if kind not in QUEUE_LIMITS:
            raise ValueError(f"kind must be audio or video, not {kind!r}")
        self.kind = kind
        self.stats = ForwardingStats()
        self._limit = QUEUE_LIMITS[kind]
        clock_rate = AUDIO_CLOCK_RATE if kind == "audio" else VIDEO_CLOCK_RATE
        self._time_base = fractions.Fraction(1, clock_rate)
        self._rebaser = TimestampRebaser(clock_rate)
        self._queue: deque[tuple[Publication, EncodedFrame]] = deque()
        self._ready = asyncio.Event()
        self._publication: Publication | None = None
        self._waiting_keyframe = True
        self._direct: Callable[[OutgoingFrame], None] | None = None

    @property
    def publication(self) -> Publication | None:
        return self._publication

    def attach(self, publication: Publication) -> None:
        if publication.kind != self.kind:
            raise ValueError(f"a {self.kind} slot cannot carry {publication!r}")
        self.detach()
        self._publication = publication
        publication.subscribe(self)
        self._regate()

    def detach(self) -> None:
        if self._publication is not None:
            self._publication.unsubscribe(self)
            self._publication = None
        self._queue.clear()

    def stop(self) -> None:
        self.detach()
        super().stop()
        self._ready.set()  # wake a pending recv() so it sees the end

    # --- FrameSink ----------------------------------------------------------------------

    def on_frame(self, frame: EncodedFrame) -> None:
        publication = self._publication
        if publication is None:
            return
        self.stats.frames_in += 1
        if self._waiting_keyframe:
            if not frame.keyframe:
                self.stats.skipped_waiting_keyframe += 1
                publication.request_keyframe()
                return
            self._waiting_keyframe = False
        if self._direct is not None:
            self._direct(self._outgoing(publication, frame))
            return
        if len(self._queue) >= self._limit:
            self.stats.overflows += 1
            self._queue.clear()
            if self.kind == "video":
                self._regate()
                return
        self._queue.append((publication, frame))
        self._ready.set()

    def on_discontinuity(self) -> None:
        self._regate()

    def on_sender_report(self, report: object) -> None:
        pass  # the sender writes its own reports for its own timeline

    def on_end(self) -> None:
        self._publication = None
        self._queue.clear()

    # --- for the sender (sender_feed) ---------------------------------------------------

    def send_directly(self, sink: Callable[[OutgoingFrame], None] | None) -> None:
        """Hand every frame to `sink` as it arrives (None: queue them for `next_outgoing`).

        Frames already queued go to the sink first, in order, so a keyframe the gate let
        through is not lost in the switch.
        """
        self._direct = sink
        while sink is not None and self._queue and self._direct is sink:
            sink(self._outgoing(*self._queue.popleft()))

    async def recv(self) -> av.Packet[av.stream.Stream]:
        """MediaStreamTrack's API: the next frame as an `av.Packet` (pts on this timeline)."""
        out = await self.next_outgoing()
        packet = av.Packet(out.data)
        packet.pts = out.timestamp
        packet.time_base = self._time_base
        packet.is_keyframe = out.keyframe
        return packet

    async def next_outgoing(self) -> OutgoingFrame:
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        return self._outgoing(*self._queue.popleft())

    def _outgoing(self, publication: Publication, frame: EncodedFrame) -> OutgoingFrame:
        timestamp = self._rebaser.rebase((publication, frame.ssrc), frame.timestamp, frame.arrival)
        self.stats.frames_out += 1
        if self.stats.first_out_keyframe is None:
            self.stats.first_out_keyframe = frame.keyframe
        return OutgoingFrame(frame.data, timestamp, frame.keyframe, frame.audio_level)

    def keyframe_requested(self) -> None:
        """The subscriber reported picture loss (PLI/FIR): pass it on to the publisher."""
        if self._publication is not None:
            self._publication.request_keyframe()

    def dropped_by_sender(self) -> None:
        """The sender discarded a frame (slot not yet negotiated): what follows is undecodable."""
        self.stats.sender_drops += 1
        self._regate()

    def _regate(self) -> None:
        if self.kind != "video":
            return
        self._waiting_keyframe = True
        self._queue.clear()
        if self._publication is not None:
            self._publication.request_keyframe()
