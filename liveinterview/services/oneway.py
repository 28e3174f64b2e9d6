"""Recruiters' side of one-way interviews: question sets, invitations, reminders, expiry,
review (ratings, recommendations, comparison), withdrawal, deletion and retention.

The candidate side (liveinterview/services/oneway_answers.py) finds an interview by its link
with `find_by_token` and moves it invited -> started -> completed.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from liveinterview.clock import Clock
from liveinterview.domain.accounts import Permission, Role, StaffMember, require
from liveinterview.domain.errors import Conflict, Gone, InvalidInput, NotFound
from liveinterview.domain.oneway import (
    FINISH_AFTER_DEADLINE,
    MAX_QUESTIONS,
    BadLine,
    InterviewState,
    Question,
    TakeStatus,
    check_question,
    parse_invite_lines,
)
from liveinterview.domain.oneway_invites import (
    REMINDER_OFFSETS,
    check_position,
    check_title,
    deadline_from_local,
    reminder_due,
)
from liveinterview.domain.oneway_review import (
    CandidateRow,
    Recommendation,
    average,
    check_rating,
    check_verdict,
    sort_candidates,
)
from liveinterview.domain.tokens import derive_link_token, hash_token, looks_like_token, new_salt
from liveinterview.services.oneway_mail import OneWayMail
from liveinterview.services.work import Work, unit_of_work
from liveinterview.storage import audit as audit_log
from liveinterview.storage import oneway as store
from liveinterview.storage.db import Database
from liveinterview.storage.oneway import (
    OneWayInterview,
    QuestionSetRecord,
    RatingRecord,
    SetQuestion,
    TakeRecord,
    VerdictRecord,
)

__all__ = ["OneWayInterview", "OneWayService", "find_by_token", "link_token"]

log = logging.getLogger(__name__)

PAGE_SIZE = 25
NO_SUCH_INTERVIEW = "There is no such one-way interview."
NO_SUCH_SET = "There is no such question set."


def link_token(secret_key: str, interview: OneWayInterview) -> str:
    """The candidate's link token, re-derived from the secret and the stored salt."""
    return derive_link_token(secret_key, interview.salt, f"oneway:{interview.id}")


async def find_by_token(conn: AsyncConnection, token: str) -> OneWayInterview | None:
    """The interview a candidate's link opens (in any state), or None for unknown tokens.

    Only the token's hash is stored; a recruiter's deletion removes the row (then None).
    """
    if not looks_like_token(token):
        return None
    return await store.find_by_token_hash(conn, hash_token(token))


@dataclass(frozen=True)
class OneWayPolicy:
    root: Path  # the recordings root; takes live in root / take.directory
    retention: timedelta  # answers are deleted this long after the deadline
    reminder_offsets: tuple[timedelta, ...] = REMINDER_OFFSETS


@dataclass(frozen=True)
class SetDetail:
    set: QuestionSetRecord
    questions: list[SetQuestion]  # the practice question first

    @property
    def usable(self) -> bool:
        return not self.set.archived and any(not q.practice for q in self.questions)


@dataclass(frozen=True)
class Invited:
    line: int
    name: str
    email: str
    interview_id: int


@dataclass(frozen=True)
class InviteResult:
    sent: list[Invited]
    bad: list[BadLine]


@dataclass(frozen=True)
class Listing:
    items: list[OneWayInterview]
    total: int
    counts: dict[InterviewState, int]
    page: int
    pages: int
    positions: list[tuple[str, int]]


@dataclass(frozen=True)
class Answer:
    """One question of an interview with its kept answer (if any) and the ratings it got."""

    question: Question
    take: TakeRecord | None
    attempts_used: int
    my_rating: RatingRecord | None
    other_ratings: list[RatingRecord]


@dataclass(frozen=True)
class InterviewReview:
    interview: OneWayInterview
    answers: list[Answer]
    my_verdict: VerdictRecord | None
    other_verdicts: list[VerdictRecord]
    can_withdraw: bool


@dataclass(frozen=True)
class Comparison:
    position: str
    questions: list[str]  # texts of the real questions, by index (from the first interview)
    rows: list[CandidateRow]
    sort: str
    descending: bool


