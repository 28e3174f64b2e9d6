from __future__ import annotations

from datetime import UTC, datetime

import pytest

from liveinterview.domain.timetext import day_range, group_by_day, when, zone_label


@pytest.mark.parametrize(
    ("moment", "tz", "expected"),
    [
        (datetime(2026, 3, 3, 13, tzinfo=UTC), "Europe/Berlin", "Europe/Berlin, CET"),
        (datetime(2026, 7, 3, 13, tzinfo=UTC), "Europe/Berlin", "Europe/Berlin, CEST"),
        (datetime(2026, 7, 3, 13, tzinfo=UTC), "America/New_York", "America/New_York, EDT"),
        (datetime(2026, 7, 3, 13, tzinfo=UTC), "Asia/Kolkata", "Asia/Kolkata, IST"),
        (datetime(2026, 7, 3, 13, tzinfo=UTC), "America/Sao_Paulo", "America/Sao_Paulo, UTC-03:00"),
        (datetime(2026, 7, 3, 13, tzinfo=UTC), "UTC", "UTC"),
    ],
)
def test_zone_is_named_with_its_abbreviation_or_offset(
    moment: datetime, tz: str, expected: str
) -> None:
    assert zone_label(moment, tz) == expected


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        ("Europe/Berlin", "Tuesday 3 March 2026, 14:00–15:00 (Europe/Berlin, CET)"),
        ("America/New_York", "Tuesday 3 March 2026, 08:00–09:00 (America/New_York, EST)"),
        ("Pacific/Auckland", "Wednesday 4 March 2026, 02:00–03:00 (Pacific/Auckland, NZDT)"),
    ],
)
def test_when_states_the_local_time_and_zone(tz: str, expected: str) -> None:
    start = datetime(2026, 3, 3, 13, tzinfo=UTC)
    end = datetime(2026, 3, 3, 14, tzinfo=UTC)
    assert when(start, end, tz) == expected


def test_when_names_the_end_day_across_midnight() -> None:
    start = datetime(2026, 3, 3, 22, 30, tzinfo=UTC)
    end = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)
    assert when(start, end, "Europe/Berlin") == (
        "Tuesday 3 March 2026, 23:30–Wed 4 Mar 00:30 (Europe/Berlin, CET)"
    )


def test_day_range_in_the_recipients_zone() -> None:
    start = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # already 2 March in Berlin
    end = datetime(2026, 3, 16, tzinfo=UTC)
    assert day_range(start, end, "Europe/Berlin") == "2 March – 16 March 2026"
    assert day_range(start, datetime(2027, 1, 5, tzinfo=UTC), "UTC") == (
        "1 March 2026 – 4 January 2027"  # the window ends at midnight: the 4th is its last day
    )


def test_slots_are_grouped_by_the_candidates_local_day() -> None:
    starts = [
        datetime(2026, 3, 3, 22, 0, tzinfo=UTC),  # 23:00 Berlin, 3 March
        datetime(2026, 3, 3, 23, 0, tzinfo=UTC),  # 00:00 Berlin, 4 March
        datetime(2026, 3, 4, 8, 0, tzinfo=UTC),
    ]
    days = group_by_day(starts, "Europe/Berlin")
    assert [d.label for d in days] == ["Tuesday 3 March", "Wednesday 4 March"]
    assert [t for _, t in days[0].times] == ["23:00"]
    assert [t for _, t in days[1].times] == ["00:00", "09:00"]
    assert days[1].times[0][0] == starts[1]
