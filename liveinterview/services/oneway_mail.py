"""The emails of one-way interviews: invitation, reminders before the deadline, withdrawal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from liveinterview.domain.oneway import InterviewState, Question
from liveinterview.domain.oneway_invites import lead_time
from liveinterview.domain.timetext import zone_label
from liveinterview.services.notify import Notifier
from liveinterview.services.work import Work
from liveinterview.storage.oneway import OneWayInterview


class OneWayUrls(Protocol):
    """Absolute URLs for one-way emails; the web layer builds them."""

    def answer(self, token: str) -> str: ...

    def oneway_interview(self, interview_id: int) -> str: ...


def moment(at: datetime, tz: str) -> str:
    """'Thursday 12 March 2026, 17:00 (Europe/Berlin, CET)'."""
    local = at.astimezone(ZoneInfo(tz))
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} ({zone_label(at, tz)})"


def _seconds(value: timedelta) -> str:
    total = int(value.total_seconds())
    minutes, seconds = divmod(total, 60)
    if minutes and seconds:
        return f"{minutes} min {seconds} s"
    return f"{minutes} min" if minutes else f"{seconds} s"


def question_lines(questions: Sequence[Question]) -> list[dict[str, Any]]:
    return [
        {
            "number": q.index + 1,
            "prep": _seconds(q.prep),
            "limit": _seconds(q.limit),
            "attempts": q.attempts,
        }
        for q in questions
        if not q.practice
    ]


class OneWayMail:
    def __init__(self, *, notifier: Notifier, urls: OneWayUrls, retention: timedelta) -> None:
        self.notifier = notifier
        self.urls = urls
        self.retention = retention

    def _base(
        self, interview: OneWayInterview, questions: Sequence[Question], timezone: str
    ) -> dict[str, Any]:
        real = [q for q in questions if not q.practice]
        return {
            "position": interview.position,
            "title": interview.title,
            "recruiter": interview.recruiter_name,
            "count": len(real),
            "questions": question_lines(questions),
            "practice": any(q.practice for q in questions),
            "deadline_utc": moment(interview.deadline, "UTC"),
            "deadline_local": moment(interview.deadline, timezone),
            "recruiter_timezone": timezone,
            "retention_days": self.retention.days,
        }

    async def invitation(
        self,
        work: Work,
        interview: OneWayInterview,
        questions: Sequence[Question],
        token: str,
        *,
        timezone: str,
    ) -> None:
        """`timezone`: the zone the recruiter gave the deadline in."""
        await self.notifier.queue(
            work,
            "oneway_invitation",
            to=(interview.candidate_name, interview.candidate_email),
            subject=f"Your video interview for {interview.position}: answer by "
            f"{interview.deadline:%d %b %Y, %H:%M} UTC",
            context={
                **self._base(interview, questions, timezone),
                "link": self.urls.answer(token),
            },
            dedupe_key=f"oneway-invitation:{interview.id}",
        )

    async def reminder(
        self,
        work: Work,
        interview: OneWayInterview,
        questions: Sequence[Question],
        token: str,
        *,
        offset: timedelta,
        dedupe_key: str,
    ) -> bool:
        queued = await self.notifier.queue(
            work,
            "oneway_reminder",
            to=(interview.candidate_name, interview.candidate_email),
            subject=f"Reminder: your video interview for {interview.position} is due in "
            f"{lead_time(offset)}",
            context={
                **self._base(interview, questions, interview.recruiter_timezone),
                "link": self.urls.answer(token),
                "lead": lead_time(offset),
                "started": interview.state is InterviewState.STARTED,
            },
            dedupe_key=dedupe_key,
        )
        return queued is not None

    async def withdrawn(self, work: Work, interview: OneWayInterview) -> None:
        await self.notifier.queue(
            work,
            "oneway_withdrawn",
            to=(interview.candidate_name, interview.candidate_email),
            subject=f"Video interview withdrawn: {interview.position}",
            context={
                "position": interview.position,
                "recruiter": interview.recruiter_name,
            },
            dedupe_key=f"oneway-withdrawn:{interview.id}",
        )
