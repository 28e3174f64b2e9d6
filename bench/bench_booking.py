"""Bookings per second under concurrent load, SQLite against PostgreSQL, through real HTTP.

Run `python bench/bench_booking.py`; `run()` returns the rows for `make bench`.

The app is built with `create_app` and served by a real aiohttp server on 127.0.0.1; the
load generator is an aiohttp client in the same event loop that POSTs the booking form the
way the page does (CSRF cookie and token included). So every booking takes the real path:
HTTP parsing, middlewares, the booking service re-checking the slot inside the transaction,
the database guard, the mail queue, and delivery after the commit to a mailer that counts.
A closed loop of C clients each sends its next booking as soon as the last one answered.

*distinct*: INTERVIEWERS interviewers with weekday hours; REQUESTS requests with a
one-person panel, round-robin over the interviewers; every candidate books a different free
hour, so no booking may lose. *contention*: RACERS candidates of one interviewer fire at
once at RACE_SLOTS distinct hours: exactly RACE_SLOTS must win, the rest lose with "this
time was just taken", and nothing may fail otherwise. Each run gets a fresh database: a
migrated SQLite file, or a PostgreSQL schema created for it and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import platform
import re
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from email.message import EmailMessage
from email.utils import parseaddr
from math import ceil
from pathlib import Path
from zoneinfo import ZoneInfo

# Let `python bench/bench_booking.py` work from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import argon2
from aiohttp import web
from sqlalchemy import text

from liveinterview.app import create_app
from liveinterview.clock import ManualClock
from liveinterview.config import Settings
from liveinterview.services.interviews import PanelChoice
from liveinterview.services.scheduling import SlotTaken
from liveinterview.storage import availability, migrate
from liveinterview.storage.db import Database
from liveinterview.web.keys import BOOKING, INTERVIEWS, STAFF

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
INTERVIEWERS = 10
REQUESTS = 400
CONCURRENCY = (1, 4, 16, 64)
RACERS = 64
RACE_SLOTS = 4
WARMUP = 20  # bookings before the clock starts: pool, caches and templates warm
ZONE = "Europe/Berlin"
NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # a Monday morning
FIRST_DAY = date(2026, 3, 3)
WORK_HOURS = (9, 17)
TAKEN = "This time was just taken"  # every lost race says this
GUARD = "taken by another booking"  # ...and this when the database guard caught it
EXPECTED = ("booked", "taken", "guard")  # every other outcome is an error
PASSWORD = "correct horse battery staple"  # noqa: S105 - the benchmark's own throwaway users
CHEAP_HASHER = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
Row = dict[str, object]
BOOK_LINK = re.compile(r"/book/([A-Za-z0-9_-]+)")
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Job:
    """One candidate's booking: whose request, and which start they pick."""

    candidate: str
    interviewer: int  # index into the interviewers
    start: datetime


@dataclass
class CountingMailer:
    """Counts the emails the app delivers; keeps the booking links while asked to."""

    sent: int = 0
    collecting: bool = True
    book_tokens: dict[str, str] = field(default_factory=dict)

    async def send(self, message: EmailMessage) -> None:
        self.sent += 1
        if not self.collecting:
            return
        body = message.get_body(("plain",))
        found = BOOK_LINK.search(str(body.get_content()) if body else "")
        if found:
            self.book_tokens[parseaddr(str(message["To"]))[1].lower()] = found[1]


@dataclass
class Outcome:
    """What a burst of bookings did: how each one ended, each latency, wall and CPU time."""

    ends: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    cpu: float = 0.0  # this process, every thread (PostgreSQL's own work is not in it)
    emails: int = 0

    @property
    def errors(self) -> int:
        return sum(n for end, n in self.ends.items() if end not in EXPECTED)


