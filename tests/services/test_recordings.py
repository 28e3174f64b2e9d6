"""Recordings' life: consent, session log, pause, end, review rights, files, deletion, expiry."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from liveinterview.app import create_app
from liveinterview.clock import ManualClock
from liveinterview.config import Settings
from liveinterview.domain.accounts import StaffMember
from liveinterview.domain.errors import Gone, NotFound, PermissionDenied
from liveinterview.storage import recordings as store
from liveinterview.storage.db import Database
from liveinterview.web.keys import RECORDINGS
from tests.conftest import CHEAP_HASHER, DbTarget
from tests.mailbox import Mailbox
from tests.pages import submit
from tests.scheduling import create_request, interviewer, link_in
from tests.signaling.fakes import FakeMedia
from tests.staff import make_staff, signed_in_as

Client = TestClient  # type: ignore[type-arg]
START = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
ROOM = "interview-1"


class FakeControl:
    """The RecordingControl double: records calls, writes a track file like the recorder."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.directories: dict[str, Path] = {}

    def start(self, room_id: str, directory: Path, names: Mapping[str, str]) -> None:
        self.calls.append(("start", room_id))
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "candidate__camera__000.webm").write_bytes(b"webm" * 100)
        self.directories[room_id] = directory

    def pause(self, room_id: str) -> None:
        self.calls.append(("pause", room_id))

    def resume(self, room_id: str) -> None:
        self.calls.append(("resume", room_id))

    async def stop(self, room_id: str) -> None:
        self.calls.append(("stop", room_id))


@pytest.fixture
def control() -> FakeControl:
    return FakeControl()


@pytest.fixture
async def client(
    aiohttp_client: object,
    settings: Settings,
    clock: ManualClock,
    db_target: DbTarget,
    control: FakeControl,
) -> Client:
    app = create_app(
        settings,
        clock=clock,
        password_hasher=CHEAP_HASHER,
        db_schema=db_target.schema,
        media_engine=FakeMedia(),
        recording_control=control,
        run_background_jobs=False,
    )
    return await aiohttp_client(app)  # type: ignore[operator,no-any-return]


async def interview(client: Client, db: Database, mailbox: Mailbox) -> tuple[StaffMember, int]:
    rita = await signed_in_as(client, "rita@example.com", "recruiter")
    ivan = await interviewer(client, db, "ivan@example.com", name="Ivan Petrov")
    request_id = await create_request(client, panel={ivan.id: "required"})
    book = link_in(mailbox.only("zoe@example.com"), "book")
    await submit(client, book, {"start": START.isoformat(), "tz": "UTC"}, token_from=book)
    return rita, request_id


async def event(client: Client, kind: str, **details: object) -> None:
    await client.app[RECORDINGS].room_event(ROOM, kind, details)


async def a_call(client: Client, clock: ManualClock) -> None:
    clock.set(START)
    await event(client, "joined", member="user:2", name="Ivan Petrov", consent=True)
    clock.advance(timedelta(seconds=30))
    await event(client, "joined", member="candidate", name="Zoë Müller", consent=True)
    clock.advance(timedelta(seconds=10))
    await event(
        client,
        "media",
        member="candidate",
        name="Zoë Müller",
        audio=False,
        video=True,
        screen=False,
        was={"audio": True, "video": True, "screen": False},
    )
    clock.advance(timedelta(seconds=10))
    await event(
        client, "note", member="user:2", name="Ivan Petrov", text="Good answer", bookmark=True
    )
    await event(client, "recording", member="user:2", name="Ivan Petrov", paused=True)
    clock.advance(timedelta(seconds=60))
    await event(client, "recording", member="user:2", name="Ivan Petrov", paused=False)
    clock.advance(timedelta(seconds=5))
    await event(client, "chat", member="candidate", name="Zoë Müller", text="Thanks!")
    clock.advance(timedelta(seconds=5))
    await event(client, "ended", member="user:2", name="Ivan Petrov")  # fmt: skip


async def test_a_recorded_call_is_logged_paused_and_handed_to_composition(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock, control: FakeControl
) -> None:
    rita, request_id = await interview(client, db, mailbox)
    await a_call(client, clock)
    assert control.calls == [
        ("start", ROOM), ("start", ROOM), ("pause", ROOM), ("resume", ROOM), ("stop", ROOM)
    ]  # fmt: skip
    review = await client.app[RECORDINGS].review(rita, request_id)
    assert review.status == "processing"
    assert [(c[0], c[1]) for c in review.consents] == [
        ("user:2", "Ivan Petrov"), ("candidate", "Zoë Müller")
    ]  # fmt: skip
    assert [(e.kind, e.who, e.offset) for e in review.timeline] == [
        ("joined", "Ivan Petrov", 0.0),
        ("joined", "Zoë Müller", 30.0),
        ("muted", "Zoë Müller", 40.0),
        ("bookmark", "Ivan Petrov", 50.0),
        ("paused", "Ivan Petrov", 50.0),
        ("resumed", "Ivan Petrov", 50.0),  # the paused minute is not in the video
        ("chat", "Zoë Müller", 55.0),
        ("ended", "Ivan Petrov", 60.0),
    ]
    async with db.read() as conn:
        recording = await store.recording_of(conn, request_id)
        assert recording is not None
        assert await store.latest_job(conn, recording.id) == {
            "status": "pending", "progress": 0.0, "error": "", "attempts": 0
        }  # fmt: skip


