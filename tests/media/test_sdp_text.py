from __future__ import annotations

import pytest

from liveinterview.media import sdp_text
from liveinterview.media.levels import LevelMeter, level_from_dbov

pytestmark = pytest.mark.media

OFFER = "\r\n".join(
    [
        "v=0",
        "o=- 1 1 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "m=audio 5000 UDP/TLS/RTP/SAVPF 96",
        "c=IN IP4 10.0.0.5",
        "a=recvonly",
        "a=mid:0",
        "a=msid:a b",
        "a=rtpmap:96 opus/48000/2",
        "a=candidate:1 1 udp 2130706431 10.0.0.5 5000 typ host",
        "a=candidate:2 1 udp 1694498815 198.51.100.7 5000 typ srflx raddr 10.0.0.5 rport 5000",
        "m=video 5000 UDP/TLS/RTP/SAVPF 97 98 99",
        "c=IN IP4 10.0.0.5",
        "a=sendonly",
        "a=mid:1",
        "a=msid:user%3A7 camera-user%3A7",
        "a=rtpmap:97 VP8/90000",
        "a=rtpmap:98 rtx/90000",
        "a=fmtp:98 apt=97",
        "a=rtpmap:99 VP8/90000",
        "a=fmtp:99 max-fr=30",
        "a=candidate:1 1 udp 2130706431 10.0.0.5 5000 typ host",
        "",
    ]
)


def test_start_bitrate_goes_on_every_vp8_format_and_nothing_else() -> None:
    edited = sdp_text.with_start_bitrate(OFFER, 1000)
    assert "a=fmtp:97 x-google-start-bitrate=1000\r\n" in edited
    assert "a=fmtp:99 max-fr=30;x-google-start-bitrate=1000\r\n" in edited
    assert "a=fmtp:98 apt=97\r\n" in edited
    assert edited.count("x-google-start-bitrate") == 2
    assert sdp_text.with_start_bitrate(edited, 1000) == edited  # idempotent


def test_announced_address_replaces_the_local_one_on_host_candidates_only() -> None:
    edited = sdp_text.with_announced_address(OFFER, "203.0.113.9", ["10.0.0.5"])
    assert sdp_text.candidate_addresses(edited) == ["203.0.113.9", "198.51.100.7", "203.0.113.9"]
    assert sdp_text.connection_addresses(edited) == ["203.0.113.9", "203.0.113.9"]
    assert "raddr 10.0.0.5" in edited  # the srflx candidate keeps its related address


def test_announcing_an_ipv6_address_writes_an_ip6_connection_line() -> None:
    edited = sdp_text.with_announced_address(OFFER, "2001:db8::1")
    assert "c=IN IP6 2001:db8::1\r\n" in edited


def test_msid_names_participant_and_source_and_reads_back() -> None:
    assert sdp_text.msid_for("user:7", "camera") == ("user%3A7", "camera-user%3A7")
    assert sdp_text.msids(OFFER) == {"1": ("user:7", "camera")}  # "a b" is not ours
    assert sdp_text.directions(OFFER) == {"0": "recvonly", "1": "sendonly"}


def test_tcp_and_mdns_candidates_are_dropped_from_answers() -> None:
    srflx = "typ srflx raddr 10.0.0.5 rport 5000\r\n"
    answer = OFFER.replace(
        srflx,
        srflx
        + "a=candidate:3 1 tcp 1518280447 10.0.0.5 9 typ host tcptype active\r\n"
        + "a=candidate:4 1 udp 2122260223 4f3c-11aa.local 5001 typ host\r\n",
    )
    assert len(sdp_text.candidate_addresses(answer)) == 5
    assert sdp_text.without_unreachable_candidates(answer) == OFFER
    assert sdp_text.without_unreachable_candidates(OFFER) is OFFER


@pytest.mark.parametrize(
    ("dbov", "level"), [(0, 1.0), (20, 0.1), (40, 0.01), (127, 0.0), (200, 0.0)]
)
def test_levels_are_linear_amplitude_of_the_rfc6464_value(dbov: int, level: float) -> None:
    assert level_from_dbov(dbov) == pytest.approx(level)


def test_the_meter_reports_the_loudest_level_and_silence_only_once() -> None:
    meter = LevelMeter()
    assert meter.take() is None  # nothing heard yet
    meter.add(40)
    meter.add(20)
    assert meter.take() == pytest.approx(0.1)
    assert meter.take() == 0.0  # it went quiet: said once
    assert meter.take() is None
