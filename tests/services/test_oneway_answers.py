"""The candidate's takes, on SQLite and PostgreSQL: consent, order, attempts, the deadline, one
connection per interview, the server's cut, keeping, completion and its emails, a lost
connection and a restart. The media side is a double implementing `RecordingControl` and
`TakeMerger` (real recordings are in tests/media/test_oneway_socket.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from liveinterview.clock import ManualClock
from liveinterview.config import Settings
from liveinterview.mail.compose import MailComposer
from liveinterview.mail.transport import build_mailer
from liveinterview.services.mail_delivery import MailDelivery
from liveinterview.services.notify import Notifier
from liveinterview.services.oneway_answers import AnswerPolicy, AnswerSeat, AnswerService
from liveinterview.storage.db import Database
from liveinterview.storage.tables import oneway_interviews, oneway_takes
from signaling.oneway_ports import Refused
from tests.mailbox import Mailbox
from tests.media.clients import eventually
from tests.oneway_fixtures import QuestionSpec, SentInterview, sent_interview


@dataclass
class StudioDouble:
    """RecordingControl + TakeMerger: a 'recording' is a file written on stop."""

    started: list[tuple[str, Path]] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    silent: bool = False  # nothing reaches the server (no camera, no microphone)

    def start(self, room_id: str, directory: Path, names: Mapping[str, str]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "candidate__camera__000.webm").write_bytes(b"track")
        self.started.append((room_id, directory))

    def pause(self, room_id: str) -> None:
        raise AssertionError("takes are never paused")

    def resume(self, room_id: str) -> None:
        raise AssertionError("takes are never paused")

    async def stop(self, room_id: str) -> None:
        self.stopped.append(room_id)

    def __call__(self, directory: Path, limit: timedelta) -> Any:
        if self.silent:
            raise ValueError("no track")
        path = directory / "answer.webm"
        path.write_bytes(b"webm")
        return _Merged(path, min(3000, int(limit.total_seconds() * 1000)))


@dataclass(frozen=True)
class _Merged:
    file: Path
    duration_ms: int


class Urls:
    def take(self, token: str, take_id: int) -> str:
        return f"/answer/{token}/takes/{take_id}"

    def review(self, interview_id: int) -> str | None:
        return f"http://127.0.0.1/oneway/interviews/{interview_id}"


@dataclass
class Socket:
    """What the service sends to one connection."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    closed: str | None = None

    async def send(self, kind: str, **fields: Any) -> None:
        self.sent.append({"type": kind, **fields})

    async def close(self, why: str) -> None:
        self.closed = why

    def last(self, kind: str) -> dict[str, Any]:
        return next(m for m in reversed(self.sent) if m["type"] == kind)


@pytest.fixture
def studio() -> StudioDouble:
    return StudioDouble()


@pytest.fixture
async def answers(
    db: Database, clock: ManualClock, settings: Settings, studio: StudioDouble, tmp_path: Path
) -> AsyncIterator[AnswerService]:
    notifier = Notifier(
        MailComposer(settings.mail_from), MailDelivery(db, build_mailer(settings), clock), clock
    )
    service = AnswerService(
        db=db,
        clock=clock,
        policy=AnswerPolicy(root=tmp_path / "recordings", retention_days=90),
        control=studio,
        merge=studio,
        urls=Urls(),
        notifier=notifier,
        ice_servers=lambda user: [],
    )
    yield service
    await service.close()


async def sent(
    db: Database, settings: Settings, clock: ManualClock, *specs: QuestionSpec
) -> SentInterview:
    return await sent_interview(
        db,
        settings.secret_key,
        now=clock.now(),
        questions=specs or (QuestionSpec("First?"), QuestionSpec("Second?")),
    )


async def seat(answers: AnswerService, token: str, **options: Any) -> tuple[AnswerSeat, Socket]:
    socket = Socket()
    taken = await answers.seat(
        token,
        consent=options.get("consent", True),
        take_over=options.get("take_over", False),
        send=socket.send,
        close=socket.close,
    )
    return taken, socket