async def test_only_the_interviews_recruiter_and_admins_may_review(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock
) -> None:
    rita, request_id = await interview(client, db, mailbox)
    await a_call(client, clock)
    service = client.app[RECORDINGS]
    other = await make_staff(client, "other@example.com", "recruiter")
    ivan = await make_staff(client, "ivan2@example.com", "interviewer")
    admin = await make_staff(client, "ada@example.com", "admin")
    assert (await service.review(admin, request_id)).can_manage is True
    for outsider in (other, ivan):
        with pytest.raises(NotFound):
            await service.review(outsider, request_id)
    with pytest.raises(NotFound):
        await service.file(other, request_id, "candidate__camera__000.webm", address="x")
    path = await service.file(rita, request_id, "candidate__camera__000.webm", address="1.2.3.4")
    assert path.read_bytes().startswith(b"webm")
    for trick in ("../../secret_key", "candidate__camera__000.webm/..", "review.mp4", ""):
        with pytest.raises(NotFound):
            await service.file(rita, request_id, trick, address="x")


async def test_deleting_removes_the_files_and_every_way_in(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock, control: FakeControl
) -> None:
    rita, request_id = await interview(client, db, mailbox)
    await a_call(client, clock)
    directory = control.directories[ROOM]
    other = await make_staff(client, "other@example.com", "recruiter")
    with pytest.raises(NotFound):
        await client.app[RECORDINGS].delete_now(other, request_id, address="x")
    await client.app[RECORDINGS].delete_now(rita, request_id, address="1.2.3.4")
    assert not directory.exists()
    assert (await client.app[RECORDINGS].review(rita, request_id)).status == "deleted"
    with pytest.raises(Gone):
        await client.app[RECORDINGS].file(rita, request_id, "candidate__camera__000.webm",
                                          address="x")  # fmt: skip


async def test_expired_recordings_are_deleted_by_the_retention_job(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock, control: FakeControl
) -> None:
    rita, request_id = await interview(client, db, mailbox)
    await a_call(client, clock)
    clock.set(START + timedelta(days=89))
    assert await client.app[RECORDINGS].purge_expired() == 0
    clock.set(START + timedelta(days=90, hours=2))  # 90 days after the interview's end
    assert await client.app[RECORDINGS].purge_expired() == 1
    assert not control.directories[ROOM].exists()
    assert (await client.app[RECORDINGS].review(rita, request_id)).status == "deleted"


async def test_a_failed_recording_tells_the_recruiter_and_the_room(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock
) -> None:
    rita, request_id = await interview(client, db, mailbox)
    clock.set(START)
    await event(client, "joined", member="user:2", name="Ivan Petrov", consent=True)
    told: list[tuple[str, str]] = []

    async def announce(room: str, reason: str) -> None:
        told.append((room, reason))

    client.app[RECORDINGS].announce_failure = announce
    await client.app[RECORDINGS].failed(ROOM, "Less than 500 MB free on the recordings disk.")
    assert told == [(ROOM, "Less than 500 MB free on the recordings disk.")]
    email = mailbox.to("rita@example.com")[-1]
    assert str(email.message["Subject"]) == "Recording stopped: Backend Engineer with Zoë Müller"
    review = await client.app[RECORDINGS].review(rita, request_id)
    assert review.status == "failed"
    assert review.failure == "Less than 500 MB free on the recordings disk."


async def test_a_room_nobody_ended_is_finished_when_it_closes(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock, control: FakeControl
) -> None:
    rita, request_id = await interview(client, db, mailbox)
    clock.set(START)
    await event(client, "joined", member="user:2", name="Ivan Petrov", consent=True)
    service = client.app[RECORDINGS]
    clock.set(START + timedelta(hours=1, minutes=59))
    assert await service.finish_closed_rooms(timedelta(hours=1)) == 0
    clock.set(START + timedelta(hours=2))
    assert await service.finish_closed_rooms(timedelta(hours=1)) == 1
    assert control.calls[-1] == ("stop", ROOM)
    assert (await service.review(rita, request_id)).status == "processing"


async def test_share_links_and_who_may_make_them(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock
) -> None:
    rita, request_id = await interview(client, db, mailbox)
    await a_call(client, clock)
    service = client.app[RECORDINGS]
    with pytest.raises(Exception, match="once its review file is ready"):
        await service.create_share_link(rita, request_id)
    async with db.transaction() as conn:
        recording = await store.recording_of(conn, request_id)
        assert recording is not None
        await store.set_review_file(conn, recording.id, name="review.mp4", seconds=60,
                                    now=clock.now())  # fmt: skip
    other = await make_staff(client, "other@example.com", "recruiter")
    with pytest.raises(NotFound):
        await service.create_share_link(other, request_id)
    url = await service.create_share_link(rita, request_id)
    token = url.rsplit("/", 1)[1]
    assert (await service.review(rita, request_id)).share_links[0][0] == url
    record, path = await service.shared(token, address="203.0.113.9")
    assert record.id == request_id
    assert path.name == "review.mp4"
    await service.revoke_share_link(rita, request_id, rita.id)
    with pytest.raises(Gone):
        await service.shared(token, address="x")
    ivan = await make_staff(client, "ivan3@example.com", "interviewer")
    with pytest.raises((NotFound, PermissionDenied)):
        await service.revoke_share_link(ivan, request_id, rita.id)
