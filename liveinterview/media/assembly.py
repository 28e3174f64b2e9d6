"""Turning one publisher's RTP packets into encoded frames, without decoding anything.

Video: packets are reordered and cut into frames (from a packet with the VP8 start flag to
the packet with the marker bit). A hole in the sequence numbers is waited for (aiortc has sent
a NACK, the retransmission usually arrives within a round trip); after `gap_timeout` the
assembler gives up on it, skips to the next frame start and reports the drop, so that every
consumer waits for the next keyframe. Unlike aiortc's jitter buffer it never emits a frame
that is not complete, and it does not hold a finished frame back until the next one begins.

Audio: each Opus packet is its own frame and goes out at once: no jitter buffer (the browser
has one), only duplicates and packets older than one already forwarded are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from liveinterview.media.packets import ReceivedRtp, Unwrapper


# Not frozen: made for every packet or frame, and a frozen dataclass' __init__ costs ~4× as much
# (one object.__setattr__ per field). Treat as immutable all the same.
@dataclass(slots=True)
class AssembledFrame:
    data: bytes
    timestamp: int  # extended RTP timestamp
    rtp_timestamp: int
    arrival: float


@dataclass(frozen=True, slots=True)
class Assembly:
    """What one packet completed: frames in order, and whether data was given up on."""

    frames: list[AssembledFrame] = field(default_factory=list)
    dropped: bool = False


# Not frozen: made for every packet or frame, and a frozen dataclass' __init__ costs ~4× as much
# (one object.__setattr__ per field). Treat as immutable all the same.
@dataclass(slots=True)
class _Part:
    start: bool
    marker: bool
    timestamp: int
    rtp_timestamp: int
    data: bytes
    arrival: float


_NOTHING = Assembly()


class VideoFrameAssembler:
    """Frames out of one video SSRC's packets, in order, complete or not at all."""

    def __init__(self, *, gap_timeout: float = 0.3, max_packets: int = 1024) -> None:
        self.gap_timeout = gap_timeout
        self.max_packets = max_packets
        self._sequence = Unwrapper(16)
        self._timestamps = Unwrapper(32)
        self._parts: dict[int, _Part] = {}
        self._next: int | None = None  # sequence number the next frame starts at
        self._newest = -1
        self._hole_since: float | None = None

    def add(self, packet: ReceivedRtp, *, frame_start: bool) -> Assembly:
        seq = self._sequence.unwrap(packet.sequence_number)
        if (self._next is not None and seq < self._next) or seq in self._parts:
            return _NOTHING  # late retransmission or duplicate
        self._parts[seq] = _Part(
            start=frame_start,
            marker=packet.marker,
            timestamp=self._timestamps.unwrap(packet.timestamp),
            rtp_timestamp=packet.timestamp,
            data=packet.data,
            arrival=packet.arrival,
        )
        self._newest = max(self._newest, seq)
        frames: list[AssembledFrame] = []
        dropped = False
        while self._parts:
            if self._next is None and not self._resync():
                break
            frame = self._take_frame()
            if frame is not None:
                frames.append(frame)
                continue
            if not self._stuck(packet.arrival):
                break
            dropped = True
            self._skip_hole()
        if not frames and not dropped:
            return _NOTHING
        return Assembly(frames, dropped)

    def _resync(self) -> bool:
        """Start at the oldest frame start we hold (at the beginning, or after a skip)."""
        starts = [seq for seq, part in self._parts.items() if part.start]
        if not starts:
            if len(self._parts) > self.max_packets:
                self._parts.clear()
            return False
        self._next = min(starts)
        self._discard_below(self._next)
        return True

    def _take_frame(self) -> AssembledFrame | None:
        assert self._next is not None
        seq = self._next
        first = self._parts.get(seq)
        if first is None or not first.start:
            self._note_hole(seq)
            return None
        parts = [first]
        while not parts[-1].marker:
            seq += 1
            part = self._parts.get(seq)
            if part is None:
                self._note_hole(seq)
                return None
            if part.timestamp != first.timestamp:
                if not part.start:
                    self._note_hole(seq)
                    return None
                break  # the frame ended without a marker bit; the next one has begun
            parts.append(part)
        for offset in range(len(parts)):
            del self._parts[self._next + offset]
        self._next += len(parts)
        self._hole_since = None
        return AssembledFrame(
            data=b"".join(part.data for part in parts),
            timestamp=first.timestamp,
            rtp_timestamp=first.rtp_timestamp,
            arrival=parts[-1].arrival,
        )

    def _note_hole(self, seq: int) -> None:
        """A missing or misplaced packet at `seq`: only a hole if later packets are here."""
        if self._newest > seq and self._hole_since is None:
            later = [part.arrival for number, part in self._parts.items() if number > seq]
            self._hole_since = min(later)

    def _stuck(self, now: float) -> bool:
        if len(self._parts) > self.max_packets:
            return True
        return self._hole_since is not None and now - self._hole_since >= self.gap_timeout

    def _skip_hole(self) -> None:
        assert self._next is not None
        current = self._next
        later_starts = [seq for seq, part in self._parts.items() if part.start and seq > current]
        self._hole_since = None
        if later_starts:
            self._next = min(later_starts)
            self._discard_below(self._next)
        else:
            self._parts.clear()
            self._next = None

    def _discard_below(self, seq: int) -> None:
        for number in [n for n in self._parts if n < seq]:
            del self._parts[number]


class AudioPacketOrder:
    """Passes each audio packet on at once, dropping duplicates and ones already overtaken."""

    def __init__(self) -> None:
        self._sequence = Unwrapper(16)
        self._timestamps = Unwrapper(32)
        self._newest: int | None = None
        self.dropped = 0

    def accept(self, packet: ReceivedRtp) -> int | None:
        """The packet's extended RTP timestamp if it goes out, None if it is dropped."""
        seq = self._sequence.unwrap(packet.sequence_number)
        timestamp = self._timestamps.unwrap(packet.timestamp)
        if self._newest is not None and seq <= self._newest:
            self.dropped += 1
            return None
        self._newest = seq
        return timestamp