async def statuses(db: Database, interview_id: int) -> list[tuple[int, int, str]]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(oneway_takes.c.question_idx, oneway_takes.c.attempt, oneway_takes.c.status)
            .where(oneway_takes.c.interview_id == interview_id)
            .order_by(oneway_takes.c.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def record(holder: AnswerSeat, socket: Socket, question: int) -> dict[str, Any]:
    await holder.start_take(question)
    take = socket.last("take-started")["take"]
    await holder.stop_take(take)
    stopped = socket.last("take-stopped")
    assert stopped["reason"] == "stopped"
    return dict(stopped["take"])


async def test_joining_needs_consent_and_starts_the_interview(
    answers: AnswerService, db: Database, settings: Settings, clock: ManualClock
) -> None:
    interview = await sent(db, settings, clock)
    with pytest.raises(Refused) as refused:
        await seat(answers, interview.token, consent=False)
    assert refused.value.code == "consent_required"
    holder, _ = await seat(answers, interview.token)
    welcome = holder.welcome()
    assert welcome["current"] == 0
    assert [q["index"] for q in welcome["questions"]] == [-1, 0, 1]
    assert welcome["questions"][0]["practice"] is True
    assert welcome["notice"] is None
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(oneway_interviews).where(oneway_interviews.c.id == interview.id)
            )
        ).one()
    assert (row.state, row.consent_at, row.started_at) == ("started", clock.now(), clock.now())


async def test_takes_follow_the_order_and_the_attempts_and_keeping_completes(
    answers: AnswerService,
    db: Database,
    settings: Settings,
    clock: ManualClock,
    mailbox: Mailbox,
    studio: StudioDouble,
) -> None:
    interview = await sent(db, settings, clock, QuestionSpec("A?", attempts=2), QuestionSpec("B?"))
    holder, socket = await seat(answers, interview.token)
    with pytest.raises(Refused, match="in order"):
        await holder.start_take(1)
    first = await record(holder, socket, 0)
    second = await record(holder, socket, 0)
    assert (first["attempt"], second["attempt"], second["status"]) == (1, 2, "done")
    assert second["url"] == f"/answer/{interview.token}/takes/{second['id']}"
    with pytest.raises(Refused, match="No attempts are left") as refused:
        await holder.start_take(0)
    assert refused.value.code == "refused"
    practice = await record(holder, socket, -1)
    with pytest.raises(Refused, match="practice answer is never kept"):
        await holder.keep(practice["id"])
    with pytest.raises(Refused) as missing:
        await holder.keep(practice["id"] + 100)
    assert missing.value.code == "not_found"
    await holder.keep(first["id"])
    assert socket.last("kept") == {
        "type": "kept",
        "take": first["id"],
        "question": 0,
        "current": 1,
        "completed": False,
    }
    b = await record(holder, socket, 1)
    await holder.keep(b["id"])
    assert socket.last("kept")["completed"] is True
    assert socket.sent[-1] == {"type": "completed"}
    assert await statuses(db, interview.id) == [
        (0, 1, "kept"),
        (0, 2, "not_kept"),
        (-1, 0, "discarded"),
        (1, 1, "kept"),
    ]
    assert studio.started[0][0] == f"oneway-{interview.id}"
    assert studio.stopped == [f"oneway-{interview.id}"] * 4
    with pytest.raises(Refused) as closed:
        await holder.start_take(1)
    assert closed.value.code == "closed"
    assert "already answered" in closed.value.message
    await _delivered(mailbox, 2)
    confirmation = mailbox.only("zoe@example.com")
    assert "2 recorded answers" in confirmation.text
    notification = mailbox.only("rita@example.com")
    assert f"/oneway/interviews/{interview.id}" in notification.text


async def _delivered(mailbox: Mailbox, count: int) -> None:
    await eventually(lambda: len(mailbox.messages) >= count)


async def test_nothing_is_answered_after_the_deadline(
    answers: AnswerService, db: Database, settings: Settings, clock: ManualClock
) -> None:
    interview = await sent(db, settings, clock)
    holder, socket = await seat(answers, interview.token)
    take = await record(holder, socket, 0)
    clock.advance(timedelta(days=7))
    with pytest.raises(Refused, match="deadline") as refused:
        await holder.start_take(0)
    assert refused.value.code == "closed"
    with pytest.raises(Refused, match="deadline"):
        await holder.keep(take["id"])
    with pytest.raises(Refused, match="deadline"):
        await seat(answers, interview.token)
    assert await statuses(db, interview.id) == [(0, 1, "done")]  # kept as it was


async def test_an_answer_recorded_as_the_deadline_came_can_still_be_kept(
    answers: AnswerService, db: Database, settings: Settings, clock: ManualClock
) -> None:
    interview = await sent(db, settings, clock)
    holder, socket = await seat(answers, interview.token)
    clock.advance(timedelta(days=7) - timedelta(minutes=1))  # a minute before the deadline
    take = await record(holder, socket, 0)
    clock.advance(timedelta(minutes=5))
    with pytest.raises(Refused, match="deadline"):
        await holder.start_take(0)  # no new attempt after the deadline...
    await holder.keep(take["id"])  # ...but the answer given as it came is kept
    assert await statuses(db, interview.id) == [(0, 1, "kept")]


