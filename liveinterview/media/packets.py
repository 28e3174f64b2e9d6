"""What flows through the relay: received RTP, reassembled encoded frames, sender reports.

These are the relay's own types, so nothing outside `receiver_tap` and `sender_feed` touches
aiortc's packet classes. A recorder subscribing to a publication sees `EncodedFrame`s and
`SenderReport`s (see docs/media.md).
"""

from __future__ import annotations

from dataclasses import dataclass

AUDIO_CLOCK_RATE = 48_000  # Opus
VIDEO_CLOCK_RATE = 90_000


# Not frozen: made for every packet or frame, and a frozen dataclass' __init__ costs ~4× as much
# (one object.__setattr__ per field). Treat as immutable all the same.
@dataclass(slots=True)
class ReceivedRtp:
    """One RTP packet after aiortc's SRTP, RTX unwrapping and depayloading."""

    ssrc: int
    sequence_number: int
    timestamp: int
    marker: bool
    payload: bytes  # as received, codec payload descriptor included
    data: bytes  # the payload with the codec descriptor removed (what frames are made of)
    audio_level: tuple[bool, int] | None  # RFC 6464: (voice activity, level in -dBov)
    arrival: float  # monotonic seconds


# Not frozen: made for every packet or frame, and a frozen dataclass' __init__ costs ~4× as much
# (one object.__setattr__ per field). Treat as immutable all the same.
@dataclass(slots=True)
class EncodedFrame:
    """One encoded frame (video) or packet (audio), exactly as the publisher encoded it."""

    data: bytes
    timestamp: int  # RTP timestamp extended to 64 bits: keeps counting across 32-bit wraps
    rtp_timestamp: int  # the 32-bit RTP timestamp as sent, to map through sender reports
    ssrc: int
    keyframe: bool  # always True for audio
    arrival: float  # monotonic seconds when the frame was complete
    audio_level: int | None = None  # audio only: -dBov, 0 is loudest, 127 is silence


@dataclass(frozen=True, slots=True)
class SenderReport:
    """An RTCP sender report: which wall-clock (NTP) time an RTP timestamp corresponds to."""

    ssrc: int
    ntp_timestamp: int  # 64-bit NTP: seconds since 1900 in the high 32 bits
    rtp_timestamp: int
    arrival: float  # monotonic seconds


class Unwrapper:
    """Extends a wrapping counter (16-bit sequence numbers, 32-bit timestamps) to an int."""

    def __init__(self, bits: int) -> None:
        self._modulus = 1 << bits
        self._last: int | None = None

    def unwrap(self, value: int) -> int:
        if self._last is None:
            self._last = value
            return value
        delta = (value - self._last) % self._modulus
        if delta >= self._modulus // 2:
            delta -= self._modulus
        extended = self._last + delta
        if delta > 0:
            self._last = extended
        return extended
