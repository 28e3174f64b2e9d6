from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from liveinterview.domain.errors import Conflict, Gone, InvalidInput
from liveinterview.domain.interviews import (
    ChangePolicy,
    Panel,
    RequestStatus,
    check_candidate_change,
    check_new_request,
    check_timezone,
    effective_status,
    reminder_times,
    window_from_days,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GOOD: dict[str, Any] = {
    "candidate_name": "  Zoë   Müller ",
    "candidate_email": "Zoe@Example.com",
    "position": "Backend  Engineer",
    "duration_minutes": 60,
    "step_minutes": 30,
    "window_start": NOW,
    "window_end": NOW + timedelta(days=7),
    "recorded": True,
    "note": "  Bring a pen.  ",
    "panel": Panel((1,), ((2, 3),)),
    "now": NOW,
}


def test_a_valid_request_is_normalized() -> None:
    new = check_new_request(**GOOD)
    assert new.candidate_name == "Zoë Müller"
    assert new.candidate_email == "zoe@example.com"
    assert new.position == "Backend Engineer"
    assert new.duration == timedelta(hours=1)
    assert new.note == "Bring a pen."


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"candidate_email": "zoe"}, "candidate_email", "Enter a valid email address"),
        ({"candidate_name": " "}, "candidate_name", "Enter a name."),
        ({"position": ""}, "position", "Enter the position"),
        ({"duration_minutes": 0}, "duration", "Use from 10 to 480 minutes."),
        ({"duration_minutes": -30}, "duration", "Use from 10 to 480 minutes."),
        ({"duration_minutes": None}, "duration", "Enter a number of minutes."),
        ({"step_minutes": 1}, "step", "Use from 5 to 240 minutes."),
        ({"window_end": NOW - timedelta(days=1)}, "window_end", "must end after it starts"),
        (
            {"window_start": NOW - timedelta(days=9), "window_end": NOW - timedelta(days=2)},
            "window_end",
            "entirely in the past",
        ),
        ({"window_end": NOW + timedelta(days=100)}, "window_end", "at most 92 days"),
        ({"window_end": NOW + timedelta(minutes=30)}, "window_end", "shorter than the interview"),
        ({"window_start": None}, "window_start", "first day"),
        ({"panel": Panel((), ())}, "panel", "Choose at least one interviewer."),
        ({"panel": Panel((1,), ((1,),))}, "panel", "Pool 1 only has people who are already"),
        ({"note": "x" * 2001}, "note", "at most 2000"),
    ],
)
def test_bad_requests_name_the_field(changes: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_new_request(**{**GOOD, **changes})
    assert message in caught.value.fields[field]


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_new_request(
            **{**GOOD, "candidate_email": "x", "position": "", "panel": Panel((), ())}
        )
    assert set(caught.value.fields) == {"candidate_email", "position", "panel"}


@pytest.mark.parametrize(
    ("stored", "end", "expected"),
    [
        ("scheduled", NOW + timedelta(minutes=1), RequestStatus.SCHEDULED),
        ("scheduled", NOW, RequestStatus.DONE),
        ("awaiting_booking", None, RequestStatus.AWAITING),
        ("cancelled", NOW - timedelta(days=1), RequestStatus.CANCELLED),
    ],
)
def test_a_scheduled_interview_is_done_once_it_ended(
    stored: str, end: datetime | None, expected: RequestStatus
) -> None:
    assert effective_status(stored, end, NOW) is expected


POLICY = ChangePolicy(cutoff=timedelta(hours=24), max_reschedules=2)


@pytest.mark.parametrize(
    ("action", "status", "hours_ahead", "done", "error", "message"),
    [
        ("reschedule", RequestStatus.SCHEDULED, 24, 0, None, ""),
        ("cancel", RequestStatus.SCHEDULED, 24, 5, None, ""),
        ("reschedule", RequestStatus.SCHEDULED, 23.9, 0, Conflict, "until 24 hours before"),
        ("cancel", RequestStatus.SCHEDULED, 1, 0, Conflict, "until 24 hours before"),
        ("reschedule", RequestStatus.SCHEDULED, 48, 2, Conflict, "as often as allowed"),
        ("reschedule", RequestStatus.CANCELLED, 48, 0, Gone, "was cancelled"),
        ("cancel", RequestStatus.DONE, -1, 0, Gone, "already taken place"),
        ("reschedule", RequestStatus.AWAITING, 48, 0, Conflict, "no time booked"),
    ],
)
def test_candidate_changes_follow_cutoff_and_limit(
    action: str,
    status: RequestStatus,
    hours_ahead: float,
    done: int,
    error: type[Exception] | None,
    message: str,
) -> None:
    start = NOW + timedelta(hours=hours_ahead)

    def attempt() -> None:
        check_candidate_change(
            action, status=status, start=start, now=NOW, reschedules_done=done, policy=POLICY
        )

    if error is None:
        attempt()
    else:
        with pytest.raises(error, match=message):
            attempt()


def test_reminders_only_in_the_future_earliest_first() -> None:
    start = NOW + timedelta(hours=3)
    offsets = [timedelta(hours=24), timedelta(minutes=15), timedelta(hours=1)]
    assert reminder_times(start, offsets, NOW) == [
        (timedelta(hours=1), NOW + timedelta(hours=2)),
        (timedelta(minutes=15), NOW + timedelta(hours=2, minutes=45)),
    ]


@pytest.mark.parametrize(
    ("first", "last", "tz", "start", "end"),
    [
        (
            date(2026, 3, 2),
            date(2026, 3, 6),
            "Europe/Berlin",
            datetime(2026, 3, 1, 23, tzinfo=UTC),
            datetime(2026, 3, 6, 23, tzinfo=UTC),
        ),
        (  # across the spring-forward night in Berlin: the last day ends at 22:00 UTC
            date(2026, 3, 27),
            date(2026, 3, 29),
            "Europe/Berlin",
            datetime(2026, 3, 26, 23, tzinfo=UTC),
            datetime(2026, 3, 29, 22, tzinfo=UTC),
        ),
        (
            date(2026, 3, 2),
            date(2026, 3, 2),
            "America/New_York",
            datetime(2026, 3, 2, 5, tzinfo=UTC),
            datetime(2026, 3, 3, 5, tzinfo=UTC),
        ),
    ],
)
def test_window_days_are_whole_local_days(
    first: date, last: date, tz: str, start: datetime, end: datetime
) -> None:
    assert window_from_days(first, last, tz) == (start, end)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../../etc/passwd", "Europe/Berlin "])
def test_unknown_time_zones_are_rejected(name: str) -> None:
    with pytest.raises(InvalidInput, match="is not a known time zone"):
        check_timezone(name)


def test_known_time_zones_pass() -> None:
    assert check_timezone("America/Sao_Paulo") == "America/Sao_Paulo"
    assert check_timezone("UTC") == "UTC"
