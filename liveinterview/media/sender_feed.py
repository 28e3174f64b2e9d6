"""The one hook into aiortc's RTP sender: pre-encoded packets in, no encoder ever created.

aiortc 1.16 `RTCRtpSender._run_rtp` awaits `self._next_encoded_frame(codec)` for each frame
and turns the returned `RTCEncodedFrame` (payloads, timestamp, audio level) into RTP packets;
SRTP, the retransmission history (NACK/RTX) and sender reports stay aiortc's. Its own
`_next_encoded_frame` would create an encoder object for the codec (for Opus that is a libopus
encoder context, even to pass packets through). Ours reads encoded frames from the slot's
`ForwardingTrack` and packetizes them itself. And `_send_keyframe`, which aiortc calls on a
PLI or FIR from the subscriber, asks the publisher for a keyframe instead of flagging an
encoder.

That is the fallback. Normally `_run_rtp` itself is replaced: for a track that can hand frames
over as they come (`ForwardingTrack.send_directly`), the task only starts a `DirectSend`
(direct_send.py) that writes each frame's packets in the call that delivered the frame, and
waits to be stopped; `_retransmit` answers NACKs from that path's history. `direct=False` in
`feed_sender` (or internals that moved) keeps aiortc's loop.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from typing import Protocol, cast, runtime_checkable

from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpsender import RTCEncodedFrame, RTCRtpSender
from aiortc.rtp import wrap_rtx
from aiortc.utils import uint16_add

from liveinterview.media import vp8
from liveinterview.media.direct_send import EXTENSIONS_MAP, DirectSend
from liveinterview.media.forwarding_track import OutgoingFrame
from liveinterview.media.receiver_tap import AiortcInternalsChanged

log = logging.getLogger(__name__)

SENDER_METHODS = (
    "_next_encoded_frame",
    "_send_keyframe",
    "_run_rtp",
    "_retransmit",
    "_handle_rtcp_packet",
)
# aiortc's sender state that `_run_rtp` and `_retransmit` keep as aiortc's own would.
TRACK = "_RTCRtpSender__track"
ENCODER = "_RTCRtpSender__encoder"
RTP_STARTED = "_RTCRtpSender__rtp_started"
RTP_EXITED = "_RTCRtpSender__rtp_exited"
RTX_PAYLOAD_TYPE = "_RTCRtpSender__rtx_payload_type"
RTX_SEQUENCE = "_RTCRtpSender__rtx_sequence_number"
_PICTURE_ID = "_liveinterview_picture_id"
_CHECKED_SOURCE = "_liveinterview_checked_source"  # the track last found to be a PacketSource
_DIRECT_WANTED = "_liveinterview_direct_wanted"
DIRECT = "_liveinterview_direct"  # the running DirectSend, if any


class DirectSource(Protocol):
    def send_directly(self, sink: Callable[[OutgoingFrame], None] | None) -> None: ...

    def dropped_by_sender(self) -> None: ...


@runtime_checkable
class PacketSource(Protocol):
    async def next_outgoing(self) -> OutgoingFrame: ...

    def keyframe_requested(self) -> None: ...

    def dropped_by_sender(self) -> None: ...


def check_sender(sender: RTCRtpSender) -> None:
    missing = [name for name in SENDER_METHODS if not callable(getattr(sender, name, None))]
    if missing or "_enabled" not in vars(sender):
        raise AiortcInternalsChanged(
            f"aiortc's RTCRtpSender lacks {', '.join(missing) or '_enabled'}: the sender feed "
            "(liveinterview/media/sender_feed.py) needs updating for this aiortc version"
        )


def _packet_source(sender: RTCRtpSender) -> PacketSource | None:
    """The sender's track if it is a PacketSource.

    `isinstance` against a runtime-checkable Protocol inspects every member on each call
    (≈ 2 % of a busy worker's event loop when it ran per frame), so the answer is kept per sender
    until its track changes.
    """
    source = sender.track
    state = vars(sender)
    if state.get(_CHECKED_SOURCE) is source and source is not None:
        return cast(PacketSource, source)  # checked when it became the track
    if not isinstance(source, PacketSource):
        return None
    state[_CHECKED_SOURCE] = source
    return source


class _FeedingSender(RTCRtpSender):
    async def _next_encoded_frame(self, codec: RTCRtpCodecParameters) -> RTCEncodedFrame | None:
        source = _packet_source(self)
        if source is None:
            raise AiortcInternalsChanged(f"a fed sender got a {type(self.track)} track")
        out = await source.next_outgoing()
        if not self._enabled:
            source.dropped_by_sender()  # still read, so nothing piles up meanwhile
            return None
        data = out.data
        name = codec.name.lower()
        if name == "vp8":
            state = vars(self)
            picture_id = state[_PICTURE_ID]
            state[_PICTURE_ID] = (picture_id + 1) & 0x7FFF
            payloads = vp8.packetize(data, picture_id)
        elif name == "opus":
            payloads = [data]
        else:
            log.error("cannot forward %s packets; the offer should only allow VP8 and Opus", name)
            return None
        level = None if out.audio_level is None else -out.audio_level
        return RTCEncodedFrame(payloads, out.timestamp, level)  # type: ignore[arg-type]

    def _send_keyframe(self) -> None:
        source = _packet_source(self)
        if source is not None:
            source.keyframe_requested()

    async def _run_rtp(self, codec: RTCRtpCodecParameters) -> None:
        state = vars(self)
        source = state.get(TRACK)
        direct = None
        if state.get(_DIRECT_WANTED) and callable(getattr(source, "send_directly", None)):
            try:
                direct = DirectSend(self, codec, cast(DirectSource, source))
            except (AiortcInternalsChanged, ValueError) as exc:
                log.warning("sending through aiortc's loop: %s", exc)
        if direct is None:
            await super()._run_rtp(codec)
            return
        state[DIRECT] = direct
        state[RTP_STARTED].set()
        direct_source = cast(DirectSource, source)
        direct_source.send_directly(direct.send)
        try:
            await asyncio.Event().wait()  # frames go out from direct.send; wait to be stopped
        except asyncio.CancelledError:
            pass  # RTCRtpSender.stop(), as in aiortc's loop
        finally:
            direct_source.send_directly(None)
            track = state.get(TRACK)
            if track is not None:
                track.stop()
                state[TRACK] = None
            state[ENCODER] = None
            state[RTP_EXITED].set()

    async def _retransmit(self, sequence_number: int) -> None:
        state = vars(self)
        direct: DirectSend | None = state.get(DIRECT)
        if direct is None:
            await super()._retransmit(sequence_number)
            return
        packet = direct.retransmission(sequence_number)
        if packet is None:
            return
        rtx_payload_type = state[RTX_PAYLOAD_TYPE]
        if rtx_payload_type is not None:
            packet = wrap_rtx(
                packet,
                payload_type=rtx_payload_type,
                sequence_number=state[RTX_SEQUENCE],
                ssrc=self._rtx_ssrc,
            )
            state[RTX_SEQUENCE] = uint16_add(state[RTX_SEQUENCE], 1)
        await self.transport._send_rtp(packet.serialize(state[EXTENSIONS_MAP]))


def feed_sender(sender: RTCRtpSender, *, direct: bool = True) -> None:
    """Make a fresh sender of one of our peer connections forward packets from its track.

    `direct`: send each frame in the call that delivers it (`DirectSend`) rather than through
    aiortc's sender task; the benchmark turns it off to measure the difference.
    """
    if type(sender) is not RTCRtpSender:
        raise AiortcInternalsChanged(f"expected aiortc's RTCRtpSender, got {type(sender)}")
    check_sender(sender)
    state = vars(sender)
    missing = [name for name in (TRACK, ENCODER, RTP_STARTED, RTP_EXITED) if name not in state]
    missing += [name for name in (RTX_PAYLOAD_TYPE, RTX_SEQUENCE) if name not in state]
    if missing:
        raise AiortcInternalsChanged(
            f"aiortc's RTCRtpSender has no {', '.join(missing)}: the sender feed "
            "(liveinterview/media/sender_feed.py) needs updating for this aiortc version"
        )
    state[_PICTURE_ID] = secrets.randbelow(1 << 15)
    state[_DIRECT_WANTED] = direct
    sender.__class__ = _FeedingSender
