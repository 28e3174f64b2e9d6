"""How many failed sign-ins are tolerated before an account or address must wait."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    window: timedelta
    max_failures: int

    def retry_after(self, failures: Sequence[datetime], now: datetime) -> int:
        """Seconds until another attempt is allowed; 0 when allowed now.

        Sliding window: once `max_failures` failures lie inside the window, the next attempt
        is allowed when the oldest of the most recent `max_failures` leaves the window.
        """
        recent = sorted(at for at in failures if now - at < self.window)
        if len(recent) < self.max_failures:
            return 0
        oldest_counted = recent[-self.max_failures]
        wait = (oldest_counted + self.window - now).total_seconds()
        return max(1, math.ceil(wait))
