"""Where an in-call event falls in the review video, whose paused stretches are cut out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime


def video_offsets(
    events: Sequence[tuple[datetime, str]],
    *,
    started_at: datetime,
    stopped_at: datetime | None,
) -> list[float | None]:
    """Seconds into the review video for each (time, kind) event, in the events' order.

    Paused stretches (between a "paused" and the next "resumed" event) are not in the video:
    an event inside one lands where the video continues; events before the start or after
    the stop are outside the video (None).
    """
    pauses: list[tuple[datetime, datetime | None]] = []
    for at, kind in sorted(events, key=lambda e: e[0]):
        if kind == "paused" and (not pauses or pauses[-1][1] is not None):
            pauses.append((at, None))
        elif kind == "resumed" and pauses and pauses[-1][1] is None:
            pauses[-1] = (pauses[-1][0], at)
    offsets: list[float | None] = []
    for at, _ in events:
        if at < started_at or (stopped_at is not None and at > stopped_at):
            offsets.append(None)
            continue
        cut = 0.0
        for begin, end in pauses:
            if begin >= at:
                break
            finish = end if end is not None and end < at else at
            cut += (finish - begin).total_seconds()
        offsets.append(round((at - started_at).total_seconds() - cut, 3))
    return offsets
