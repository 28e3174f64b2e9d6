"""When an interview room is open, and who is let in as what."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from liveinterview.domain.errors import Conflict, Gone


class RoomState(enum.StrEnum):
    NOT_YET = "not_yet"
    OPEN = "open"
    OVER = "over"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class RoomWindow:
    state: RoomState
    opens_at: datetime
    closes_at: datetime


@dataclass(frozen=True)
class RoomPolicy:
    opens_before: timedelta
    closes_after: timedelta


def room_window(
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    cancelled: bool,
    ended_at: datetime | None,
    policy: RoomPolicy,
) -> RoomWindow:
    """The room opens a while before the start and closes a while after the planned end
    (or when an interviewer ends it)."""
    opens_at = start - policy.opens_before
    closes_at = end + policy.closes_after
    if cancelled:
        state = RoomState.CANCELLED
    elif ended_at is not None or now >= closes_at:
        state = RoomState.OVER
    elif now < opens_at:
        state = RoomState.NOT_YET
    else:
        state = RoomState.OPEN
    return RoomWindow(state, opens_at, closes_at)


def check_can_enter(window: RoomWindow) -> None:
    """Raise Conflict (not open yet) or Gone (over, cancelled) with a plain explanation."""
    if window.state is RoomState.CANCELLED:
        raise Gone("This interview was cancelled.")
    if window.state is RoomState.OVER:
        raise Gone("This interview has ended.")
    if window.state is RoomState.NOT_YET:
        raise Conflict("The interview room is not open yet.")
