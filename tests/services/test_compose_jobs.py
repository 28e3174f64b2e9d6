"""Composition jobs: claimed once, retried after failures, taken over when a worker died."""

from __future__ import annotations

import asyncio
import gc
import os
import stat
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from liveinterview.clock import ManualClock
from liveinterview.services.compose_jobs import LEASE, ComposeRunner
from liveinterview.storage import recordings as store
from liveinterview.storage.db import Database
from liveinterview.storage.tables import interview_requests, users
from tests.media.clients import eventually

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


async def a_recording(db: Database, root: Path) -> int:
    async with db.transaction() as conn:
        user = await conn.execute(
            users.insert().values(email="r@example.com", name="R", is_active=True,
                                  created_at=NOW).returning(users.c.id)
        )  # fmt: skip
        request = await conn.execute(
            interview_requests.insert()
            .values(
                uid="u1", recruiter_id=user.scalar_one(), candidate_name="Zoë",
                candidate_email="z@example.com", position="Engineer", duration_minutes=60,
                step_minutes=30, window_start=NOW, window_end=NOW, recorded=True, note="",
                status="scheduled", start_at=NOW - timedelta(hours=1), end_at=NOW,
                sequence=0, reschedule_count=0, created_at=NOW, updated_at=NOW,
            )
            .returning(interview_requests.c.id)
        )  # fmt: skip
        request_id = request.scalar_one()
        recording = await store.start_recording(
            conn, request_id, directory="interview-1", now=NOW, expires_at=NOW + timedelta(days=90)
        )
        await store.enqueue_compose(conn, recording.id, now=NOW)
        await store.enqueue_compose(conn, recording.id, now=NOW)  # no second open job
    (root / "interview-1").mkdir(parents=True)
    return recording.id


def fake_composer(tmp_path: Path, body: str) -> str:
    """An executable standing in for `python -m liveinterview.media.compose`."""
    script = tmp_path / "composer"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


async def test_a_failing_composition_is_retried_then_given_up_with_the_reason(
    db: Database, tmp_path: Path
) -> None:
    root = tmp_path / "recordings"
    recording_id = await a_recording(db, root)
    clock = ManualClock(NOW)
    runner = ComposeRunner(
        db=db,
        clock=clock,
        root=root,
        python=fake_composer(
            tmp_path, 'echo "progress 0.5"\necho "error: no usable track" >&2\nexit 1\n'
        ),
    )
    assert await runner.run_due() == 1
    async with db.read() as conn:
        job = await store.latest_job(conn, recording_id)
    assert job is not None
    assert job["status"] == "pending"
    assert job["error"] == "The composer failed: error: no usable track"
    assert await runner.run_due() == 0  # waits a minute before the next try
    clock.advance(timedelta(minutes=1))
    assert await runner.run_due() == 1
    clock.advance(timedelta(minutes=10))
    assert await runner.run_due() == 1
    async with db.read() as conn:
        job = await store.latest_job(conn, recording_id)
        recording = await store.get_recording(conn, recording_id)
    assert job is not None
    assert recording is not None
    assert job["status"] == "failed"
    assert job["attempts"] == 3
    assert recording.status == "failed"
    assert "the track files are kept" in recording.failure


async def test_a_successful_composition_makes_the_recording_ready(
    db: Database, tmp_path: Path
) -> None:
    root = tmp_path / "recordings"
    recording_id = await a_recording(db, root)
    # Writes the --output file (argument 6) like the real composer, then reports.
    body = 'echo "progress 0.3"\necho "progress 1.0"\necho video > "$6"\necho "done 61.4"\n'
    runner = ComposeRunner(db=db, clock=ManualClock(NOW), root=root,
                           python=fake_composer(tmp_path, body))  # fmt: skip
    assert await runner.run_due() == 1
    async with db.read() as conn:
        recording = await store.get_recording(conn, recording_id)
    assert recording is not None
    assert recording.status == "ready"
    assert recording.review_file == "review.mp4"
    assert recording.review_seconds == 61
    assert (root / "interview-1" / "review.mp4").read_text() == "video\n"


async def test_a_job_whose_worker_died_is_taken_over_after_its_lease(
    db: Database, tmp_path: Path
) -> None:
    recording_id = await a_recording(db, tmp_path)
    async with db.transaction() as conn:
        first = await store.claim_compose(conn, now=NOW, lease=LEASE)
    assert first is not None
    async with db.transaction() as conn:  # another process, while the first still holds it
        assert await store.claim_compose(conn, now=NOW + timedelta(minutes=1), lease=LEASE) is None
    async with db.transaction() as conn:  # the first worker died: its lease ran out
        again = await store.claim_compose(conn, now=NOW + LEASE + timedelta(seconds=1),
                                          lease=LEASE)  # fmt: skip
    assert again is not None
    assert again.recording_id == recording_id
    assert again.attempts == 2


async def test_stopping_the_app_mid_composition_kills_and_reaps_the_composer(
    db: Database, tmp_path: Path
) -> None:
    root = tmp_path / "recordings"
    await a_recording(db, root)
    pid_file = tmp_path / "composer.pid"
    body = f'echo $$ > "{pid_file}"\necho "progress 0.1"\nexec sleep 60\n'
    runner = ComposeRunner(db=db, clock=ManualClock(NOW), root=root,
                           python=fake_composer(tmp_path, body))  # fmt: skip
    running = asyncio.ensure_future(runner.run_due())
    await eventually(lambda: pid_file.exists() and bool(pid_file.read_text().strip()), within=10)
    pid = int(pid_file.read_text())
    running.cancel()  # what the app's periodic job gets at shutdown
    with pytest.raises(asyncio.CancelledError):
        await running
    with pytest.raises(ProcessLookupError):  # killed and reaped: not even a zombie is left
        os.kill(pid, 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    assert not [w for w in caught if "unclosed transport" in str(w.message)]
