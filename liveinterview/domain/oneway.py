"""One-way (asynchronous) interviews: question sets, attempts, order, time limits, deadline.

Pure rules; the server enforces every one of them whatever the candidate's page does.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from liveinterview.domain.accounts import normalize_email, normalize_name
from liveinterview.domain.errors import Conflict, Gone, InvalidInput

MAX_QUESTIONS = 20
MAX_QUESTION_TEXT = 1000
MIN_ANSWER = timedelta(seconds=15)
MAX_ANSWER = timedelta(minutes=10)
MAX_PREP = timedelta(minutes=10)
MAX_ATTEMPTS = 5
# A take is cut this long after its limit, whatever the browser does (network, clocks).
GRACE = timedelta(seconds=2)
# A candidate who was answering when the deadline came may still keep that answer this long
# after it (watching a take and choosing takes a minute); nothing new starts after the deadline.
FINISH_AFTER_DEADLINE = timedelta(minutes=15)
MAX_INVITES = 200


class TakeStatus(enum.StrEnum):
    RECORDING = "recording"
    DONE = "done"  # recorded (to the limit or stopped early); one of these becomes the answer
    KEPT = "kept"  # the answer
    NOT_KEPT = "not_kept"  # another attempt was kept instead
    DISCARDED = "discarded"  # the connection dropped mid-answer: it does not count


class InterviewState(enum.StrEnum):
    INVITED = "invited"
    STARTED = "started"
    COMPLETED = "completed"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Question:
    index: int  # 0-based order among the real questions; the practice question is -1
    text: str
    prep: timedelta
    limit: timedelta
    attempts: int
    practice: bool = False


@dataclass(frozen=True)
class Take:
    id: int
    question: int
    attempt: int
    status: TakeStatus
    started_at: datetime
    ended_at: datetime | None = None


def check_question(
    text: str, prep_seconds: int | None, answer_seconds: int | None, attempts: int | None
) -> tuple[str, timedelta, timedelta, int]:
    problems: dict[str, str] = {}
    clean = " ".join(text.split())
    if not clean:
        problems["text"] = "Enter the question."
    elif len(clean) > MAX_QUESTION_TEXT:
        problems["text"] = f"Use at most {MAX_QUESTION_TEXT} characters."
    prep = timedelta(seconds=prep_seconds) if prep_seconds is not None else None
    limit = timedelta(seconds=answer_seconds) if answer_seconds is not None else None
    if prep is None or not timedelta(0) <= prep <= MAX_PREP:
        problems["prep"] = f"Use from 0 to {int(MAX_PREP.total_seconds())} seconds."
    if limit is None or not MIN_ANSWER <= limit <= MAX_ANSWER:
        problems["limit"] = (
            f"Use from {int(MIN_ANSWER.total_seconds())} to {int(MAX_ANSWER.total_seconds())} "
            "seconds."
        )
    if attempts is None or not 1 <= attempts <= MAX_ATTEMPTS:
        problems["attempts"] = f"Allow from 1 to {MAX_ATTEMPTS} attempts."
    if problems:
        raise InvalidInput("Please correct the marked fields.", problems)
    assert prep is not None
    assert limit is not None
    assert attempts is not None
    return clean, prep, limit, attempts


@dataclass(frozen=True)
class InviteLine:
    line: int
    name: str
    email: str


@dataclass(frozen=True)
class BadLine:
    line: int
    text: str
    problem: str


def parse_invite_lines(text: str) -> tuple[list[InviteLine], list[BadLine]]:
    """'Name, email' per line (a tab or a semicolon also separate); good and bad lines."""
    good: list[InviteLine] = []
    bad: list[BadLine] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        # The address comes after the last separator: names may hold commas ("Smith, John").
        cut = max(line.rfind(separator) for separator in (",", "\t", ";"))
        if cut < 0:
            bad.append(BadLine(number, line, "Write the name, a comma, then the email address."))
            continue
        name, email = line[:cut], line[cut + 1 :]
        try:
            clean_email = normalize_email(email)
            clean_name = normalize_name(name)
        except InvalidInput as exc:
            bad.append(BadLine(number, line, next(iter(exc.fields.values()), exc.message)))
            continue
        if clean_email in seen:
            bad.append(BadLine(number, line, "This address is already in the list."))
            continue
        seen.add(clean_email)
        good.append(InviteLine(number, clean_name, clean_email))
    if len(good) > MAX_INVITES:
        raise InvalidInput(f"Invite at most {MAX_INVITES} candidates at once.")
    return good, bad


def current_question(questions: Sequence[Question], takes: Sequence[Take]) -> Question | None:
    """The first real question without a kept answer (answers go strictly in order)."""
    answered = {t.question for t in takes if t.status is TakeStatus.KEPT}
    for question in sorted((q for q in questions if not q.practice), key=lambda q: q.index):
        if question.index not in answered:
            return question
    return None


def attempts_used(question: Question, takes: Sequence[Take]) -> int:
    """Attempts that count: every take of the question except the discarded ones."""
    return sum(
        1 for t in takes if t.question == question.index and t.status is not TakeStatus.DISCARDED
    )


def check_can_start(
    question: Question,
    questions: Sequence[Question],
    takes: Sequence[Take],
    *,
    now: datetime,
    deadline: datetime,
    state: InterviewState,
) -> int:
    """The attempt number of a new take of `question`, or the reason it may not start."""
    check_open(state, now=now, deadline=deadline)
    if any(t.status is TakeStatus.RECORDING for t in takes):
        raise Conflict("An answer is being recorded already.")
    if question.practice:
        return 0  # practice answers are not stored and not counted
    current = current_question(questions, takes)
    if current is None:
        raise Conflict("Every question has an answer already.")
    if question.index != current.index:
        raise Conflict("Questions are answered in order; this is not the current question.")
    used = attempts_used(question, takes)
    if used >= question.attempts:
        raise Conflict("No attempts are left for this question; keep the answer you recorded.")
    return used + 1


def check_open(state: InterviewState, *, now: datetime, deadline: datetime) -> None:
    if state is InterviewState.WITHDRAWN:
        raise Gone("This interview was withdrawn.")
    if state is InterviewState.COMPLETED:
        raise Gone("You have already answered every question. Thank you!")
    if state is InterviewState.EXPIRED or now >= deadline:
        raise Gone("The deadline for this interview has passed.")


def cut_off(take_started: datetime, question: Question) -> datetime:
    """When the server stops a take, whatever the browser does."""
    return take_started + question.limit + GRACE


def check_can_keep(
    take: Take,
    questions: Sequence[Question],
    takes: Sequence[Take],
    *,
    now: datetime,
    deadline: datetime,
    state: InterviewState,
) -> None:
    """Any finished attempt of the current question may become the answer (before the
    deadline, or shortly after it for a take recorded as it came); the others of that question
    are then not kept."""
    when = take.started_at if finishing(take, now, deadline) else now
    check_open(state, now=when, deadline=deadline)
    if take.status is not TakeStatus.DONE:
        raise Conflict("Only a finished recording can be kept.")
    current = current_question(questions, takes)
    if current is None or take.question != current.index:
        raise Conflict("This recording is not for the current question.")


def finishing(take: Take, now: datetime, deadline: datetime) -> bool:
    """`now` is just after the deadline and `take` was being recorded or watched as it came:
    it started before the deadline and ended at most FINISH_AFTER_DEADLINE before it."""
    ended = take.ended_at or take.started_at
    return (
        deadline <= now < deadline + FINISH_AFTER_DEADLINE
        and take.started_at < deadline
        and ended >= deadline - FINISH_AFTER_DEADLINE
    )


def completed(questions: Sequence[Question], takes: Sequence[Take]) -> bool:
    return current_question(questions, takes) is None
