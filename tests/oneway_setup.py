"""Setting up one-way interviews for the recruiter-side tests: sets, invitations, and takes
written straight into the table (as the candidate side would) with a real WebM file."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from fractions import Fraction
from pathlib import Path
from urllib.parse import urlsplit

import av
from aiohttp.test_utils import TestClient
from sqlalchemy import insert, update

from liveinterview.domain.accounts import StaffMember
from liveinterview.domain.oneway import TakeStatus
from liveinterview.services.oneway import InviteResult, OneWayService
from liveinterview.storage.db import Database
from liveinterview.storage.tables import oneway_interviews, oneway_takes
from liveinterview.web.keys import CLOCK, ONEWAY, SETTINGS
from tests.mailbox import Received

Client = TestClient  # type: ignore[type-arg]


def service(client: Client) -> OneWayService:
    return client.app[ONEWAY]


async def make_set(
    client: Client,
    owner: StaffMember,
    *,
    title: str = "Backend screening",
    questions: int = 2,
    practice: bool = False,
) -> int:
    oneway = service(client)
    set_id = await oneway.create_set(owner, title)
    for n in range(questions):
        await oneway.add_question(
            owner,
            set_id,
            text=f"Question number {n + 1}?",
            prep_seconds=30,
            answer_seconds=60 + 30 * n,
            attempts=2,
        )
    if practice:
        await oneway.add_question(
            owner,
            set_id,
            text="Practice: say hello.",
            prep_seconds=5,
            answer_seconds=15,
            attempts=3,
            practice=True,
        )
    return set_id


def in_days(client: Client, days: int) -> tuple[date, time]:
    """A deadline date and time `days` from now, at 17:00 (UTC recruiters)."""
    moment = client.app[CLOCK].now() + timedelta(days=days)
    return moment.date(), time(17, 0)


async def invite(
    client: Client,
    owner: StaffMember,
    set_id: int,
    lines: str = "Zoë Müller, zoe@example.com",
    *,
    position: str = "Backend Engineer",
    days: int = 5,
    timezone: str = "UTC",
) -> InviteResult:
    day, at = in_days(client, days)
    return await service(client).invite(
        owner,
        set_id=set_id,
        position=position,
        deadline_day=day,
        deadline_time=at,
        timezone=timezone,
        lines=lines,
    )


def answer_path(message: Received) -> str:
    for url in message.links():
        if "/answer/" in url:
            return urlsplit(url).path
    raise AssertionError(f"no /answer/ link in {message.message['Subject']!r}")


def write_webm(path: Path, seconds: float = 1.0, fps: int = 10) -> None:
    """A small real VP8 WebM file, as the candidate side records one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for n in range(int(seconds * fps)):
            frame = av.VideoFrame(64, 48, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([(n * 20) % 256]) * plane.buffer_size)
            frame.pts = n
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


async def add_take(
    client: Client,
    db: Database,
    interview_id: int,
    question: int,
    *,
    attempt: int = 1,
    status: TakeStatus = TakeStatus.KEPT,
    duration_ms: int = 1000,
    with_file: bool = True,
) -> int:
    """A take row as the candidate side writes it, with its WebM under the recordings root."""
    directory = f"oneway-{interview_id}/q{question}-a{attempt}"
    name = "answer.webm"
    if with_file:
        write_webm(client.app[SETTINGS].recordings_root / directory / name)
    now = client.app[CLOCK].now()
    async with db.transaction() as conn:
        result = await conn.execute(
            insert(oneway_takes)
            .values(
                interview_id=interview_id,
                question_idx=question,
                attempt=attempt,
                status=status.value,
                started_at=now,
                ended_at=now + timedelta(milliseconds=duration_ms),
                duration_ms=duration_ms,
                directory=directory,
                file=name if with_file else None,
            )
            .returning(oneway_takes.c.id)
        )
        return int(result.scalar_one())


async def set_state(
    db: Database, interview_id: int, state: str, *, completed_at: datetime | None = None
) -> None:
    """Move an interview as the candidate side does (started on consent, completed)."""
    async with db.transaction() as conn:
        await conn.execute(
            update(oneway_interviews)
            .where(oneway_interviews.c.id == interview_id)
            .values(state=state, completed_at=completed_at)
        )
