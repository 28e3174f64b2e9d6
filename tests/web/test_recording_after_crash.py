"""A server killed mid-call: the next start repairs the track files and the recording
becomes reviewable (the kill itself is the real SIGKILL of tests/media/test_repair.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import av
import pytest

from liveinterview.app import create_app
from liveinterview.clock import ManualClock
from liveinterview.config import Settings
from liveinterview.media.repair import find_unfinished
from liveinterview.storage import recordings as store
from liveinterview.storage.db import Database
from liveinterview.web.keys import COMPOSER, RECORDINGS
from tests.conftest import CHEAP_HASHER, DbTarget
from tests.mailbox import Mailbox
from tests.media.test_repair import record_until_killed
from tests.pages import submit
from tests.scheduling import create_request, interviewer, link_in
from tests.signaling.fakes import FakeMedia
from tests.staff import signed_in_as

pytestmark = [pytest.mark.media, pytest.mark.slow]
START = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


async def test_the_next_start_repairs_a_killed_recording_and_it_becomes_reviewable(
    aiohttp_client: object,
    settings: Settings,
    clock: ManualClock,
    db_target: DbTarget,
    db: Database,
    mailbox: Mailbox,
) -> None:
    def make_app() -> object:
        return create_app(
            settings,
            clock=clock,
            password_hasher=CHEAP_HASHER,
            db_schema=db_target.schema,
            media_engine=FakeMedia(),
            run_background_jobs=False,
        )

    first = await aiohttp_client(make_app())  # type: ignore[operator]
    rita = await signed_in_as(first, "rita@example.com", "recruiter")
    ivan = await interviewer(first, db, "ivan@example.com")
    request_id = await create_request(first, panel={ivan.id: "required"})
    book = link_in(mailbox.only("zoe@example.com"), "book")
    await submit(first, book, {"start": START.isoformat(), "tz": "UTC"}, token_from=book)
    clock.set(START)
    await first.app[RECORDINGS].room_event(
        "interview-1", "joined", {"member": "candidate", "name": "Zoë", "consent": True}
    )
    await first.close()

    # The call is recorded by a process that is then killed with SIGKILL.
    directory = settings.recordings_root / "interview-1"
    written = record_until_killed(directory, seconds=3.0)
    assert len(find_unfinished(directory)) == 2

    clock.set(START + timedelta(hours=3))  # the room has long closed
    second = await aiohttp_client(make_app())  # type: ignore[operator]
    assert find_unfinished(directory) == []  # repaired while the app started
    for path in sorted(directory.glob("*.webm")):
        with av.open(str(path)) as container:
            assert container.duration is not None
            assert container.duration / 1e6 >= min(written.values()) - 1.0

    recordings = second.app[RECORDINGS]
    assert await recordings.finish_closed_rooms(timedelta(hours=1)) == 1
    assert await second.app[COMPOSER].run_due() == 1
    review = await recordings.review(rita, request_id)
    assert review.status == "ready"
    async with db.read() as conn:
        recording = await store.recording_of(conn, request_id)
    assert recording is not None
    assert recording.review_seconds is not None
    assert recording.review_seconds >= 2
