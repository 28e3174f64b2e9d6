"""Microphone levels for the active-speaker highlight, from the RTP audio-level header.

The browser measures its own microphone and writes the level into every audio packet
(RFC 6464, urn:ietf:params:rtp-hdrext:ssrc-audio-level) as -dBov, 0 loudest and 127 silence.
The relay reads it instead of decoding. Levels are reported as linear amplitude 0.0 to 1.0
(the definition of `audioLevel` in WebRTC statistics: 1.0 is 0 dBov).
"""

from __future__ import annotations

from liveinterview.media.packets import EncodedFrame, SenderReport

SILENCE_DBOV = 127


def level_from_dbov(dbov: int) -> float:
    """Linear amplitude for an RFC 6464 level (0..127, -dBov)."""
    if dbov >= SILENCE_DBOV:
        return 0.0
    return float(10 ** (-max(0, dbov) / 20))


class LevelMeter:
    """The loudest level since the last report; a frame sink on a microphone publication."""

    def __init__(self) -> None:
        self._peak: float | None = None
        self._reported_silence = True

    def take(self) -> float | None:
        """The level to report now, or None when there is nothing new (silence already told)."""
        peak, self._peak = self._peak, None
        level = peak or 0.0
        if level == 0.0:
            if self._reported_silence:
                return None
            self._reported_silence = True
            return 0.0
        self._reported_silence = False
        return round(level, 4)

    def add(self, dbov: int) -> None:
        level = level_from_dbov(dbov)
        self._peak = level if self._peak is None else max(self._peak, level)

    # FrameSink
    def on_frame(self, frame: EncodedFrame) -> None:
        if frame.audio_level is not None:
            self.add(frame.audio_level)

    def on_discontinuity(self) -> None:
        pass

    def on_sender_report(self, report: SenderReport) -> None:
        pass

    def on_end(self) -> None:
        self._peak = None
