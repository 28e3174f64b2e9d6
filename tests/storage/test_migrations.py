"""Migrations build exactly the tables the code declares, and can be undone."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from liveinterview.storage import migrate
from liveinterview.storage.db import Database
from liveinterview.storage.tables import metadata


async def test_database_is_at_head(db: Database) -> None:
    assert await migrate.current_revision(db) == migrate.head_revision()


async def test_migrated_schema_matches_the_table_definitions(db: Database) -> None:
    def diff(sync: Any) -> list[Any]:
        context = MigrationContext.configure(sync, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []


async def test_downgrade_to_base_and_upgrade_again(db: Database) -> None:
    await migrate.downgrade(db, "base")
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert tables <= {"alembic_version"}
    await migrate.upgrade(db)
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert {t.name for t in metadata.sorted_tables} <= tables
