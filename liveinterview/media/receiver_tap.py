"""The one hook into aiortc's RTP receiver: encoded packets out, no decoder ever started.

aiortc 1.16 `RTCRtpReceiver._handle_rtp_packet` does SRTP-level bookkeeping we keep (RTCP
statistics, REMB estimation, RTX unwrapping, NACKs, depayloading into `packet._data`) and
then hands the packet to its jitter buffer, whose complete frames go to a decoder thread
started in `receive()`. We change exactly two things, on a receiver of our own peer
connections (its class is swapped for `_TappedReceiver` before it starts):

* `receive()` does what aiortc's does *minus* starting the decoder thread;
* the jitter buffer (`_RTCRtpReceiver__jitter_buffer`) is replaced by a stand-in that passes
  every packet to our listener and never returns a frame, so nothing is queued for decoding
  and the remote track's queue stays empty (a track nobody reads cannot pile up frames).

`handle_rtp_now` is aiortc's `_handle_rtp_packet` as a plain function, for the direct path
(`datagram_tap`): the same steps in the same order (bar one, see there), with the RTCP it may
send (REMB, NACK) scheduled as tasks instead of awaited, so a packet needs no coroutine and no
task step.

Sender reports are passed on too (`_handle_rtcp_packet`), and keyframe requests go out through
aiortc's own `_send_rtcp_pli`. The REMB feedback aiortc sends to the publisher is paced
(`RembPacer`, in `_send_rtcp`): while its estimator detects overuse it produces an estimate
with every RTP packet, and each became an RTCP packet of its own. `check_receiver` verifies
the private attributes exist and fails loudly when an aiortc upgrade renames them;
tests/media/test_aiortc_pins.py pins the behaviour.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from aiortc.codecs import depayload, is_rtx
from aiortc.rtcrtpparameters import RTCRtpReceiveParameters
from aiortc.rtcrtpreceiver import RTCRtpReceiver, StreamStatistics
from aiortc.rtp import (
    RTCP_PSFB_APP,
    AnyRtcpPacket,
    RtcpPsfbPacket,
    RtcpSrPacket,
    RtpPacket,
    pack_remb_fci,
    unpack_remb_fci,
    unwrap_rtx,
)

from liveinterview.media.packets import ReceivedRtp, SenderReport

log = logging.getLogger(__name__)

# Private state of aiortc's RTCRtpReceiver this module reads or writes (name-mangled).
JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"
CODECS = "_RTCRtpReceiver__codecs"
RTX_SSRC = "_RTCRtpReceiver__rtx_ssrc"
STARTED = "_RTCRtpReceiver__started"
DECODER_THREAD = "_RTCRtpReceiver__decoder_thread"
RTCP_TASK = "_RTCRtpReceiver__rtcp_task"
ESTIMATOR = "_RTCRtpReceiver__remote_bitrate_estimator"
RTCP_SSRC = "_RTCRtpReceiver__rtcp_ssrc"
REMOTE_STREAMS = "_RTCRtpReceiver__remote_streams"
NACK_GENERATOR = "_RTCRtpReceiver__nack_generator"
RECEIVER_ATTRIBUTES = (
    JITTER_BUFFER,
    CODECS,
    RTX_SSRC,
    STARTED,
    DECODER_THREAD,
    RTCP_TASK,
    ESTIMATOR,
    RTCP_SSRC,
    REMOTE_STREAMS,
    NACK_GENERATOR,
)
RECEIVER_METHODS = (
    "_handle_rtp_packet",
    "_handle_rtcp_packet",
    "_run_rtcp",
    "_send_rtcp",
    "_send_rtcp_pli",
    "_send_rtcp_nack",
)
_TAP = "_liveinterview_tap"
REMB_INTERVAL = 0.2  # seconds between REMBs, as libwebrtc spaces them
REMB_DROP = 0.97  # an estimate under 97 % of the last one sent goes out at once


class AiortcInternalsChanged(RuntimeError):
    """The installed aiortc does not look like the version this hook was written for."""


class RtpListener(Protocol):
    def on_rtp(self, packet: ReceivedRtp) -> None: ...

    def on_sender_report(self, report: SenderReport) -> None: ...


def _state(obj: object) -> dict[str, Any]:
    return vars(obj)


def check_receiver(receiver: RTCRtpReceiver) -> None:
    """Raise AiortcInternalsChanged unless `receiver` has the internals this hook relies on."""
    state = _state(receiver)
    missing = [name for name in RECEIVER_ATTRIBUTES if name not in state]
    missing += [name for name in RECEIVER_METHODS if not callable(getattr(receiver, name, None))]
    if missing:
        raise AiortcInternalsChanged(
            f"aiortc's RTCRtpReceiver has no {', '.join(missing)}: the receiver tap "
            "(liveinterview/media/receiver_tap.py) needs updating for this aiortc version"
        )
    if state[STARTED] or state[DECODER_THREAD] is not None:
        raise AiortcInternalsChanged("the receiver was started before it could be tapped")
    if not callable(getattr(state[JITTER_BUFFER], "add", None)):
        raise AiortcInternalsChanged("aiortc's jitter buffer has no add(packet) method")


class ReceiverTap:
    """Our handle on one tapped receiver: feeds a listener, sends keyframe requests."""

    def __init__(self, receiver: RTCRtpReceiver, now: Callable[[], float]) -> None:
        self.receiver = receiver
        self.listener: RtpListener | None = None
        self.ssrc: int | None = None  # the publisher's media SSRC, once packets arrive
        self.packets = 0
        self.remb = RembPacer(now)
        self._now = now
        self._pending: set[asyncio.Task[None]] = set()

    def attach(self, listener: RtpListener) -> None:
        self.listener = listener

    def detach(self) -> None:
        self.listener = None

    def request_keyframe(self) -> bool:
        """Send an RTCP PLI for the stream we receive; False before any packet arrived."""
        if self.ssrc is None:
            return False
        self.schedule(self.receiver._send_rtcp_pli(self.ssrc))
        return True

    def schedule(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run an RTCP send as a task of its own (kept referenced until it is done)."""
        task = asyncio.ensure_future(coroutine)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _on_packet(self, packet: RtpPacket) -> None:
        self.packets += 1
        self.ssrc = packet.ssrc
        listener = self.listener
        if listener is None:
            return
        listener.on_rtp(
            ReceivedRtp(
                ssrc=packet.ssrc,
                sequence_number=packet.sequence_number,
                timestamp=packet.timestamp,
                marker=bool(packet.marker),
                payload=packet.payload,
                data=_state(packet).get("_data", b""),
                audio_level=packet.extensions.audio_level,
                arrival=self._now(),
            )
        )

    def _on_sender_report(self, packet: RtcpSrPacket) -> None:
        if self.listener is not None:
            info = packet.sender_info
            self.listener.on_sender_report(
                SenderReport(packet.ssrc, info.ntp_timestamp, info.rtp_timestamp, self._now())
            )


