"""The one hook into aiortc's RTP sender: pre-encoded packets in, no encoder ever created.

aiortc 1.16 `RTCRtpSender._run_rtp` awaits `self._next_encoded_frame(codec)` for each frame
and turns the returned `RTCEncodedFrame` (payloads, timestamp, audio level) into RTP packets;
SRTP, the retransmission history (NACK/RTX) and sender reports stay aiortc's. Its own
`_next_encoded_frame` would create an encoder object for the codec (for Opus that is a libopus
encoder context, even to pass packets through). Ours reads `av.Packet`s from the slot's
`ForwardingTrack` and packetizes them itself. And `_send_keyframe`, which aiortc calls on a
PLI or FIR from the subscriber, asks the publisher for a keyframe instead of flagging an
encoder.
"""

from __future__ import annotations

import logging
import secrets
from typing import Protocol, cast, runtime_checkable

from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpsender import RTCEncodedFrame, RTCRtpSender

from liveinterview.media import vp8
from liveinterview.media.forwarding_track import OutgoingFrame
from liveinterview.media.receiver_tap import AiortcInternalsChanged

log = logging.getLogger(__name__)

SENDER_METHODS = ("_next_encoded_frame", "_send_keyframe", "_run_rtp", "_handle_rtcp_packet")
_PICTURE_ID = "_liveinterview_picture_id"
_CHECKED_SOURCE = "_liveinterview_checked_source"  # the track last found to be a PacketSource


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
        data = bytes(out.packet)
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


def feed_sender(sender: RTCRtpSender) -> None:
    """Make a fresh sender of one of our peer connections forward packets from its track."""
    if type(sender) is not RTCRtpSender:
        raise AiortcInternalsChanged(f"expected aiortc's RTCRtpSender, got {type(sender)}")
    check_sender(sender)
    vars(sender)[_PICTURE_ID] = secrets.randbelow(1 << 15)
    sender.__class__ = _FeedingSender
