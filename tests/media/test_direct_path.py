"""The direct path (datagram_tap + direct_send): what it writes, what it hands on, and that a
real room's media goes through it (and still through aiortc's tasks when it is off)."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aioice.ice import Connection, StunProtocol
from aiortc.rtcdtlstransport import RTCCertificate, RTCDtlsTransport, State
from aiortc.rtcicetransport import RTCIceGatherer, RTCIceTransport
from aiortc.rtcrtpparameters import (
    RTCRtpCodecParameters,
    RTCRtpDecodingParameters,
    RTCRtpHeaderExtensionParameters,
    RTCRtpReceiveParameters,
    RTCRtpSendParameters,
)
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RtcpRrPacket, RtpPacket, unwrap_rtx
from pylibsrtp import Policy, Session

from liveinterview.media import datagram_tap, direct_send, sender_feed, vp8
from liveinterview.media.engine import AiortcEngine
from liveinterview.media.forwarding_track import ForwardingTrack
from liveinterview.media.packets import ReceivedRtp, SenderReport
from liveinterview.media.publication import Publication, Source
from liveinterview.media.receiver_tap import tap_receiver
from tests.media.clients import LOOPBACK, ClientPeer, eventually

pytestmark = pytest.mark.media

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)
RTX = RTCRtpCodecParameters(
    mimeType="video/rtx", clockRate=90000, payloadType=98, parameters={"apt": 97}
)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=96)
EXTENSIONS = [
    RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
    RTCRtpHeaderExtensionParameters(
        id=2, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    ),
    RTCRtpHeaderExtensionParameters(id=3, uri="urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
]
KEY = bytes([0x50, 0x01, 0x00, 0x9D, 0x01, 0x2A, 0x40, 0x01, 0xF0, 0x00]) + os.urandom(3000)
SRTP_KEY = os.urandom(30)


@dataclass
class Wire:
    """A DTLS transport marked connected, with SRTP sessions and a loopback UDP pair."""

    dtls: RTCDtlsTransport
    connection: Connection
    protocol: StunProtocol
    peer: socket.socket  # the far end: what the transport sends arrives here
    peer_rx: Session  # decrypts what the transport sent
    peer_tx: Session  # encrypts what the far end sends to the transport

    def received(self) -> list[bytes]:
        """The RTP packets that arrived, decrypted (SRTCP, e.g. a BYE, is left out)."""
        out: list[bytes] = []
        while True:
            try:
                data = self.peer.recv(2048)
            except BlockingIOError:
                return out
            if not 191 < data[1] < 224:
                out.append(self.peer_rx.unprotect(data))


class Unnominated:
    """Stands in for a pair whose protocol is not a plain UDP socket (a TURN relay)."""

    def __init__(self, pair: Any) -> None:
        self.protocol = object()
        self.remote_addr = pair.remote_addr


@pytest.fixture
async def wire() -> AsyncIterator[Wire]:
    gatherer = RTCIceGatherer(iceServers=[])
    dtls = RTCDtlsTransport(RTCIceTransport(gatherer), [RTCCertificate.generateCertificate()])
    connection = vars(gatherer)["_connection"]
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_datagram_endpoint(
        lambda: StunProtocol(connection), local_addr=(LOOPBACK, 0)
    )
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind((LOOPBACK, 0))
    peer.setblocking(False)
    pair = type("Pair", (), {"protocol": protocol, "remote_addr": peer.getsockname()})()
    vars(connection)["_nominated"][1] = pair
    vars(connection)["_protocols"].append(protocol)
    state = vars(dtls)
    state["_state"] = State.CONNECTED
    state["_tx_srtp"] = Session(Policy(key=SRTP_KEY, ssrc_type=Policy.SSRC_ANY_OUTBOUND))
    state["_rx_srtp"] = Session(Policy(key=SRTP_KEY, ssrc_type=Policy.SSRC_ANY_INBOUND))
    yield Wire(
        dtls,
        connection,
        protocol,
        peer,
        Session(Policy(key=SRTP_KEY, ssrc_type=Policy.SSRC_ANY_INBOUND)),
        Session(Policy(key=SRTP_KEY, ssrc_type=Policy.SSRC_ANY_OUTBOUND)),
    )
    assert protocol.transport is not None
    protocol.transport.close()
    peer.close()


async def started_slot(
    wire: Wire, kind: str, rtx: bool = False
) -> tuple[RTCRtpSender, ForwardingTrack, Publication]:
    """A fed sender on the wire, its running direct path, and a publication feeding it."""
    codecs = [VP8, RTX] if rtx else [VP8] if kind == "video" else [OPUS]
    track = ForwardingTrack(kind)
    sender = RTCRtpSender(track, wire.dtls)
    sender_feed.feed_sender(sender)
    await sender.send(RTCRtpSendParameters(codecs=codecs, headerExtensions=EXTENSIONS, muxId="4"))
    await eventually(lambda: sender_feed.DIRECT in vars(sender), within=5)
    publication = Publication("alice", Source.CAMERA if kind == "video" else Source.MICROPHONE)
    track.attach(publication)
    return sender, track, publication


async def settle() -> None:
    await asyncio.sleep(0.05)  # let the datagrams land on the far socket


async def test_a_frame_goes_out_as_the_packets_aiortcs_sender_loop_would_write(
    wire: Wire,
) -> None:
    sender, track, publication = await started_slot(wire, "video")
    publication.on_rtp(ReceivedRtp(1, 1, 9000, True, b"\x10" + KEY, KEY, None, 0.0))
    await settle()

    sent = [
        RtpPacket.parse(data, vars(sender)[direct_send.EXTENSIONS_MAP]) for data in wire.received()
    ]
    assert len(sent) == 3  # 3 kB: three packets of at most 1200 bytes of VP8
    assert b"".join(p.payload[4:] for p in sent) == KEY
    assert [p.marker for p in sent] == [0, 0, 1]
    assert [(p.sequence_number - sent[0].sequence_number) & 0xFFFF for p in sent] == [0, 1, 2]
    assert {p.ssrc for p in sent} == {sender._ssrc}
    assert {p.timestamp for p in sent} == {sent[0].timestamp}
    assert vp8.is_frame_start(sent[0].payload)
    assert all(p.extensions.mid == "4" for p in sent)
    # Byte for byte what aiortc's serializer writes for the same packet.
    direct = vars(sender)[sender_feed.DIRECT]
    for packet in sent:
        again = RtpPacket(
            payload_type=97,
            marker=packet.marker,
            sequence_number=packet.sequence_number,
            timestamp=packet.timestamp,
            ssrc=packet.ssrc,
            payload=packet.payload,
        )
        again.extensions.mid = "4"
        again.extensions.abs_send_time = packet.extensions.abs_send_time
        assert direct.history[packet.sequence_number % 128] == again.serialize(
            vars(sender)[direct_send.EXTENSIONS_MAP]
        )
    # The counters aiortc's RTCP task writes its sender reports from.
    state = vars(sender)
    assert state[direct_send.PACKET_COUNT] == 3
    assert state[direct_send.OCTET_COUNT] == sum(len(p.payload) for p in sent)
    assert state[direct_send.RTP_TIMESTAMP] == sent[0].timestamp
    assert track.stats.frames_out == 1
    await sender.stop()
    publication.close()


async def test_opus_goes_out_one_packet_each_with_its_audio_level(wire: Wire) -> None:
    sender, _track, publication = await started_slot(wire, "audio")
    for n in range(3):
        publication.on_rtp(
            ReceivedRtp(1, n, 960 * n, True, b"op%d" % n, b"op%d" % n, (False, 30), 0.0)
        )
    await settle()
    extensions = vars(sender)[direct_send.EXTENSIONS_MAP]
    sent = [RtpPacket.parse(data, extensions) for data in wire.received()]
    assert [p.payload for p in sent] == [b"op0", b"op1", b"op2"]
    assert all(p.extensions.audio_level == (False, 30) for p in sent)
    assert [p.marker for p in sent] == [1, 1, 1]
    assert [(p.timestamp - sent[0].timestamp) & 0xFFFFFFFF for p in sent] == [0, 960, 1920]
    await sender.stop()
    publication.close()


async def test_a_nack_is_answered_from_the_history_as_rtx(wire: Wire) -> None:
    sender, _track, publication = await started_slot(wire, "video", rtx=True)
    publication.on_rtp(ReceivedRtp(1, 1, 9000, True, b"\x10" + KEY, KEY, None, 0.0))
    await settle()
    extensions = vars(sender)[direct_send.EXTENSIONS_MAP]
    sent = [RtpPacket.parse(data, extensions) for data in wire.received()]
    assert len(sent) == 3

    await sender._retransmit(sent[1].sequence_number)  # what a NACK from the subscriber does
    await sender._retransmit((sent[2].sequence_number + 500) & 0xFFFF)  # long gone: nothing
    await settle()
    again = [RtpPacket.parse(data, extensions) for data in wire.received()]
    assert [(p.payload_type, p.ssrc) for p in again] == [(RTX.payloadType, sender._rtx_ssrc)]
    original = unwrap_rtx(again[0], payload_type=97, ssrc=sender._ssrc)
    assert (original.sequence_number, original.payload) == (
        sent[1].sequence_number,
        sent[1].payload,
    )
    await sender.stop()
    publication.close()


async def test_a_pair_that_is_not_plain_udp_goes_through_aiortcs_send(wire: Wire) -> None:
    sender, _track, publication = await started_slot(wire, "audio")
    direct = vars(sender)[sender_feed.DIRECT]
    real = vars(wire.connection)["_nominated"][1]
    vars(wire.connection)["_nominated"][1] = Unnominated(real)
    publication.on_rtp(ReceivedRtp(1, 1, 960, True, b"op", b"op", None, 0.0))
    await settle()
    assert direct.relayed == 1  # handed to aiortc's _send_rtp, which fails on the stand-in
    assert wire.received() == []
    vars(wire.connection)["_nominated"][1] = real
    await sender.stop()
    publication.close()


async def test_a_disabled_or_unconnected_sender_drops_and_the_slot_waits_for_a_keyframe(
    wire: Wire,
) -> None:
    sender, track, publication = await started_slot(wire, "video")
    sender._enabled = False  # what aiortc sets while the slot is inactive
    publication.on_rtp(ReceivedRtp(1, 1, 9000, True, b"\x10" + KEY, KEY, None, 0.0))
    assert track.stats.sender_drops == 1
    sender._enabled = True
    vars(wire.dtls)["_state"] = State.CLOSED
    publication.on_rtp(ReceivedRtp(1, 2, 12000, True, b"\x10" + KEY, KEY, None, 0.0))
    assert track.stats.sender_drops == 2
    await settle()
    assert wire.received() == []
    vars(wire.dtls)["_state"] = State.CONNECTED
    await sender.stop()
    publication.close()


async def test_stopping_the_sender_ends_the_direct_path_like_aiortcs_loop(wire: Wire) -> None:
    sender, track, publication = await started_slot(wire, "audio")
    await sender.stop()
    assert vars(sender)[sender_feed.TRACK] is None
    assert track.readyState == "ended"
    assert track.publication is None
    publication.on_rtp(ReceivedRtp(1, 1, 960, True, b"op", b"op", None, 0.0))
    await settle()
    assert wire.received() == []
    publication.close()


class Listener:
    def __init__(self) -> None:
        self.packets: list[ReceivedRtp] = []

    def on_rtp(self, packet: ReceivedRtp) -> None:
        self.packets.append(packet)

    def on_sender_report(self, report: SenderReport) -> None:
        pass


async def test_the_datagram_hook_hands_srtp_to_the_receiver_and_everything_else_to_aioice(
    wire: Wire,
) -> None:
    receiver = RTCRtpReceiver("audio", wire.dtls)
    tap = tap_receiver(receiver)
    listener = Listener()
    tap.attach(listener)
    await receiver.receive(
        RTCRtpReceiveParameters(
            codecs=[OPUS],
            headerExtensions=EXTENSIONS,
            encodings=[RTCRtpDecodingParameters(ssrc=55, payloadType=96)],
        )
    )
    wire.dtls._rtp_header_extensions_map.configure(
        RTCRtpReceiveParameters(headerExtensions=EXTENSIONS)
    )
    passed: list[bytes | str] = []
    wire.protocol.datagram_received = lambda data, addr: passed.append(data)  # type: ignore[method-assign]
    assert datagram_tap.install_on_connection(wire.dtls, wire.connection) == 1
    assert datagram_tap.install_on_connection(wire.dtls, wire.connection) == 0  # once only
    hook = wire.protocol.datagram_received

    def rtp(sequence: int) -> bytes:
        packet = RtpPacket(payload_type=96, sequence_number=sequence, timestamp=960, ssrc=55)
        packet.payload = b"\xfc\xff\xfe"
        packet.extensions.audio_level = (True, 33)
        return packet.serialize(wire.dtls._rtp_header_extensions_map)

    hook(wire.peer_tx.protect(rtp(1)), ("127.0.0.1", 9))
    assert [(p.sequence_number, p.data, p.audio_level) for p in listener.packets] == [
        (1, b"\xfc\xff\xfe", (True, 33))
    ]
    assert vars(receiver)["_RTCRtpReceiver__remote_streams"][55].packets_received == 1

    hook(bytes([0x80, 96]) + os.urandom(40), ("127.0.0.1", 9))
    assert len(listener.packets) == 1  # forged SRTP: dropped, nothing raised
    rtcp = wire.peer_tx.protect_rtcp(bytes(RtcpRrPacket(ssrc=55, reports=[])))
    others = [bytes([0, 1]) + os.urandom(30), bytes([22, 254, 253]) + os.urandom(30), rtcp]
    for data in others:  # STUN, DTLS, SRTCP: aioice's way, as before
        hook(data, ("127.0.0.1", 9))
    assert passed == others
    vars(wire.dtls)["_state"] = State.CONNECTING  # no keys yet: aioice's way too
    before = rtp(2)
    hook(before, ("127.0.0.1", 9))
    assert passed[-1] == before
    assert datagram_tap.handled_on_connection(wire.connection) == 1  # the forged one: dropped
    vars(wire.dtls)["_state"] = State.CONNECTED
    await receiver.stop()


# --- a real room ------------------------------------------------------------------------------


@pytest.fixture(params=[True, False], ids=["direct", "aiortc-tasks"])
async def engine(request: pytest.FixtureRequest) -> AsyncIterator[AiortcEngine]:
    engine = AiortcEngine(ice_servers=[], host_addresses=[LOOPBACK], direct_path=request.param)
    yield engine
    await engine.close()


async def test_a_rooms_media_takes_the_direct_path_unless_it_is_off(engine: AiortcEngine) -> None:
    alice = ClientPeer(engine, "room-1", "alice")
    bob = ClientPeer(engine, "room-1", "bob")
    try:
        await alice.join()
        await bob.join()
        await eventually(
            lambda: all(
                c.frames_from(p, s) >= 10
                for c, p in ((alice, "bob"), (bob, "alice"))
                for s in ("camera", "microphone")
            )
        )
        direct = vars(engine)["_settings"].direct_path
        handled = [datagram_tap.handled(pc) for pc in engine.peer_connections("room-1").values()]
        senders = [
            t.sender
            for pc in engine.peer_connections("room-1").values()
            for t in pc.getTransceivers()
            if t.sender.track is not None and t.direction == "sendonly"
        ]
        paths = [vars(s).get(sender_feed.DIRECT) for s in senders]
        if direct:
            assert all(n > 0 for n in handled)  # every packet after connecting came this way
            assert all(p is not None for p in paths)
            assert sum(p.frames for p in paths if p is not None) > 40
        else:
            assert handled == [0, 0]
            assert paths == [None] * len(senders)
    finally:
        await alice.close()
        await bob.close()
