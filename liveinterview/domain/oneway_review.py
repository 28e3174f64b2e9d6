"""Reviewing one-way interviews: ratings, recommendations and comparing candidates."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from liveinterview.domain.errors import InvalidInput
from liveinterview.domain.oneway import InterviewState

MAX_COMMENT = 4000


class Recommendation(enum.StrEnum):
    STRONG_YES = "strong_yes"
    YES = "yes"
    NO = "no"
    STRONG_NO = "strong_no"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


def check_comment(raw: str) -> str:
    comment = raw.strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(
            f"The comment is longer than {MAX_COMMENT} characters.",
            {"comment": f"Use at most {MAX_COMMENT} characters."},
        )
    return comment


def check_rating(rating: int | None, comment: str) -> tuple[int, str]:
    if rating is None or not 1 <= rating <= 5:
        raise InvalidInput("Rate the answer from 1 to 5.", {"rating": "Choose 1 to 5."})
    return rating, check_comment(comment)


def check_verdict(recommendation: str, comment: str) -> tuple[Recommendation, str]:
    try:
        chosen = Recommendation(recommendation)
    except ValueError:
        choices = ", ".join(r.value for r in Recommendation)
        raise InvalidInput(
            f"Choose a recommendation: {choices}.",
            {"recommendation": "Choose a recommendation."},
        ) from None
    return chosen, check_comment(comment)


def average(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


@dataclass(frozen=True)
class CandidateRow:
    """One candidate on the position page."""

    interview_id: int
    name: str
    email: str
    state: InterviewState
    answered: int
    questions: int
    per_question: tuple[float | None, ...]  # average rating of each real question
    overall: float | None  # mean of the rated questions' averages
    recommendations: dict[Recommendation, int]
    completed_at: datetime | None


SORT_KEYS = ("name", "status", "average", "completed")
_STATE_ORDER = {
    InterviewState.COMPLETED: 0,
    InterviewState.STARTED: 1,
    InterviewState.INVITED: 2,
    InterviewState.EXPIRED: 3,
    InterviewState.WITHDRAWN: 4,
}


def sort_candidates(rows: Sequence[CandidateRow], key: str, descending: bool) -> list[CandidateRow]:
    """Sorted by `key` (one of SORT_KEYS); candidates without a value go last either way."""
    if key not in SORT_KEYS:
        raise InvalidInput(f"Sort by one of: {', '.join(SORT_KEYS)}.")
    by_name = sorted(rows, key=lambda r: (r.name.casefold(), r.interview_id))
    if key == "name":
        return list(reversed(by_name)) if descending else by_name
    if key == "status":
        ordered = sorted(by_name, key=lambda r: _STATE_ORDER[r.state], reverse=descending)
        return ordered
    present: list[CandidateRow]
    missing: list[CandidateRow]
    if key == "average":
        present = [r for r in by_name if r.overall is not None]
        missing = [r for r in by_name if r.overall is None]
        present.sort(key=lambda r: r.overall or 0.0, reverse=descending)
    else:
        present = [r for r in by_name if r.completed_at is not None]
        missing = [r for r in by_name if r.completed_at is None]
        present.sort(key=lambda r: r.completed_at or datetime.min, reverse=descending)
    return present + missing
