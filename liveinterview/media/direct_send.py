"""The send half of the direct path: a forwarded frame goes out in the call that delivered it.

aiortc's sender is a task per send slot: each frame wakes it (an `asyncio.Event` and a task step
per frame, so per packet for Opus), becomes one `RtpPacket` object per packet with its header
extensions set and serialized one by one, the wall clock read twice per packet through
`datetime`, and goes down four awaited coroutines to the socket. A media worker forwarding
packets spent most of its CPU in that kind of per-packet Python (docs/benchmarks.md).

`DirectSend` writes the same packets from the `ForwardingTrack`'s `on_frame` call: one header
serialized by aiortc per frame (same extensions, same map: what goes on the wire is what aiortc
would write), copied per packet with its marker and sequence number patched in, SRTP-protected
with the DTLS transport's own session and handed to the ICE pair's datagram transport. What
aiortc's sender loop keeps for others is kept up to date: the sender-report counters (its RTCP
task still writes the sender reports) and a retransmission history, read by `_retransmit`
(`sender_feed`) when a subscriber NACKs. A pair that is not a plain UDP socket (a TURN relay)
goes through aiortc's `_send_rtp` instead. `check` names the aiortc and aioice internals used;
tests/media/test_aiortc_pins.py pins them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from typing import Any, Protocol

from aioice.ice import StunProtocol
from aiortc import clock
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RTP_HISTORY_SIZE, RtpPacket
from aiortc.utils import random16, random32, uint32_add

from liveinterview.media import vp8
from liveinterview.media.forwarding_track import OutgoingFrame
from liveinterview.media.ice_hosts import connection_of
from liveinterview.media.receiver_tap import AiortcInternalsChanged

log = logging.getLogger(__name__)

# Private state of aiortc's RTCRtpSender (name-mangled) the direct path reads or writes.
MID = "_RTCRtpSender__mid"
EXTENSIONS_MAP = "_RTCRtpSender__rtp_header_extensions_map"
NTP_TIMESTAMP = "_RTCRtpSender__ntp_timestamp"  # the sender-report counters
RTP_TIMESTAMP = "_RTCRtpSender__rtp_timestamp"
OCTET_COUNT = "_RTCRtpSender__octet_count"
PACKET_COUNT = "_RTCRtpSender__packet_count"
SENDER_ATTRIBUTES = (MID, EXTENSIONS_MAP, NTP_TIMESTAMP, RTP_TIMESTAMP, OCTET_COUNT, PACKET_COUNT)
# ... of its RTCDtlsTransport, and of aioice.
TX_SRTP = "_tx_srtp"
TX_BYTES = "_RTCDtlsTransport__tx_bytes"
TX_PACKETS = "_RTCDtlsTransport__tx_packets"
NOMINATED = "_nominated"  # Connection: component → the candidate pair data goes over


class FrameSource(Protocol):
    def dropped_by_sender(self) -> None: ...


def check(sender: RTCRtpSender) -> None:
    """Raise AiortcInternalsChanged unless the sender, its transports and aioice look as known."""
    missing = [name for name in SENDER_ATTRIBUTES if name not in vars(sender)]
    dtls_state = vars(sender.transport)
    missing += [name for name in (TX_SRTP, TX_BYTES, TX_PACKETS) if name not in dtls_state]
    if NOMINATED not in vars(connection_of(sender.transport)):
        missing.append(f"aioice Connection.{NOMINATED}")
    if missing:
        raise AiortcInternalsChanged(
            f"the direct send path (liveinterview/media/direct_send.py) needs {', '.join(missing)},"
            " which this aiortc/aioice version does not have"
        )


class DirectSend:
    """One send slot's RTP stream, written straight to the socket."""

    def __init__(
        self, sender: RTCRtpSender, codec: RTCRtpCodecParameters, source: FrameSource
    ) -> None:
        check(sender)
        name = codec.name.lower()
        if name not in ("vp8", "opus"):
            raise ValueError(f"cannot forward {name} packets; the offer only allows VP8 and Opus")
        self._sender = sender
        self._state: dict[str, Any] = vars(sender)
        self._dtls = sender.transport
        self._dtls_state: dict[str, Any] = vars(sender.transport)
        self._connection = connection_of(sender.transport)
        self._source = source
        if codec.payloadType is None:
            raise ValueError(f"{codec.mimeType} has no payload type yet")
        self._payload_type = codec.payloadType
        self._vp8 = name == "vp8"
        self._picture_id = random16() & 0x7FFF
        self._sequence = random16()
        self._timestamp_origin = random32()
        self._pending: set[asyncio.Task[None]] = set()
        self.history: dict[int, bytes] = {}  # sequence % RTP_HISTORY_SIZE → plain RTP packet
        self.frames = 0
        self.packets = 0
        self.relayed = 0  # packets that went through aiortc's _send_rtp (not a plain UDP pair)

    def send(self, out: OutgoingFrame) -> None:
        """Packetize and send one frame; a frame that cannot go out is dropped, never raised."""
        try:
            sent = self._send(out)
        except Exception:
            log.exception("sending a forwarded frame failed on %s", self._sender)
            sent = False
        if not sent:
            self._source.dropped_by_sender()

    def _send(self, out: OutgoingFrame) -> bool:
        sender = self._sender
        if not sender._enabled or self._dtls.state != "connected":
            return False
        if self._vp8:
            payloads = vp8.packetize(out.data, self._picture_id)
            self._picture_id = (self._picture_id + 1) & 0x7FFF
        else:
            payloads = [out.data]
        state = self._state
        timestamp = uint32_add(self._timestamp_origin, out.timestamp)
        ntp = clock.current_ntp_time()
        template = RtpPacket(payload_type=self._payload_type, timestamp=timestamp)
        template.ssrc = sender._ssrc
        template.extensions.abs_send_time = (ntp >> 14) & 0x00FFFFFF
        template.extensions.mid = state[MID]
        if out.audio_level is not None:
            template.extensions.audio_level = (False, out.audio_level)
        header = template.serialize(state[EXTENSIONS_MAP])
        last = len(payloads) - 1
        octets = 0
        for index, payload in enumerate(payloads):
            sequence = self._sequence
            packet = bytearray(header)
            if index == last:
                packet[1] |= 0x80  # marker: the frame's last packet
            struct.pack_into("!H", packet, 2, sequence)
            packet += payload
            data = bytes(packet)
            self.history[sequence % RTP_HISTORY_SIZE] = data
            self._transmit(data)
            self._sequence = (sequence + 1) & 0xFFFF
            octets += len(payload)
        state[NTP_TIMESTAMP] = ntp
        state[RTP_TIMESTAMP] = timestamp
        state[OCTET_COUNT] += octets
        state[PACKET_COUNT] += len(payloads)
        self.frames += 1
        self.packets += len(payloads)
        return True

    def _transmit(self, data: bytes) -> None:
        pair = self._connection._nominated.get(1)
        protocol = pair.protocol if pair is not None else None
        transport = getattr(protocol, "transport", None)
        if pair is None or type(protocol) is not StunProtocol or transport is None:
            # Not a plain UDP pair (a TURN relay, or going away): aiortc's own, awaited path.
            self.relayed += 1
            task = asyncio.ensure_future(self._send_through_aiortc(data))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
            return
        protected = self._dtls_state[TX_SRTP].protect(data)
        transport.sendto(protected, pair.remote_addr)
        self._dtls_state[TX_BYTES] += len(protected)
        self._dtls_state[TX_PACKETS] += 1

    async def _send_through_aiortc(self, data: bytes) -> None:
        with contextlib.suppress(ConnectionError):  # closing: aiortc's loop stops there too
            await self._dtls._send_rtp(data)

    def retransmission(self, sequence_number: int) -> RtpPacket | None:
        """The packet sent with `sequence_number`, if still in the history (for a NACK)."""
        data = self.history.get(sequence_number % RTP_HISTORY_SIZE)
        if data is None:
            return None
        packet = RtpPacket.parse(data, self._state[EXTENSIONS_MAP])
        return packet if packet.sequence_number == sequence_number else None
