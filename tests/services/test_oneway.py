"""One-way interviews, recruiters' side: sets, invitations with links, reminders, expiry,
withdrawal, deletion, retention, ratings and comparison; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from liveinterview.app import create_app
from liveinterview.clock import ManualClock
from liveinterview.config import Settings
from liveinterview.domain.errors import Conflict, InvalidInput, NotFound
from liveinterview.domain.oneway import FINISH_AFTER_DEADLINE, InterviewState, TakeStatus
from liveinterview.services.oneway import find_by_token
from liveinterview.storage import oneway as store
from liveinterview.storage.db import Database
from liveinterview.storage.tables import audit_events, oneway_takes
from liveinterview.web.keys import SETTINGS
from tests.conftest import CHEAP_HASHER, DbTarget
from tests.mailbox import Mailbox
from tests.oneway_setup import add_take, answer_path, invite, make_set, service, set_state
from tests.signaling.fakes import FakeMedia
from tests.staff import make_staff

Client = TestClient  # type: ignore[type-arg]


@pytest.fixture
async def client(
    aiohttp_client: object, settings: Settings, clock: ManualClock, db_target: DbTarget
) -> Client:
    app = create_app(
        settings,
        clock=clock,
        password_hasher=CHEAP_HASHER,
        db_schema=db_target.schema,
        media_engine=FakeMedia(),
        run_background_jobs=False,  # the jobs run when the test says so, on its clock
    )
    return await aiohttp_client(app)  # type: ignore[operator,no-any-return]


async def audit_actions(db: Database) -> list[tuple[str, str, str]]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(audit_events.c.action, audit_events.c.subject, audit_events.c.address).order_by(
                audit_events.c.id
            )
        )
        return [(r[0], r[1], r[2]) for r in rows]


async def test_a_set_orders_questions_keeps_practice_first_and_checks_limits(
    client: Client,
) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter")
    oneway = service(client)
    set_id = await make_set(client, rita, questions=3, practice=True)
    detail = await oneway.set_detail(rita, set_id)
    assert [q.practice for q in detail.questions] == [True, False, False, False]
    assert detail.set.questions == 3
    assert detail.set.has_practice
    third = detail.questions[3]
    await oneway.move_question(rita, set_id, third.id, "up")
    await oneway.move_question(rita, set_id, third.id, "up")
    await oneway.move_question(rita, set_id, third.id, "up")  # already first: stays
    texts = [q.text for q in (await oneway.set_detail(rita, set_id)).questions]
    assert texts == [
        "Practice: say hello.",
        "Question number 3?",
        "Question number 1?",
        "Question number 2?",
    ]
    with pytest.raises(InvalidInput, match="practice question already"):
        await oneway.add_question(
            rita, set_id, text="Again?", prep_seconds=1, answer_seconds=20, attempts=1,
            practice=True,
        )  # fmt: skip
    with pytest.raises(InvalidInput) as bad:
        await oneway.add_question(
            rita, set_id, text="  ", prep_seconds=-1, answer_seconds=0, attempts=0
        )
    assert bad.value.fields == {
        "text": "Enter the question.",
        "prep": "Use from 0 to 600 seconds.",
        "limit": "Use from 15 to 600 seconds.",
        "attempts": "Allow from 1 to 5 attempts.",
    }
    await oneway.delete_question(rita, set_id, third.id)
    detail = await oneway.set_detail(rita, set_id)
    assert [q.position for q in detail.questions] == [0, 1, 2]
    assert detail.usable


async def test_a_set_without_real_questions_or_archived_cannot_be_used_to_invite(
    client: Client, mailbox: Mailbox
) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter")
    empty = await make_set(client, rita, questions=0, practice=True)
    assert not (await service(client).set_detail(rita, empty)).usable
    with pytest.raises(InvalidInput, match="no questions yet") as exc:
        await invite(client, rita, empty)
    assert exc.value.fields == {"set_id": "The set has no questions."}
    full = await make_set(client, rita)
    await service(client).archive_set(rita, full, archived=True)
    with pytest.raises(InvalidInput, match="archived"):
        await invite(client, rita, full)
    assert [s.id for s in await service(client).usable_sets(rita)] == []
    assert mailbox.messages == []


async def test_the_invitation_link_resolves_and_the_questions_are_a_snapshot(
    client: Client, db: Database, mailbox: Mailbox
) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter", name="Rita Recruiter")
    set_id = await make_set(client, rita, practice=True)
    result = await invite(client, rita, set_id, "Zoë Müller, ZOE@example.com")
    assert [(s.line, s.email) for s in result.sent] == [(1, "zoe@example.com")]
    message = mailbox.only("zoe@example.com")
    assert "Backend Engineer" in message.message["Subject"]
    text = message.text
    assert "Rita Recruiter invites you" in text
    assert "2 questions" in text
    assert "Question 2: 30 s to prepare, then up to 1 min 30 s to answer; 2 attempts." in text
    assert "A practice question first" in text
    assert "(UTC)" in text
    assert "deleted 90 days after the deadline" in text
    token = answer_path(message).removeprefix("/answer/")
    async with db.read() as conn:
        found = await find_by_token(conn, token)
        assert await find_by_token(conn, token[:-2] + "xx") is None
        assert await find_by_token(conn, "not a token") is None
        assert found is not None
        assert found.id == result.sent[0].interview_id
        assert found.state is InterviewState.INVITED
        assert found.candidate_name == "Zoë Müller"
        assert found.expires_at == found.deadline + timedelta(days=90)
        before = await store.questions_of(conn, found.id)
    assert [(q.index, q.practice) for q in before] == [(-1, True), (0, False), (1, False)]
    detail = await service(client).set_detail(rita, set_id)
    await service(client).edit_question(
        rita, set_id, detail.questions[1].id, text="Changed!", prep_seconds=0,
        answer_seconds=15, attempts=1,
    )  # fmt: skip
    async with db.read() as conn:
        assert await store.questions_of(conn, found.id) == before


async def test_bad_lines_are_reported_while_good_ones_are_sent(
    client: Client, mailbox: Mailbox
) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter")
    set_id = await make_set(client, rita)
    await invite(client, rita, set_id, "Old Hand, old@example.com")
    lines = (
        "Ada Lovelace, ada@example.com\n"
        "no separator here\n"
        "\n"
        "Broken, not-an-address\n"
        "Ada Again; ada@example.com\n"
        "Old Hand, old@example.com\n"
        "Smith, John\tjohn@example.com\n"
    )
    result = await invite(client, rita, set_id, lines)
    assert [(s.line, s.name, s.email) for s in result.sent] == [
        (1, "Ada Lovelace", "ada@example.com"),
        (7, "Smith, John", "john@example.com"),
    ]
    assert [(b.line, b.problem) for b in result.bad] == [
        (2, "Write the name, a comma, then the email address."),
        (4, "Enter a valid email address, like name@example.com."),
        (5, "This address is already in the list."),
        (6, "This candidate already has an open one-way interview for this position."),
    ]
    assert len(mailbox.to("ada@example.com")) == 1
    assert len(mailbox.to("john@example.com")) == 1
    assert len(mailbox.to("old@example.com")) == 1  # the first invitation only


@pytest.mark.parametrize(
    ("day", "at", "tz", "problem"),
    [
        (date(2026, 3, 1), time(12, 0), "UTC", "The deadline must be in the future."),
        (date(2026, 6, 1), time(12, 0), "UTC", "The deadline must be at most 90 days from now."),
        (None, time(12, 0), "UTC", "Enter the deadline's date and time."),
        (date(2026, 3, 5), time(12, 0), "Mars/Olympus", "'Mars/Olympus' is not a known time zone."),
    ],
)
async def test_the_deadline_must_be_soon_and_in_the_future(
    client: Client, day: date | None, at: time, tz: str, problem: str
) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter")
    set_id = await make_set(client, rita)
    with pytest.raises(InvalidInput) as exc:
        await service(client).invite(
            rita, set_id=set_id, position="Analyst", deadline_day=day, deadline_time=at,
            timezone=tz, lines="A, a@example.com",
        )  # fmt: skip
    assert problem in exc.value.message or problem in exc.value.fields.values()


async def test_the_deadline_is_read_in_the_recruiters_zone(client: Client, db: Database) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter")
    set_id = await make_set(client, rita)
    result = await service(client).invite(
        rita, set_id=set_id, position="Analyst", deadline_day=date(2026, 3, 6),
        deadline_time=time(17, 0), timezone="Europe/Berlin", lines="A, a@example.com",
    )  # fmt: skip
    async with db.read() as conn:
        found = await store.get_interview(conn, result.sent[0].interview_id)
    assert found is not None
    assert found.deadline == datetime(2026, 3, 6, 16, 0, tzinfo=UTC)


async def test_reminders_go_once_each_before_the_deadline_to_unfinished_candidates(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock
) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter")
    set_id = await make_set(client, rita)
    await invite(client, rita, set_id, "Ann, ann@example.com\nBob, bob@example.com", days=4)
    done = (await invite(client, rita, set_id, "Cy, cy@example.com", days=4)).sent[0]
    await set_state(db, done.interview_id, "completed", completed_at=clock.now())
    async with db.read() as conn:
        deadline = (await store.get_interview(conn, done.interview_id)).deadline  # type: ignore[union-attr]
    oneway = service(client)
    clock.set(deadline - timedelta(hours=49))
    assert await oneway.send_due_reminders() == 0
    clock.set(deadline - timedelta(hours=47))
    assert await oneway.send_due_reminders() == 2
    assert await oneway.send_due_reminders() == 0  # once
    reminder = mailbox.to("ann@example.com")[-1]
    assert "due in 2 days" in reminder.message["Subject"]
    assert "/answer/" in reminder.text
    async with db.read() as conn:
        token = answer_path(reminder).removeprefix("/answer/")
        assert (await find_by_token(conn, token)) is not None
    clock.set(deadline - timedelta(hours=3, minutes=59))
    assert await oneway.run_deadlines() == 2
    assert await oneway.run_deadlines() == 0
    assert len(mailbox.to("ann@example.com")) == 3  # invitation and two reminders
    assert len(mailbox.to("cy@example.com")) == 1  # completed: no reminder


async def test_a_reminder_found_too_late_or_planned_before_the_invitation_is_dropped(
    client: Client, mailbox: Mailbox, clock: ManualClock
) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter")
    set_id = await make_set(client, rita)
    await invite(client, rita, set_id, "Ann, ann@example.com", days=1)  # < 48 h away
    oneway = service(client)
    assert await oneway.send_due_reminders() == 0
    clock.advance(timedelta(days=1, hours=7))  # 1 h before: the 4 h one is over half late
    assert await oneway.send_due_reminders() == 0
    assert len(mailbox.to("ann@example.com")) == 1


async def test_open_interviews_expire_after_the_deadline(
    client: Client, db: Database, clock: ManualClock
) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter")
    set_id = await make_set(client, rita)
    result = await invite(client, rita, set_id, "Ann, ann@example.com\nBob, bob@example.com")
    ann, bob = (s.interview_id for s in result.sent)
    await set_state(db, bob, "completed", completed_at=clock.now())
    oneway = service(client)
    assert await oneway.expire_overdue() == 0
    async with db.read() as conn:
        deadline = (await store.get_interview(conn, ann)).deadline  # type: ignore[union-attr]
    clock.set(deadline)  # a candidate answering as the deadline came may still keep it...
    assert await oneway.expire_overdue() == 0
    clock.set(deadline + FINISH_AFTER_DEADLINE)  # ...for a while
    assert await oneway.expire_overdue() == 1
    async with db.read() as conn:
        assert (await store.get_interview(conn, ann)).state is InterviewState.EXPIRED  # type: ignore[union-attr]
        assert (await store.get_interview(conn, bob)).state is InterviewState.COMPLETED  # type: ignore[union-attr]


async def test_retention_deletes_the_answer_files_and_records_it(
    client: Client, db: Database, clock: ManualClock
) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter")
    set_id = await make_set(client, rita)
    interview_id = (await invite(client, rita, set_id)).sent[0].interview_id
    await add_take(client, db, interview_id, 0)
    await add_take(client, db, interview_id, 1, attempt=2)
    await set_state(db, interview_id, "completed", completed_at=clock.now())
    root = client.app[SETTINGS].recordings_root
    assert (root / f"oneway-{interview_id}/q0-a1/answer.webm").is_file()
    oneway = service(client)
    clock.advance(timedelta(days=94))
    assert await oneway.purge_expired() == 0  # deadline + 90 days not reached yet
    clock.advance(timedelta(days=2))
    assert await oneway.purge_expired() == 1
    assert await oneway.purge_expired() == 0
    assert not (root / f"oneway-{interview_id}/q0-a1").exists()
    assert not (root / f"oneway-{interview_id}/q1-a2").exists()
    async with db.read() as conn:
        found = await store.get_interview(conn, interview_id)
        assert found is not None
        assert found.deleted_at == clock.now()
        assert await store.takes_of(conn, [interview_id]) == []
    assert ("oneway.expired", f"one-way interview {interview_id}", "") in await audit_actions(db)


async def test_withdraw_tells_the_candidate_and_deletes_the_answers_so_far(
    client: Client, db: Database, mailbox: Mailbox
) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter")
    set_id = await make_set(client, rita)
    interview_id = (await invite(client, rita, set_id)).sent[0].interview_id
    await set_state(db, interview_id, "started")
    await add_take(client, db, interview_id, 0)
    await service(client).withdraw(rita, interview_id, address="192.0.2.7")
    root = client.app[SETTINGS].recordings_root
    assert not (root / f"oneway-{interview_id}/q0-a1").exists()
    withdrawn = mailbox.to("zoe@example.com")[-1]
    assert "withdrawn" in withdrawn.message["Subject"]
    token = answer_path(mailbox.to("zoe@example.com")[0]).removeprefix("/answer/")
    async with db.read() as conn:
        found = await find_by_token(conn, token)
        assert found is not None
        assert found.state is InterviewState.WITHDRAWN
        assert await store.takes_of(conn, [interview_id]) == []
    with pytest.raises(Conflict, match="only open interviews"):
        await service(client).withdraw(rita, interview_id, address="")
    assert ("oneway.withdrawn", f"one-way interview {interview_id}", "192.0.2.7") in (
        await audit_actions(db)
    )


async def test_delete_removes_the_interview_and_every_take_directory(
    client: Client, db: Database, clock: ManualClock
) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter")
    set_id = await make_set(client, rita)
    interview_id = (await invite(client, rita, set_id)).sent[0].interview_id
    kept = await add_take(client, db, interview_id, 0, attempt=2)
    await add_take(client, db, interview_id, 0, attempt=1, status=TakeStatus.NOT_KEPT)
    recording = await add_take(
        client, db, interview_id, 1, status=TakeStatus.RECORDING, with_file=False
    )
    await service(client).rate(rita, interview_id, kept, rating=4, comment="")
    with pytest.raises(Conflict, match="recording an answer right now"):
        await service(client).delete(rita, interview_id, address="")
    async with db.transaction() as conn:
        await conn.execute(oneway_takes.delete().where(oneway_takes.c.id == recording))
    root = client.app[SETTINGS].recordings_root
    await service(client).delete(rita, interview_id, address="192.0.2.1")
    assert not (root / f"oneway-{interview_id}/q0-a1").exists()
    assert not (root / f"oneway-{interview_id}/q0-a2").exists()
    with pytest.raises(NotFound):
        await service(client).review(rita, interview_id, address="")
    async with db.read() as conn:
        assert await store.get_interview(conn, interview_id) is None


async def test_ratings_and_recommendations_are_one_per_reviewer_and_compared(
    client: Client, db: Database, clock: ManualClock
) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter")
    boss = await make_staff(client, "boss@example.com", "admin")
    set_id = await make_set(client, rita)
    result = await invite(
        client, rita, set_id, "Ann, ann@example.com\nBob, bob@example.com\nCy, cy@example.com"
    )
    ann, bob, cy = (s.interview_id for s in result.sent)
    oneway = service(client)
    ann0 = await add_take(client, db, ann, 0)
    ann1 = await add_take(client, db, ann, 1)
    bob0 = await add_take(client, db, bob, 0)
    done = await add_take(client, db, bob, 1, status=TakeStatus.DONE)
    await set_state(db, ann, "completed", completed_at=clock.now())
    await oneway.rate(rita, ann, ann0, rating=2, comment="meh")
    await oneway.rate(rita, ann, ann0, rating=3, comment="better on second look")  # replaces
    await oneway.rate(boss, ann, ann0, rating=5, comment="great")
    await oneway.rate(rita, ann, ann1, rating=4, comment="")
    await oneway.rate(rita, bob, bob0, rating=5, comment="")
    with pytest.raises(Conflict, match="Only kept answers"):
        await oneway.rate(rita, bob, done, rating=3, comment="")
    with pytest.raises(NotFound):
        await oneway.rate(rita, ann, bob0, rating=3, comment="")  # another interview's take
    with pytest.raises(InvalidInput, match="from 1 to 5"):
        await oneway.rate(rita, ann, ann0, rating=6, comment="")
    await oneway.recommend(rita, ann, recommendation="yes", comment="")
    await oneway.recommend(rita, ann, recommendation="strong_yes", comment="sure")
    await oneway.recommend(boss, ann, recommendation="no", comment="")
    with pytest.raises(InvalidInput, match="Choose a recommendation"):
        await oneway.recommend(rita, ann, recommendation="maybe", comment="")

    review = await oneway.review(rita, ann, address="192.0.2.9")
    first = review.answers[0]
    assert first.take is not None
    assert first.take.id == ann0
    assert first.my_rating is not None
    assert first.my_rating.rating == 3
    assert [(r.reviewer_name, r.rating) for r in first.other_ratings] == [("Boss", 5)]
    assert review.my_verdict is not None
    assert review.my_verdict.recommendation == "strong_yes"
    assert [v.recommendation for v in review.other_verdicts] == ["no"]

    comparison = await oneway.compare(rita, "Backend Engineer")
    rows = {row.name: row for row in comparison.rows}
    assert rows["Ann"].per_question == (4.0, 4.0)
    assert rows["Ann"].overall == 4.0
    assert rows["Ann"].answered == 2
    assert rows["Bob"].per_question == (5.0, None)
    assert rows["Bob"].answered == 1
    assert rows["Cy"].overall is None
    assert [r.name for r in comparison.rows] == ["Bob", "Ann", "Cy"]  # average, best first
    by_name = await oneway.compare(rita, "Backend Engineer", sort="name", descending=False)
    assert [r.name for r in by_name.rows] == ["Ann", "Bob", "Cy"]
    by_completed = await oneway.compare(rita, "Backend Engineer", sort="completed")
    assert next(r.name for r in by_completed.rows) == "Ann"
    by_status = await oneway.compare(rita, "Backend Engineer", sort="status", descending=False)
    assert by_status.rows[0].name == "Ann"
    with pytest.raises(InvalidInput, match="Sort by one of"):
        await oneway.compare(rita, "Backend Engineer", sort="shoe size")
    with pytest.raises(NotFound):
        await oneway.compare(rita, "Astronaut")
    assert cy  # invited, nothing answered


async def test_other_recruiters_learn_nothing_and_admins_see_everything(
    client: Client, db: Database
) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter")
    otto = await make_staff(client, "otto@example.com", "recruiter")
    boss = await make_staff(client, "boss@example.com", "admin")
    set_id = await make_set(client, rita)
    interview_id = (await invite(client, rita, set_id)).sent[0].interview_id
    take = await add_take(client, db, interview_id, 0)
    oneway = service(client)
    with pytest.raises(NotFound):
        await oneway.review(otto, interview_id, address="")
    with pytest.raises(NotFound):
        await oneway.take_file(otto, take, address="")
    with pytest.raises(NotFound):
        await oneway.set_detail(otto, set_id)
    with pytest.raises(NotFound):
        await oneway.compare(otto, "Backend Engineer")
    with pytest.raises(InvalidInput, match="Choose one of your question sets"):
        await invite(client, otto, set_id)
    assert (await oneway.listing(otto)).total == 0
    assert (await oneway.listing(boss)).total == 1
    assert (await oneway.review(boss, interview_id, address="")).interview.id == interview_id
    _, _, path = await oneway.take_file(boss, take, address="198.51.100.1")
    assert path.is_file()
    assert ("oneway.answer_downloaded", f"one-way interview {interview_id}", "198.51.100.1") in (
        await audit_actions(db)
    )
