"""The receive half of the direct path: SRTP packets handled in the socket's own callback.

With aiortc a received datagram goes: asyncio's `_read_ready` → aioice's
`StunProtocol.datagram_received` (which first tries to parse it as STUN and catches the
failure) → an `asyncio.Queue` → a task step of `RTCDtlsTransport.__run` → three awaited
coroutines → `RTCRtpReceiver._handle_rtp_packet`. That is a queue hand-off and a task step
per packet before any media work, and everything after it is a coroutine.

`install` puts a hook in front of `datagram_received` on the ICE connection's sockets. Once
the DTLS transport is connected and has its SRTP keys, an RTP packet (RFC 7983's 128–191
first byte, not RTCP) is decrypted with the transport's own SRTP session, parsed with its
header-extension map, routed by its router and handed to the tapped receiver's
`handle_rtp_now`, all in that one callback; with the send half (`direct_send`) the forwarded
copies are on the wire before the callback returns. Everything else (STUN, DTLS, RTCP, and
RTP before the keys exist) goes the way aioice sends it. A packet the hook cannot handle is
dropped as aiortc drops it (bad SRTP, unparsable RTP) and an unexpected error is logged, never
raised into the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import pylibsrtp
from aioice.ice import Connection, StunProtocol
from aiortc import RTCPeerConnection
from aiortc.rtcdtlstransport import RTCDtlsTransport, State
from aiortc.rtp import RtpPacket

from liveinterview.media.ice_hosts import connection_of
from liveinterview.media.receiver_tap import AiortcInternalsChanged

log = logging.getLogger(__name__)

# Private state of aiortc's RTCDtlsTransport and aioice's Connection the hook reads or writes.
RX_SRTP = "_rx_srtp"
DTLS_STATE = "_state"
EXTENSIONS_MAP = "_rtp_header_extensions_map"
ROUTER = "_rtp_router"
RX_BYTES = "_RTCDtlsTransport__rx_bytes"
RX_PACKETS = "_RTCDtlsTransport__rx_packets"
DTLS_ATTRIBUTES = (RX_SRTP, DTLS_STATE, EXTENSIONS_MAP, ROUTER, RX_BYTES, RX_PACKETS)
PROTOCOLS = "_protocols"
_HOOK = "datagram_received"
NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900 (NTP) to 1970 (Unix)


def _arrival_ms() -> int:
    """aiortc's `clock.current_ms()` (milliseconds since 1900) without building a datetime."""
    return int((time.time() + NTP_EPOCH_OFFSET) * 1000)


class _DatagramHook:
    def __init__(
        self, dtls: RTCDtlsTransport, original: Callable[[bytes, tuple[Any, ...]], None]
    ) -> None:
        self.dtls = dtls
        self.state: dict[str, Any] = vars(dtls)
        self.original = original
        self.packets = 0  # handled here, not by aiortc's task
        self._pending: set[asyncio.Task[None]] = set()

    def __call__(self, data: bytes, addr: tuple[Any, ...]) -> None:
        state = self.state
        if (
            len(data) > 12
            and 127 < data[0] < 192
            and not 191 < data[1] < 224  # RTCP (RFC 5761): aiortc's path
            and state[DTLS_STATE] is State.CONNECTED
            and state[RX_SRTP] is not None
        ):
            try:
                self._handle_rtp(data)
            except Exception:
                log.exception("handling an RTP packet on %s failed", self.dtls)
            return
        self.original(data, addr)

    def _handle_rtp(self, data: bytes) -> None:
        state = self.state
        arrival_ms = _arrival_ms()
        state[RX_BYTES] += len(data)
        state[RX_PACKETS] += 1
        try:
            plain = state[RX_SRTP].unprotect(data)
        except pylibsrtp.Error:
            return  # replayed or forged: aiortc drops it the same way
        try:
            packet = RtpPacket.parse(plain, state[EXTENSIONS_MAP])
        except ValueError:
            return
        receiver = state[ROUTER].route_rtp(packet)
        if receiver is None:
            return
        self.packets += 1
        handle = getattr(receiver, "handle_rtp_now", None)
        if handle is not None:
            handle(packet, arrival_ms)
        else:  # not one of ours (no tap): aiortc's coroutine, as its own task
            self._pending.add(
                task := asyncio.ensure_future(
                    receiver._handle_rtp_packet(packet, arrival_time_ms=arrival_ms)
                )
            )
            task.add_done_callback(self._pending.discard)


def check(dtls: RTCDtlsTransport, connection: Connection) -> None:
    missing = [name for name in DTLS_ATTRIBUTES if name not in vars(dtls)]
    if PROTOCOLS not in vars(connection):
        missing.append(f"aioice Connection.{PROTOCOLS}")
    if missing:
        raise AiortcInternalsChanged(
            f"the direct receive path (liveinterview/media/datagram_tap.py) needs "
            f"{', '.join(missing)}, which this aiortc/aioice version does not have"
        )


def install(pc: RTCPeerConnection) -> int:
    """Hook the sockets of `pc`'s (bundled) transport; returns how many were hooked.

    Call once the connection is up (its sockets exist); hooking twice does nothing.
    """
    transceivers = pc.getTransceivers()
    if not transceivers:
        return 0
    dtls = transceivers[0].receiver.transport
    return install_on_connection(dtls, connection_of(dtls))


def install_on_connection(dtls: RTCDtlsTransport, connection: Connection) -> int:
    check(dtls, connection)
    hooked = 0
    for protocol in vars(connection)[PROTOCOLS]:
        if type(protocol) is not StunProtocol or isinstance(
            vars(protocol).get(_HOOK), _DatagramHook
        ):
            continue  # a TURN relay's protocol unwraps its own framing: leave it to aioice
        setattr(protocol, _HOOK, _DatagramHook(dtls, protocol.datagram_received))
        hooked += 1
    return hooked


def handled(pc: RTCPeerConnection) -> int:
    """How many RTP packets the hooks of `pc` handled (tests and benchmarks)."""
    transceivers = pc.getTransceivers()
    if not transceivers:
        return 0
    return handled_on_connection(connection_of(transceivers[0].receiver.transport))


def handled_on_connection(connection: Connection) -> int:
    return sum(
        hook.packets
        for protocol in vars(connection).get(PROTOCOLS, [])
        if isinstance(hook := vars(protocol).get(_HOOK), _DatagramHook)
    )
