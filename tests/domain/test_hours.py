"""Working hours and preferences as typed into forms: parsed, checked and formatted back."""

from __future__ import annotations

from datetime import date

import pytest

from liveinterview.domain.errors import InvalidInput
from liveinterview.domain.hours import (
    CORRECT_FIELDS,
    Override,
    Preferences,
    check_preferences,
    format_notice_hours,
    format_ranges,
    parse_override,
    parse_ranges,
    parse_week,
    weekday_field,
)

TODAY = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("   ", []),
        ("09:00-12:00", [(540, 720)]),
        ("09:00-12:00, 13:00-17:30", [(540, 720), (780, 1050)]),
        ("9-12", [(540, 720)]),
        ("9:30 - 12", [(570, 720)]),
        ("13:00–17:00; 08:00—09:00", [(480, 540), (780, 1020)]),
        ("22:00-24:00", [(1320, 1440)]),
        ("22:00-00:00", [(1320, 1440)]),
        ("0-24", [(0, 1440)]),
        ("09:00-12:00, 12:00-13:00", [(540, 720), (720, 780)]),
        ("09:00-12:00,", [(540, 720)]),
        ("13:00-14:00, 09:00-10:00", [(540, 600), (780, 840)]),
    ],
)
def test_ranges_are_parsed_into_sorted_minutes(text: str, expected: list[tuple[int, int]]) -> None:
    assert parse_ranges(text, label="Monday", field="hours_monday") == expected


@pytest.mark.parametrize(
    ("label", "text", "message"),
    [
        ("Monday", "13:00-12:00", "Monday: 13:00-12:00 ends before it starts"),
        (
            "Tuesday",
            "09:00-11:00, 10:30-12:00",
            "Tuesday: 09:00-11:00 and 10:30-12:00 overlap",
        ),
        ("Tuesday", "09:00-17:00, 10:00-11:00", "Tuesday: 09:00-17:00 and 10:00-11:00 overlap"),
        ("Wednesday", "09:00-25:00", "Wednesday: '25:00' is not a time"),
        ("Wednesday", "9am-5pm", "Wednesday: '9am' is not a time"),
        ("Wednesday", "09:60-10:00", "Wednesday: '09:60' is not a time"),
        ("Wednesday", "24:30-24:00", "Wednesday: '24:30' is not a time"),
        ("Wednesday", "9:5-10", "Wednesday: '9:5' is not a time"),
        ("Thursday", "09:00", "Thursday: '09:00' is not a range like 09:00-12:00"),
        ("Thursday", "09:00-", "Thursday: '09:00-' is not a range like 09:00-12:00"),
        ("Thursday", "9-10-11", "Thursday: '9-10-11' is not a range like 09:00-12:00"),
        ("Friday", "10:00-10:00", "Friday: 10:00-10:00 is empty"),
        (
            "Friday",
            "24:00-24:00",
            "Friday: '24:00-24:00' starts at 24:00; a range must start before midnight",
        ),
        ("Saturday", ", ".join(["1-2"] * 13), "Saturday: use at most 12 ranges"),
    ],
)
def test_bad_ranges_are_explained_precisely(label: str, text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_ranges(text, label=label, field="the_field")
    assert caught.value.message == message
    assert caught.value.fields == {"the_field": message}


@pytest.mark.parametrize(
    ("ranges", "text"),
    [
        ([], ""),
        ([(540, 720)], "09:00-12:00"),
        ([(540, 720), (780, 1050)], "09:00-12:00, 13:00-17:30"),
        ([(0, 1440)], "00:00-24:00"),
    ],
)
def test_ranges_format_back_to_what_the_parser_reads(
    ranges: list[tuple[int, int]], text: str
) -> None:
    assert format_ranges(ranges) == text
    assert parse_ranges(text, label="Monday", field="f") == ranges


def test_a_week_reports_every_bad_day_at_once() -> None:
    texts = ["13:00-12:00", "09:00-11:00, 10:30-12:00", "25:00-26:00", "9-17", "", "", ""]
    with pytest.raises(InvalidInput) as caught:
        parse_week(texts)
    assert caught.value.message == CORRECT_FIELDS
    assert caught.value.fields == {
        "hours_monday": "Monday: 13:00-12:00 ends before it starts",
        "hours_tuesday": "Tuesday: 09:00-11:00 and 10:30-12:00 overlap",
        "hours_wednesday": "Wednesday: '25:00' is not a time",
    }


def test_a_week_keeps_only_days_with_hours() -> None:
    week = parse_week(["9-12, 13-17", "", "", "", "8-12", "", "10:00-14:00"])
    assert week == {0: [(540, 720), (780, 1020)], 4: [(480, 720)], 6: [(600, 840)]}
    assert [weekday_field(d) for d in (0, 6)] == ["hours_monday", "hours_sunday"]


def test_a_week_needs_seven_days() -> None:
    with pytest.raises(ValueError, match="expected 7 days, got 6"):
        parse_week([""] * 6)


@pytest.mark.parametrize(
    ("day", "kind", "hours", "expected"),
    [
        ("2026-03-02", "off", "", Override(date(2026, 3, 2), [])),
        ("2026-03-02", "off", "this is ignored", Override(date(2026, 3, 2), [])),
        (" 2026-04-10 ", "hours", "10-14", Override(date(2026, 4, 10), [(600, 840)])),
        ("2028-03-01", "off", "", Override(date(2028, 3, 1), [])),
    ],
)
def test_overrides_are_a_day_off_or_other_hours(
    day: str, kind: str, hours: str, expected: Override
) -> None:
    assert parse_override(day=day, kind=kind, hours=hours, today=TODAY) == expected


@pytest.mark.parametrize(
    ("day", "kind", "hours", "fields"),
    [
        ("", "off", "", {"day": "Enter a date."}),
        ("03/04/2026", "off", "", {"day": "'03/04/2026' is not a date like 2026-03-02."}),
        ("2026-02-30", "off", "", {"day": "'2026-02-30' is not a date like 2026-03-02."}),
        ("2026-03-01", "off", "", {"day": "2026-03-01 is in the past; choose today or later."}),
        ("2028-03-02", "off", "", {"day": "Choose a date up to 2028-03-01."}),
        (
            "2026-03-03",
            "hours",
            "",
            {"hours": "Enter the hours, like 10:00-14:00, or choose a day off."},
        ),
        ("2026-03-03", "hours", "14-10", {"hours": "Hours: 14:00-10:00 ends before it starts"}),
        ("2026-03-03", "maybe", "", {"kind": "Choose a day off or different hours."}),
        (
            "yesterday",
            "hours",
            "25-26",
            {
                "day": "'yesterday' is not a date like 2026-03-02.",
                "hours": "Hours: '25' is not a time",
            },
        ),
    ],
)
def test_bad_overrides_are_explained(
    day: str, kind: str, hours: str, fields: dict[str, str]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_override(day=day, kind=kind, hours=hours, today=TODAY)
    assert caught.value.fields == fields
    expected = next(iter(fields.values())) if len(fields) == 1 else CORRECT_FIELDS
    assert caught.value.message == expected


GOOD = {
    "timezone": "Europe/Berlin",
    "buffer_before": "10",
    "buffer_after": "0",
    "max_per_day": "4",
    "max_per_week": "",
    "min_notice_hours": "12",
}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, Preferences("Europe/Berlin", 10, 0, 4, None, 720)),
        (
            {"buffer_before": "240", "buffer_after": " 15 ", "max_per_week": "200"},
            Preferences("Europe/Berlin", 240, 15, 4, 200, 720),
        ),
        (
            {"max_per_day": " ", "min_notice_hours": "0"},
            Preferences("Europe/Berlin", 10, 0, None, None, 0),
        ),
        ({"min_notice_hours": "1.5"}, Preferences("Europe/Berlin", 10, 0, 4, None, 90)),
        ({"min_notice_hours": "0.01"}, Preferences("Europe/Berlin", 10, 0, 4, None, 1)),
        ({"min_notice_hours": "720", "timezone": "UTC"}, Preferences("UTC", 10, 0, 4, None, 43200)),
        (
            {"max_per_day": "50", "max_per_week": "1"},
            Preferences("Europe/Berlin", 10, 0, 50, 1, 720),
        ),
    ],
)
def test_preferences_are_checked(changes: dict[str, str], expected: Preferences) -> None:
    assert check_preferences(**{**GOOD, **changes}) == expected


