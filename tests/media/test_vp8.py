from __future__ import annotations

import pytest

from liveinterview.media import vp8

pytestmark = pytest.mark.media

# A real 2x2 VP8 keyframe header: frame tag (P bit clear), start code, width and height.
KEYFRAME = bytes([0x50, 0x01, 0x00, 0x9D, 0x01, 0x2A, 0x40, 0x01, 0xF0, 0x00]) + b"\x00" * 20
DELTA = bytes([0x51, 0x01, 0x00]) + b"\x11" * 27


@pytest.mark.parametrize(
    ("frame", "keyframe", "size"),
    [
        (KEYFRAME, True, (320, 240)),
        (DELTA, False, None),
        (KEYFRAME[:9], False, None),  # too short to be a keyframe
        (b"", False, None),
    ],
    ids=["keyframe", "delta", "truncated", "empty"],
)
def test_keyframes_are_recognised_from_the_frame_header(
    frame: bytes, keyframe: bool, size: tuple[int, int] | None
) -> None:
    assert vp8.is_keyframe(frame) is keyframe
    assert vp8.keyframe_size(frame) == size


def test_packetize_marks_only_the_first_payload_as_frame_start() -> None:
    frame = bytes(range(256)) * 10  # 2560 bytes: three payloads of at most 1200
    payloads = vp8.packetize(frame, picture_id=0x1234, max_payload=1200)

    assert [vp8.is_frame_start(p) for p in payloads] == [True, False, False]
    assert b"".join(p[4:] for p in payloads) == frame
    assert {p[2:4] for p in payloads} == {bytes([0x80 | 0x12, 0x34])}  # 15-bit picture id


def test_packetize_of_nothing_is_no_payload() -> None:
    assert vp8.packetize(b"", picture_id=1) == []


@pytest.mark.parametrize(
    ("first_octet", "start"),
    [(0x10, True), (0x90, True), (0x00, False), (0x11, False), (0x80, False)],
)
def test_frame_start_needs_the_s_bit_on_partition_zero(first_octet: int, start: bool) -> None:
    assert vp8.is_frame_start(bytes([first_octet, 0])) is start
