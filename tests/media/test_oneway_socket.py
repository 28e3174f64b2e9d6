"""The answer socket as a misbehaving client meets it: real aiortc peers over the real
WebSocket into the real media plane (one worker process) and recorder, on 127.0.0.1 only.

Every rule is the server's: attempts, the limit (cut by the server), the deadline, the order,
one connection per interview; a dropped connection discards its take; garbage gets `error`.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import av
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from liveinterview.app import create_app
from liveinterview.clock import ManualClock
from liveinterview.config import Settings
from liveinterview.domain.oneway import GRACE
from liveinterview.media.pool import WorkerPool
from liveinterview.storage.db import Database
from liveinterview.storage.tables import oneway_interviews, oneway_takes
from liveinterview.web.keys import ANSWERS, SETTINGS
from tests.conftest import CHEAP_HASHER, DbTarget
from tests.mailbox import free_port
from tests.media.clients import eventually
from tests.oneway_client import AnswerClient
from tests.oneway_fixtures import QuestionSpec, SentInterview, sent_interview

pytestmark = [
    pytest.mark.media,
    pytest.mark.parametrize("db_target", ["sqlite"], indirect=True),
]


@pytest.fixture
async def server(
    aiohttp_server: object, settings: Settings, clock: ManualClock, db_target: DbTarget
) -> TestServer:
    port = free_port()
    app = create_app(
        settings.replace(
            base_url=f"http://127.0.0.1:{port}",
            port=port,
            media_host_addresses=("127.0.0.1",),
            media_workers=1,
        ),
        clock=clock,
        password_hasher=CHEAP_HASHER,
        db_schema=db_target.schema,
    )
    return await aiohttp_server(app, host="127.0.0.1", port=port)  # type: ignore[operator,no-any-return]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


class Candidate:
    """Opens answer sockets for one interview (all closed at the end)."""

    def __init__(self, server: TestServer, session: aiohttp.ClientSession, token: str) -> None:
        self.server = server
        self.session = session
        self.token = token
        self.clients: list[AnswerClient] = []

    async def socket(self) -> AnswerClient:
        base = str(self.server.make_url("/")).rstrip("/")
        url = base.replace("http", "ws", 1) + f"/answer/{self.token}/ws"
        client = await AnswerClient(self.session, url, base).open()
        self.clients.append(client)
        return client

    async def joined(self) -> tuple[AnswerClient, dict[str, object]]:
        client = await self.socket()
        welcome = await client.join()
        await client.connected()
        return client, welcome


async def interview(
    server: TestServer, db: Database, clock: ManualClock, *specs: QuestionSpec
) -> SentInterview:
    return await sent_interview(
        db,
        server.app[SETTINGS].secret_key,
        now=clock.now(),
        questions=specs or (QuestionSpec("First?"), QuestionSpec("Second?")),
    )


@pytest.fixture
async def candidates(
    server: TestServer, session: aiohttp.ClientSession
) -> AsyncIterator[list[Candidate]]:
    made: list[Candidate] = []
    yield made
    for candidate in made:
        for client in candidate.clients:
            await client.close()


async def recorded_take(client: AnswerClient, question: int) -> dict[str, object]:
    """Record a short take: start, let media flow, stop; the take object."""
    started = await client.start(question)
    await asyncio.sleep(1.5)  # some media to record (no assertion on time)
    stopped = await client.stop(int(started["take"]))  # type: ignore[call-overload]
    take = stopped["take"]
    assert isinstance(take, dict)
    return take


async def rows(db: Database, interview_id: int) -> list[object]:
    async with db.read() as conn:
        result = await conn.execute(
            select(oneway_takes)
            .where(oneway_takes.c.interview_id == interview_id)
            .order_by(oneway_takes.c.id)
        )
        return list(result)


async def test_a_third_attempt_is_refused_when_two_are_allowed(
    server: TestServer,
    session: aiohttp.ClientSession,
    db: Database,
    clock: ManualClock,
    candidates: list[Candidate],
) -> None:
    sent = await interview(server, db, clock, QuestionSpec("Only?", attempts=2))
    candidates.append(candidate := Candidate(server, session, sent.token))
    client, welcome = await candidate.joined()
    assert welcome["current"] == 0
    first = await recorded_take(client, 0)
    second = await recorded_take(client, 0)
    assert (first["attempt"], second["attempt"]) == (1, 2)
    assert first["status"] == second["status"] == "done"

    refused = await client.error({"type": "take-start", "question": 0})
    assert refused["code"] == "refused"
    assert "No attempts are left" in str(refused["message"])
    assert refused["in_reply_to"] == "take-start"
    # Nothing already recorded is lost: both takes are still there to keep.
    assert [r.status for r in await rows(db, sent.id)] == ["done", "done"]  # type: ignore[attr-defined]
    await client.send({"type": "keep", "take": second["id"]})
    kept = await client.next("kept")
    assert kept == {
        "type": "kept",
        "take": second["id"],
        "question": 0,
        "current": None,
        "completed": True,
    }
    await client.next("completed")
    statuses = [r.status for r in await rows(db, sent.id)]  # type: ignore[attr-defined]
    assert statuses == ["not_kept", "kept"]


@pytest.mark.slow
async def test_a_take_running_past_the_limit_is_cut_by_the_server(
    server: TestServer,
    session: aiohttp.ClientSession,
    db: Database,
    clock: ManualClock,
    candidates: list[Candidate],
    settings: Settings,
) -> None:
    sent = await interview(server, db, clock, QuestionSpec("Talk on.", answer_seconds=15))
    candidates.append(candidate := Candidate(server, session, sent.token))
    client, _ = await candidate.joined()
    started = await client.start(0)
    assert started["limit_ms"] == 15_000
    stopped = await client.next("take-stopped", within=40)  # the client never stops it
    assert stopped["reason"] == "limit"
    take = stopped["take"]
    limit_ms = 15_000 + int(GRACE.total_seconds() * 1000)
    assert take["status"] == "done"
    assert 10_000 < take["duration_ms"] <= limit_ms
    (row,) = await rows(db, sent.id)
    path = settings.recordings_root / row.directory / row.file  # type: ignore[attr-defined]
    with av.open(str(path)) as container:
        kinds = sorted(s.codec_context.name for s in container.streams)
        assert kinds == ["opus", "vp8"]
        assert container.duration is not None
        assert container.duration / 1e6 <= limit_ms / 1000
        frames = sum(1 for _ in container.decode(video=0))
    assert frames > 100  # 15 fps for > 10 s, decodable


async def test_answering_after_the_deadline_is_refused(
    server: TestServer,
    session: aiohttp.ClientSession,
    db: Database,
    clock: ManualClock,
    candidates: list[Candidate],
) -> None:
    sent = await interview(server, db, clock)
    candidates.append(candidate := Candidate(server, session, sent.token))
    client, _ = await candidate.joined()
    clock.advance(timedelta(days=7, seconds=1))  # the deadline is a week after sending
    refused = await client.error({"type": "take-start", "question": 0})
    assert refused["code"] == "closed"
    assert "deadline" in str(refused["message"])
    assert await rows(db, sent.id) == []
    # A new connection is turned away at once, for good.
    late = await candidate.socket()
    closed = await late.next("error")
    assert closed["code"] == "closed"
    assert (await late.next("closed"))["code"] == 4003


async def test_questions_are_answered_in_order(
    server: TestServer,
    session: aiohttp.ClientSession,
    db: Database,
    clock: ManualClock,
    candidates: list[Candidate],
) -> None:
    sent = await interview(server, db, clock)
    candidates.append(candidate := Candidate(server, session, sent.token))
    client, _ = await candidate.joined()
    refused = await client.error({"type": "take-start", "question": 1})
    assert refused["code"] == "refused"
    assert "in order" in str(refused["message"])
    missing = await client.error({"type": "take-start", "question": 7})
    assert missing["code"] == "invalid"
    take = await recorded_take(client, 0)
    early = await client.error({"type": "keep", "take": int(take["id"]) + 100})  # type: ignore[call-overload]
    assert early["code"] == "not_found"
    assert await rows(db, sent.id) != []


async def test_a_second_socket_is_refused_until_it_takes_over(
    server: TestServer,
    session: aiohttp.ClientSession,
    db: Database,
    clock: ManualClock,
    candidates: list[Candidate],
) -> None:
    sent = await interview(server, db, clock)
    candidates.append(candidate := Candidate(server, session, sent.token))
    first, _ = await candidate.joined()
    second = await candidate.socket()
    await second.send({"type": "join", "consent": True})
    busy = await second.next("error")
    assert busy["code"] == "busy"
    assert "another tab" in str(busy["message"])
    refused = await second.error({"type": "take-start", "question": 0})
    assert refused["code"] == "join_first"
    # The first goes on, untouched.
    started = await first.start(0)
    await second.join(take_over=True)
    replaced = await first.next("error")
    assert replaced["code"] == "replaced"
    assert (await first.next("closed"))["code"] == 4000
    await second.connected()
    # The first's take was cut off by the take-over: discarded, not counted.
    (row,) = await rows(db, sent.id)
    assert (row.id, row.status) == (started["take"], "discarded")  # type: ignore[attr-defined]
    again = await second.start(0)
    assert again["attempt"] == 1


async def test_a_connection_lost_mid_answer_discards_the_take_and_says_so(
    server: TestServer,
    session: aiohttp.ClientSession,
    db: Database,
    clock: ManualClock,
    candidates: list[Candidate],
    settings: Settings,
) -> None:
    sent = await interview(server, db, clock)
    candidates.append(candidate := Candidate(server, session, sent.token))
    client, welcome = await candidate.joined()
    assert welcome["notice"] is None
    started = await client.start(0)
    await asyncio.sleep(1.0)  # media is being written
    directory = settings.recordings_root / "oneway" / str(sent.id) / str(started["take"])
    assert any(directory.glob("*.webm"))
    await client.drop()

    async def discarded() -> None:
        while True:
            if [r.status for r in await rows(db, sent.id)] == ["discarded"]:  # type: ignore[attr-defined]
                return
            await asyncio.sleep(0.05)

    await asyncio.wait_for(discarded(), 20)
    assert not directory.exists()  # its files are deleted
    back, welcome = await candidate.joined()
    assert "interrupted" in str(welcome["notice"])
    assert welcome["takes"][0]["status"] == "discarded"  # type: ignore[index]
    assert welcome["current"] == 0
    again = await back.start(0)
    assert again["attempt"] == 1  # the lost take did not use an attempt


async def test_malformed_messages_get_an_error_and_the_socket_goes_on(
    server: TestServer,
    session: aiohttp.ClientSession,
    db: Database,
    clock: ManualClock,
    candidates: list[Candidate],
) -> None:
    sent = await interview(server, db, clock)
    candidates.append(candidate := Candidate(server, session, sent.token))
    client = await candidate.socket()
    no_consent = await client.error({"type": "join", "consent": False})
    assert no_consent["code"] == "consent_required"
    await client.join()
    cases: list[tuple[object, str]] = [
        ("not json", "bad_json"),
        (b"\x00\x01", "binary_frame"),
        ({"type": "upload", "data": "..."}, "unknown_type"),
        ({"type": "take-start", "question": "first"}, "invalid"),
        ({"type": "take-start", "question": -2}, "invalid"),
        ({"type": "take-start", "question": 0, "extra": 1}, "invalid"),
        ({"type": "keep"}, "invalid"),
        ({"type": "take-stop", "take": 12345}, "not_recording"),
        ({"type": "join", "consent": True}, "already_joined"),
    ]
    for message, code in cases:
        error = await client.error(message)  # type: ignore[arg-type]
        assert error["code"] == code, (message, error)
    await client.send({"type": "ping", "t": 1.5})
    assert (await client.next("pong"))["t"] == 1.5
    async with db.read() as conn:
        state = (
            await conn.execute(
                select(oneway_interviews.c.state, oneway_interviews.c.consent_at).where(
                    oneway_interviews.c.id == sent.id
                )
            )
        ).one()
    assert state.state == "started"
    assert state.consent_at is not None


async def test_the_practice_take_plays_until_the_next_take_deletes_it(
    server: TestServer,
    session: aiohttp.ClientSession,
    db: Database,
    clock: ManualClock,
    candidates: list[Candidate],
    settings: Settings,
) -> None:
    sent = await interview(server, db, clock)
    candidates.append(candidate := Candidate(server, session, sent.token))
    client, _ = await candidate.joined()
    practice = await recorded_take(client, -1)
    assert (practice["question"], practice["attempt"], practice["status"]) == (-1, 0, "done")
    url = str(server.make_url(str(practice["url"])))
    async with session.get(url, headers={"Range": "bytes=0-99"}) as response:
        assert response.status == 206
        assert response.headers["Content-Type"] == "video/webm"
        assert len(await response.read()) == 100
    other = await interview(server, db, clock)
    foreign = str(server.make_url(f"/answer/{other.token}/takes/{practice['id']}"))
    async with session.get(foreign) as response:
        assert response.status == 404  # only the interview's own takes
    directory = settings.recordings_root / "oneway" / str(sent.id) / str(practice["id"])
    assert directory.is_dir()
    first = await client.start(0)
    assert first["attempt"] == 1  # practice never counts
    assert not directory.exists()
    async with session.get(url) as response:
        assert response.status == 404
    statuses = [(r.question_idx, r.status) for r in await rows(db, sent.id)]  # type: ignore[attr-defined]
    assert statuses == [(-1, "discarded"), (0, "recording")]


@pytest.mark.slow
async def test_a_media_worker_lost_mid_answer_discards_the_take_and_the_page_reconnects(
    server: TestServer,
    session: aiohttp.ClientSession,
    db: Database,
    clock: ManualClock,
    candidates: list[Candidate],
) -> None:
    sent = await interview(server, db, clock)
    candidates.append(candidate := Candidate(server, session, sent.token))
    client, _ = await candidate.joined()
    await client.start(0)
    await asyncio.sleep(1.0)  # media is being written
    pool = server.app[ANSWERS].control
    assert isinstance(pool, WorkerPool)
    os.kill(pool.pids()["1"], signal.SIGKILL)
    assert (await client.next("closed"))["code"] == 1012  # not final: reconnect
    assert [r.status for r in await rows(db, sent.id)] == ["discarded"]  # type: ignore[attr-defined]
    # Once the worker is back, the candidate carries on (the page rejoins taking over).
    await eventually(lambda: bool(pool.loads()), within=30)  # restarted
    back = await candidate.socket()
    welcome = await back.join(take_over=True)
    assert "interrupted" in str(welcome["notice"])
    await back.connected()
    again = await back.start(0)
    assert again["attempt"] == 1
