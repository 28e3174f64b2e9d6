"""The few facts about VP8 over RTP (RFC 7741) a forwarder needs; pure functions."""

from __future__ import annotations

import struct

# Payload descriptor, first octet: |X|R|N|S|R|PID(3)|
_EXTENDED = 0x80
_START = 0x10
_PARTITION = 0x07
# Extended octet: |I|L|T|K|RSV|; with I, a 15-bit picture id follows with the M bit set.
_HAS_PICTURE_ID = 0x80
_KEYFRAME_START_CODE = b"\x9d\x01\x2a"
MAX_PAYLOAD = 1200  # bytes of VP8 data per RTP packet: leaves room for TURN/VPN overheads


def is_frame_start(payload: bytes) -> bool:
    """Whether this RTP payload (descriptor included) begins a frame: S bit set, partition 0."""
    return bool(payload) and bool(payload[0] & _START) and payload[0] & _PARTITION == 0


def is_keyframe(frame: bytes) -> bool:
    """Whether a reassembled VP8 frame is a keyframe (P bit clear, start code present)."""
    return len(frame) >= 10 and not frame[0] & 0x01 and frame[3:6] == _KEYFRAME_START_CODE


def keyframe_size(frame: bytes) -> tuple[int, int] | None:
    """Width and height announced by a keyframe (scaling bits dropped), else None."""
    if not is_keyframe(frame):
        return None
    width, height = struct.unpack_from("<HH", frame, 6)
    return width & 0x3FFF, height & 0x3FFF


def packetize(frame: bytes, picture_id: int, max_payload: int = MAX_PAYLOAD) -> list[bytes]:
    """Split one encoded frame into RTP payloads, each with a descriptor carrying `picture_id`."""
    picture = struct.pack("!H", 0x8000 | (picture_id & 0x7FFF))
    payloads = []
    for offset in range(0, len(frame), max_payload):
        first = _EXTENDED | (_START if offset == 0 else 0)
        descriptor = bytes((first, _HAS_PICTURE_ID)) + picture
        payloads.append(descriptor + frame[offset : offset + max_payload])
    return payloads
