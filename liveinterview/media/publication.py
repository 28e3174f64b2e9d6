"""One participant's published track (microphone, camera or screen) and its fan-out.

A `Publication` outlives the peer connection that feeds it: when a participant reconnects,
the new connection's receiver is bound in (`bind`) and the subscribers stay attached; they
only wait for the next keyframe. Anything can subscribe with `subscribe(sink)`: subscribers'
senders (`ForwardingTrack`), the audio-level meter, and the recorder (one sink per track,
writing the same encoded frames with their RTP timestamps and the sender reports).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from liveinterview.media import vp8
from liveinterview.media.assembly import AudioPacketOrder, VideoFrameAssembler
from liveinterview.media.keyframes import KeyframeRequests
from liveinterview.media.packets import (
    AUDIO_CLOCK_RATE,
    VIDEO_CLOCK_RATE,
    EncodedFrame,
    ReceivedRtp,
    SenderReport,
)

log = logging.getLogger(__name__)


class Source(enum.StrEnum):
    """What a participant publishes; the order is the order of their receive slots."""

    MICROPHONE = "microphone"
    CAMERA = "camera"
    SCREEN = "screen"

    @property
    def kind(self) -> str:
        return "audio" if self is Source.MICROPHONE else "video"


class FrameSink(Protocol):
    """Receives a publication's frames; called on the event loop, must not block."""

    def on_frame(self, frame: EncodedFrame) -> None: ...

    def on_discontinuity(self) -> None:
        """Frames were lost or the publisher restarted: video must wait for a keyframe."""
        ...

    def on_sender_report(self, report: SenderReport) -> None: ...

    def on_end(self) -> None:
        """The publication is closed (the participant left); no more frames."""
        ...


class Upstream(Protocol):
    """The publisher's side: where keyframe requests go."""

    def request_keyframe(self) -> bool:
        """Send a PLI to the publisher; False if that is not possible yet (no packets seen)."""
        ...


@dataclass
class PublicationStats:
    packets: int = 0
    frames: int = 0
    keyframes: int = 0
    drops: int = 0  # times the relay gave up on missing packets
    restarts: int = 0  # new SSRC or new upstream connection
    keyframe_requests: int = 0  # PLIs that went out to the publisher
    last_keyframe_size: tuple[int, int] | None = None


