"""Shared fixtures: a real database per test (SQLite, and PostgreSQL when configured),
a real SMTP server, and the app served in-process."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher
from sqlalchemy import text

from liveinterview.app import create_app
from liveinterview.clock import ManualClock
from liveinterview.config import MailBackend, Settings, SmtpSecurity
from liveinterview.storage import migrate
from liveinterview.storage.db import Database
from liveinterview.storage.tables import metadata
from tests.mailbox import Mailbox, smtp_mailbox
from tests.signaling.fakes import FakeMedia

PG_ENV = "LIVEINTERVIEW_TEST_POSTGRES"
PG_SKIP_REASON = (
    f"{PG_ENV} is not set, so the PostgreSQL variant is skipped "
    "(.ci/run sets it to the local server at 127.0.0.1:5432/test)"
)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
# Real argon2, with cheap parameters so the suite stays fast.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def in_fresh_loop(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine to completion on its own loop in its own thread.

    Session fixtures may be first requested from inside a test's running loop, where
    asyncio.run() is not allowed.
    """
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(make())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@dataclass(frozen=True)
class DbTarget:
    """Where one test's database lives."""

    backend: str
    url: str
    schema: str | None = None

    def database(self) -> Database:
        return Database(self.url, schema=self.schema)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"

    async def build() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await migrate.upgrade(db)
        await db.close()

    in_fresh_loop(build)
    return path


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[tuple[str, str]]:
    """A fresh schema in the PostgreSQL test database, migrated once per test session."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(reason=PG_SKIP_REASON)
    schema = f"li_test_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        admin = Database(url)
        async with admin.transaction() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await admin.close()
        db = Database(url, schema=schema)
        await migrate.upgrade(db)
        await db.close()

    async def drop() -> None:
        admin = Database(url)
        async with admin.transaction() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.close()

    in_fresh_loop(create)
    yield url, schema
    in_fresh_loop(drop)


async def truncate_all(target: DbTarget) -> None:
    db = target.database()
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    async with db.transaction() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await db.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_target(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> DbTarget:
    """One empty, migrated database per test, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(sqlite_template, path)
        return DbTarget("sqlite", f"sqlite+aiosqlite:///{path}")
    url, schema = request.getfixturevalue("pg_schema")
    target = DbTarget("postgresql", url, schema)
    await truncate_all(target)
    return target


@pytest.fixture
async def db(db_target: DbTarget) -> AsyncIterator[Database]:
    database = db_target.database()
    yield database
    await database.close()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_mailbox() as box:
        yield box


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(tmp_path: Path, db_target: DbTarget, mailbox: Mailbox) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=db_target.url,
        secret_key="test-secret-key-" + "x" * 32,
        base_url="http://127.0.0.1:8080",
        mail_backend=MailBackend.SMTP,
        smtp_host=mailbox.host,
        smtp_port=mailbox.port,
        smtp_security=SmtpSecurity.NONE,
        mail_from="LiveInterview <no-reply@liveinterview.test>",
        log_format="text",
    )


@pytest.fixture
async def client(
    aiohttp_client: object, settings: Settings, clock: ManualClock, db_target: DbTarget
) -> TestClient:  # type: ignore[type-arg]
    app = create_app(
        settings,
        clock=clock,
        password_hasher=CHEAP_HASHER,
        db_schema=db_target.schema,
        media_engine=FakeMedia(),  # page and signaling tests; tests/media runs the real SFU
    )
    return await aiohttp_client(app)  # type: ignore[operator,no-any-return]
