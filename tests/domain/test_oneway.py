from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from liveinterview.domain.errors import Conflict, Gone, InvalidInput
from liveinterview.domain.oneway import (
    FINISH_AFTER_DEADLINE,
    InterviewState,
    Question,
    Take,
    TakeStatus,
    attempts_used,
    check_can_keep,
    check_can_start,
    check_question,
    completed,
    current_question,
    cut_off,
    finishing,
    parse_invite_lines,
)

NOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(days=3)
Q1 = Question(0, "Tell us about yourself", timedelta(seconds=30), timedelta(minutes=1), 2)
Q2 = Question(1, "Why this role?", timedelta(seconds=0), timedelta(seconds=90), 1)
PRACTICE = Question(-1, "Practice: say hello", timedelta(0), timedelta(seconds=30), 99, True)
QUESTIONS = [PRACTICE, Q1, Q2]


def take(id: int, question: int, attempt: int, status: TakeStatus) -> Take:
    return Take(id, question, attempt, status, NOW)


def start(question: Question, takes: list[Take], **overrides: object) -> int:
    arguments: dict[str, object] = {"now": NOW, "deadline": DEADLINE,
                                    "state": InterviewState.STARTED}  # fmt: skip
    arguments.update(overrides)
    return check_can_start(question, QUESTIONS, takes, **arguments)  # type: ignore[arg-type]


def test_questions_are_answered_in_order_with_their_attempts() -> None:
    assert current_question(QUESTIONS, []) == Q1
    assert start(Q1, []) == 1
    with pytest.raises(Conflict, match="answered in order"):
        start(Q2, [])
    takes = [take(1, 0, 1, TakeStatus.DONE)]
    assert start(Q1, takes) == 2  # re-record while attempts remain
    takes.append(take(2, 0, 2, TakeStatus.DONE))
    with pytest.raises(Conflict, match="No attempts are left"):
        start(Q1, takes)
    takes[0] = take(1, 0, 1, TakeStatus.KEPT)
    takes[1] = take(2, 0, 2, TakeStatus.NOT_KEPT)
    assert current_question(QUESTIONS, takes) == Q2
    assert start(Q2, takes) == 1
    takes.append(take(3, 1, 1, TakeStatus.KEPT))
    assert completed(QUESTIONS, takes)
    with pytest.raises(Conflict, match="Every question has an answer"):
        start(Q2, takes)


def test_a_dropped_take_does_not_use_up_an_attempt() -> None:
    takes = [take(1, 1, 1, TakeStatus.DISCARDED)]
    only_once = Question(0, "x", timedelta(0), timedelta(seconds=30), 1)
    takes = [take(1, 0, 1, TakeStatus.DISCARDED)]
    assert attempts_used(only_once, takes) == 0
    assert check_can_start(only_once, [only_once], takes, now=NOW, deadline=DEADLINE,
                           state=InterviewState.STARTED) == 1  # fmt: skip


