"""Turning a recording's track files into one review video, in a separate low-priority process.

Jobs are claimed through the database (FOR UPDATE SKIP LOCKED on PostgreSQL) with a lease the
worker renews while it reports progress, so two processes never run one job and a job whose
process died is picked up again once its lease runs out.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from liveinterview.clock import Clock
from liveinterview.services.recordings import REVIEW_FILE
from liveinterview.services.work import unit_of_work
from liveinterview.storage import bookings
from liveinterview.storage import interviews as interview_store
from liveinterview.storage import recordings as store
from liveinterview.storage.db import Database

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=3)
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=10))  # then it has failed for good
NICENESS = 10


@dataclass(frozen=True)
class Outcome:
    ok: bool
    seconds: int
    error: str


class ComposeRunner:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        root: Path,
        python: str = sys.executable,
        timeout: timedelta = timedelta(hours=2),
    ) -> None:
        self.db = db
        self.clock = clock
        self.root = root
        self.python = python
        self.timeout = timeout

    async def run_due(self) -> int:
        """Run every due job, one at a time; returns how many were attempted."""
        attempted = 0
        while True:
            async with unit_of_work(self.db) as work:
                job = await store.claim_compose(work.conn, now=self.clock.now(), lease=LEASE)
                if job is None:
                    return attempted
                recording = await store.get_recording(work.conn, job.recording_id)
                assert recording is not None
                record = await interview_store.get_request(work.conn, recording.request_id)
                people = await bookings.booked_interviewers(work.conn, recording.request_id)
            names = {f"user:{p.user_id}": p.name for p in people}
            if record is not None:
                names["candidate"] = record.candidate_name
            attempted += 1
            directory = self.root / recording.directory
            outcome = await self._compose(job.id, directory, names)
            now = self.clock.now()
            async with unit_of_work(self.db) as work:
                if outcome.ok:
                    await store.set_review_file(
                        work.conn, recording.id, name=REVIEW_FILE, seconds=outcome.seconds, now=now
                    )
                    await store.job_done(work.conn, job.id, now=now)
                    continue
                retry_at = (
                    now + RETRY_DELAYS[job.attempts - 1]
                    if job.attempts <= len(RETRY_DELAYS)
                    else None
                )
                await store.job_failed(
                    work.conn, job.id, error=outcome.error, now=now, retry_at=retry_at
                )
                if retry_at is None:
                    await store.set_status(
                        work.conn,
                        recording.id,
                        "failed",
                        now=now,
                        failure="The review video could not be made; the track files are "
                        f"kept and can be downloaded. {outcome.error}",
                    )
            log.warning(
                "composition failed",
                extra={"job": job.id, "attempt": job.attempts, "error": outcome.error[:300]},
            )

    async def _compose(self, job_id: int, directory: Path, names: dict[str, str]) -> Outcome:
        output = directory / (REVIEW_FILE + ".part")
        command = [
            self.python,
            "-m",
            "liveinterview.media.compose",
            "--input",
            str(directory),
            "--output",
            str(output),
            "--names",
            json.dumps(names),
        ]
        nice = shutil.which("nice")
        if nice:
            command = [nice, "-n", str(NICENESS), *command]  # live rooms come first
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        except OSError as exc:
            return Outcome(False, 0, f"The composer could not start: {exc}")
        errors: list[str] = []
        seconds = 0

        async def read_errors() -> None:
            assert process.stderr is not None
            async for raw in process.stderr:
                errors.append(raw.decode(errors="replace").rstrip())

        async def read_progress() -> None:
            nonlocal seconds
            assert process.stdout is not None
            last = -1
            async for raw in process.stdout:
                word, _, value = raw.decode(errors="replace").strip().partition(" ")
                if word == "progress":
                    per_mille = int(float(value or 0) * 1000)
                    if per_mille - last >= 20:  # every 2 %: enough for the page, cheap for the DB
                        last = per_mille
                        async with unit_of_work(self.db) as work:
                            await store.job_progress(
                                work.conn, job_id, per_mille=per_mille,
                                now=self.clock.now(), lease=LEASE,
                            )  # fmt: skip
                elif word == "done":
                    seconds = round(float(value or 0))

        try:  # awaited directly, so a cancelled gather's outcome is not left unretrieved
            async with asyncio.timeout(self.timeout.total_seconds()):
                await asyncio.gather(read_progress(), read_errors(), process.wait())
        except TimeoutError:
            await _stop(process)
            return Outcome(False, 0, "The composer took too long and was stopped.")
        except BaseException:  # cancelled: the app is stopping; its lease lets another take it
            await _stop(process)
            raise
        skipped = [line for line in errors if line.startswith("skipped ")]
        for line in skipped:
            log.warning("composition skipped a track", extra={"detail": line})
        if process.returncode != 0 or not output.exists():
            reason = next((e for e in reversed(errors) if e.strip()), "no reason given")
            return Outcome(False, 0, f"The composer failed: {reason[:500]}")
        os.replace(output, directory / REVIEW_FILE)
        timing = output.with_name(output.name + ".json")  # where the video starts, its pauses
        if timing.exists():
            os.replace(timing, directory / (REVIEW_FILE + ".json"))
        return Outcome(True, seconds, "\n".join(skipped))


async def _stop(process: asyncio.subprocess.Process) -> None:
    """Kill the composer and reap it, draining its pipes so that its transport closes while
    the event loop still runs (else it is finalized after the loop has closed)."""
    if process.returncode is None:
        process.kill()
    await process.communicate()