async def test_one_connection_holds_an_interview_unless_another_takes_over(
    answers: AnswerService, db: Database, settings: Settings, clock: ManualClock
) -> None:
    interview = await sent(db, settings, clock)
    first, first_socket = await seat(answers, interview.token)
    with pytest.raises(Refused) as busy:
        await seat(answers, interview.token)
    assert busy.value.code == "busy"
    await first.start_take(0)
    second, _ = await seat(answers, interview.token, take_over=True)
    assert first_socket.closed == "replaced"
    assert await statuses(db, interview.id) == [(0, 1, "discarded")]
    with pytest.raises(Refused) as gone:
        await first.start_take(0)
    assert gone.value.code == "replaced"
    assert second.welcome()["notice"] is not None
    assert second.participant_id != first.participant_id


async def test_a_lost_connection_discards_the_running_take_and_the_practice(
    answers: AnswerService, db: Database, settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    interview = await sent(db, settings, clock)
    holder, socket = await seat(answers, interview.token)
    practice = await record(holder, socket, -1)
    assert (practice["question"], practice["attempt"]) == (-1, 0)
    await holder.start_take(0)
    practice_dir = tmp_path / "recordings" / "oneway" / str(interview.id) / str(practice["id"])
    assert not practice_dir.exists()  # the next take deleted the practice
    running = socket.last("take-started")["take"]
    running_dir = tmp_path / "recordings" / "oneway" / str(interview.id) / str(running)
    assert running_dir.is_dir()
    await holder.release()
    assert not running_dir.exists()
    assert await statuses(db, interview.id) == [(-1, 0, "discarded"), (0, 1, "discarded")]
    back, _ = await seat(answers, interview.token)
    welcome = back.welcome()
    assert "interrupted" in welcome["notice"]
    assert [t["status"] for t in welcome["takes"]] == ["discarded"]
    await back.start_take(0)
    assert (await statuses(db, interview.id))[-1] == (0, 1, "recording")


async def test_the_server_cuts_a_take_at_its_limit(
    answers: AnswerService, db: Database, settings: Settings, clock: ManualClock
) -> None:
    # A 1 s limit written straight into the snapshot (the set editor allows 15 s at least).
    interview = await sent(db, settings, clock, QuestionSpec("Quick!", answer_seconds=1))
    holder, socket = await seat(answers, interview.token)
    await holder.start_take(0)
    assert socket.last("take-started")["limit_ms"] == 1000
    await eventually(lambda: any(m["type"] == "take-stopped" for m in socket.sent))
    stopped = socket.last("take-stopped")
    assert stopped["reason"] == "limit"
    assert stopped["take"]["duration_ms"] <= 3000
    assert await statuses(db, interview.id) == [(0, 1, "done")]


async def test_a_take_with_no_media_does_not_count(
    answers: AnswerService,
    db: Database,
    settings: Settings,
    clock: ManualClock,
    studio: StudioDouble,
) -> None:
    interview = await sent(db, settings, clock)
    holder, socket = await seat(answers, interview.token)
    studio.silent = True
    await holder.start_take(0)
    await holder.stop_take(socket.last("take-started")["take"])
    assert socket.last("take-stopped")["take"]["status"] == "discarded"
    assert socket.last("error")["code"] == "nothing_recorded"
    studio.silent = False
    await holder.start_take(0)
    assert socket.last("take-started")["attempt"] == 1


async def test_a_restart_discards_takes_left_recording(
    answers: AnswerService, db: Database, settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    interview = await sent(db, settings, clock)
    holder, socket = await seat(answers, interview.token)
    done = await record(holder, socket, 0)
    await record(holder, socket, -1)  # the practice, playable until the connection ends
    answers._seats.clear()  # the server died: nobody released anything
    assert await answers.discard_unfinished() == 1
    holder, socket = await seat(answers, interview.token)
    await holder.start_take(0)
    answers._seats.clear()
    assert await answers.discard_unfinished() == 1
    assert await statuses(db, interview.id) == [
        (0, 1, "done"),
        (-1, 0, "discarded"),
        (0, 2, "discarded"),
    ]
    kept_dir = tmp_path / "recordings" / "oneway" / str(interview.id) / str(done["id"])
    assert (kept_dir / "answer.webm").is_file()  # a finished take is never lost
    assert len(list((kept_dir.parent).iterdir())) == 1  # the others' files are gone
    assert await answers.discard_unfinished() == 0
