"""Our engine as the app runs it with `LIVEINTERVIEW_MEDIA_WORKERS=N`: a `WorkerPool`.

The bench's signaling front talks to the pool exactly as the app's hub does
(`signaling.ports.MediaEngine`); with recording on, each room is recorded into
`<root>/<room>` through the pool's `RecordingControl` (`start` after the first participant
connected, `stop` when the last one left), as the app does after consent. The workers are
`bench.capacity_worker`: the real worker with the engine-side delay probe installed.
"""

from __future__ import annotations

import os
from pathlib import Path

from bench.capacity_worker import DELAYS_ENV, DelayFiles
from bench.forwarding_server import LOOPBACK, Events, Front
from liveinterview.config import Settings
from liveinterview.media.ipc import WorkerConfig
from liveinterview.media.pool import WorkerPool


class PoolBackend:
    def __init__(self, workers: int, record: str, delays: Path) -> None:
        settings = Settings(media_host_addresses=(LOOPBACK,), log_level="WARNING")
        config = WorkerConfig.from_settings(settings)
        # Each worker runs the engine with the bench's delay probe and appends its samples
        # under `delays` (the workers inherit this environment).
        os.environ[DELAYS_ENV] = str(delays)
        self.delays = DelayFiles(delays)
        self.pool = WorkerPool(config, workers, worker_module="bench.capacity_worker")
        self.root = Path(record) if record else None
        self._launched = False
        self._recording: set[str] = set()
        self._members: dict[str, set[str]] = {}

    async def connect(self, room_id: str, participant_id: str, events: Events) -> None:
        if not self._launched:
            self._launched = True
            await self.pool.launch()
        await self.pool.connect(room_id, participant_id, events)
        self._members.setdefault(room_id, set()).add(participant_id)
        if self.root is not None and room_id not in self._recording:
            self._recording.add(room_id)
            self.pool.start(room_id, self.root / room_id, {})

    async def accept_answer(self, room_id: str, participant_id: str, sdp: str) -> None:
        await self.pool.accept_answer(room_id, participant_id, sdp)

    async def add_ice_candidate(
        self,
        room_id: str,
        participant_id: str,
        candidate: str,
        sdp_mid: str | None,
        sdp_mline_index: int | None,
    ) -> None:
        await self.pool.add_ice_candidate(
            room_id, participant_id, candidate, sdp_mid, sdp_mline_index
        )

    async def disconnect(self, room_id: str, participant_id: str) -> None:
        await self.pool.disconnect(room_id, participant_id)
        members = self._members.get(room_id, set())
        members.discard(participant_id)
        if not members and room_id in self._recording:
            self._recording.discard(room_id)
            await self.pool.stop(room_id)

    async def launch(self) -> None:
        self._launched = True
        await self.pool.launch()

    async def close(self) -> None:
        await self.pool.close()


async def pool_front(workers: int, record: str, delays: Path) -> tuple[Front, DelayFiles]:
    backend = PoolBackend(workers, record, delays)
    await backend.launch()
    return Front(backend), backend.delays