class RembPacer:
    """Which of aiortc's REMB estimates go out: one per `REMB_INTERVAL`, or a drop at once.

    aiortc's receiver sends a REMB for every new estimate, and while its delay-based detector
    sees overuse (jitter on a busy machine is enough) that is one per RTP packet received:
    about 6 % of a media worker's samples in a profile of the capacity benchmark on a busy
    machine (docs/benchmarks.md). A fall of 3 % or more is never held back, so the publisher
    still slows down at once.
    """

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._last: tuple[float, int] | None = None  # (when, bitrate) of the last REMB sent

    def allow(self, bitrate: int) -> bool:
        now = self._now()
        last = self._last
        if last is not None and now - last[0] < REMB_INTERVAL and bitrate >= last[1] * REMB_DROP:
            return False
        self._last = (now, bitrate)
        return True


class _JitterBufferStandIn:
    """Takes the jitter buffer's place: every packet to the tap, never a frame to decode."""

    def __init__(self, tap: ReceiverTap) -> None:
        self._tap = tap

    def add(self, packet: RtpPacket) -> tuple[bool, None]:
        self._tap._on_packet(packet)
        return False, None  # no PLI from here: keyframe requests go through the publication


class _TappedReceiver(RTCRtpReceiver):
    async def receive(self, parameters: RTCRtpReceiveParameters) -> None:
        """aiortc's `receive()` without the decoder thread."""
        state = _state(self)
        if state[STARTED]:
            return
        for codec in parameters.codecs:
            state[CODECS][codec.payloadType] = codec
        for encoding in parameters.encodings:
            if encoding.rtx:
                state[RTX_SSRC][encoding.rtx.ssrc] = encoding.ssrc
        self.transport._register_rtp_receiver(self, parameters)
        state[RTCP_TASK] = asyncio.ensure_future(self._run_rtcp())
        state[STARTED] = True

    def handle_rtp_now(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        """aiortc 1.16's `_handle_rtp_packet`, step for step, without awaiting anything.

        One step is left out: the wall-clock time of the last packet per SSRC, kept (as a
        `datetime`, per packet) only for `getSynchronizationSources()`, which nothing calls
        on the server's receivers.
        """
        if not self._enabled:
            return
        state = _state(self)
        tap: ReceiverTap = state[_TAP]
        estimator = state[ESTIMATOR]
        abs_send_time = packet.extensions.abs_send_time
        if estimator is not None and abs_send_time is not None:
            remb = estimator.add(
                abs_send_time=abs_send_time,
                arrival_time_ms=arrival_time_ms,
                payload_size=len(packet.payload) + packet.padding_size,
                ssrc=packet.ssrc,
            )
            rtcp_ssrc = state[RTCP_SSRC]
            if rtcp_ssrc is not None and remb is not None:
                feedback = RtcpPsfbPacket(
                    fmt=RTCP_PSFB_APP, ssrc=rtcp_ssrc, media_ssrc=0, fci=pack_remb_fci(*remb)
                )
                tap.schedule(self._send_rtcp(feedback))
        codecs = state[CODECS]
        codec = codecs.get(packet.payload_type)
        if codec is None:
            return
        streams = state[REMOTE_STREAMS]
        statistics = streams.get(packet.ssrc)
        if statistics is None:
            statistics = streams[packet.ssrc] = StreamStatistics(codec.clockRate)
        statistics.add(packet)
        if is_rtx(codec):
            original_ssrc = state[RTX_SSRC].get(packet.ssrc)
            apt = codec.parameters.get("apt")
            if original_ssrc is None or len(packet.payload) < 2:
                return
            if not isinstance(apt, int) or apt not in codecs:
                return
            packet = unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)
            codec = codecs[apt]
        nack = state[NACK_GENERATOR]
        if nack is not None and nack.add(packet):
            tap.schedule(self._send_rtcp_nack(packet.ssrc, sorted(nack.missing)))
        try:
            data = depayload(codec, packet.payload) if packet.payload else b""
        except ValueError:
            return
        packet._data = data  # type: ignore[attr-defined]  # where aiortc keeps it
        tap._on_packet(packet)

    async def _send_rtcp(self, packet: AnyRtcpPacket) -> None:
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            tap: ReceiverTap = _state(self)[_TAP]
            if not tap.remb.allow(unpack_remb_fci(packet.fci)[0]):
                return
        await super()._send_rtcp(packet)

    async def _handle_rtcp_packet(self, packet: AnyRtcpPacket) -> None:
        await super()._handle_rtcp_packet(packet)
        if isinstance(packet, RtcpSrPacket):
            tap: ReceiverTap = _state(self)[_TAP]
            tap._on_sender_report(packet)


def tap_receiver(
    receiver: RTCRtpReceiver, *, now: Callable[[], float] = time.monotonic
) -> ReceiverTap:
    """Turn a fresh receiver of one of our peer connections into a packet source."""
    if type(receiver) is not RTCRtpReceiver:
        raise AiortcInternalsChanged(f"expected aiortc's RTCRtpReceiver, got {type(receiver)}")
    check_receiver(receiver)
    tap = ReceiverTap(receiver, now)
    state = _state(receiver)
    state[_TAP] = tap
    state[JITTER_BUFFER] = _JitterBufferStandIn(tap)
    receiver.__class__ = _TappedReceiver
    return tap
