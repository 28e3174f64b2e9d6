"""Pins for the aiortc (1.16) and aioice internals the relay hooks into.

If an upgrade changes any of them, these fail first, with the name of what moved. The hooks
live in liveinterview/media/receiver_tap.py, sender_feed.py and ice_hosts.py.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

import pytest
from aiortc import RTCPeerConnection
from aiortc.rtcconfiguration import RTCBundlePolicy, RTCConfiguration
from aiortc.rtcdtlstransport import RTCCertificate, RTCDtlsTransport
from aiortc.rtcicetransport import RTCIceGatherer, RTCIceTransport
from aiortc.rtcrtpparameters import (
    RTCRtpCodecParameters,
    RTCRtpDecodingParameters,
    RTCRtpReceiveParameters,
)
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCEncodedFrame, RTCRtpSender
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RtcpPsfbPacket,
    RtcpSenderInfo,
    RtcpSrPacket,
    RtpPacket,
    pack_remb_fci,
)

from liveinterview.media import sdp_text, vp8
from liveinterview.media.forwarding_track import ForwardingTrack
from liveinterview.media.ice_hosts import gather_on, ice_connection
from liveinterview.media.packets import ReceivedRtp, SenderReport
from liveinterview.media.publication import Publication, Source
from liveinterview.media.receiver_tap import (
    DECODER_THREAD,
    AiortcInternalsChanged,
    RembPacer,
    check_receiver,
    tap_receiver,
)
from liveinterview.media.sender_feed import feed_sender

pytestmark = pytest.mark.media

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=96)
KEY = bytes([0x50, 0x01, 0x00, 0x9D, 0x01, 0x2A, 0x40, 0x01, 0xF0, 0x00]) + b"k" * 3000


@pytest.fixture
async def transport() -> AsyncIterator[RTCDtlsTransport]:
    """A DTLS transport that never connects: enough for receivers and senders to exist."""
    dtls = RTCDtlsTransport(
        RTCIceTransport(RTCIceGatherer(iceServers=[])), [RTCCertificate.generateCertificate()]
    )
    yield dtls
    await dtls.stop()


class Listener:
    def __init__(self) -> None:
        self.packets: list[ReceivedRtp] = []
        self.reports: list[SenderReport] = []

    def on_rtp(self, packet: ReceivedRtp) -> None:
        self.packets.append(packet)

    def on_sender_report(self, report: SenderReport) -> None:
        self.reports.append(report)


def rtp_packets(ssrc: int, frame: bytes) -> list[RtpPacket]:
    payloads = vp8.packetize(frame, picture_id=5)
    packets = []
    for index, payload in enumerate(payloads):
        packet = RtpPacket(payload_type=97, sequence_number=100 + index, timestamp=9000, ssrc=ssrc)
        packet.payload = payload
        packet.marker = int(index == len(payloads) - 1)
        packets.append(packet)
    return packets


async def test_a_tapped_receiver_hands_out_packets_and_never_starts_a_decoder(
    transport: RTCDtlsTransport,
) -> None:
    receiver = RTCRtpReceiver("video", transport)
    tap = tap_receiver(receiver)
    listener = Listener()
    tap.attach(listener)
    threads_before = threading.active_count()

    await receiver.receive(
        RTCRtpReceiveParameters(
            codecs=[VP8], encodings=[RTCRtpDecodingParameters(ssrc=1234, payloadType=97)]
        )
    )
    for packet in rtp_packets(1234, KEY):
        await receiver._handle_rtp_packet(packet, arrival_time_ms=0)

    assert vars(receiver)[DECODER_THREAD] is None
    assert threading.active_count() == threads_before
    assert vars(receiver)["_RTCRtpReceiver__decoder_queue"].qsize() == 0  # nothing to decode
    # aiortc depayloaded each packet (descriptor stripped) before our stand-in got it.
    assert b"".join(p.data for p in listener.packets) == KEY
    assert [p.marker for p in listener.packets] == [False, False, True]
    assert vp8.is_frame_start(listener.packets[0].payload)
    assert tap.ssrc == 1234

    sender_info = RtcpSenderInfo(
        ntp_timestamp=1 << 63, rtp_timestamp=9000, packet_count=3, octet_count=3000
    )
    await receiver._handle_rtcp_packet(RtcpSrPacket(ssrc=1234, sender_info=sender_info))
    assert [(r.ssrc, r.ntp_timestamp, r.rtp_timestamp) for r in listener.reports] == [
        (1234, 1 << 63, 9000)
    ]
    await receiver.stop()


async def test_the_audio_level_header_reaches_the_listener(transport: RTCDtlsTransport) -> None:
    receiver = RTCRtpReceiver("audio", transport)
    tap = tap_receiver(receiver)
    listener = Listener()
    tap.attach(listener)
    await receiver.receive(
        RTCRtpReceiveParameters(
            codecs=[OPUS], encodings=[RTCRtpDecodingParameters(ssrc=55, payloadType=96)]
        )
    )
    packet = RtpPacket(payload_type=96, sequence_number=1, timestamp=960, ssrc=55)
    packet.payload = b"\xfc\xff\xfe"
    packet.extensions.audio_level = (True, 33)
    await receiver._handle_rtp_packet(packet, arrival_time_ms=0)
    # No jitter buffer: the single packet is out at once, not held for prefetching.
    assert [(p.data, p.audio_level) for p in listener.packets] == [(b"\xfc\xff\xfe", (True, 33))]
    await receiver.stop()


async def test_tapping_fails_loudly_when_aiortc_internals_moved(
    transport: RTCDtlsTransport,
) -> None:
    receiver = RTCRtpReceiver("video", transport)
    del vars(receiver)["_RTCRtpReceiver__jitter_buffer"]
    with pytest.raises(AiortcInternalsChanged, match="_RTCRtpReceiver__jitter_buffer"):
        check_receiver(receiver)
    with pytest.raises(AiortcInternalsChanged, match="RTCRtpSender"):
        feed_sender(receiver)  # type: ignore[arg-type]


async def test_a_fed_sender_packetizes_forwarded_packets_without_an_encoder(
    transport: RTCDtlsTransport,
) -> None:
    sender = RTCRtpSender("video", transport)
    feed_sender(sender)
    publication = Publication("alice", Source.CAMERA)
    track = ForwardingTrack("video")
    track.attach(publication)
    sender.replaceTrack(track)
    publication.on_rtp(
        ReceivedRtp(1, 1, 9000, True, b"\x10" + KEY, KEY, None, 0.0)  # one whole keyframe
    )

    sender._enabled = True
    encoded = await sender._next_encoded_frame(VP8)

    assert isinstance(encoded, RTCEncodedFrame)
    assert b"".join(p[4:] for p in encoded.payloads) == KEY
    assert vp8.is_frame_start(encoded.payloads[0])
    assert encoded.timestamp == 0
    assert vars(sender)["_RTCRtpSender__encoder"] is None  # aiortc's encoder slot stays empty
    publication.close()


async def test_a_fed_audio_sender_forwards_the_opus_packet_and_its_level(
    transport: RTCDtlsTransport,
) -> None:
    sender = RTCRtpSender("audio", transport)
    feed_sender(sender)
    publication = Publication("alice", Source.MICROPHONE)
    track = ForwardingTrack("audio")
    track.attach(publication)
    sender.replaceTrack(track)
    publication.on_rtp(ReceivedRtp(1, 1, 960, True, b"op", b"op", (False, 30), 0.0))
    encoded = await sender._next_encoded_frame(OPUS)
    assert encoded is not None
    assert (encoded.payloads, encoded.audio_level) == ([b"op"], -30)  # aiortc writes -level
    assert vars(sender)["_RTCRtpSender__encoder"] is None
    publication.close()


async def test_a_disabled_sender_drops_and_the_slot_waits_for_a_keyframe(
    transport: RTCDtlsTransport,
) -> None:
    sender = RTCRtpSender("video", transport)
    feed_sender(sender)
    publication = Publication("alice", Source.CAMERA)
    track = ForwardingTrack("video")
    track.attach(publication)
    sender.replaceTrack(track)
    publication.on_rtp(ReceivedRtp(1, 1, 9000, True, b"\x10" + KEY, KEY, None, 0.0))
    sender._enabled = False  # what aiortc sets while the slot is inactive
    assert await sender._next_encoded_frame(VP8) is None
    assert track.stats.sender_drops == 1
    publication.close()


@pytest.mark.parametrize("fmt", [RTCP_PSFB_PLI, RTCP_PSFB_FIR])
async def test_picture_loss_from_a_subscriber_becomes_a_keyframe_request(
    transport: RTCDtlsTransport, fmt: int
) -> None:
    class Upstream:
        requests = 0

        def request_keyframe(self) -> bool:
            self.requests += 1
            return True

    clock = [0.0]
    sender = RTCRtpSender("video", transport)
    feed_sender(sender)
    publication = Publication("alice", Source.CAMERA, now=lambda: clock[0])
    upstream = Upstream()
    publication.bind(upstream)
    track = ForwardingTrack("video")
    sender.replaceTrack(track)
    track.attach(publication)  # attaching asks for a keyframe already
    requests_before = upstream.requests
    publication.on_rtp(ReceivedRtp(1, 1, 9000, True, b"\x10" + KEY, KEY, None, 0.0))
    clock[0] = 1.0  # past the rate limit
    await sender._handle_rtcp_packet(RtcpPsfbPacket(fmt=fmt, ssrc=1, media_ssrc=sender._ssrc))
    assert upstream.requests == requests_before + 1
    publication.close()


async def test_gathering_on_chosen_addresses_leaves_aiortc_nothing_to_gather() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
    pc.addTransceiver("audio", direction="recvonly")
    pc.addTransceiver("video", direction="recvonly")
    await gather_on(ice_connection(pc), ["127.0.0.1"])
    await pc.setLocalDescription(await pc.createOffer())  # aiortc's own gathering runs here
    sdp = pc.localDescription.sdp
    assert set(sdp_text.candidate_addresses(sdp)) == {"127.0.0.1"}
    assert len(sdp_text.candidate_addresses(sdp)) == 2  # one per section, one shared transport
    await pc.close()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("after", "bitrate", "sent"),
    [
        (0.05, 1_000_000, False),  # the same estimate again, too soon
        (0.05, 1_100_000, False),  # a rise waits for the interval
        (0.05, 960_000, True),  # a fall of 4 % goes out at once
        (0.05, 980_000, False),  # a fall of 2 % waits
        (0.2, 1_000_000, True),  # the interval passed
    ],
)
def test_remb_goes_out_every_200_ms_or_at_once_when_it_falls(
    after: float, bitrate: int, sent: bool
) -> None:
    clock = Clock()
    pacer = RembPacer(clock)
    assert pacer.allow(1_000_000)  # the first one always goes out
    clock.now = after
    assert pacer.allow(bitrate) is sent


async def test_a_tapped_receiver_paces_the_rembs_aiortc_sends(
    transport: RTCDtlsTransport,
) -> None:
    sent: list[bytes] = []

    async def send_rtp(data: bytes) -> None:
        sent.append(data)

    transport._send_rtp = send_rtp  # type: ignore[method-assign]  # a transport that records
    clock = Clock()
    receiver = RTCRtpReceiver("video", transport)
    tap_receiver(receiver, now=clock)

    def remb(bitrate: int) -> RtcpPsfbPacket:
        return RtcpPsfbPacket(
            fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=pack_remb_fci(bitrate, [1234])
        )

    for bitrate in (1_000_000, 1_000_000, 1_050_000):  # overuse: one estimate per packet
        await receiver._send_rtcp(remb(bitrate))
    assert len(sent) == 1
    await receiver._send_rtcp(remb(500_000))  # a real drop is not held back
    clock.now = 0.25
    await receiver._send_rtcp(remb(600_000))
    await receiver._send_rtcp(RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=1234))
    assert len(sent) == 4
    await receiver.stop()
