"""Slot rules: working hours across DST and zones, buffers, notice, limits, pools, errors."""

from __future__ import annotations

import contextlib
import random
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import product
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from liveinterview.domain.availability import (
    MIDNIGHT,
    Interval,
    InterviewerSchedule,
    InvalidAvailabilityInput,
    LocalRange,
    Slot,
    SlotRequest,
    SlotUnavailable,
    UnavailableReason,
    check_slot,
    free_slots,
)
from liveinterview.domain.intervals import InvalidInterval

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)


def at(text: str) -> datetime:
    """A UTC instant from 'YYYY-MM-DDTHH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def hours(start: str, end: str) -> LocalRange:
    """A wall-clock range; '24:00' is midnight at the end of the day."""
    return LocalRange(
        time.fromisoformat(start), MIDNIGHT if end == "24:00" else time.fromisoformat(end)
    )


def busy(start: str, end: str) -> Interval:
    return Interval(at(start), at(end))


def every_day(*ranges: LocalRange) -> dict[int, tuple[LocalRange, ...]]:
    return {weekday: ranges for weekday in range(7)}


def person(interviewer_id: int, tz: str = "UTC", **fields: Any) -> InterviewerSchedule:
    fields.setdefault("weekly", every_day(hours("09:00", "17:00")))
    return InterviewerSchedule(interviewer_id=interviewer_id, tz=tz, **fields)


def request(
    start: str,
    end: str,
    required: tuple[int, ...] = (1,),
    pools: tuple[tuple[int, ...], ...] = (),
    duration: int = 60,
    step: int = 30,
) -> SlotRequest:
    return SlotRequest(
        required=required,
        pools=pools,
        duration=timedelta(minutes=duration),
        step=timedelta(minutes=step),
        window_start=at(start),
        window_end=at(end),
    )


def panel(*schedules: InterviewerSchedule) -> dict[int, InterviewerSchedule]:
    return {s.interviewer_id: s for s in schedules}


def starts(slots: Sequence[Slot]) -> list[str]:
    return [s.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M") for s in slots]


def every(first: str, last: str, minutes: int) -> list[str]:
    """Expected starts from `first` to `last` inclusive, `minutes` apart."""
    moment, result = at(first), []
    while moment <= at(last):
        result.append(moment.strftime("%Y-%m-%dT%H:%M"))
        moment += timedelta(minutes=minutes)
    return result


# --- working hours across DST -------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "local_range", "expected"),
    [
        pytest.param(
            "Europe/Berlin", date(2024, 3, 31), hours("01:00", "04:00"),
            ["2024-03-31T00:00", "2024-03-31T00:30", "2024-03-31T01:00"],
            id="berlin-spring-forward-01-04-is-two-real-hours",
        ),
        pytest.param(
            "Europe/Berlin", date(2024, 3, 31), hours("02:00", "04:00"),
            ["2024-03-31T01:00"],
            id="berlin-spring-forward-02-04-is-one-real-hour",
        ),
        pytest.param(
            "Europe/Berlin", date(2024, 10, 27), hours("01:00", "04:00"),
            every("2024-10-26T23:00", "2024-10-27T02:00", 30),
            id="berlin-fall-back-01-04-is-four-real-hours",
        ),
        pytest.param(
            "Europe/Berlin", date(2024, 10, 27), hours("02:00", "03:00"),
            ["2024-10-27T00:00", "2024-10-27T00:30", "2024-10-27T01:00"],
            id="berlin-fall-back-doubled-hour-counts-twice",
        ),
        pytest.param(
            "America/New_York", date(2024, 3, 10), hours("01:00", "04:00"),
            ["2024-03-10T06:00", "2024-03-10T06:30", "2024-03-10T07:00"],
            id="new-york-spring-forward-01-04-is-two-real-hours",
        ),
        pytest.param(
            "America/New_York", date(2024, 11, 3), hours("01:00", "02:00"),
            ["2024-11-03T05:00", "2024-11-03T05:30", "2024-11-03T06:00"],
            id="new-york-fall-back-doubled-hour-counts-twice",
        ),
        pytest.param(
            "America/New_York", date(2024, 11, 3), hours("00:00", "03:00"),
            every("2024-11-03T04:00", "2024-11-03T07:00", 30),
            id="new-york-fall-back-00-03-is-four-real-hours",
        ),
    ],
)  # fmt: skip
def test_working_range_on_a_dst_day_lasts_its_real_length(
    tz: str, day: date, local_range: LocalRange, expected: list[str]
) -> None:
    schedule = person(1, tz, weekly={}, overrides={day: (local_range,)})
    window = request(f"{day - timedelta(days=1)}T00:00", f"{day + timedelta(days=2)}T00:00")

    assert starts(free_slots(window, panel(schedule), LONG_AGO)) == expected


@pytest.mark.parametrize(
    ("tz", "day", "expected_labels"),
    [
        pytest.param(
            "Europe/Berlin", date(2024, 3, 31),
            [f"{h:02}:{m:02}+01" for h in (0, 1) for m in (0, 30)]
            + [f"{h:02}:{m:02}+02" for h in range(3, 24) for m in (0, 30)],
            id="berlin-spring-forward-skips-02xx",
        ),
        pytest.param(
            "Europe/Berlin", date(2024, 10, 27),
            [f"{h:02}:{m:02}+02" for h in (0, 1, 2) for m in (0, 30)]
            + [f"{h:02}:{m:02}+01" for h in range(2, 24) for m in (0, 30)],
            id="berlin-fall-back-offers-02xx-twice",
        ),
        pytest.param(
            "America/New_York", date(2024, 3, 10),
            [f"{h:02}:{m:02}-05" for h in (0, 1) for m in (0, 30)]
            + [f"{h:02}:{m:02}-04" for h in range(3, 24) for m in (0, 30)],
            id="new-york-spring-forward-skips-02xx",
        ),
        pytest.param(
            "America/New_York", date(2024, 11, 3),
            [f"{h:02}:{m:02}-04" for h in (0, 1) for m in (0, 30)]
            + [f"{h:02}:{m:02}-05" for h in range(1, 24) for m in (0, 30)],
            id="new-york-fall-back-offers-01xx-twice",
        ),
    ],
)  # fmt: skip
def test_whole_dst_day_offers_each_real_half_hour_once(
    tz: str, day: date, expected_labels: list[str]
) -> None:
    schedule = person(1, tz, weekly={}, overrides={day: (hours("00:00", "24:00"),)})
    window = request(
        f"{day - timedelta(days=1)}T00:00", f"{day + timedelta(days=2)}T00:00", duration=30
    )

    slots = free_slots(window, panel(schedule), LONG_AGO)

    labels = [s.start.astimezone(ZoneInfo(tz)).strftime("%H:%M%z")[:-2] for s in slots]
    assert labels == expected_labels


@pytest.mark.parametrize(
    ("tz", "window_start", "window_end", "expected"),
    [
        pytest.param(
            "Europe/Berlin", "2024-03-29T00:00", "2024-04-02T00:00",
            ["2024-03-29T08:00", "2024-04-01T07:00"],
            id="berlin-friday-cet-monday-cest",
        ),
        pytest.param(
            "America/New_York", "2024-03-08T00:00", "2024-03-12T00:00",
            ["2024-03-08T14:00", "2024-03-11T13:00"],
            id="new-york-friday-est-monday-edt",
        ),
    ],
)  # fmt: skip
def test_weekly_hours_keep_their_wall_clock_time_across_dst(
    tz: str, window_start: str, window_end: str, expected: list[str]
) -> None:
    weekdays = {0: (hours("09:00", "10:00"),), 4: (hours("09:00", "10:00"),)}
    schedule = person(1, tz, weekly=weekdays)

    slots = free_slots(request(window_start, window_end, step=60), panel(schedule), LONG_AGO)

    assert starts(slots) == expected


# --- zones, ranges, overrides -------------------------------------------------------------


@pytest.mark.parametrize(
    ("zones", "expected"),
    [
        pytest.param(
            {1: "Europe/Berlin", 2: "America/New_York"},
            ["2024-06-12T13:00", "2024-06-12T13:30", "2024-06-12T14:00"],
            id="berlin-and-new-york-meet-13-15-utc",
        ),
        pytest.param(
            {1: "Europe/Berlin", 2: "America/New_York", 3: "Asia/Kolkata"},
            ["2024-06-12T13:00", "2024-06-12T13:30"],
            id="berlin-new-york-kolkata-meet-13-1430-utc",
        ),
        pytest.param(
            {1: "Europe/Berlin", 3: "Asia/Kolkata"},
            every("2024-06-12T07:00", "2024-06-12T13:30", 30),
            id="berlin-and-kolkata-meet-07-1430-utc",
        ),
    ],
)
def test_panel_across_zones_is_offered_only_the_overlap(
    zones: dict[int, str], expected: list[str]
) -> None:
    workday = {
        "Europe/Berlin": hours("09:00", "17:00"),
        "America/New_York": hours("09:00", "17:00"),
        "Asia/Kolkata": hours("09:00", "20:00"),
    }
    schedules = panel(*(person(i, tz, weekly=every_day(workday[tz])) for i, tz in zones.items()))
    window = request("2024-06-12T00:00", "2024-06-13T00:00", required=tuple(zones))

    slots = free_slots(window, schedules, LONG_AGO)

    assert starts(slots) == expected
    assert {s.interviewers for s in slots} == {tuple(zones)}


@pytest.mark.parametrize(
    ("weekly", "expected"),
    [
        pytest.param(
            {2: (hours("09:00", "12:00"), hours("13:00", "17:00"))},
            every("2024-06-12T09:00", "2024-06-12T11:00", 30)
            + every("2024-06-12T13:00", "2024-06-12T16:00", 30),
            id="lunch-break-splits-the-day",
        ),
        pytest.param(
            {2: (hours("09:00", "12:00"), hours("12:00", "14:00"))},
            every("2024-06-12T09:00", "2024-06-12T13:00", 30),
            id="touching-ranges-join",
        ),
        pytest.param(
            {2: (hours("09:00", "11:00"), hours("10:00", "12:00"))},
            every("2024-06-12T09:00", "2024-06-12T11:00", 30),
            id="overlapping-ranges-merge",
        ),
        pytest.param(
            {2: (hours("22:00", "24:00"),), 3: (hours("00:00", "02:00"),)},
            every("2024-06-12T22:00", "2024-06-13T01:00", 30),
            id="ranges-of-adjacent-days-join-at-midnight",
        ),
        pytest.param(
            {2: (hours("09:00", "09:45"), hours("16:00", "17:00"))},
            ["2024-06-12T16:00"],
            id="range-shorter-than-the-meeting-offers-nothing",
        ),
    ],
)
def test_several_ranges_per_day(
    weekly: dict[int, tuple[LocalRange, ...]], expected: list[str]
) -> None:
    schedule = person(1, weekly=weekly)
    window = request("2024-06-12T00:00", "2024-06-14T00:00")

    assert starts(free_slots(window, panel(schedule), LONG_AGO)) == expected


WEEKDAYS_9_TO_11 = {weekday: (hours("09:00", "11:00"),) for weekday in range(5)}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            {},
            ["2024-06-10T09:00", "2024-06-11T09:00", "2024-06-12T09:00", "2024-06-13T09:00",
             "2024-06-14T09:00"],
            id="weekly-hours-only",
        ),
        pytest.param(
            {date(2024, 6, 12): ()},
            ["2024-06-10T09:00", "2024-06-11T09:00", "2024-06-13T09:00", "2024-06-14T09:00"],
            id="empty-override-is-a-day-off",
        ),
        pytest.param(
            {date(2024, 6, 15): (hours("10:00", "12:00"),)},
            ["2024-06-10T09:00", "2024-06-11T09:00", "2024-06-12T09:00", "2024-06-13T09:00",
             "2024-06-14T09:00", "2024-06-15T10:00"],
            id="override-adds-saturday-hours",
        ),
        pytest.param(
            {date(2024, 6, 12): (hours("14:00", "16:00"),)},
            ["2024-06-10T09:00", "2024-06-11T09:00", "2024-06-12T14:00", "2024-06-13T09:00",
             "2024-06-14T09:00"],
            id="override-replaces-the-weekly-hours-of-that-date",
        ),
    ],
)  # fmt: skip
def test_date_override_replaces_the_weekly_hours(
    overrides: dict[date, tuple[LocalRange, ...]], expected: list[str]
) -> None:
    schedule = person(1, weekly=WEEKDAYS_9_TO_11, overrides=overrides)
    window = request("2024-06-10T00:00", "2024-06-17T00:00", duration=120, step=60)

    assert starts(free_slots(window, panel(schedule), LONG_AGO)) == expected


def test_override_on_a_local_date_follows_the_interviewers_zone() -> None:
    # 2024-06-13 in Tokyo starts at 2024-06-12T15:00Z: the day off must cover that, not the UTC day.
    schedule = person(
        1, "Asia/Tokyo", weekly=every_day(hours("00:00", "02:00")),
        overrides={date(2024, 6, 13): ()},
    )  # fmt: skip
    window = request("2024-06-12T00:00", "2024-06-14T00:00", step=60)

    slots = free_slots(window, panel(schedule), LONG_AGO)

    assert starts(slots) == ["2024-06-13T15:00", "2024-06-13T16:00"]


# --- busy time, buffers, notice -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "before", "after", "expected"),
    [
        pytest.param(
            "booking", 0, 0,
            every("2024-06-12T08:00", "2024-06-12T09:00", 15)
            + every("2024-06-12T11:00", "2024-06-12T12:00", 15),
            id="booking-without-buffers",
        ),
        pytest.param(
            "booking", 15, 15,
            every("2024-06-12T08:00", "2024-06-12T08:30", 15)
            + every("2024-06-12T11:30", "2024-06-12T12:00", 15),
            id="booking-buffers-add-up-on-both-sides",
        ),
        pytest.param(
            "booking", 0, 30,
            every("2024-06-12T08:00", "2024-06-12T08:30", 15)
            + every("2024-06-12T11:30", "2024-06-12T12:00", 15),
            id="booking-buffer-after-only",
        ),
        pytest.param(
            "booking", 30, 0,
            every("2024-06-12T08:00", "2024-06-12T08:30", 15)
            + every("2024-06-12T11:30", "2024-06-12T12:00", 15),
            id="booking-buffer-before-only",
        ),
        pytest.param(
            "busy", 15, 15,
            every("2024-06-12T08:00", "2024-06-12T08:45", 15)
            + every("2024-06-12T11:15", "2024-06-12T12:00", 15),
            id="busy-event-gets-the-meetings-buffers-once",
        ),
        pytest.param(
            "busy", 0, 30,
            every("2024-06-12T08:00", "2024-06-12T08:30", 15)
            + every("2024-06-12T11:00", "2024-06-12T12:00", 15),
            id="busy-event-buffer-after-the-meeting",
        ),
        pytest.param(
            "busy", 30, 0,
            every("2024-06-12T08:00", "2024-06-12T09:00", 15)
            + every("2024-06-12T11:30", "2024-06-12T12:00", 15),
            id="busy-event-buffer-before-the-meeting",
        ),
    ],
)  # fmt: skip
def test_buffers_keep_time_free_around_bookings_and_busy_events(
    kind: str, before: int, after: int, expected: list[str]
) -> None:
    blocker = (busy("2024-06-12T10:00", "2024-06-12T11:00"),)
    schedule = person(
        1,
        weekly=every_day(hours("08:00", "13:00")),
        buffer_before=timedelta(minutes=before),
        buffer_after=timedelta(minutes=after),
        bookings=blocker if kind == "booking" else (),
        busy=blocker if kind == "busy" else (),
    )
    window = request("2024-06-12T00:00", "2024-06-13T00:00", step=15)

    assert starts(free_slots(window, panel(schedule), LONG_AGO)) == expected


def test_recurring_busy_event_blocks_every_occurrence() -> None:
    # A Berlin 10:00 stand-up, already expanded by the calendar importer into one per weekday.
    standups = tuple(busy(f"2024-06-{day}T08:00", f"2024-06-{day}T08:30") for day in range(10, 15))
    schedule = person(
        1, "Europe/Berlin", weekly={d: (hours("09:00", "12:00"),) for d in range(5)},
        busy=standups,
    )  # fmt: skip
    window = request("2024-06-10T00:00", "2024-06-17T00:00", step=60)

    slots = free_slots(window, panel(schedule), LONG_AGO)

    assert starts(slots) == [f"2024-06-{day}T{h}:00" for day in range(10, 15) for h in ("07", "09")]


@pytest.mark.parametrize(
    ("now", "notices", "expected_first"),
    [
        pytest.param("2024-06-12T08:10", (0,), "2024-06-12T08:30", id="no-notice-next-grid-start"),
        pytest.param("2024-06-12T08:10", (120,), "2024-06-12T10:30", id="two-hours-notice"),
        pytest.param("2024-06-12T08:00", (120,), "2024-06-12T10:00", id="exactly-notice-is-ok"),
        pytest.param("2024-06-12T08:00", (60, 180), "2024-06-12T11:00", id="longest-notice-wins"),
        pytest.param("2024-06-11T20:00", (24 * 60,), None, id="notice-past-the-day"),
    ],
)
def test_minimum_notice_hides_starts_that_come_too_soon(
    now: str, notices: tuple[int, ...], expected_first: str | None
) -> None:
    schedules = panel(
        *(
            person(i, weekly=every_day(hours("08:00", "17:00")), min_notice=timedelta(minutes=m))
            for i, m in enumerate(notices, start=1)
        )
    )
    window = request("2024-06-12T00:00", "2024-06-13T00:00", required=tuple(schedules))

    slots = free_slots(window, schedules, at(now))

    expected = [] if expected_first is None else every(expected_first, "2024-06-12T16:00", 30)
    assert starts(slots) == expected


# --- limits --------------------------------------------------------------------------------

KOLKATA_NIGHTS = every_day(hours("01:00", "04:00"), hours("23:00", "24:00"))
KOLKATA_BOOKING = (busy("2024-06-12T17:30", "2024-06-12T18:00"),)  # 2024-06-12 23:00 IST
NEW_YORK_EVENINGS = {0: (hours("19:00", "22:00"),), 6: (hours("19:00", "22:00"),)}
NEW_YORK_BOOKING = (busy("2024-06-17T00:00", "2024-06-17T00:30"),)  # Sunday 2024-06-16 20:00 EDT


@pytest.mark.parametrize(
    ("schedule", "window", "step", "expected"),
    [
        pytest.param(
            person(1, "Asia/Kolkata", weekly=KOLKATA_NIGHTS, bookings=KOLKATA_BOOKING),
            ("2024-06-11T00:00", "2024-06-13T00:00"), 30,
            ["2024-06-11T17:30", *every("2024-06-11T19:30", "2024-06-11T21:30", 30),
             *every("2024-06-12T19:30", "2024-06-12T21:30", 30)],
            id="no-limit",
        ),
        pytest.param(
            person(1, "Asia/Kolkata", weekly=KOLKATA_NIGHTS, bookings=KOLKATA_BOOKING,
                   max_per_day=1),
            ("2024-06-11T00:00", "2024-06-13T00:00"), 30,
            ["2024-06-11T17:30", *every("2024-06-12T19:30", "2024-06-12T21:30", 30)],
            id="daily-limit-counts-the-kolkata-date-not-the-utc-date",
        ),
        pytest.param(
            person(1, "Asia/Kolkata", weekly=KOLKATA_NIGHTS, bookings=KOLKATA_BOOKING,
                   max_per_day=2),
            ("2024-06-11T00:00", "2024-06-13T00:00"), 30,
            ["2024-06-11T17:30", *every("2024-06-11T19:30", "2024-06-11T21:30", 30),
             *every("2024-06-12T19:30", "2024-06-12T21:30", 30)],
            id="daily-limit-not-yet-reached",
        ),
        pytest.param(
            person(1, "Asia/Kolkata", weekly=KOLKATA_NIGHTS, bookings=KOLKATA_BOOKING,
                   max_per_day=0),
            ("2024-06-11T00:00", "2024-06-13T00:00"), 30,
            [],
            id="daily-limit-zero-allows-nothing",
        ),
        pytest.param(
            person(1, "America/New_York", weekly=NEW_YORK_EVENINGS, bookings=NEW_YORK_BOOKING),
            ("2024-06-16T00:00", "2024-06-18T06:00"), 60,
            ["2024-06-16T23:00", "2024-06-17T01:00", "2024-06-17T23:00", "2024-06-18T00:00",
             "2024-06-18T01:00"],
            id="no-weekly-limit",
        ),
        pytest.param(
            person(1, "America/New_York", weekly=NEW_YORK_EVENINGS, bookings=NEW_YORK_BOOKING,
                   max_per_week=1),
            ("2024-06-16T00:00", "2024-06-18T06:00"), 60,
            ["2024-06-17T23:00", "2024-06-18T00:00", "2024-06-18T01:00"],
            id="weekly-limit-ends-on-local-sunday-night-not-utc-sunday",
        ),
        pytest.param(
            person(1, weekly=every_day(hours("09:00", "10:00")),
                   bookings=(busy("2024-06-10T09:00", "2024-06-10T10:00"),), max_per_week=1),
            ("2024-06-12T00:00", "2024-06-19T00:00"), 60,
            ["2024-06-17T09:00", "2024-06-18T09:00"],
            id="weekly-limit-counts-bookings-before-the-window-opened",
        ),
    ],
)  # fmt: skip
def test_day_and_week_limits_count_bookings_by_local_start(
    schedule: InterviewerSchedule, window: tuple[str, str], step: int, expected: list[str]
) -> None:
    slots = free_slots(request(*window, step=step), panel(schedule), LONG_AGO)

    assert starts(slots) == expected


# --- pools ---------------------------------------------------------------------------------

AT_TEN = request("2024-06-12T10:00", "2024-06-12T11:00", required=(), pools=((7, 8),), step=60)
SAME_DAY = (busy("2024-06-12T15:00", "2024-06-12T16:00"),)
OTHER_DAY = (busy("2024-06-11T15:00", "2024-06-11T16:00"),)
AT_TEN_BUSY = (busy("2024-06-12T10:00", "2024-06-12T10:30"),)


def with_pools(
    required: tuple[int, ...], pools: tuple[tuple[int, ...], ...], base: SlotRequest = AT_TEN
) -> SlotRequest:
    return SlotRequest(
        required, pools, base.duration, base.step, base.window_start, base.window_end
    )


@pytest.mark.parametrize(
    ("slot_request", "schedules", "expected"),
    [
        pytest.param(
            AT_TEN, panel(person(7, load=3), person(8, load=1)), (8,),
            id="lowest-load-wins",
        ),
        pytest.param(
            AT_TEN, panel(person(7, load=1, bookings=SAME_DAY), person(8, load=1)), (8,),
            id="equal-load-fewest-bookings-that-day-wins",
        ),
        pytest.param(
            AT_TEN,
            panel(person(7, load=1, bookings=OTHER_DAY), person(8, load=1, bookings=SAME_DAY)),
            (7,),
            id="bookings-on-other-days-do-not-count",
        ),
        pytest.param(
            AT_TEN,
            panel(person(7, load=1, bookings=SAME_DAY),
                  person(8, "Asia/Tokyo", weekly=every_day(hours("00:00", "24:00")), load=1,
                         bookings=(busy("2024-06-12T16:00", "2024-06-12T17:00"),))),
            (8,),
            id="bookings-counted-on-the-members-own-local-day",
        ),
        pytest.param(
            with_pools((), ((8, 7),)), panel(person(7), person(8)), (7,),
            id="full-tie-lowest-id-wins-whatever-the-pool-order",
        ),
        pytest.param(
            AT_TEN, panel(person(7, load=5), person(8, load=0, busy=AT_TEN_BUSY)), (7,),
            id="fairest-member-busy-next-one-chosen",
        ),
        pytest.param(
            AT_TEN,
            panel(person(7, load=5), person(8, unavailable_reason="calendar feed failed")),
            (7,),
            id="unavailable-member-skipped",
        ),
        pytest.param(
            with_pools((7,), ((7, 8),)), panel(person(7, load=0), person(8, load=9)), (7, 8),
            id="required-member-is-not-eligible-in-the-pool",
        ),
        pytest.param(
            with_pools((), ((7, 8), (7,))), panel(person(7, load=0), person(8, load=9)), (8, 7),
            id="shared-member-left-for-the-pool-that-needs-them",
        ),
        pytest.param(
            with_pools((), ((7, 8), (7, 8))), panel(person(7, load=0), person(8, load=9)), (7, 8),
            id="identical-pools-get-two-different-people",
        ),
        pytest.param(
            with_pools((1,), ((7, 8), (8, 9))),
            panel(person(1), person(7, load=2), person(8, load=0), person(9, load=1)),
            (1, 8, 9),
            id="required-then-pool-members-in-pool-order",
        ),
    ],
)  # fmt: skip
def test_pool_member_is_chosen_fairly(
    slot_request: SlotRequest,
    schedules: dict[int, InterviewerSchedule],
    expected: tuple[int, ...],
) -> None:
    slot = check_slot(at("2024-06-12T10:00"), slot_request, schedules, LONG_AGO)

    assert slot == Slot(at("2024-06-12T10:00"), at("2024-06-12T11:00"), expected)
    assert free_slots(slot_request, schedules, LONG_AGO) == [slot]


def test_unavailable_interviewer_has_no_free_time_at_all() -> None:
    schedule = person(1, unavailable_reason="calendar feed returned HTTP 500")
    window = request("2024-06-12T00:00", "2024-06-19T00:00")

    assert free_slots(window, panel(schedule), LONG_AGO) == []


# --- check_slot ----------------------------------------------------------------------------

BERLIN = person(1, "Europe/Berlin")  # 09:00-17:00 Berlin = 07:00-15:00Z in June
DAY = request("2024-06-12T07:00", "2024-06-12T12:00", step=15)


REFUSALS = [
    pytest.param(
        "2024-06-12T06:45", DAY, panel(BERLIN), LONG_AGO,
        (UnavailableReason.OUTSIDE_WINDOW, None, None),
        "2024-06-12 06:45 UTC is outside the booking window: a 60 min interview must start "
        "at or after 2024-06-12 07:00 UTC and end by 2024-06-12 12:00 UTC",
        id="outside-window-before",
    ),
    pytest.param(
        "2024-06-12T11:15", DAY, panel(BERLIN), LONG_AGO,
        (UnavailableReason.OUTSIDE_WINDOW, None, None),
        "2024-06-12 11:15 UTC is outside the booking window: a 60 min interview must start "
        "at or after 2024-06-12 07:00 UTC and end by 2024-06-12 12:00 UTC",
        id="outside-window-meeting-ends-too-late",
    ),
    pytest.param(
        "2024-06-12T08:10", DAY, panel(BERLIN), LONG_AGO,
        (UnavailableReason.OFF_GRID, None, None),
        "2024-06-12 08:10 UTC is not on the 15 min grid "
        "(starts are whole 15 min steps from 00:00 UTC)",
        id="off-grid",
    ),
    pytest.param(
        "2024-06-12T08:00", DAY,
        panel(person(1, "Europe/Berlin", min_notice=timedelta(hours=3))),
        at("2024-06-12T06:00"),
        (UnavailableReason.TOO_SOON, 1, None),
        "2024-06-12 08:00 UTC is too soon: interviewer 1 needs 180 min notice, "
        "so the earliest start is 2024-06-12 09:00 UTC",
        id="too-soon",
    ),
    pytest.param(
        "2024-06-12T08:00", DAY, panel(BERLIN), at("2024-06-12T09:00"),
        (UnavailableReason.TOO_SOON, 1, None),
        "2024-06-12 08:00 UTC is too soon: interviewer 1 needs 0 min notice, "
        "so the earliest start is 2024-06-12 09:00 UTC",
        id="in-the-past",
    ),
    pytest.param(
        "2024-06-12T07:00", DAY, panel(person(1, "America/New_York")), LONG_AGO,
        (UnavailableReason.OUTSIDE_HOURS, 1, None),
        "2024-06-12 07:00 UTC (Wed 03:00 America/New_York) is outside interviewer 1's "
        "working hours for a 60 min interview",
        id="outside-hours",
    ),
    pytest.param(
        "2024-06-12T08:00", DAY,
        panel(person(1, "Europe/Berlin", max_per_day=1,
                     bookings=(busy("2024-06-12T14:00", "2024-06-12T15:00"),))),
        LONG_AGO,
        (UnavailableReason.LIMIT_REACHED, 1, None),
        "interviewer 1 already has 1 interview(s) on 2024-06-12 (Europe/Berlin), "
        "the daily limit is 1",
        id="daily-limit",
    ),
    pytest.param(
        "2024-06-12T08:00", DAY,
        panel(person(1, "Europe/Berlin", max_per_day=3, max_per_week=2,
                     bookings=(busy("2024-06-10T08:00", "2024-06-10T09:00"),
                               busy("2024-06-16T08:00", "2024-06-16T09:00")))),
        LONG_AGO,
        (UnavailableReason.LIMIT_REACHED, 1, None),
        "interviewer 1 already has 2 interview(s) in the week of 2024-06-10 (Europe/Berlin), "
        "the weekly limit is 2",
        id="weekly-limit",
    ),
    pytest.param(
        "2024-06-12T08:00", DAY,
        panel(person(1, "Europe/Berlin", buffer_after=timedelta(minutes=15),
                     bookings=(busy("2024-06-12T09:00", "2024-06-12T10:00"),))),
        LONG_AGO,
        (UnavailableReason.INTERVIEWER_BUSY, 1, None),
        "interviewer 1 is busy at 2024-06-12 08:00 UTC: another interview or calendar "
        "event, keeping 0 min free before and 15 min after",
        id="busy-in-a-booking-buffer",
    ),
    pytest.param(
        "2024-06-12T08:00", DAY,
        panel(person(1, "Europe/Berlin", busy=(busy("2024-06-12T08:45", "2024-06-12T09:00"),))),
        LONG_AGO,
        (UnavailableReason.INTERVIEWER_BUSY, 1, None),
        "interviewer 1 is busy at 2024-06-12 08:00 UTC: another interview or calendar "
        "event, keeping 0 min free before and 0 min after",
        id="busy-calendar-event",
    ),
    pytest.param(
        "2024-06-12T08:00", DAY,
        panel(person(1, "Europe/Berlin", unavailable_reason="calendar feed timed out")),
        LONG_AGO,
        (UnavailableReason.INTERVIEWER_UNAVAILABLE, 1, None),
        "interviewer 1 has no bookable time: calendar feed timed out",
        id="unavailable",
    ),
    pytest.param(
        "2024-06-12T10:00", AT_TEN,
        panel(person(7, busy=AT_TEN_BUSY), person(8, weekly={})), LONG_AGO,
        (UnavailableReason.POOL_EXHAUSTED, None, 0),
        "nobody in pool 0 is free at 2024-06-12 10:00 UTC: 7 interviewer_busy, "
        "8 outside_hours",
        id="pool-exhausted",
    ),
    pytest.param(
        "2024-06-12T10:00", with_pools((7,), ((7, 8),)),
        panel(person(7), person(8, busy=AT_TEN_BUSY)), LONG_AGO,
        (UnavailableReason.POOL_EXHAUSTED, None, 0),
        "nobody in pool 0 is free at 2024-06-12 10:00 UTC: 8 interviewer_busy",
        id="pool-exhausted-required-member-cannot-fill-it",
    ),
    pytest.param(
        "2024-06-12T10:00", with_pools((), ((7,), (7, 8))),
        panel(person(7), person(8, busy=AT_TEN_BUSY)), LONG_AGO,
        (UnavailableReason.POOL_EXHAUSTED, None, 1),
        "pool 1 cannot be filled at 2024-06-12 10:00 UTC: its free members [7] are needed "
        "for other pools",
        id="pool-exhausted-one-person-cannot-fill-two-pools",
    ),
    pytest.param(
        "2024-06-12T08:00", request("2024-06-12T07:00", "2024-06-12T12:00", required=(1, 2)),
        panel(person(1, "Europe/Berlin", busy=(busy("2024-06-12T08:00", "2024-06-12T09:00"),)),
              person(2, "America/New_York")),
        LONG_AGO,
        (UnavailableReason.INTERVIEWER_BUSY, 1, None),
        "interviewer 1 is busy at 2024-06-12 08:00 UTC: another interview or calendar "
        "event, keeping 0 min free before and 0 min after",
        id="first-broken-rule-in-panel-order-is-reported",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("start", "slot_request", "schedules", "now", "refusal", "message"), REFUSALS
)
def test_check_slot_refusal_names_reason_interviewer_and_pool(
    start: str,
    slot_request: SlotRequest,
    schedules: dict[int, InterviewerSchedule],
    now: datetime,
    refusal: tuple[UnavailableReason, int | None, int | None],
    message: str,
) -> None:
    with pytest.raises(SlotUnavailable) as raised:
        check_slot(at(start), slot_request, schedules, now)

    error = raised.value
    assert (error.reason, error.interviewer_id, error.pool_index) == refusal
    assert str(error) == message
    assert error.start == at(start)


def test_every_refusal_reason_has_a_case() -> None:
    assert {case.values[4][0] for case in REFUSALS} == set(UnavailableReason)  # type: ignore[index]


def test_check_slot_accepts_any_aware_start_and_answers_in_utc() -> None:
    start = datetime(2024, 6, 12, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))

    slot = check_slot(start, DAY, panel(BERLIN), LONG_AGO)

    assert slot == Slot(at("2024-06-12T08:00"), at("2024-06-12T09:00"), (1,))
    assert slot.start.tzinfo == UTC


@pytest.mark.parametrize(
    ("window_start", "step", "expected"),
    [
        pytest.param("2024-06-12T09:07", 15, ["09:15", "09:30", "09:45"], id="window-off-grid"),
        pytest.param("2024-06-12T09:00", 7, ["09:04", "09:11", "09:18", "09:25", "09:32", "09:39"],
                     id="step-not-dividing-an-hour"),
    ],
)  # fmt: skip
def test_grid_is_anchored_at_the_unix_epoch_not_the_window_or_now(
    window_start: str, step: int, expected: list[str]
) -> None:
    window = request(window_start, "2024-06-12T10:45", duration=60, step=step)
    schedule = person(1)

    for now in (LONG_AGO, at("2024-06-12T08:58")):
        slots = free_slots(window, panel(schedule), now)
        assert [s.start.strftime("%H:%M") for s in slots] == expected


def test_schedule_keeps_its_own_copy_of_the_hours() -> None:
    weekly = every_day(hours("09:00", "10:00"))
    schedule = person(1, weekly=weekly)

    weekly.clear()

    assert schedule.hours_on(date(2024, 6, 12)) == (hours("09:00", "10:00"),)


# --- input validation ----------------------------------------------------------------------

NAIVE = datetime(2024, 6, 12, 9, 0)
GOOD_WINDOW = {"window_start": at("2024-06-12T00:00"), "window_end": at("2024-06-13T00:00")}


def slot_request(**changes: Any) -> SlotRequest:
    fields: dict[str, Any] = {
        "required": (1,), "pools": (), "duration": timedelta(hours=1),
        "step": timedelta(minutes=30), **GOOD_WINDOW,
    }  # fmt: skip
    return SlotRequest(**(fields | changes))


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        pytest.param(lambda: slot_request(window_start=NAIVE), InvalidAvailabilityInput,
                     "window_start must be timezone-aware, got 2024-06-12T09:00:00",
                     id="naive-window-start"),
        pytest.param(lambda: slot_request(window_end=NAIVE), InvalidAvailabilityInput,
                     "window_end must be timezone-aware, got 2024-06-12T09:00:00",
                     id="naive-window-end"),
        pytest.param(lambda: free_slots(slot_request(), panel(person(1)), NAIVE),
                     InvalidAvailabilityInput,
                     "now must be timezone-aware, got 2024-06-12T09:00:00", id="naive-now"),
        pytest.param(lambda: check_slot(NAIVE, slot_request(), panel(person(1)), LONG_AGO),
                     InvalidAvailabilityInput,
                     "start must be timezone-aware, got 2024-06-12T09:00:00", id="naive-start"),
        pytest.param(lambda: Interval(NAIVE, at("2024-06-12T10:00")), InvalidInterval,
                     "Interval needs timezone-aware datetimes, got start=2024-06-12T09:00:00 "
                     "end=2024-06-12T10:00:00+00:00",
                     id="naive-interval"),
        pytest.param(lambda: busy("2024-06-12T10:00", "2024-06-12T09:00"), InvalidInterval,
                     "Interval ends before it starts: 2024-06-12T10:00:00+00:00 > "
                     "2024-06-12T09:00:00+00:00",
                     id="reversed-interval"),
        pytest.param(lambda: slot_request(duration=timedelta(0)), InvalidAvailabilityInput,
                     "duration must be positive, got 0:00:00", id="zero-duration"),
        pytest.param(lambda: slot_request(duration=timedelta(minutes=-30)),
                     InvalidAvailabilityInput,
                     "duration must be positive, got -1 day, 23:30:00", id="negative-duration"),
        pytest.param(lambda: slot_request(step=timedelta(0)), InvalidAvailabilityInput,
                     "step must be positive, got 0:00:00", id="zero-step"),
        pytest.param(lambda: slot_request(window_start=at("2024-06-13T00:00"),
                                          window_end=at("2024-06-12T00:00")),
                     InvalidAvailabilityInput,
                     "window_end 2024-06-12T00:00:00+00:00 must be after "
                     "window_start 2024-06-13T00:00:00+00:00",
                     id="reversed-window"),
        pytest.param(lambda: slot_request(window_end=at("2024-06-12T00:00")),
                     InvalidAvailabilityInput,
                     "window_end 2024-06-12T00:00:00+00:00 must be after "
                     "window_start 2024-06-12T00:00:00+00:00",
                     id="empty-window"),
        pytest.param(lambda: slot_request(required=()), InvalidAvailabilityInput,
                     "the panel is empty: name at least one required interviewer or one pool",
                     id="empty-panel"),
        pytest.param(lambda: slot_request(pools=((),)), InvalidAvailabilityInput,
                     "pool 0 is empty", id="empty-pool"),
        pytest.param(lambda: slot_request(required=(1, 2, 1)), InvalidAvailabilityInput,
                     "interviewer 1 is listed twice in required", id="duplicate-required"),
        pytest.param(lambda: slot_request(pools=((2, 3), (4, 5, 4))), InvalidAvailabilityInput,
                     "interviewer 4 is listed twice in pool 1", id="duplicate-in-pool"),
        pytest.param(lambda: slot_request(required=(1, 2), pools=((2, 1),)),
                     InvalidAvailabilityInput,
                     "pool 0 has no eligible member: [2, 1] are all required",
                     id="pool-of-required-people"),
        pytest.param(lambda: free_slots(slot_request(pools=((2, 3),)),
                                        panel(person(1), person(2)), LONG_AGO),
                     InvalidAvailabilityInput, "no schedule for interviewer 3",
                     id="unknown-interviewer"),
        pytest.param(lambda: free_slots(slot_request(), {1: person(2)}, LONG_AGO),
                     InvalidAvailabilityInput, "schedules[1] belongs to interviewer 2",
                     id="schedule-filed-under-another-id"),
        pytest.param(lambda: person(4, "Europe/Berln"), InvalidAvailabilityInput,
                     "interviewer 4: unknown time zone 'Europe/Berln'", id="unknown-time-zone"),
        pytest.param(lambda: person(4, "../etc/passwd"), InvalidAvailabilityInput,
                     "interviewer 4: unknown time zone '../etc/passwd'",
                     id="malformed-time-zone"),
        pytest.param(lambda: person(4, weekly={7: (hours("09:00", "10:00"),)}),
                     InvalidAvailabilityInput,
                     "interviewer 4: weekday 7 is not 0 (Monday) to 6 (Sunday)",
                     id="weekday-out-of-range"),
        pytest.param(lambda: person(4, overrides={datetime(2024, 6, 12): ()}),
                     InvalidAvailabilityInput,
                     "interviewer 4: override key datetime.datetime(2024, 6, 12, 0, 0) "
                     "is not a date",
                     id="override-keyed-by-datetime"),
        pytest.param(lambda: person(4, buffer_before=timedelta(minutes=-5)),
                     InvalidAvailabilityInput,
                     "interviewer 4: buffer_before must not be negative, got -1 day, 23:55:00",
                     id="negative-buffer"),
        pytest.param(lambda: person(4, min_notice=timedelta(seconds=-1)),
                     InvalidAvailabilityInput,
                     "interviewer 4: min_notice must not be negative, got -1 day, 23:59:59",
                     id="negative-notice"),
        pytest.param(lambda: person(4, max_per_week=-1), InvalidAvailabilityInput,
                     "interviewer 4: max_per_week must not be negative, got -1",
                     id="negative-limit"),
        pytest.param(lambda: person(4, load=-2), InvalidAvailabilityInput,
                     "interviewer 4: load must not be negative, got -2", id="negative-load"),
        pytest.param(lambda: hours("17:00", "09:00"), InvalidAvailabilityInput,
                     "LocalRange start 17:00:00 must be before end 09:00:00 "
                     "(end=time(0) means midnight at the end of the day)",
                     id="reversed-local-range"),
        pytest.param(lambda: hours("09:00", "09:00"), InvalidAvailabilityInput,
                     "LocalRange start 09:00:00 must be before end 09:00:00 "
                     "(end=time(0) means midnight at the end of the day)",
                     id="empty-local-range"),
        pytest.param(lambda: LocalRange(time(9, tzinfo=UTC), time(10)), InvalidAvailabilityInput,
                     "LocalRange takes naive wall-clock times, got 09:00:00+00:00–10:00:00 "
                     "with tzinfo",
                     id="aware-local-range"),
    ],
)  # fmt: skip
def test_invalid_input_is_rejected_with_a_precise_message(
    build: Callable[[], object], error: type[ValueError], message: str
) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        build()


def test_validation_errors_are_value_errors() -> None:
    assert issubclass(InvalidAvailabilityInput, ValueError)
    assert issubclass(InvalidInterval, ValueError)


def test_slot_unavailable_is_not_a_validation_error() -> None:
    assert not issubclass(SlotUnavailable, ValueError)


# --- listing and checking agree ------------------------------------------------------------

ZONES = (
    "UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
    "America/St_Johns",
)  # fmt: skip
# Windows straddling DST changes in the zones above, opening on several weekdays.
WINDOW_STARTS = (
    "2024-03-08T00:00", "2024-03-10T05:10", "2024-03-29T00:00", "2024-03-31T00:00",
    "2024-04-05T00:00", "2024-04-07T13:20", "2024-06-14T00:00", "2024-06-17T00:00",
    "2024-10-04T00:00", "2024-10-06T09:05", "2024-10-25T00:00", "2024-10-27T00:00",
    "2024-11-01T00:00", "2024-11-03T00:00",
)  # fmt: skip


def random_range(rng: random.Random) -> LocalRange:
    start = rng.randrange(0, 20 * 60, 15)
    end = start + rng.choice((60, 120, 240, 480, 600, 720))
    clock = time(start // 60, start % 60)
    return LocalRange(clock, MIDNIGHT if end >= 24 * 60 else time(end // 60, end % 60))


def random_intervals(
    rng: random.Random, around: datetime, count: int, lengths: Sequence[int]
) -> tuple[Interval, ...]:
    result = []
    for _ in range(count):
        start = around + timedelta(minutes=rng.randrange(-2 * 24 * 60, 5 * 24 * 60, 5))
        result.append(Interval(start, start + timedelta(minutes=rng.choice(lengths))))
    return tuple(result)


def random_case(
    seed: int,
) -> tuple[SlotRequest, dict[int, InterviewerSchedule], datetime]:
    rng = random.Random(seed)
    window_start = at(rng.choice(WINDOW_STARTS))
    people = list(range(1, 7))
    required = tuple(rng.sample(people, rng.randint(0, 2)))
    pools = tuple(
        pool
        for pool in (tuple(rng.sample(people, rng.randint(1, 3))) for _ in range(rng.randint(0, 2)))
        if not set(pool) <= set(required)
    )
    if not required and not pools:
        pools = ((7, 8),)
    slot_request = SlotRequest(
        required=required,
        pools=pools,
        duration=timedelta(minutes=rng.choice((30, 45, 60, 90))),
        step=timedelta(minutes=rng.choice((15, 20, 30, 45))),
        window_start=window_start,
        window_end=window_start + timedelta(days=3, minutes=rng.choice((0, 10))),
    )
    schedules = {}
    for interviewer_id in range(1, 9):
        overrides = {
            (window_start + timedelta(days=rng.randrange(-1, 4))).date(): tuple(
                random_range(rng) for _ in range(rng.randint(0, 2))
            )
            for _ in range(rng.randint(0, 2))
        }
        schedules[interviewer_id] = InterviewerSchedule(
            interviewer_id=interviewer_id,
            tz=rng.choice(ZONES),
            weekly={
                d: tuple(random_range(rng) for _ in range(rng.randint(1, 3))) for d in range(7)
            },
            overrides=overrides,
            buffer_before=timedelta(minutes=rng.choice((0, 0, 10, 15))),
            buffer_after=timedelta(minutes=rng.choice((0, 0, 15, 30))),
            max_per_day=rng.choice((None, None, None, 0, 1, 2)),
            max_per_week=rng.choice((None, None, None, 2, 4)),
            min_notice=timedelta(minutes=rng.choice((0, 60, 20 * 60))),
            bookings=random_intervals(rng, window_start, rng.randint(0, 4), (30, 60)),
            busy=random_intervals(rng, window_start, rng.randint(0, 20), (5, 15, 60, 180)),
            load=rng.randint(0, 3),
            unavailable_reason="feed down" if rng.random() < 0.05 else None,
        )
    now = window_start + timedelta(minutes=rng.randrange(-2 * 24 * 60, 24 * 60, 5))
    return slot_request, schedules, now


def grid_starts(slot_request: SlotRequest) -> list[datetime]:
    step = slot_request.step
    moment = EPOCH - ((EPOCH - slot_request.window_start) // step) * step
    result = []
    while moment + slot_request.duration <= slot_request.window_end:
        result.append(moment)
        moment += step
    return result


def oracle_is_free(
    schedule: InterviewerSchedule, start: datetime, end: datetime, now: datetime
) -> bool:
    """The interviewer rules, written as plainly as possible with datetimes."""
    zone = ZoneInfo(schedule.tz)
    if schedule.unavailable_reason is not None or start < now + schedule.min_notice:
        return False
    spans = []
    local_day = start.astimezone(zone).date()
    for day in (local_day + timedelta(days=k) for k in range(-2, 3)):
        for r in schedule.overrides.get(day, schedule.weekly.get(day.weekday(), ())):
            end_day = day + timedelta(days=1) if r.end == MIDNIGHT else day
            spans.append(
                (datetime.combine(day, r.start, zone), datetime.combine(end_day, r.end, zone))
            )
    covered_until = start
    while covered_until < end:
        reach = [b for a, b in spans if a <= covered_until < b]
        if not reach:
            return False
        covered_until = max(reach)
    booked_days = [b.start.astimezone(zone).date() for b in schedule.bookings]
    if schedule.max_per_day is not None and booked_days.count(local_day) >= schedule.max_per_day:
        return False
    week = local_day.isocalendar()[:2]
    in_week = sum(d.isocalendar()[:2] == week for d in booked_days)
    if schedule.max_per_week is not None and in_week >= schedule.max_per_week:
        return False
    low, high = start - schedule.buffer_before, end + schedule.buffer_after
    for b in schedule.bookings:
        if b.start - schedule.buffer_before < high and low < b.end + schedule.buffer_after:
            return False
    return not any(b.start < high and low < b.end for b in schedule.busy)


def oracle_free_slots(
    slot_request: SlotRequest, schedules: Mapping[int, InterviewerSchedule], now: datetime
) -> list[Slot]:
    """Brute force: every assignment of pool members, the lexicographically fairest wins."""
    slots = []
    for start in grid_starts(slot_request):
        end = start + slot_request.duration

        def free(i: int, start: datetime = start, end: datetime = end) -> bool:
            return oracle_is_free(schedules[i], start, end, now)

        def fairness(i: int, start: datetime = start) -> tuple[int, int, int]:
            zone = ZoneInfo(schedules[i].tz)
            day = start.astimezone(zone).date()
            booked = sum(b.start.astimezone(zone).date() == day for b in schedules[i].bookings)
            return schedules[i].load, booked, i

        if not all(free(i) for i in slot_request.required):
            continue
        candidates = [
            [m for m in pool if m not in slot_request.required and free(m)]
            for pool in slot_request.pools
        ]
        options = [c for c in product(*candidates) if len(set(c)) == len(c)]
        if options:
            best = min(options, key=lambda c: [fairness(m) for m in c])
            slots.append(Slot(start, end, slot_request.required + best))
    return slots


@pytest.mark.parametrize("seed", range(40), ids=lambda seed: f"seed-{seed}")
def test_free_slots_are_exactly_the_grid_starts_check_slot_accepts(seed: int) -> None:
    slot_request, schedules, now = random_case(seed)

    listed = free_slots(slot_request, schedules, now)

    checked = []
    for start in grid_starts(slot_request):
        with contextlib.suppress(SlotUnavailable):
            checked.append(check_slot(start, slot_request, schedules, now))
    assert listed == checked
    assert listed == oracle_free_slots(slot_request, schedules, now)
