"""The emails around an interview: one per recipient, each with its own calendar invite."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from liveinterview.calendar.invites import (
    Attendee,
    InviteEvent,
    build_cancel,
    build_request,
)
from liveinterview.clock import Clock
from liveinterview.domain.timetext import day_range, when
from liveinterview.mail.compose import CalendarPart
from liveinterview.services.interview_links import InterviewUrls, LinkKeeper, Purpose
from liveinterview.services.notify import Notifier
from liveinterview.services.work import Work
from liveinterview.storage.interviews import InterviewRecord, PanelPerson


class Change(enum.StrEnum):
    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"


_SUBJECT = {
    Change.BOOKED: "Interview confirmed",
    Change.RESCHEDULED: "Interview moved",
    Change.CANCELLED: "Interview cancelled",
}


class Invitations:
    def __init__(
        self, *, notifier: Notifier, links: LinkKeeper, urls: InterviewUrls, clock: Clock
    ) -> None:
        self.notifier = notifier
        self.links = links
        self.urls = urls
        self.clock = clock

    async def ask_to_book(self, work: Work, record: InterviewRecord, token: str) -> None:
        """The first email: the candidate's link to pick a time."""
        await self.notifier.queue(
            work,
            "candidate_book",
            to=(record.candidate_name, record.candidate_email),
            subject=f"Pick a time for your interview: {record.position}",
            context={
                "position": record.position,
                "recruiter": record.recruiter_name,
                "link": self.urls.book(token),
                "duration": record.duration_minutes,
                "window": day_range(record.window_start, record.window_end, record.window_timezone)
                + f" ({record.window_timezone})",
                "note": record.note,
                "recorded": record.recorded,
            },
        )

    async def send(
        self,
        work: Work,
        record: InterviewRecord,
        *,
        change: Change,
        attendees: Sequence[PanelPerson],
        dropped: Sequence[PanelPerson],
        previous_start: datetime | None,
        reason: str = "",
    ) -> None:
        """Tell the candidate and every interviewer; `dropped` interviewers get a cancel."""
        assert record.start_at is not None
        assert record.end_at is not None
        joins = await self.links.tokens(work.conn, record.id, Purpose.JOIN)
        manage = (await self.links.tokens(work.conn, record.id, Purpose.MANAGE)).get(None)
        candidate_tz = record.candidate_timezone or "UTC"
        everyone = self._attendees(record, attendees)
        base = {
            "position": record.position,
            "candidate": record.candidate_name,
            "recruiter": record.recruiter_name,
            "panel": [p.name for p in attendees],
            "recorded": record.recorded,
            "note": record.note,
            "reason": reason,
            "change": change.value,
        }
        live = change is not Change.CANCELLED  # a cancellation carries no links to use
        candidate_join = joins.get(None) if live else None
        await self._email(
            work,
            record,
            template=f"candidate_{change.value}",
            to=(record.candidate_name, record.candidate_email),
            tz=candidate_tz,
            change=change,
            everyone=everyone,
            join=self.urls.join(candidate_join) if candidate_join else None,
            context={
                **base,
                "manage_link": self.urls.manage(manage) if manage and live else None,
            },
            previous_start=previous_start,
        )
        for person in attendees:
            token = joins.get(person.user_id) if live else None
            await self._email(
                work,
                record,
                template=f"interviewer_{change.value}",
                to=(person.name, person.email),
                tz=person.timezone,
                change=change,
                everyone=everyone,
                join=self.urls.join(token) if token else None,
                context={**base, "details_link": self.urls.interview(record.id)},
                previous_start=previous_start,
            )
        for person in dropped:
            await self._email(
                work,
                record,
                template="interviewer_cancelled",
                to=(person.name, person.email),
                tz=person.timezone,
                change=Change.CANCELLED,
                everyone=everyone,
                join=None,
                context={
                    **base,
                    "reason": "The interview moved to a time when another interviewer "
                    "from the pool takes your place.",
                    "details_link": self.urls.interview(record.id),
                },
                previous_start=previous_start,
            )

    def _attendees(
        self, record: InterviewRecord, interviewers: Sequence[PanelPerson]
    ) -> tuple[Attendee, ...]:
        candidate = Attendee(
            email=record.candidate_email,
            name=record.candidate_name,
            partstat="ACCEPTED",  # they picked the time themselves
            rsvp=False,
        )
        return (candidate, *(Attendee(email=p.email, name=p.name) for p in interviewers))

    async def _email(
        self,
        work: Work,
        record: InterviewRecord,
        *,
        template: str,
        to: tuple[str, str],
        tz: str,
        change: Change,
        everyone: tuple[Attendee, ...],
        join: str | None,
        context: dict[str, Any],
        previous_start: datetime | None,
    ) -> None:
        assert record.start_at is not None
        assert record.end_at is not None
        start, end = record.start_at, record.end_at
        if change is Change.CANCELLED and previous_start is not None:
            start, end = previous_start, previous_start + (end - start)
        description = [f"Interview for {record.position} with {record.candidate_name}."]
        if join:
            description.append(f"Join in your browser: {join}")
        if record.recorded:
            description.append("This interview is recorded for the hiring team's review.")
        event = InviteEvent(
            uid=record.uid,
            sequence=record.sequence,
            start=start,
            end=end,
            summary=f"Interview: {record.position} ({record.candidate_name})",
            description="\n".join(description),
            location=join or "",
            url=join or "",
            organizer_email=record.recruiter_email,
            organizer_name=record.recruiter_name,
            attendees=everyone,
        )
        now = self.clock.now()
        if change is Change.CANCELLED:
            calendar = CalendarPart(build_cancel(event, dtstamp=now), "CANCEL", "cancel.ics")
        else:
            calendar = CalendarPart(build_request(event, dtstamp=now), "REQUEST", "invite.ics")
        moment = when(start, end, tz)
        await self.notifier.queue(
            work,
            template,
            to=to,
            subject=f"{_SUBJECT[change]}: {record.position}, {moment}",
            context={
                **context,
                "when": moment,
                "previous": when(previous_start, previous_start + (end - start), tz)
                if previous_start is not None and change is Change.RESCHEDULED
                else None,
                "join_link": join,
                "timezone": tz,
            },
            calendar=calendar,
        )

    async def remind(
        self,
        work: Work,
        record: InterviewRecord,
        *,
        recipient: PanelPerson | None,
        offset: timedelta,
        dedupe_key: str,
    ) -> None:
        """One reminder email (recipient None: the candidate); queued once per key."""
        assert record.start_at is not None
        assert record.end_at is not None
        joins = await self.links.tokens(work.conn, record.id, Purpose.JOIN)
        if recipient is None:
            to = (record.candidate_name, record.candidate_email)
            tz = record.candidate_timezone or "UTC"
            token = joins.get(None)
        else:
            to = (recipient.name, recipient.email)
            tz = recipient.timezone
            token = joins.get(recipient.user_id)
        moment = when(record.start_at, record.end_at, tz)
        await self.notifier.queue(
            work,
            "reminder",
            to=to,
            subject=f"Reminder: interview {_lead_time(offset)}, {record.position}",
            context={
                "position": record.position,
                "candidate": record.candidate_name,
                "when": moment,
                "join_link": self.urls.join(token) if token else None,
                "is_candidate": recipient is None,
                "recorded": record.recorded,
            },
            dedupe_key=dedupe_key,
        )


def _lead_time(offset: timedelta) -> str:
    """'tomorrow', 'in 2 hours', 'in 15 minutes'."""
    minutes = int(offset.total_seconds() // 60)
    if minutes == 24 * 60:
        return "tomorrow"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "in 1 hour" if hours == 1 else f"in {hours} hours"
    return f"in {minutes} minutes"
