"""Load what the slot function needs for a panel, in one read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from liveinterview.domain.availability import Interval, InterviewerSchedule, LocalRange
from liveinterview.storage import availability as store
from liveinterview.storage import bookings

# Bookings and busy times just outside the window still matter (buffers, weekly limits).
MARGIN = timedelta(days=8)


def _local_range(start_minute: int, end_minute: int) -> LocalRange:
    def clock(minute: int) -> time:
        return time(0) if minute >= 1440 else time(minute // 60, minute % 60)

    return LocalRange(clock(start_minute), clock(end_minute))


async def load_schedules(
    conn: AsyncConnection,
    user_ids: Sequence[int],
    *,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    exclude_request_id: int | None = None,
) -> dict[int, InterviewerSchedule]:
    """Every panelist's schedule; `exclude_request_id` frees the slot being rescheduled."""
    ids = list(dict.fromkeys(user_ids))
    start, end = window_start - MARGIN, window_end + MARGIN
    prefs = await store.prefs_for(conn, ids)
    weekly = await store.weekly_for(conn, ids)
    overrides = await store.overrides_for(conn, ids, since=(start - MARGIN).date())
    busy = await store.busy_for(conn, ids, start, end)
    broken = await store.broken_sources(conn, ids)
    booked = await bookings.active_bookings(
        conn, ids, start, end, exclude_request_id=exclude_request_id
    )
    load = await bookings.upcoming_load(conn, ids, now)
    schedules: dict[int, InterviewerSchedule] = {}
    for user_id in ids:
        pref = prefs.get(user_id)
        if pref is None:
            continue  # unknown user: the slot function reports it
        schedules[user_id] = InterviewerSchedule(
            interviewer_id=user_id,
            tz=pref.timezone,
            weekly={
                day: tuple(_local_range(a, b) for a, b in ranges)
                for day, ranges in weekly[user_id].items()
            },
            overrides={
                day: tuple(_local_range(a, b) for a, b in ranges)
                for day, ranges in overrides[user_id].items()
            },
            buffer_before=timedelta(minutes=pref.buffer_before_minutes),
            buffer_after=timedelta(minutes=pref.buffer_after_minutes),
            max_per_day=pref.max_per_day,
            max_per_week=pref.max_per_week,
            min_notice=timedelta(minutes=pref.min_notice_minutes),
            bookings=tuple(Interval(s, e) for s, e in booked[user_id]),
            busy=tuple(Interval(s, e) for s, e in busy[user_id]),
            load=load[user_id],
            unavailable_reason=broken.get(user_id),
        )
    return schedules
