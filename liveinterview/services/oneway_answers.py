"""One-way answers, the candidate's side: the link, consent, and the takes recorded on the server.

A candidate's connection holds the interview's *seat* (one at a time: a second tab is refused
unless it takes over explicitly). Through the seat, takes start (the rules of
`domain.oneway`), are recorded by the media plane like a live room of one
(`RecordingControl`) into `<recordings root>/oneway/<interview>/<take>/`, are cut by the
server at `cut_off()` whatever the page does, and are merged into one playable WebM
(`TakeMerger`, off the event loop). Keeping the last question's answer completes the interview
and queues the emails in the same transaction. A connection lost mid-answer discards that take
(it does not count) and deletes its files; the practice take is never kept and is deleted when
the next take starts or the connection ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from liveinterview.clock import Clock
from liveinterview.domain import oneway as rules
from liveinterview.domain.errors import Conflict, DomainError, Gone, InvalidInput, NotFound
from liveinterview.domain.oneway import Question, TakeStatus
from liveinterview.services.notify import Notifier
from liveinterview.services.oneway import find_by_token
from liveinterview.services.recordings import RecordingControl
from liveinterview.services.work import Work, unit_of_work
from liveinterview.storage import oneway as interviews
from liveinterview.storage import oneway_takes as store
from liveinterview.storage.db import Database
from liveinterview.storage.oneway import OneWayInterview, questions_of
from liveinterview.storage.oneway_takes import TakeRecord
from signaling.oneway_ports import Close, Refused, Send
from signaling.ports import GateRefused

log = logging.getLogger(__name__)

PARTICIPANT = "candidate"
ROOM_PREFIX = "oneway-"
# The recorder hears of a stop a moment after the timer fires (a message to the media
# worker); the timer runs this much early so the media never passes cut_off().
STOP_MARGIN = timedelta(milliseconds=300)
INTERRUPTED = (
    "Your last recording (question {number}) was interrupted because the connection dropped. "
    "It was discarded and does not count as an attempt: record it again."
)


class MergedAnswer(Protocol):
    @property
    def file(self) -> Path: ...

    @property
    def duration_ms(self) -> int: ...


class TakeMerger(Protocol):
    """The media side: a take's track files into one playable file (blocking; run in a
    thread). Raises an exception when nothing playable was recorded."""

    def __call__(self, directory: Path, limit: timedelta) -> MergedAnswer: ...


class AnswerUrls(Protocol):
    def take(self, token: str, take_id: int) -> str:
        """Where the candidate's page plays one of their takes."""
        ...

    def review(self, interview_id: int) -> str | None:
        """The recruiter's page of the interview (None while there is none)."""
        ...


@dataclass(frozen=True)
class AnswerPolicy:
    root: Path  # the recordings root; takes go under root/oneway/
    retention_days: int


@dataclass(frozen=True)
class Portal:
    """What the candidate's page shows before connecting."""

    interview: OneWayInterview
    questions: list[Question]
    takes: list[TakeRecord]
    current: Question | None
    retention_days: int

    @property
    def real_questions(self) -> list[Question]:
        return [q for q in self.questions if not q.practice]

    @property
    def practice(self) -> Question | None:
        return next((q for q in self.questions if q.practice), None)


def refusal(exc: DomainError) -> Refused:
    """A domain error as the socket's `error` code."""
    if isinstance(exc, Gone):
        return Refused("closed", exc.message)
    if isinstance(exc, NotFound):
        return Refused("not_found", exc.message)
    if isinstance(exc, InvalidInput):
        return Refused("invalid", exc.message)
    if isinstance(exc, Conflict):
        return Refused("refused", exc.message)
    return Refused("refused", exc.message)