def hour_slot(index: int) -> datetime:
    """The index-th working hour from FIRST_DAY on, skipping weekends, as UTC."""
    per_day = WORK_HOURS[1] - WORK_HOURS[0]
    day, hour = divmod(index, per_day)
    current = FIRST_DAY
    while True:
        if current.weekday() < 5:
            if day == 0:
                break
            day -= 1
        current += timedelta(days=1)
    local = datetime.combine(current, clock(WORK_HOURS[0] + hour), ZoneInfo(ZONE))
    return local.astimezone(UTC)


def distinct_jobs(count: int) -> list[Job]:
    """Round-robin over the interviewers; each one's candidates take consecutive hours."""
    return [
        Job(f"candidate{i}@example.com", i % INTERVIEWERS, hour_slot(i // INTERVIEWERS))
        for i in range(count)
    ]


def contention_jobs() -> list[Job]:
    return [Job(f"racer{i}@example.com", 0, hour_slot(i % RACE_SLOTS)) for i in range(RACERS)]


def warmup_jobs(measured: Sequence[Job]) -> list[Job]:
    """WARMUP bookings in the hours right after the measured ones, so they take none of them."""
    latest = max(job.start for job in measured)
    first = next(k for k in itertools.count() if hour_slot(k) > latest)
    return [
        Job(f"warmup{i}@example.com", i % INTERVIEWERS, hour_slot(first + i // INTERVIEWERS))
        for i in range(WARMUP)
    ]


def last_day(jobs: Sequence[Job]) -> date:
    latest = max(job.start for job in jobs).astimezone(ZoneInfo(ZONE)).date()
    return latest + timedelta(days=7)  # a window wider than needed, as recruiters give


# --- databases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    backend: str
    url: str
    schema: str | None = None


@asynccontextmanager
async def fresh_database(backend: str, folder: Path) -> AsyncIterator[Target]:
    """A migrated, empty database that is gone afterwards."""
    if backend == "SQLite":
        url = f"sqlite+aiosqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        db = Database(url)
        await migrate.upgrade(db)
        await db.close()
        yield Target(backend, url)
        return
    schema = f"li_bench_{uuid.uuid4().hex[:12]}"
    admin = Database(POSTGRES_URL)
    try:
        async with admin.transaction() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        db = Database(POSTGRES_URL, schema=schema)
        await migrate.upgrade(db)
        await db.close()
        yield Target(backend, POSTGRES_URL, schema)
    finally:
        async with admin.transaction() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.close()


async def postgres_problem() -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    db = Database(POSTGRES_URL)
    try:
        await asyncio.wait_for(db.ping(), 5)
    except Exception as exc:  # any failure means "skip PostgreSQL", with the reason
        return f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    finally:
        await db.close()
    return None


# --- the app, its people and requests -------------------------------------------------------


@asynccontextmanager
async def serving(
    target: Target, folder: Path, mailer: CountingMailer
) -> AsyncIterator[tuple[web.Application, str]]:
    """The app on a real socket on 127.0.0.1; yields it and its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(
        data_dir=folder / "var",
        database_url=target.url,
        secret_key="bench-secret-key-" + "x" * 32,
        base_url=base_url,
        log_format="text",
    )
    app = create_app(
        settings,
        clock=ManualClock(NOW),
        mailer=mailer,
        password_hasher=CHEAP_HASHER,
        db_schema=target.schema,
        run_background_jobs=False,
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.SockSite(runner, sock, backlog=1024).start()
        yield app, base_url
    finally:
        await runner.cleanup()


async def populate(app: web.Application, target: Target, jobs: Sequence[Job]) -> None:
    """Interviewers with weekday hours and one request per job, through the services."""
    staff = app[STAFF]
    recruiter = await staff.create_user(
        email="rita@example.com", name="Rita", roles=("recruiter",), password=PASSWORD
    )
    interviewers = [
        await staff.create_user(
            email=f"interviewer{n}@example.com",
            name=f"Interviewer {n}",
            roles=("interviewer",),
            password=PASSWORD,
        )
        for n in range(INTERVIEWERS)
    ]
    hours = {weekday: [(WORK_HOURS[0] * 60, WORK_HOURS[1] * 60)] for weekday in range(5)}
    db = Database(target.url, schema=target.schema)
    try:
        async with db.transaction() as conn:
            for member in interviewers:
                prefs = availability.InterviewerPrefs(
                    user_id=member.id, timezone=ZONE, min_notice_minutes=0
                )
                await availability.save_prefs(conn, prefs, NOW)
                await availability.replace_weekly(conn, member.id, hours)
    finally:
        await db.close()
    window_end = last_day(jobs)
    for job in jobs:
        await app[INTERVIEWS].create(
            recruiter,
            candidate_name=job.candidate.split("@")[0].title(),
            candidate_email=job.candidate,
            position="Backend Engineer",
            duration_minutes=60,
            step_minutes=30,
            first_day=FIRST_DAY,
            last_day=window_end,
            timezone=ZONE,
            recorded=False,
            note="",
            panel=[PanelChoice(interviewers[job.interviewer].id, "required")],
        )


# --- load ------------------------------------------------------------------------------------

Booker = Callable[[Job], Awaitable[str]]


async def csrf_token(session: aiohttp.ClientSession, url: str) -> str:
    """Open the booking page once, as the candidate's browser does: cookie plus form token."""
    async with session.get(url) as response:
        body = await response.text()
    found = CSRF_FIELD.search(body)
    if found is None:
        raise RuntimeError(f"no CSRF token on {url} (HTTP {response.status})")
    return found[1]


def http_booker(
    session: aiohttp.ClientSession, base_url: str, csrf: str, tokens: dict[str, str]
) -> Booker:
    """POST the booking form; how it ended, from the status and the page."""

    async def book(job: Job) -> str:
        form = {"start": job.start.isoformat(), "tz": ZONE, "csrf_token": csrf}
        url = f"{base_url}/book/{tokens[job.candidate]}"
        async with session.post(url, data=form, allow_redirects=False) as response:
            body = await response.text()
        if response.status == 303:
            return "booked"
        if response.status == 409 and TAKEN in body:
            return "guard" if GUARD in body else "taken"
        return f"HTTP {response.status}"

    return book


def service_booker(app: web.Application, tokens: dict[str, str]) -> Booker:
    """Call the booking service directly: the same work without HTTP and the client."""

    async def book(job: Job) -> str:
        try:
            await app[BOOKING].book(tokens[job.candidate], job.start, ZONE)
        except SlotTaken as exc:
            return "guard" if GUARD in exc.message else "taken"
        return "booked"

    return book


async def fire(book: Booker, jobs: Sequence[Job], concurrency: int) -> Outcome:
    """`concurrency` clients in a closed loop until every job has been sent once."""
    outcome = Outcome()
    pending = iter(jobs)

    async def client() -> None:
        for job in pending:  # one iterator shared by every client: each job goes once
            began = time.perf_counter()
            try:
                end = await book(job)
            except Exception as exc:  # counted and shown, never hidden
                end = type(exc).__name__
            outcome.latencies.append(time.perf_counter() - began)
            outcome.ends[end] += 1

    began, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    outcome.wall = time.perf_counter() - began
    outcome.cpu = time.process_time() - cpu
    return outcome


async def measure(
    backend: str, folder: Path, jobs: Sequence[Job], concurrency: int, *, via: str = "http"
) -> Outcome:
    """A fresh database and server, WARMUP bookings, then the jobs, timed."""
    warmup = warmup_jobs(jobs)
    mailer = CountingMailer()
    async with (
        fresh_database(backend, folder) as target,
        serving(target, folder, mailer) as (app, base_url),
    ):
        await populate(app, target, [*warmup, *jobs])
        mailer.collecting = False
        tokens = mailer.book_tokens
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.CookieJar(unsafe=True)
        )
        async with session:
            csrf = await csrf_token(session, f"{base_url}/book/{tokens[jobs[0].candidate]}")
            if via == "http":
                book = http_booker(session, base_url, csrf, tokens)
            else:
                book = service_booker(app, tokens)
            await fire(book, warmup, min(concurrency, WARMUP))
            before = mailer.sent
            outcome = await fire(book, jobs, concurrency)
        outcome.emails = mailer.sent - before
        return outcome


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, ceil(p / 100 * len(ordered)) - 1)]


def _row(backend: str, scenario: str, via: str, concurrency: int, outcome: Outcome) -> Row:
    booked = outcome.ends["booked"]
    return {
        "backend": backend,
        "scenario": scenario,
        "via": via,
        "concurrency": concurrency,
        "attempts": len(outcome.latencies),
        "booked": booked,
        "lost": outcome.ends["taken"] + outcome.ends["guard"],
        "lost_at_guard": outcome.ends["guard"],
        "errors": outcome.errors,
        "error_kinds": ", ".join(
            f"{end} ×{n}" for end, n in sorted(outcome.ends.items()) if end not in EXPECTED
        ),
        "emails": outcome.emails,
        "wall_s": round(outcome.wall, 2),
        "per_s": round(booked / outcome.wall, 1),
        "cpu_ms": round(outcome.cpu * 1000 / max(1, len(outcome.latencies)), 1),
        "p50_ms": round(percentile(outcome.latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(outcome.latencies, 95) * 1000, 1),
        "p99_ms": round(percentile(outcome.latencies, 99) * 1000, 1),
    }


# --- entry points ----------------------------------------------------------------------------


async def _run(concurrency: Sequence[int]) -> list[Row]:
    problem = await postgres_problem()
    backends = ["SQLite"] if problem else ["SQLite", "PostgreSQL"]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="li-bench-booking-") as tmp:
        folder = Path(tmp)
        for backend in backends:
            for clients in concurrency:
                outcome = await measure(backend, folder, distinct_jobs(REQUESTS), clients)
                rows.append(_row(backend, "distinct", "http", clients, outcome))
            outcome = await measure(backend, folder, distinct_jobs(REQUESTS), 1, via="service")
            rows.append(_row(backend, "distinct", "service", 1, outcome))
            outcome = await measure(backend, folder, contention_jobs(), RACERS)
            rows.append(_row(backend, "contention", "http", RACERS, outcome))
    if problem:
        rows.append({"backend": "PostgreSQL", "scenario": "unreachable", "note": problem})
    return rows


def run(concurrency: Sequence[int] = CONCURRENCY) -> list[Row]:
    """Rows per backend: distinct slots at each concurrency (HTTP), the same at concurrency 1
    through the service alone, and the contention race. An unreachable PostgreSQL server
    gives one row with scenario "unreachable" and the reason in "note"."""
    return asyncio.run(_run(concurrency))


def main() -> None:
    rows = run()
    print(
        f"Bookings through HTTP on 127.0.0.1: {INTERVIEWERS} interviewers, {REQUESTS} requests "
        f"with a one-person panel, distinct free hours; contention: {RACERS} candidates of one "
        f"interviewer at once for {RACE_SLOTS} hours. {WARMUP} warm-up bookings first."
    )
    print(f"machine: {machine()}\n")
    for row in rows:
        if row["scenario"] == "unreachable":
            print(f"PostgreSQL at {POSTGRES_URL} was not measured: {row['note']}\n")
    print("| backend | scenario | via | clients | booked | lost (at DB guard) | errors | emails "
          "| bookings/s | CPU ms/booking | p50 ms | p95 ms | p99 ms |")  # fmt: skip
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        if row["scenario"] == "unreachable":
            continue
        cells = (
            row["backend"], row["scenario"], row["via"], row["concurrency"], row["booked"],
            f"{row['lost']} ({row['lost_at_guard']})", row["errors"], row["emails"],
            row["per_s"], row["cpu_ms"], row["p50_ms"], row["p95_ms"], row["p99_ms"],
        )  # fmt: skip
        print("| " + " | ".join(str(cell) for cell in cells) + " |")
        if row["error_kinds"]:
            print(f"|   errors: {row['error_kinds']} |")


def machine() -> str:
    """Where the numbers were taken."""
    return (
        f"{platform.platform()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )


if __name__ == "__main__":
    main()
