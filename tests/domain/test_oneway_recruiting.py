"""Pure rules of the recruiters' side of one-way interviews: deadline, reminders, titles,
ratings, recommendations and sorting the comparison."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from liveinterview.domain.errors import InvalidInput
from liveinterview.domain.oneway import InterviewState
from liveinterview.domain.oneway_invites import (
    check_position,
    check_title,
    deadline_from_local,
    lead_time,
    reminder_due,
)
from liveinterview.domain.oneway_review import (
    CandidateRow,
    Recommendation,
    check_rating,
    check_verdict,
    sort_candidates,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "at", "tz", "expected"),
    [
        (date(2026, 3, 6), time(17, 0), "UTC", datetime(2026, 3, 6, 17, 0, tzinfo=UTC)),
        (date(2026, 3, 6), time(17, 0), "Europe/Berlin", datetime(2026, 3, 6, 16, 0, tzinfo=UTC)),
        (date(2026, 4, 6), time(17, 0), "Europe/Berlin", datetime(2026, 4, 6, 15, 0, tzinfo=UTC)),
        # 02:30 does not exist in Berlin on 29 March 2026: it lands after the gap (03:30 CEST).
        (date(2026, 3, 29), time(2, 30), "Europe/Berlin", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        (date(2026, 3, 2), time(9, 1), "UTC", datetime(2026, 3, 2, 9, 1, tzinfo=UTC)),
        (date(2026, 5, 31), time(9, 0), "UTC", datetime(2026, 5, 31, 9, 0, tzinfo=UTC)),
    ],
)
def test_deadline_is_the_local_time_in_the_recruiters_zone(
    day: date, at: time, tz: str, expected: datetime
) -> None:
    assert deadline_from_local(day, at, tz, now=NOW) == expected


@pytest.mark.parametrize(
    ("day", "at", "tz", "field", "problem"),
    [
        (date(2026, 3, 2), time(9, 0), "UTC", "deadline_day", "must be in the future"),
        (date(2026, 5, 31), time(9, 1), "UTC", "deadline_day", "within 90 days"),
        (None, time(9, 0), "UTC", "deadline_day", "Enter a date"),
        (date(2026, 3, 5), None, "UTC", "deadline_time", "Enter a time"),
        (date(2026, 3, 5), time(9, 0), "Nowhere/Town", "timezone", "Choose a time zone"),
    ],
)
def test_deadline_problems_are_named_per_field(
    day: date | None, at: time | None, tz: str, field: str, problem: str
) -> None:
    with pytest.raises(InvalidInput) as exc:
        deadline_from_local(day, at, tz, now=NOW)
    assert problem in exc.value.fields[field]


DEADLINE = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("before", "offset", "due"),
    [
        (timedelta(hours=49), timedelta(hours=48), False),  # not yet
        (timedelta(hours=48), timedelta(hours=48), True),
        (timedelta(hours=24), timedelta(hours=48), True),  # half late: still useful
        (timedelta(hours=23), timedelta(hours=48), False),  # more than half late
        (timedelta(hours=4), timedelta(hours=4), True),
        (timedelta(hours=1), timedelta(hours=4), False),
        (timedelta(0), timedelta(hours=4), False),  # the deadline itself
    ],
)
def test_reminder_due(before: timedelta, offset: timedelta, due: bool) -> None:
    assert reminder_due(DEADLINE, offset, DEADLINE - before) is due


def test_lead_time_reads_naturally() -> None:
    assert [lead_time(timedelta(hours=h)) for h in (48, 24, 4, 1)] == [
        "2 days",
        "1 day",
        "4 hours",
        "1 hour",
    ]


@pytest.mark.parametrize(
    ("check", "raw", "problem"),
    [
        (check_title, "  ", "Give the question set a title."),
        (check_title, "x" * 201, "longer than 200"),
        (check_position, "", "Enter the position."),
        (check_position, "Dev/Ops", "contains a slash"),
    ],
)
def test_titles_and_positions(check: object, raw: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        check(raw)  # type: ignore[operator]


def test_titles_and_positions_are_tidied() -> None:
    assert check_title("  Backend   screening ") == "Backend screening"
    assert check_position(" Data  Engineer") == "Data Engineer"


@pytest.mark.parametrize("rating", [None, 0, 6, -1])
def test_ratings_are_one_to_five(rating: int | None) -> None:
    with pytest.raises(InvalidInput, match="from 1 to 5"):
        check_rating(rating, "")


def test_rating_comment_and_verdict() -> None:
    assert check_rating(5, "  fine  ") == (5, "fine")
    with pytest.raises(InvalidInput, match="longer than 4000"):
        check_rating(3, "x" * 4001)
    assert check_verdict("strong_no", "") == (Recommendation.STRONG_NO, "")
    with pytest.raises(InvalidInput, match="strong_yes, yes, no, strong_no"):
        check_verdict("maybe", "")
    assert Recommendation.STRONG_YES.label == "Strong yes"


def row(
    name: str, state: InterviewState, overall: float | None, completed: int | None
) -> CandidateRow:
    return CandidateRow(
        interview_id=hash(name) % 1000,
        name=name,
        email=f"{name.lower()}@example.com",
        state=state,
        answered=0,
        questions=2,
        per_question=(overall, overall),
        overall=overall,
        recommendations={},
        completed_at=NOW + timedelta(days=completed) if completed is not None else None,
    )


ROWS = [
    row("bea", InterviewState.COMPLETED, 3.5, 2),
    row("Al", InterviewState.INVITED, None, None),
    row("Cem", InterviewState.COMPLETED, 4.5, 1),
    row("Dan", InterviewState.STARTED, 2.0, None),
]


@pytest.mark.parametrize(
    ("key", "descending", "order"),
    [
        ("name", False, ["Al", "bea", "Cem", "Dan"]),
        ("name", True, ["Dan", "Cem", "bea", "Al"]),
        ("average", True, ["Cem", "bea", "Dan", "Al"]),  # unrated last either way
        ("average", False, ["Dan", "bea", "Cem", "Al"]),
        ("completed", True, ["bea", "Cem", "Al", "Dan"]),
        ("completed", False, ["Cem", "bea", "Al", "Dan"]),
        ("status", False, ["bea", "Cem", "Dan", "Al"]),
    ],
)
def test_the_comparison_sorts(key: str, descending: bool, order: list[str]) -> None:
    assert [r.name for r in sort_candidates(ROWS, key, descending)] == order


def test_an_unknown_sort_key_is_refused() -> None:
    with pytest.raises(InvalidInput, match="Sort by one of: name, status, average, completed"):
        sort_candidates(ROWS, "height", False)