class AnswerService:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        policy: AnswerPolicy,
        control: RecordingControl,
        merge: TakeMerger,
        urls: AnswerUrls,
        notifier: Notifier,
        ice_servers: Callable[[str], list[dict[str, object]]],
    ) -> None:
        self.db = db
        self.clock = clock
        self.policy = policy
        self.control = control
        self.merge = merge
        self.urls = urls
        self.notifier = notifier
        self.ice_servers = ice_servers
        self._seats: dict[int, AnswerSeat] = {}
        self._connections = 0  # each connection publishes as its own participant

    # --- the link ---------------------------------------------------------------------

    async def open(self, token: str) -> OneWayInterview:
        """The interview this link opens, NotFound for unknown links, Gone for closed ones."""
        async with self.db.read() as conn:
            interview = await self._find(conn, token)
        rules.check_open(interview.state, now=self.clock.now(), deadline=interview.deadline)
        return interview

    async def portal(self, token: str) -> Portal:
        async with self.db.read() as conn:
            interview = await self._find(conn, token)
            rules.check_open(interview.state, now=self.clock.now(), deadline=interview.deadline)
            questions = await questions_of(conn, interview.id)
            takes = await store.takes_of(conn, interview.id)
        current = rules.current_question(questions, [t.as_take() for t in takes])
        return Portal(interview, questions, takes, current, self.policy.retention_days)

    async def take_file(self, token: str, take_id: int) -> Path:
        """A take of this link's own interview, while it has a playable file."""
        async with self.db.read() as conn:
            interview = await self._find(conn, token)
            take = await store.get_take(conn, take_id)
        if (
            take is None
            or take.interview_id != interview.id
            or take.file is None
            or take.status in {TakeStatus.DISCARDED, TakeStatus.RECORDING}
        ):
            raise NotFound("There is no such recording.")
        path = self.policy.root / take.directory / take.file
        if not path.is_file():
            raise NotFound("There is no such recording.")
        return path

    async def _find(self, conn: AsyncConnection, token: str) -> OneWayInterview:
        interview = await find_by_token(conn, token)
        if interview is None:
            raise NotFound("This link is not valid. Check that you copied all of it.")
        if interview.deleted_at is not None:
            raise Gone("The answers of this interview have been deleted.")
        return interview

    # --- signaling.oneway_ports.AnswerDesk --------------------------------------------

    async def check_link(self, token: str) -> str:
        try:
            await self.open(token)
        except DomainError as exc:
            raise GateRefused(404 if isinstance(exc, NotFound) else 410, exc.message) from None
        return PARTICIPANT

    async def seat(
        self,
        token: str,
        *,
        consent: bool,
        take_over: bool,
        send: Send,
        close: Close | None = None,
    ) -> AnswerSeat:
        """signaling.oneway_ports.AnswerDesk.seat."""
        if not consent:
            raise Refused(
                "consent_required",
                "Tick “I agree that my answers are recorded” to continue: your answers are "
                "recorded for the hiring team.",
            )
        try:
            interview = await self.open(token)
        except DomainError as exc:
            raise refusal(exc) from None
        while (holder := self._seats.get(interview.id)) is not None:
            if not take_over:
                raise Refused(
                    "busy",
                    "This interview is open in another tab or window. Close it there, or "
                    "continue here (the other one stops).",
                )
            await holder.release()
            await holder.close_connection("replaced")
        self._connections += 1
        seat = AnswerSeat(self, interview, token, send, close, f"{PARTICIPANT}-{self._connections}")
        self._seats[interview.id] = seat
        try:
            async with unit_of_work(self.db) as work:
                await store.mark_joined(work.conn, interview.id, self.clock.now())
            await seat.load()
        except BaseException:
            self._seats.pop(interview.id, None)
            raise
        return seat

    def holder(self, interview_id: int) -> AnswerSeat | None:
        return self._seats.get(interview_id)

    def owns(self, room_id: str) -> bool:
        """Whether a media room is a one-way interview's (for routing media failures)."""
        return room_id.startswith(ROOM_PREFIX)

    async def media_lost(self, room_id: str) -> None:
        """The room's media worker died: the take in progress is lost like a dropped
        connection (discarded, said so), and the page reconnects to a fresh one."""
        for seat in list(self._seats.values()):
            if seat.room_id == room_id:
                await seat.release()
                await seat.close_connection("restart")

    async def recording_failed(self, room_id: str, reason: str) -> None:
        """The media side stopped recording a take (disk full...): keep what was written."""
        for seat in list(self._seats.values()):
            if seat.room_id == room_id:
                await seat.recording_failed(reason)

    # --- lifecycle ---------------------------------------------------------------------

    async def discard_unfinished(self) -> int:
        """At start-up: takes a stopped server left recording are discarded (their files
        deleted; they do not count), as are leftover practice takes."""
        try:
            async with unit_of_work(self.db) as work:
                takes = await store.unfinished_takes(work.conn)
                for take in takes:
                    await store.discard_take(work.conn, take.id, ended_at=self.clock.now())
        except (OSError, SQLAlchemyError):
            # The service starts without its database (health says so); the next start
            # discards them. Until then such a take only blocks nothing: it is not current.
            log.exception("unfinished one-way takes could not be discarded")
            return 0
        for take in takes:
            await asyncio.to_thread(self._delete_files, take.directory)
        if takes:
            log.warning("discarded unfinished one-way takes", extra={"takes": len(takes)})
        return len(takes)

    async def close(self) -> None:
        """Shutdown: every running take is discarded, like a dropped connection."""
        for seat in list(self._seats.values()):
            await seat.release()

    def _delete_files(self, directory: str) -> None:
        if not directory:
            return
        path = (self.policy.root / directory).resolve()
        if self.policy.root.resolve() in path.parents:
            shutil.rmtree(path, ignore_errors=True)

    def _directory(self, interview_id: int, take_id: int) -> str:
        return f"oneway/{interview_id}/{take_id}"

    async def _notify_completed(self, work: Work, interview: OneWayInterview, answers: int) -> None:
        kept_until = interview.expires_at.strftime("%d %B %Y")
        context = {
            "position": interview.position,
            "title": interview.title,
            "answers": answers,
            "kept_until": kept_until,
            "candidate": interview.candidate_name,
        }
        await self.notifier.queue(
            work,
            "oneway_completed",
            to=(interview.candidate_name, interview.candidate_email),
            subject=f"Your answers for {interview.position} are in",
            context=context,
            dedupe_key=f"oneway-completed:{interview.id}",
        )
        await self.notifier.queue(
            work,
            "oneway_submitted",
            to=(interview.recruiter_name, interview.recruiter_email),
            subject=f"{interview.candidate_name} answered: {interview.position}",
            context={**context, "link": self.urls.review(interview.id)},
            dedupe_key=f"oneway-submitted:{interview.id}",
        )