class OneWayService:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        secret_key: str,
        policy: OneWayPolicy,
        mail: OneWayMail,
    ) -> None:
        self.db = db
        self.clock = clock
        self._secret = secret_key
        self.policy = policy
        self.mail = mail

    # --- question sets ------------------------------------------------------------------

    async def sets(self, actor: StaffMember) -> list[QuestionSetRecord]:
        """The sets this person may use: their own (administrators: everyone's)."""
        require(actor.roles, Permission.MANAGE_INTERVIEWS)
        async with self.db.read() as conn:
            return await store.list_sets(conn, owner_id=None if _admin(actor) else actor.id)

    async def create_set(self, actor: StaffMember, title: str) -> int:
        require(actor.roles, Permission.MANAGE_INTERVIEWS)
        clean = check_title(title)
        async with unit_of_work(self.db) as work:
            set_id = await store.create_set(
                work.conn, owner_id=actor.id, title=clean, now=self.clock.now()
            )
        return set_id

    async def set_detail(self, actor: StaffMember, set_id: int) -> SetDetail:
        async with self.db.read() as conn:
            found = await self._set(conn, actor, set_id)
            return SetDetail(found, await store.questions_of_set(conn, set_id))

    async def rename_set(self, actor: StaffMember, set_id: int, title: str) -> None:
        clean = check_title(title)
        async with unit_of_work(self.db) as work:
            await self._set(work.conn, actor, set_id, for_update=True)
            await store.update_set(work.conn, set_id, now=self.clock.now(), title=clean)

    async def archive_set(self, actor: StaffMember, set_id: int, *, archived: bool) -> None:
        """Archived sets are kept (interviews sent from them are unaffected) but not offered."""
        async with unit_of_work(self.db) as work:
            await self._set(work.conn, actor, set_id, for_update=True)
            await store.update_set(work.conn, set_id, now=self.clock.now(), archived=archived)

    async def add_question(
        self,
        actor: StaffMember,
        set_id: int,
        *,
        text: str,
        prep_seconds: int | None,
        answer_seconds: int | None,
        attempts: int | None,
        practice: bool = False,
    ) -> int:
        clean, prep, limit, tries = check_question(text, prep_seconds, answer_seconds, attempts)
        async with unit_of_work(self.db) as work:
            found = await self._set(work.conn, actor, set_id, for_update=True)
            questions = await store.questions_of_set(work.conn, set_id)
            if practice and any(q.practice for q in questions):
                raise InvalidInput(
                    "This set has a practice question already; edit that one instead.",
                    {"practice": "Only one practice question per set."},
                )
            if not practice and found.questions >= MAX_QUESTIONS:
                raise InvalidInput(f"A set holds at most {MAX_QUESTIONS} questions.")
            question_id = await store.add_set_question(
                work.conn,
                set_id,
                position=-1 if practice else len(questions),
                text=clean,
                prep_seconds=int(prep.total_seconds()),
                answer_seconds=int(limit.total_seconds()),
                attempts=tries,
                practice=practice,
            )
            await self._renumber(work, set_id)
            await store.update_set(work.conn, set_id, now=self.clock.now())
        return question_id

    async def edit_question(
        self,
        actor: StaffMember,
        set_id: int,
        question_id: int,
        *,
        text: str,
        prep_seconds: int | None,
        answer_seconds: int | None,
        attempts: int | None,
    ) -> None:
        clean, prep, limit, tries = check_question(text, prep_seconds, answer_seconds, attempts)
        async with unit_of_work(self.db) as work:
            await self._set(work.conn, actor, set_id, for_update=True)
            await self._question(work, set_id, question_id)
            await store.update_set_question(
                work.conn,
                question_id,
                text=clean,
                prep_seconds=int(prep.total_seconds()),
                answer_seconds=int(limit.total_seconds()),
                attempts=tries,
            )
            await store.update_set(work.conn, set_id, now=self.clock.now())

    async def move_question(
        self, actor: StaffMember, set_id: int, question_id: int, direction: str
    ) -> None:
        """One place up or down among the real questions (the practice question stays first)."""
        if direction not in {"up", "down"}:
            raise InvalidInput("Move a question up or down.")
        async with unit_of_work(self.db) as work:
            await self._set(work.conn, actor, set_id, for_update=True)
            moved = await self._question(work, set_id, question_id)
            if moved.practice:
                raise InvalidInput("The practice question always comes first.")
            questions = await store.questions_of_set(work.conn, set_id)
            real = [q for q in questions if not q.practice]
            at = [q.id for q in real].index(question_id)
            to = at - 1 if direction == "up" else at + 1
            if 0 <= to < len(real):
                real[at], real[to] = real[to], real[at]
                practice = [q.id for q in questions if q.practice]
                await store.renumber_set_questions(work.conn, practice + [q.id for q in real])
                await store.update_set(work.conn, set_id, now=self.clock.now())

    async def delete_question(self, actor: StaffMember, set_id: int, question_id: int) -> None:
        async with unit_of_work(self.db) as work:
            await self._set(work.conn, actor, set_id, for_update=True)
            await self._question(work, set_id, question_id)
            await store.delete_set_question(work.conn, question_id)
            await self._renumber(work, set_id)
            await store.update_set(work.conn, set_id, now=self.clock.now())

    async def _renumber(self, work: Work, set_id: int) -> None:
        questions = await store.questions_of_set(work.conn, set_id)
        await store.renumber_set_questions(work.conn, [q.id for q in questions])

    async def _set(
        self, conn: AsyncConnection, actor: StaffMember, set_id: int, *, for_update: bool = False
    ) -> QuestionSetRecord:
        require(actor.roles, Permission.MANAGE_INTERVIEWS)
        found = await store.get_set(conn, set_id, for_update=for_update)
        if found is None or not (found.owner_id == actor.id or _admin(actor)):
            raise NotFound(NO_SUCH_SET)
        return found

    async def _question(self, work: Work, set_id: int, question_id: int) -> SetQuestion:
        for question in await store.questions_of_set(work.conn, set_id):
            if question.id == question_id:
                return question
        raise NotFound("There is no such question in this set.")

    # --- invitations --------------------------------------------------------------------

    async def usable_sets(self, actor: StaffMember) -> list[QuestionSetRecord]:
        """Sets to invite with: not archived, with at least one real question."""
        return [s for s in await self.sets(actor) if not s.archived and s.questions > 0]

    async def invite(
        self,
        actor: StaffMember,
        *,
        set_id: int | None,
        position: str,
        deadline_day: date | None,
        deadline_time: time | None,
        timezone: str,
        lines: str,
    ) -> InviteResult:
        """One interview, link and invitation email per good line; bad lines are reported.

        Form-level problems (set, position, deadline, no line at all) raise InvalidInput with
        every marked field; a list whose lines are all bad returns them with nothing sent.
        """
        require(actor.roles, Permission.MANAGE_INTERVIEWS)
        now = self.clock.now()
        problems: dict[str, str] = {}
        messages: list[str] = []
        clean_position = ""
        deadline: datetime | None = None
        try:
            clean_position = check_position(position)
        except InvalidInput as exc:
            problems.update(exc.fields)
            messages.append(exc.message)
        try:
            deadline = deadline_from_local(deadline_day, deadline_time, timezone, now=now)
        except InvalidInput as exc:
            problems.update(exc.fields or {"deadline_day": exc.message})
            messages.append(exc.message)
        if set_id is None:
            problems["set_id"] = "Choose a question set."
            messages.append("Choose a question set.")
        if not lines.strip():
            problems["lines"] = "Paste at least one line: the name, a comma, the email address."
            messages.append("Paste at least one candidate line.")
        good, bad = parse_invite_lines(lines) if lines.strip() else ([], [])
        if problems:
            raise InvalidInput(" ".join(messages), problems)
        assert set_id is not None
        assert deadline is not None
        sent: list[Invited] = []
        async with unit_of_work(self.db) as work:
            try:
                found = await self._set(work.conn, actor, set_id)
            except NotFound:
                raise InvalidInput(
                    "Choose one of your question sets.", {"set_id": "There is no such set."}
                ) from None
            set_questions = await store.questions_of_set(work.conn, set_id)
            if found.archived:
                raise InvalidInput(
                    "This question set is archived; restore it or choose another.",
                    {"set_id": "The set is archived."},
                )
            if not any(not q.practice for q in set_questions):
                raise InvalidInput(
                    "This question set has no questions yet; add at least one first.",
                    {"set_id": "The set has no questions."},
                )
            snapshot = _snapshot(set_questions)
            taken = await store.open_emails(work.conn, clean_position, [g.email for g in good])
            for line in good:
                if line.email in taken:
                    bad.append(
                        BadLine(
                            line.line,
                            f"{line.name}, {line.email}",
                            "This candidate already has an open one-way interview for "
                            "this position.",
                        )
                    )
                    continue
                interview_id = await self._send(
                    work,
                    actor,
                    found,
                    snapshot,
                    position=clean_position,
                    name=line.name,
                    email=line.email,
                    deadline=deadline,
                    timezone=timezone,
                    now=now,
                )
                sent.append(Invited(line.line, line.name, line.email, interview_id))
        bad.sort(key=lambda b: b.line)
        return InviteResult(sent, bad)

    async def _send(
        self,
        work: Work,
        actor: StaffMember,
        question_set: QuestionSetRecord,
        snapshot: Sequence[Question],
        *,
        position: str,
        name: str,
        email: str,
        deadline: datetime,
        timezone: str,
        now: datetime,
    ) -> int:
        salt = new_salt()
        interview_id = await store.create_interview(
            work.conn,
            recruiter_id=actor.id,
            set_id=question_set.id,
            title=question_set.title,
            position=position,
            candidate_name=name,
            candidate_email=email,
            deadline=deadline,
            salt=salt,
            expires_at=deadline + self.policy.retention,
            now=now,
        )
        token = derive_link_token(self._secret, salt, f"oneway:{interview_id}")
        await store.set_token_hash(work.conn, interview_id, hash_token(token))
        await store.add_interview_questions(work.conn, interview_id, snapshot)
        interview = await store.get_interview(work.conn, interview_id)
        assert interview is not None
        await self.mail.invitation(work, interview, snapshot, token, timezone=timezone)
        await audit_log.record(
            work.conn,
            at=now,
            actor_id=actor.id,
            action="oneway.invited",
            subject=_subject(interview_id),
            details={"position": position, "set": question_set.id},
        )
        return interview_id

    # --- the dashboard ------------------------------------------------------------------

    async def listing(
        self, actor: StaffMember, *, state: str = "", query: str = "", page: int = 1
    ) -> Listing:
        require(actor.roles, Permission.MANAGE_INTERVIEWS)
        wanted = None
        if state:
            try:
                wanted = InterviewState(state)
            except ValueError:
                raise InvalidInput(f"Unknown state {state!r}.") from None
        owner = None if _admin(actor) else actor.id
        page = max(1, page)
        clean_query = query.strip()[:100]
        async with self.db.read() as conn:
            items, total = await store.list_interviews(
                conn,
                recruiter_id=owner,
                state=wanted,
                query=clean_query,
                limit=PAGE_SIZE,
                offset=(page - 1) * PAGE_SIZE,
            )
            counts = await store.state_counts(conn, recruiter_id=owner, query=clean_query)
            positions = await store.positions(conn, recruiter_id=owner)
        return Listing(items, total, counts, page, max(1, -(-total // PAGE_SIZE)), positions)

    # --- review -------------------------------------------------------------------------

    async def review(
        self, actor: StaffMember, interview_id: int, *, address: str
    ) -> InterviewReview:
        """One candidate's answers for a reviewer (audited: the answers are personal data)."""
        async with unit_of_work(self.db) as work:
            interview = await self._interview(work.conn, actor, interview_id)
            questions = await store.questions_of(work.conn, interview_id)
            takes = await store.takes_of(work.conn, [interview_id])
            ratings = await store.ratings_of(work.conn, [interview_id])
            verdicts = await store.verdicts_of(work.conn, [interview_id])
            await audit_log.record(
                work.conn,
                at=self.clock.now(),
                actor_id=actor.id,
                action="oneway.viewed",
                subject=_subject(interview_id),
                address=address,
            )
        answers = []
        for question in questions:
            if question.practice:
                continue
            kept = next(
                (t for t in takes if t.question == question.index and t.status is TakeStatus.KEPT),
                None,
            )
            used = sum(
                1
                for t in takes
                if t.question == question.index and t.status is not TakeStatus.DISCARDED
            )
            rated = [r for r in ratings if kept is not None and r.take_id == kept.id]
            answers.append(
                Answer(
                    question=question,
                    take=kept,
                    attempts_used=used,
                    my_rating=next((r for r in rated if r.reviewer_id == actor.id), None),
                    other_ratings=[r for r in rated if r.reviewer_id != actor.id],
                )
            )
        return InterviewReview(
            interview=interview,
            answers=answers,
            my_verdict=next((v for v in verdicts if v.reviewer_id == actor.id), None),
            other_verdicts=[v for v in verdicts if v.reviewer_id != actor.id],
            can_withdraw=interview.state.value in store.OPEN_STATES,
        )

    async def rate(
        self,
        actor: StaffMember,
        interview_id: int,
        take_id: int,
        *,
        rating: int | None,
        comment: str,
    ) -> None:
        """This reviewer's 1-5 rating and comment of one kept answer (replacing theirs)."""
        score, clean = check_rating(rating, comment)
        async with unit_of_work(self.db) as work:
            await self._interview(work.conn, actor, interview_id)
            take = await store.get_take(work.conn, take_id)
            if take is None or take.interview_id != interview_id:
                raise NotFound("There is no such answer.")
            if take.status is not TakeStatus.KEPT:
                raise Conflict("Only kept answers are rated.")
            await store.save_rating(
                work.conn,
                take_id=take_id,
                reviewer_id=actor.id,
                rating=score,
                comment=clean,
                now=self.clock.now(),
            )

    async def recommend(
        self, actor: StaffMember, interview_id: int, *, recommendation: str, comment: str
    ) -> None:
        """This reviewer's overall recommendation (replacing theirs)."""
        chosen, clean = check_verdict(recommendation, comment)
        async with unit_of_work(self.db) as work:
            await self._interview(work.conn, actor, interview_id)
            await store.save_verdict(
                work.conn,
                interview_id=interview_id,
                reviewer_id=actor.id,
                recommendation=chosen.value,
                comment=clean,
                now=self.clock.now(),
            )

    async def take_file(
        self,
        actor: StaffMember,
        take_id: int,
        *,
        address: str,
        kind: str = "downloaded",
        audit: bool = True,
    ) -> tuple[OneWayInterview, TakeRecord, Path]:
        """A take's WebM file for staff allowed to see its interview (audited)."""
        async with self.db.read() as conn:
            take = await store.get_take(conn, take_id)
            if take is None:
                raise NotFound("There is no such answer.")
            interview = await self._interview(conn, actor, take.interview_id)
        if interview.deleted_at is not None:
            raise Gone("This answer has been deleted.")
        path = self._take_path(take)
        if path is None or take.status not in {TakeStatus.KEPT, TakeStatus.DONE}:
            raise NotFound("This answer has no video.")
        if not path.is_file():
            raise Gone("This answer's video is no longer on the server.")
        if audit:
            async with unit_of_work(self.db) as work:
                await audit_log.record(
                    work.conn,
                    at=self.clock.now(),
                    actor_id=actor.id,
                    action=f"oneway.answer_{kind}",
                    subject=_subject(interview.id),
                    address=address,
                    details={"take": take.id, "file": f"{take.directory}/{take.file}"},
                )
        return interview, take, path

    async def compare(
        self, actor: StaffMember, position: str, *, sort: str = "average", descending: bool = True
    ) -> Comparison:
        """Every candidate of a position this person may see, side by side."""
        require(actor.roles, Permission.MANAGE_INTERVIEWS)
        async with self.db.read() as conn:
            interviews, _ = await store.list_interviews(
                conn,
                recruiter_id=None if _admin(actor) else actor.id,
                position=position,
                limit=10_000,
            )
            if not interviews:
                raise NotFound("There are no one-way interviews for this position.")
            ids = [i.id for i in interviews]
            takes = await store.takes_of(conn, ids)
            ratings = await store.ratings_of(conn, ids)
            verdicts = await store.verdicts_of(conn, ids)
            first = await store.questions_of(conn, min(ids))
        headers = [q.text for q in first if not q.practice]
        kept = {t.id: t for t in takes if t.status is TakeStatus.KEPT}
        width = max(
            [len(headers), *(t.question + 1 for t in kept.values())],
        )
        rows = []
        for interview in interviews:
            mine = [t for t in kept.values() if t.interview_id == interview.id]
            per_question: list[float | None] = []
            for index in range(width):
                scores = [
                    r.rating
                    for r in ratings
                    if r.take_id in {t.id for t in mine if t.question == index}
                ]
                per_question.append(average(scores))
            counts = dict.fromkeys(Recommendation, 0)
            for verdict in verdicts:
                if verdict.interview_id == interview.id:
                    counts[Recommendation(verdict.recommendation)] += 1
            rows.append(
                CandidateRow(
                    interview_id=interview.id,
                    name=interview.candidate_name,
                    email=interview.candidate_email,
                    state=interview.state,
                    answered=len(mine),
                    questions=width,
                    per_question=tuple(per_question),
                    overall=average(v for v in per_question if v is not None),
                    recommendations=counts,
                    completed_at=interview.completed_at,
                )
            )
        ordered = sort_candidates(rows, sort, descending)
        headers += [f"Question {i + 1}" for i in range(len(headers), width)]
        return Comparison(position, headers, ordered, sort, descending)

    # --- withdraw and delete ------------------------------------------------------------

    async def withdraw(self, actor: StaffMember, interview_id: int, *, address: str) -> None:
        """The candidate's link then says withdrawn; answers recorded so far are deleted."""
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            interview = await self._interview(work.conn, actor, interview_id, for_update=True)
            if interview.state.value not in store.OPEN_STATES:
                raise Conflict(
                    f"This interview is {interview.state.value}; only open interviews can be "
                    "withdrawn."
                )
            await store.set_state(work.conn, interview_id, InterviewState.WITHDRAWN, now=now)
            takes = await store.takes_of(work.conn, [interview_id])
            # A take being recorded right now is left to the candidate side, which stops it
            # on seeing the withdrawal; the retention job removes its files later.
            finished = [t for t in takes if t.status is not TakeStatus.RECORDING]
            await store.delete_takes(work.conn, [t.id for t in finished])
            await self.mail.withdrawn(work, interview)
            await audit_log.record(
                work.conn,
                at=now,
                actor_id=actor.id,
                action="oneway.withdrawn",
                subject=_subject(interview_id),
                address=address,
                details={"takes_deleted": len(finished)},
            )
            work.after_commit(lambda: self._remove_files_async(finished))

    async def delete(self, actor: StaffMember, interview_id: int, *, address: str) -> None:
        """The interview, its answers (files included), ratings and recommendations."""
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            interview = await self._interview(work.conn, actor, interview_id, for_update=True)
            takes = await store.takes_of(work.conn, [interview_id])
            if any(t.status is TakeStatus.RECORDING for t in takes):
                raise Conflict(
                    "The candidate is recording an answer right now; withdraw the interview "
                    "first, or try again in a few minutes."
                )
            await store.delete_interview(work.conn, interview_id)
            await audit_log.record(
                work.conn,
                at=now,
                actor_id=actor.id,
                action="oneway.deleted",
                subject=_subject(interview_id),
                address=address,
                details={"position": interview.position, "takes": len(takes)},
            )
            # Files go once the rows are gone for good (a rollback keeps both).
            work.after_commit(lambda: self._remove_files_async(takes))

    # --- background jobs ----------------------------------------------------------------

    async def send_due_reminders(self) -> int:
        """Reminders before the deadline to candidates who have not finished; each once."""
        queued = 0
        now = self.clock.now()
        longest = max(self.policy.reminder_offsets, default=timedelta(0))
        async with unit_of_work(self.db) as work:
            candidates = await store.open_before(work.conn, now=now, until=now + longest)
            due: list[tuple[OneWayInterview, timedelta, str]] = []
            for interview in candidates:
                for offset in self.policy.reminder_offsets:
                    # Never a reminder planned before the invitation existed.
                    if interview.deadline - offset < interview.created_at:
                        continue
                    if reminder_due(interview.deadline, offset, now):
                        key = f"oneway-reminder:{interview.id}:{int(offset.total_seconds())}"
                        due.append((interview, offset, key))
            sent = await store.queued_keys(work.conn, [key for _, _, key in due])
            for interview, offset, key in due:
                if key in sent:
                    continue
                questions = await store.questions_of(work.conn, interview.id)
                token = link_token(self._secret, interview)
                if await self.mail.reminder(
                    work, interview, questions, token, offset=offset, dedupe_key=key
                ):
                    queued += 1
        return queued

    async def expire_overdue(self) -> int:
        """Open interviews past their deadline become expired (once a candidate answering as
        it came has had FINISH_AFTER_DEADLINE to keep that answer)."""
        async with unit_of_work(self.db) as work:
            ids = await store.expire_overdue(
                work.conn, now=self.clock.now(), grace=FINISH_AFTER_DEADLINE
            )
        if ids:
            log.info("one-way interviews expired", extra={"count": len(ids)})
        return len(ids)

    async def run_deadlines(self) -> int:
        """The periodic job: reminders first (they are only for open interviews), then expiry."""
        return await self.send_due_reminders() + await self.expire_overdue()

    async def purge_expired(self) -> int:
        """The retention job: answers past their retention are deleted from disk, recorded."""
        now = self.clock.now()
        removed = 0
        async with unit_of_work(self.db) as work:
            for interview in await store.retention_due(work.conn, now=now):
                takes = await store.takes_of(work.conn, [interview.id])
                self._remove_files(takes)
                await store.delete_takes(work.conn, [t.id for t in takes])
                await store.mark_answers_deleted(work.conn, interview.id, now=now)
                await audit_log.record(
                    work.conn,
                    at=now,
                    actor_id=None,
                    action="oneway.expired",
                    subject=_subject(interview.id),
                    details={"expired_at": interview.expires_at.isoformat(), "takes": len(takes)},
                )
                removed += 1
        if removed:
            log.info("expired one-way answers deleted", extra={"count": removed})
        return removed

    # --- helpers ------------------------------------------------------------------------

    async def _interview(
        self,
        conn: AsyncConnection,
        actor: StaffMember,
        interview_id: int,
        *,
        for_update: bool = False,
    ) -> OneWayInterview:
        interview = await store.get_interview(conn, interview_id, for_update=for_update)
        # Other staff (recruiters too) learn nothing, not even that it exists: the answers
        # are personal data.
        allowed = actor.can(Permission.MANAGE_INTERVIEWS) and (
            interview is not None and (interview.recruiter_id == actor.id or _admin(actor))
        )
        if interview is None or not allowed:
            raise NotFound(NO_SUCH_INTERVIEW)
        return interview

    def _take_path(self, take: TakeRecord) -> Path | None:
        """root / directory / file, or None if the take has no file or the path leaves root."""
        if not take.file:
            return None
        root = self.policy.root.resolve()
        path = (root / take.directory / take.file).resolve()
        return path if path.is_relative_to(root) and path != root else None

    def _remove_files(self, takes: Sequence[TakeRecord]) -> None:
        root = self.policy.root.resolve()
        for directory in sorted({t.directory for t in takes}):
            path = (root / directory).resolve()
            if path == root or not path.is_relative_to(root):
                log.warning("take directory outside the recordings root", extra={"path": directory})
                continue
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()

    async def _remove_files_async(self, takes: Sequence[TakeRecord]) -> None:
        self._remove_files(takes)


def _snapshot(questions: Sequence[SetQuestion]) -> list[Question]:
    """The set's questions as an interview keeps them: practice -1, the others 0..n-1."""
    snapshot = []
    index = 0
    for q in questions:
        if q.practice:
            position = -1
        else:
            position = index
            index += 1
        snapshot.append(
            Question(
                index=position,
                text=q.text,
                prep=timedelta(seconds=q.prep_seconds),
                limit=timedelta(seconds=q.answer_seconds),
                attempts=q.attempts,
                practice=q.practice,
            )
        )
    return snapshot


def _admin(actor: StaffMember) -> bool:
    return actor.is_active and Role.ADMIN in actor.roles


def _subject(interview_id: int) -> str:
    return f"one-way interview {interview_id}"
