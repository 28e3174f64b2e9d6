"""The candidate's portal page and their takes' playback: only with a valid, open link."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient
from sqlalchemy import insert, select, update

from liveinterview.app import create_app
from liveinterview.clock import ManualClock
from liveinterview.config import Settings
from liveinterview.storage.db import Database
from liveinterview.storage.tables import oneway_interviews, oneway_takes
from tests.conftest import DbTarget
from tests.oneway_fixtures import QuestionSpec, sent_interview
from tests.signaling.fakes import FakeMedia


async def test_the_portal_explains_the_questions_limits_and_consent(
    client: TestClient,  # type: ignore[type-arg]
    db: Database,
    clock: ManualClock,
    settings: Settings,
) -> None:
    sent = await sent_interview(
        db,
        settings.secret_key,
        now=clock.now(),
        questions=[QuestionSpec("Why us?", 30, 90, 3), QuestionSpec("Why now?")],
    )
    response = await client.get(f"/answer/{sent.token}")
    assert response.status == 200
    page = await response.text()
    assert "Backend Engineer" in page
    assert "2 questions" in page
    assert "1 min 30 s" in page
    assert "<td>30 s</td>" in page
    assert "I agree that my answers are recorded" in page
    assert "deleted 90 days after" in page
    assert "Why us?" not in page  # questions appear one at a time, over the socket
    assert "js/oneway/portal.js" in page
    assert "importmap" in page
    assert "nonce-" in response.headers["Content-Security-Policy"]
    assert "you agreed on" not in page

    # Coming back after agreeing: the box is ticked and says when.
    async with db.transaction() as conn:
        await conn.execute(
            update(oneway_interviews)
            .where(oneway_interviews.c.id == sent.id)
            .values(consent_at=clock.now(), state="started", started_at=clock.now())
        )
    page = await (await client.get(f"/answer/{sent.token}")).text()
    assert f"you agreed on {clock.now():%d %b %Y, %H:%M} UTC" in page
    assert 'aria-describedby="consent-text" checked>' in page


async def test_unknown_expired_withdrawn_and_completed_links_get_a_clear_page(
    client: TestClient,  # type: ignore[type-arg]
    db: Database,
    clock: ManualClock,
    settings: Settings,
) -> None:
    response = await client.get("/answer/" + "x" * 43)
    assert response.status == 404
    assert "not valid" in await response.text()
    for state, words in (("withdrawn", "withdrawn"), ("completed", "already answered")):
        sent = await sent_interview(
            db,
            settings.secret_key,
            now=clock.now(),
            state=state,
            candidate_email=f"{state}@example.com",
        )
        response = await client.get(f"/answer/{sent.token}")
        assert response.status == 410
        assert words in await response.text()
    late = await sent_interview(
        db, settings.secret_key, now=clock.now() - timedelta(days=8), candidate_email="l@x.com"
    )
    response = await client.get(f"/answer/{late.token}")
    assert response.status == 410
    assert "deadline" in await response.text()


async def test_takes_play_only_for_their_own_interview_and_nothing_uploads(
    client: TestClient,  # type: ignore[type-arg]
    db: Database,
    clock: ManualClock,
    settings: Settings,
) -> None:
    sent = await sent_interview(db, settings.secret_key, now=clock.now())
    assert (await client.get(f"/answer/{sent.token}/takes/1")).status == 404
    for method in ("POST", "PUT"):
        response = await client.request(method, f"/answer/{sent.token}/takes/1", data=b"webm")
        assert response.status in {403, 405}
    assert (await client.post(f"/answer/{sent.token}", data=b"x")).status in {403, 405}


async def test_a_restarted_server_discards_takes_left_recording(
    aiohttp_client: object,
    db: Database,
    clock: ManualClock,
    settings: Settings,
    db_target: DbTarget,
) -> None:
    sent = await sent_interview(db, settings.secret_key, now=clock.now())
    directory = settings.recordings_root / "oneway" / str(sent.id) / "1"
    directory.mkdir(parents=True)
    (directory / "candidate-1__camera__000.webm").write_bytes(b"half a take")
    async with db.transaction() as conn:
        await conn.execute(
            insert(oneway_takes).values(
                interview_id=sent.id,
                question_idx=0,
                attempt=1,
                status="recording",
                started_at=clock.now(),
                directory=f"oneway/{sent.id}/1",
            )
        )
    app = create_app(settings, clock=clock, db_schema=db_target.schema, media_engine=FakeMedia())
    await aiohttp_client(app)  # type: ignore[operator]
    async with db.read() as conn:
        status = (await conn.execute(select(oneway_takes.c.status))).scalar_one()
    assert status == "discarded"
    assert not directory.exists()