@dataclass
class _Running:
    take: TakeRecord
    question: Question
    timer: asyncio.Task[None] | None = None


class AnswerSeat:
    """One connection's hold on its interview (signaling.oneway_ports.AnswerSeat)."""

    def __init__(
        self,
        service: AnswerService,
        interview: OneWayInterview,
        token: str,
        send: Send,
        close: Close | None,
        participant_id: str,
    ) -> None:
        self.service = service
        self.interview = interview
        self.token = token
        self.send = send
        self._close = close
        self.room_id = f"{ROOM_PREFIX}{interview.id}"
        self.participant_id = participant_id
        self.released = False
        self._lock = asyncio.Lock()
        self._running: _Running | None = None
        self._practice: TakeRecord | None = None  # the practice take with files on disk
        self._questions: list[Question] = []
        self._takes: list[TakeRecord] = []

    async def load(self) -> None:
        async with self.service.db.read() as conn:
            interview = await interviews.get_interview(conn, self.interview.id)
            assert interview is not None
            self.interview = interview
            self._questions = await questions_of(conn, interview.id)
            self._takes = await store.takes_of(conn, interview.id)

    # --- what the socket shows ---------------------------------------------------------

    def take_object(self, take: TakeRecord) -> dict[str, Any]:
        playable = take.file is not None and take.status not in {
            TakeStatus.RECORDING,
            TakeStatus.DISCARDED,
        }
        return {
            "id": take.id,
            "question": take.question,
            "attempt": take.attempt,
            "status": take.status.value,
            "duration_ms": take.duration_ms,
            "url": self.service.urls.take(self.token, take.id) if playable else None,
        }

    def welcome(self) -> dict[str, Any]:
        takes = [t for t in self._takes if t.question >= 0]
        current = rules.current_question(self._questions, [t.as_take() for t in takes])
        return {
            "interview": {
                "title": self.interview.title,
                "position": self.interview.position,
                "deadline": self.interview.deadline.isoformat(),
            },
            "questions": [
                {
                    "index": q.index,
                    "text": q.text,
                    "prep_seconds": int(q.prep.total_seconds()),
                    "answer_seconds": int(q.limit.total_seconds()),
                    "attempts": q.attempts,
                    "practice": q.practice,
                }
                for q in self._questions
            ],
            "takes": [self.take_object(t) for t in takes],
            "current": current.index if current is not None else None,
            "ice_servers": self.service.ice_servers(f"oneway-{self.interview.id}"),
            "notice": self._notice(takes),
        }

    def _notice(self, takes: list[TakeRecord]) -> str | None:
        """The latest real take was discarded by a dropped connection: say so."""
        if takes and takes[-1].status is TakeStatus.DISCARDED:
            return INTERRUPTED.format(number=takes[-1].question + 1)
        return None

    # --- commands ----------------------------------------------------------------------

    async def start_take(self, question: int) -> None:
        async with self._lock:
            self._require_seated()
            if self._running is not None:
                raise Refused("recording", "An answer is being recorded already; stop it first.")
            service = self.service
            now = service.clock.now()
            try:
                async with unit_of_work(service.db) as work:
                    interview = await interviews.get_interview(
                        work.conn, self.interview.id, for_update=True
                    )
                    assert interview is not None
                    questions = await questions_of(work.conn, interview.id)
                    takes = await store.takes_of(work.conn, interview.id)
                    wanted = next((q for q in questions if q.index == question), None)
                    if wanted is None:
                        raise InvalidInput(f"This interview has no question {question}.")
                    attempt = rules.check_can_start(
                        wanted,
                        questions,
                        [t.as_take() for t in takes],
                        now=now,
                        deadline=interview.deadline,
                        state=interview.state,
                    )
                    take = await store.add_take(
                        work.conn,
                        interview_id=interview.id,
                        question=question,
                        attempt=attempt,
                        started_at=now,
                        directory_of=lambda take_id: service._directory(interview.id, take_id),
                    )
            except DomainError as exc:
                raise refusal(exc) from None
            self.interview, self._questions = interview, questions
            self._takes = [*takes, take]
            await self._drop_practice()  # a practice take lives until the next take starts
            service.control.start(
                self.room_id,
                service.policy.root / take.directory,
                {self.participant_id: self.interview.candidate_name},
            )
            running = self._running = _Running(take, wanted)
            seconds = (rules.cut_off(now, wanted) - now - STOP_MARGIN).total_seconds()
            running.timer = asyncio.ensure_future(self._cut_after(take.id, seconds))
        await self.send(
            "take-started",
            take=take.id,
            question=question,
            attempt=attempt,
            limit_ms=int(wanted.limit.total_seconds() * 1000),
        )

    async def stop_take(self, take_id: int) -> None:
        async with self._lock:
            self._require_seated()
            if self._running is None or self._running.take.id != take_id:
                raise Refused("not_recording", f"Take {take_id} is not being recorded.")
            await self._finish("stopped")

    async def keep(self, take_id: int) -> None:
        service = self.service
        async with self._lock:
            self._require_seated()
            now = service.clock.now()
            try:
                async with unit_of_work(service.db) as work:
                    interview = await interviews.get_interview(
                        work.conn, self.interview.id, for_update=True
                    )
                    assert interview is not None
                    questions = await questions_of(work.conn, interview.id)
                    takes = await store.takes_of(work.conn, interview.id)
                    take = next((t for t in takes if t.id == take_id), None)
                    if take is None:
                        raise NotFound(f"There is no take {take_id} in this interview.")
                    if take.question < 0:
                        raise Conflict("The practice answer is never kept; it is only for you.")
                    rules.check_can_keep(
                        take.as_take(),
                        questions,
                        [t.as_take() for t in takes],
                        now=now,
                        deadline=interview.deadline,
                        state=interview.state,
                    )
                    others = [
                        t.id
                        for t in takes
                        if t.question == take.question
                        and t.id != take.id
                        and t.status is TakeStatus.DONE
                    ]
                    await store.set_status(work.conn, [take.id], TakeStatus.KEPT)
                    await store.set_status(work.conn, others, TakeStatus.NOT_KEPT)
                    takes = await store.takes_of(work.conn, interview.id)
                    current = rules.current_question(questions, [t.as_take() for t in takes])
                    completed = current is None
                    if completed:
                        await store.mark_completed(work.conn, interview.id, now)
                        answers = sum(1 for t in takes if t.status is TakeStatus.KEPT)
                        await service._notify_completed(work, interview, answers)
            except DomainError as exc:
                raise refusal(exc) from None
            self._takes = takes
        await self.send(
            "kept",
            take=take_id,
            question=take.question,
            current=current.index if current is not None else None,
            completed=completed,
        )
        if completed:
            await self.send("completed")

    async def release(self) -> None:
        """The connection ended (or was taken over): nothing half-recorded is kept."""
        async with self._lock:
            if self.released:
                return
            self.released = True
            running, self._running = self._running, None
            try:
                if running is not None:
                    self._cancel_timer(running)
                    await self.service.control.stop(self.room_id)
                    async with unit_of_work(self.service.db) as work:
                        await store.discard_take(
                            work.conn, running.take.id, ended_at=self.service.clock.now()
                        )
                    await asyncio.to_thread(self.service._delete_files, running.take.directory)
                await self._drop_practice()
            finally:
                if self.service._seats.get(self.interview.id) is self:
                    del self.service._seats[self.interview.id]

    async def recording_failed(self, reason: str) -> None:
        async with self._lock:
            if self._running is None:
                return
            await self._finish("failed")
        await self.send(
            "error",
            code="recording_failed",
            message=f"The server could not go on recording ({reason}). What was recorded "
            "is kept; please try again later.",
            in_reply_to=None,
        )

    async def close_connection(self, why: str) -> None:
        if self._close is not None:
            with contextlib.suppress(Exception):
                await self._close(why)

    # --- internals ---------------------------------------------------------------------

    def _require_seated(self) -> None:
        if self.released:
            raise Refused("replaced", "This connection no longer holds the interview.")

    async def _cut_after(self, take_id: int, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))
        async with self._lock:
            if self._running is not None and self._running.take.id == take_id:
                await self._finish("limit")

    def _cancel_timer(self, running: _Running) -> None:
        timer = running.timer
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    async def _finish(self, reason: str) -> None:
        """Under the lock: stop recording, merge, store, tell the page."""
        running = self._running
        assert running is not None
        self._running = None
        self._cancel_timer(running)
        service = self.service
        await service.control.stop(self.room_id)
        ended = service.clock.now()
        directory = service.policy.root / running.take.directory
        started = time.perf_counter()
        try:
            merged: MergedAnswer | None = await asyncio.to_thread(
                service.merge, directory, running.question.limit + rules.GRACE
            )
            log.info(
                "take merged",
                extra={
                    "take": running.take.id,
                    "duration_ms": merged.duration_ms if merged else None,
                    "merge_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
        except Exception as exc:
            log.warning("a take recorded nothing playable", extra={"take": running.take.id})
            log.debug("merge failed: %s", exc)
            merged = None
        async with unit_of_work(service.db) as work:
            if merged is None:
                await store.discard_take(work.conn, running.take.id, ended_at=ended)
            else:
                await store.finish_take(
                    work.conn,
                    running.take.id,
                    status=TakeStatus.DONE,
                    ended_at=ended,
                    duration_ms=merged.duration_ms,
                    file=merged.file.name,
                )
            take = await store.get_take(work.conn, running.take.id)
        assert take is not None
        if merged is None:
            await asyncio.to_thread(service._delete_files, take.directory)
        self._takes = [take if t.id == take.id else t for t in self._takes]
        if take.question < 0 and merged is not None:
            self._practice = take
        payload = self.take_object(take)
        await self.send("take-stopped", take=payload, reason=reason)
        if merged is None:
            await self.send(
                "error",
                code="nothing_recorded",
                message="Nothing reached the server for this recording (camera and microphone "
                "off, or the connection is not ready). It does not count: try again.",
                in_reply_to="take-stop",
            )

    async def _drop_practice(self) -> None:
        practice, self._practice = self._practice, None
        if practice is None:
            return
        async with unit_of_work(self.service.db) as work:
            await store.discard_take(work.conn, practice.id, ended_at=self.service.clock.now())
        await asyncio.to_thread(self.service._delete_files, practice.directory)