class Publication:
    def __init__(
        self,
        participant_id: str,
        source: Source,
        *,
        gap_timeout: float = 0.3,
        keyframe_min_interval: float = 0.5,
        keyframe_retry_interval: float = 1.0,
        now: Callable[[], float] | None = None,
    ) -> None:
        self.participant_id = participant_id
        self.source = source
        self.kind = source.kind
        self.clock_rate = AUDIO_CLOCK_RATE if self.kind == "audio" else VIDEO_CLOCK_RATE
        self.stats = PublicationStats()
        self.closed = False
        self.last_sender_report: SenderReport | None = None
        self._loop = asyncio.get_running_loop()
        self._now = now or self._loop.time
        self._gap_timeout = gap_timeout
        self._sinks: list[FrameSink] = []
        self._upstream: Upstream | None = None
        self._ssrc: int | None = None
        self._video = VideoFrameAssembler(gap_timeout=gap_timeout)
        self._audio = AudioPacketOrder()
        self._requests = KeyframeRequests(
            min_interval=keyframe_min_interval, retry_interval=keyframe_retry_interval
        )
        self._timer: asyncio.TimerHandle | None = None

    def __repr__(self) -> str:
        return f"<Publication {self.participant_id} {self.source}>"

    # --- subscribers --------------------------------------------------------------------

    @property
    def sinks(self) -> tuple[FrameSink, ...]:
        return tuple(self._sinks)

    def subscribe(self, sink: FrameSink) -> None:
        if self.closed:
            raise RuntimeError(f"{self!r} is closed")
        if sink not in self._sinks:
            self._sinks.append(sink)

    def unsubscribe(self, sink: FrameSink) -> None:
        if sink in self._sinks:
            self._sinks.remove(sink)

    # --- upstream -----------------------------------------------------------------------

    def bind(self, upstream: Upstream) -> None:
        """Take frames from a (new) connection of the publisher from now on."""
        if self._upstream is not None or self._ssrc is not None:
            self._restart()
        self._upstream = upstream
        self._pump_requests()

    def unbind(self, upstream: Upstream) -> None:
        if self._upstream is upstream:
            self._upstream = None

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe, at most once per interval (for any subscriber)."""
        if self.kind == "video" and not self.closed:
            self._requests.want()
            self._pump_requests()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._cancel_timer()
        self._upstream = None
        sinks, self._sinks = self._sinks, []
        for sink in sinks:
            self._call(sink, "on_end")

    # --- from the receiver tap (RtpListener) --------------------------------------------

    def on_rtp(self, packet: ReceivedRtp) -> None:
        if self.closed:
            return
        self.stats.packets += 1
        if packet.ssrc != self._ssrc:
            if self._ssrc is not None:
                self._restart()
            self._ssrc = packet.ssrc
            self._pump_requests()  # a keyframe may have been wanted before any packet came
        if self.kind == "audio":
            self._on_audio(packet)
        else:
            self._on_video(packet)

    def on_sender_report(self, report: SenderReport) -> None:
        self.last_sender_report = report
        for sink in tuple(self._sinks):
            self._call(sink, "on_sender_report", report)

    def _on_audio(self, packet: ReceivedRtp) -> None:
        timestamp = self._audio.accept(packet)
        if timestamp is None:
            return
        level = packet.audio_level[1] if packet.audio_level is not None else None
        frame = EncodedFrame(
            data=packet.data,
            timestamp=timestamp,
            rtp_timestamp=packet.timestamp,
            ssrc=packet.ssrc,
            keyframe=True,
            arrival=packet.arrival,
            audio_level=level,
        )
        self.stats.frames += 1
        self._fan_out(frame)

    def _on_video(self, packet: ReceivedRtp) -> None:
        assembly = self._video.add(packet, frame_start=vp8.is_frame_start(packet.payload))
        if assembly.dropped:
            self.stats.drops += 1
            for sink in tuple(self._sinks):
                self._call(sink, "on_discontinuity")
        for assembled in assembly.frames:
            keyframe = vp8.is_keyframe(assembled.data)
            if keyframe:
                self.stats.keyframes += 1
                self.stats.last_keyframe_size = vp8.keyframe_size(assembled.data)
                self._requests.keyframe_arrived()
                self._cancel_timer()
            self.stats.frames += 1
            self._fan_out(
                EncodedFrame(
                    data=assembled.data,
                    timestamp=assembled.timestamp,
                    rtp_timestamp=assembled.rtp_timestamp,
                    ssrc=packet.ssrc,
                    keyframe=keyframe,
                    arrival=assembled.arrival,
                )
            )

    def _fan_out(self, frame: EncodedFrame) -> None:
        for sink in tuple(self._sinks):
            try:
                sink.on_frame(frame)
            except Exception:
                self._drop_sink(sink, "on_frame")

    def _restart(self) -> None:
        """The stream starts over (new SSRC or connection): reassembly and sinks reset."""
        self.stats.restarts += 1
        self._ssrc = None
        self._video = VideoFrameAssembler(gap_timeout=self._gap_timeout)
        self._audio = AudioPacketOrder()
        for sink in tuple(self._sinks):
            self._call(sink, "on_discontinuity")

    def _call(self, sink: FrameSink, method: str, *args: object) -> None:
        try:
            getattr(sink, method)(*args)
        except Exception:
            self._drop_sink(sink, method)

    def _drop_sink(self, sink: FrameSink, method: str) -> None:
        # One broken sink (say, a recorder with a full disk) must not stop the relay.
        log.exception("frame sink %r failed in %s; unsubscribed", sink, method)
        self.unsubscribe(sink)

    # --- keyframe requests --------------------------------------------------------------

    def _pump_requests(self) -> None:
        self._cancel_timer()
        now = self._now()
        delay = self._requests.delay(now)
        if delay is None:
            return
        if delay == 0.0:
            if self._upstream is not None and self._upstream.request_keyframe():
                self.stats.keyframe_requests += 1
                delay = self._requests.sent(now)
            else:
                delay = self._requests.retry_interval
        self._timer = self._loop.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if not self.closed:
            self._pump_requests()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
