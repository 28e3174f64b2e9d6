"""Fixtures for the media tests: an engine on 127.0.0.1 and aiortc client peers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from liveinterview.media.engine import AiortcEngine
from tests.media.clients import LOOPBACK, ClientPeer

MakeClient = Callable[..., ClientPeer]


@pytest.fixture
async def engine() -> AsyncIterator[AiortcEngine]:
    engine = AiortcEngine(ice_servers=[], host_addresses=[LOOPBACK])
    yield engine
    await engine.close()


@pytest.fixture
async def clients(engine: AiortcEngine) -> AsyncIterator[MakeClient]:
    """Make client peers for room "room-1" (closed at the end of the test)."""
    made: list[ClientPeer] = []

    def make(participant_id: str, **options: object) -> ClientPeer:
        client = ClientPeer(engine, "room-1", participant_id, **options)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()