def test_practice_is_always_allowed_and_never_counted() -> None:
    assert start(PRACTICE, [take(1, 0, 1, TakeStatus.DONE)]) == 0


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"now": DEADLINE}, Gone, "deadline for this interview has passed"),
        ({"state": InterviewState.EXPIRED}, Gone, "deadline"),
        ({"state": InterviewState.WITHDRAWN}, Gone, "withdrawn"),
        ({"state": InterviewState.COMPLETED}, Gone, "already answered every question"),
    ],
)
def test_nothing_starts_after_the_deadline_or_the_end(
    overrides: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        start(Q1, [], **overrides)


def test_one_take_at_a_time() -> None:
    with pytest.raises(Conflict, match="being recorded already"):
        start(Q1, [take(1, 0, 1, TakeStatus.RECORDING)])


def test_the_server_cuts_a_take_at_its_limit_plus_grace() -> None:
    assert cut_off(NOW, Q1) == NOW + timedelta(minutes=1, seconds=2)


def test_any_finished_attempt_of_the_current_question_can_be_kept() -> None:
    first, second = take(1, 0, 1, TakeStatus.DONE), take(2, 0, 2, TakeStatus.DONE)
    open_now = {"now": NOW, "deadline": DEADLINE, "state": InterviewState.STARTED}
    check_can_keep(first, QUESTIONS, [first, second], **open_now)  # type: ignore[arg-type]
    recording = take(3, 0, 3, TakeStatus.RECORDING)
    with pytest.raises(Conflict, match="Only a finished recording"):
        check_can_keep(recording, QUESTIONS, [recording], **open_now)  # type: ignore[arg-type]
    later = take(4, 1, 1, TakeStatus.DONE)
    with pytest.raises(Conflict, match="not for the current question"):
        check_can_keep(later, QUESTIONS, [later], **open_now)  # type: ignore[arg-type]
    with pytest.raises(Gone):
        check_can_keep(first, QUESTIONS, [first], now=DEADLINE, deadline=DEADLINE,
                       state=InterviewState.STARTED)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "prep", "limit", "attempts", "fields"),
    [
        ("", 0, 60, 1, {"text"}),
        ("Why?", -1, 60, 1, {"prep"}),
        ("Why?", 0, 5, 1, {"limit"}),
        ("Why?", 0, 601, 1, {"limit"}),
        ("Why?", 0, 60, 0, {"attempts"}),
        ("Why?", None, None, None, {"prep", "limit", "attempts"}),
    ],
)
def test_bad_questions_name_their_fields(
    text: str, prep: int | None, limit: int | None, attempts: int | None, fields: set[str]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_question(text, prep, limit, attempts)
    assert set(caught.value.fields) == fields


def test_invite_lines_are_parsed_and_bad_ones_reported() -> None:
    good, bad = parse_invite_lines(
        "Zoë Müller, zoe@example.com\n"
        "\n"
        "Smith, John; john.smith@example.com\n"
        "no email here\n"
        "Eve, not-an-address\n"
        "Zoe Again, ZOE@example.com\n"
        "Tab\tSeparated\ttab@example.com\n"
    )
    assert [(g.line, g.name, g.email) for g in good] == [
        (1, "Zoë Müller", "zoe@example.com"),
        (3, "Smith, John", "john.smith@example.com"),
        (7, "Tab Separated", "tab@example.com"),
    ]
    assert [(b.line, b.problem) for b in bad] == [
        (4, "Write the name, a comma, then the email address."),
        (5, "Enter a valid email address, like name@example.com."),
        (6, "This address is already in the list."),
    ]


def test_an_answer_recorded_as_the_deadline_came_can_be_kept_shortly_after_it() -> None:
    minute = timedelta(minutes=1)
    running = Take(5, 0, 1, TakeStatus.DONE, DEADLINE - minute, DEADLINE + minute)
    kept_late = {"deadline": DEADLINE, "state": InterviewState.STARTED}
    check_can_keep(running, QUESTIONS, [running], now=DEADLINE + 5 * minute, **kept_late)  # type: ignore[arg-type]
    too_late = DEADLINE + FINISH_AFTER_DEADLINE
    with pytest.raises(Gone, match="deadline"):
        check_can_keep(running, QUESTIONS, [running], now=too_late, **kept_late)  # type: ignore[arg-type]
    # A take finished long before the deadline had its chance; one started after it never runs.
    old = Take(6, 0, 1, TakeStatus.DONE, DEADLINE - 2 * FINISH_AFTER_DEADLINE,
               DEADLINE - FINISH_AFTER_DEADLINE - minute)  # fmt: skip
    assert not finishing(old, DEADLINE + minute, DEADLINE)
    after = Take(7, 0, 1, TakeStatus.DONE, DEADLINE, DEADLINE + minute)
    assert not finishing(after, DEADLINE + 2 * minute, DEADLINE)
    # ... and the interview's state still rules: withdrawn is withdrawn.
    with pytest.raises(Gone, match="withdrawn"):
        check_can_keep(running, QUESTIONS, [running], now=DEADLINE + minute,
                       deadline=DEADLINE, state=InterviewState.WITHDRAWN)  # fmt: skip
    # Nothing new starts after the deadline, not even for the question being answered.
    with pytest.raises(Gone, match="deadline"):
        start(Q1, [running], now=DEADLINE + minute)
