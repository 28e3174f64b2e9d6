"""Which media worker holds which room: the one seam for placing rooms elsewhere later.

`RoomPlacement` is all the front asks of a room→worker map. `InMemoryPlacement` keeps it in
this process; a map shared by several fronts (rooms on other machines) would implement the
same three calls over Redis or PostgreSQL, with `release` as a compare-and-delete so that a
late release never removes a newer assignment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class NoWorkerAvailable(Exception):
    """Every worker is down (restarting): nowhere to put a new room right now."""


@dataclass(frozen=True)
class WorkerLoad:
    """A worker that can take rooms, and what it carries now."""

    worker: str
    participants: int
    rooms: int


def least_loaded(candidates: Sequence[WorkerLoad]) -> WorkerLoad:
    """Fewest participants, then fewest rooms, then the first listed.

    Participants, not rooms: a room's relay cost grows with its participants (each one's
    packets are received once and forwarded to every other), so rooms of different sizes
    weigh differently; rooms only break ties.
    """
    if not candidates:
        raise NoWorkerAvailable("no media worker is running")
    return min(candidates, key=lambda load: (load.participants, load.rooms))


class RoomPlacement(Protocol):
    async def assign(self, room_id: str, candidates: Sequence[WorkerLoad]) -> str:
        """The room's worker: the one it has if that is still a candidate, else the least
        loaded candidate (recorded). NoWorkerAvailable when there is no candidate."""
        ...

    async def lookup(self, room_id: str) -> str | None:
        """The worker holding the room, or None."""
        ...

    async def release(self, room_id: str, worker: str) -> None:
        """Forget the room, if it is still assigned to `worker`."""
        ...


class InMemoryPlacement:
    """The map for one front process."""

    def __init__(self) -> None:
        self._workers: dict[str, str] = {}

    async def assign(self, room_id: str, candidates: Sequence[WorkerLoad]) -> str:
        current = self._workers.get(room_id)
        if current is not None and any(load.worker == current for load in candidates):
            return current
        chosen = least_loaded(candidates).worker
        self._workers[room_id] = chosen
        return chosen

    async def lookup(self, room_id: str) -> str | None:
        return self._workers.get(room_id)

    async def release(self, room_id: str, worker: str) -> None:
        if self._workers.get(room_id) == worker:
            del self._workers[room_id]
