from __future__ import annotations

import pytest

from liveinterview.media.assembly import AudioPacketOrder, VideoFrameAssembler
from liveinterview.media.packets import ReceivedRtp, Unwrapper

pytestmark = pytest.mark.media

# A packet: (sequence number, timestamp, frame start, marker, data, arrival)
Spec = tuple[int, int, bool, bool, bytes, float]


def rtp(seq: int, ts: int, marker: bool, data: bytes, arrival: float) -> ReceivedRtp:
    return ReceivedRtp(
        ssrc=1,
        sequence_number=seq % 65536,
        timestamp=ts % (1 << 32),
        marker=marker,
        payload=b"",
        data=data,
        audio_level=None,
        arrival=arrival,
    )


def feed(assembler: VideoFrameAssembler, packets: list[Spec]) -> tuple[list[bytes], int]:
    frames: list[bytes] = []
    drops = 0
    for seq, ts, start, marker, data, arrival in packets:
        result = assembler.add(rtp(seq, ts, marker, data, arrival), frame_start=start)
        frames += [frame.data for frame in result.frames]
        drops += result.dropped
    return frames, drops


CASES: list[tuple[str, list[Spec], list[bytes], int]] = [
    (
        "in order",
        [(1, 0, True, False, b"a", 0), (2, 0, False, True, b"b", 0), (3, 90, True, True, b"c", 0)],
        [b"ab", b"c"],
        0,
    ),
    (
        "reordered within a frame",
        [(2, 0, False, True, b"b", 0), (1, 0, True, False, b"a", 0)],
        [b"ab"],
        0,
    ),
    (
        "a frame is out as soon as its marker packet completes it",
        [(1, 0, True, True, b"a", 0)],
        [b"a"],
        0,
    ),
    (
        "duplicates and late retransmissions are ignored",
        [(1, 0, True, True, b"a", 0), (1, 0, True, True, b"a", 0), (2, 90, True, True, b"b", 0)],
        [b"a", b"b"],
        0,
    ),
    (
        "a hole filled by a retransmission in time",
        [
            (1, 0, True, False, b"a", 0.0),
            (3, 90, True, True, b"c", 0.01),
            (2, 0, False, True, b"b", 0.1),
        ],
        [b"ab", b"c"],
        0,
    ),
    (
        "a hole never filled: give up after the gap timeout, skip to the next frame start",
        [
            (1, 0, True, False, b"a", 0.0),
            (3, 90, True, True, b"c", 0.01),
            (4, 180, True, True, b"d", 0.5),
        ],
        [b"c", b"d"],
        1,
    ),
    (
        "joining mid-frame: packets before the first frame start are skipped",
        [(5, 0, False, True, b"x", 0), (6, 90, True, True, b"y", 0)],
        [b"y"],
        0,
    ),
    (
        "a frame without a marker bit ends where the next frame starts",
        [(1, 0, True, False, b"a", 0), (2, 90, True, True, b"b", 0)],
        [b"a", b"b"],
        0,
    ),
    (
        "sequence numbers wrap around",
        [(65535, 0, True, False, b"a", 0), (65536, 0, False, True, b"b", 0)],
        [b"ab"],
        0,
    ),
]


@pytest.mark.parametrize(
    ("packets", "frames", "drops"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_video_frames_are_complete_and_in_order(
    packets: list[Spec], frames: list[bytes], drops: int
) -> None:
    assert feed(VideoFrameAssembler(gap_timeout=0.3), packets) == (frames, drops)


def test_a_large_frame_arriving_slowly_without_holes_is_never_given_up() -> None:
    # A paced keyframe on a slow link: 100 packets over two seconds, none missing.
    packets: list[Spec] = [(n, 0, n == 0, n == 99, bytes([n]), n * 0.02) for n in range(100)]
    frames, drops = feed(VideoFrameAssembler(gap_timeout=0.3), packets)
    assert (len(frames), drops) == (1, 0)
    assert frames[0] == bytes(range(100))


def test_the_buffer_is_bounded_when_a_hole_never_closes() -> None:
    # Two-packet frames; packet 4 (the start of the third frame) never arrives.
    assembler = VideoFrameAssembler(gap_timeout=1000, max_packets=16)
    packets: list[Spec] = [
        (n, n // 2, n % 2 == 0, n % 2 == 1, b"x", 0) for n in range(100) if n != 4
    ]
    frames, drops = feed(assembler, packets)
    assert drops == 1
    assert len(frames) == 49  # 50 frames sent, one broken


def test_audio_packets_go_out_at_once_and_duplicates_or_overtaken_ones_are_dropped() -> None:
    order = AudioPacketOrder()
    sequence = [(10, 960), (12, 2880), (11, 1920), (12, 2880), (13, 3840)]
    accepted = [order.accept(rtp(seq, ts, True, b"", 0)) for seq, ts in sequence]
    assert accepted == [960, 2880, None, None, 3840]
    assert order.dropped == 2


@pytest.mark.parametrize(
    ("bits", "values", "extended"),
    [
        (16, [65534, 65535, 0, 1], [65534, 65535, 65536, 65537]),
        (16, [10, 9, 11], [10, 9, 11]),
        (16, [1, 65535, 2], [1, -1, 2]),
        (32, [4294967000, 100], [4294967000, 4294967396]),
    ],
)
def test_unwrapping_counts_on_across_wraps(
    bits: int, values: list[int], extended: list[int]
) -> None:
    unwrapper = Unwrapper(bits)
    assert [unwrapper.unwrap(v) for v in values] == extended
