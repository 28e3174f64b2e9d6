"""When to ask a publisher for a keyframe (RTCP PLI): a pure rate limiter.

Browsers send keyframes only when asked (Chrome: practically never otherwise), so a late
joiner, a subscriber whose stream the relay had to cut, or a subscriber reporting picture loss
all need one. Requests from many subscribers collapse into at most one PLI per `min_interval`
per published track; while a keyframe is still wanted the request is repeated every
`retry_interval`, because the PLI or the keyframe itself can be lost.
"""

from __future__ import annotations


class KeyframeRequests:
    def __init__(self, *, min_interval: float = 0.5, retry_interval: float = 1.0) -> None:
        if retry_interval < min_interval:
            raise ValueError("retry_interval must not be shorter than min_interval")
        self.min_interval = min_interval
        self.retry_interval = retry_interval
        self.wanted = False
        self._last_sent: float | None = None

    def want(self) -> None:
        self.wanted = True

    def delay(self, now: float) -> float | None:
        """Seconds until a PLI may go out (0.0: now), or None when no keyframe is wanted."""
        if not self.wanted:
            return None
        if self._last_sent is None:
            return 0.0
        return max(0.0, self._last_sent + self.min_interval - now)

    def sent(self, now: float) -> float:
        """Record a PLI that went out; returns the delay before repeating it if still wanted."""
        self._last_sent = now
        return self.retry_interval

    def keyframe_arrived(self) -> None:
        self.wanted = False