BUFFER = "Enter a whole number of minutes from 0 to 240."
NOTICE = "Enter a number of hours from 0 to 720 (30 days), like 12 or 1.5."


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        (
            {"timezone": "Mars/Olympus"},
            {"timezone": "Choose a time zone from the list, like Europe/Berlin."},
        ),
        ({"buffer_before": "241"}, {"buffer_before": BUFFER}),
        ({"buffer_after": "-5"}, {"buffer_after": BUFFER}),
        ({"buffer_after": "7.5"}, {"buffer_after": BUFFER}),
        ({"buffer_before": ""}, {"buffer_before": BUFFER}),
        ({"buffer_before": "١٠"}, {"buffer_before": BUFFER}),
        (
            {"max_per_day": "0"},
            {"max_per_day": "Leave empty for no limit, or enter a whole number from 1 to 50."},
        ),
        (
            {"max_per_week": "201"},
            {"max_per_week": "Leave empty for no limit, or enter a whole number from 1 to 200."},
        ),
        ({"min_notice_hours": "721"}, {"min_notice_hours": NOTICE}),
        ({"min_notice_hours": "720.01"}, {"min_notice_hours": NOTICE}),
        ({"min_notice_hours": "1,5"}, {"min_notice_hours": NOTICE}),
        ({"min_notice_hours": "twelve"}, {"min_notice_hours": NOTICE}),
        ({"min_notice_hours": ""}, {"min_notice_hours": NOTICE}),
        (
            {"buffer_before": "x", "max_per_day": "51", "min_notice_hours": "-1"},
            {
                "buffer_before": BUFFER,
                "max_per_day": "Leave empty for no limit, or enter a whole number from 1 to 50.",
                "min_notice_hours": NOTICE,
            },
        ),
    ],
)
def test_bad_preferences_are_all_reported(changes: dict[str, str], fields: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_preferences(**{**GOOD, **changes})
    assert caught.value.fields == fields


@pytest.mark.parametrize(
    ("minutes", "text"), [(0, "0"), (720, "12"), (90, "1.5"), (15, "0.25"), (43200, "720")]
)
def test_notice_is_shown_in_hours_the_form_accepts_again(minutes: int, text: str) -> None:
    assert format_notice_hours(minutes) == text
    assert check_preferences(**{**GOOD, "min_notice_hours": text}).min_notice_minutes == minutes
