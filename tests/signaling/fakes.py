"""Test doubles implementing the signaling ports (no patching)."""

from __future__ import annotations

from dataclasses import dataclass, field

from signaling.ports import GateRefused, MediaError, MediaEvents


@dataclass
class FakeAdmission:
    room_id: str
    participant_id: str
    name: str
    role: str
    auto_admit: bool = False
    recorded: bool = True
    ice_servers: list[dict[str, object]] = field(default_factory=list)
    interview: dict[str, str] = field(default_factory=lambda: {"position": "Engineer"})


class FakeGate:
    def __init__(self, tokens: dict[str, FakeAdmission | GateRefused]) -> None:
        self.tokens = tokens

    async def admit(self, token: str) -> FakeAdmission:
        found = self.tokens.get(token)
        if found is None:
            raise GateRefused(404, "This link is not valid.")
        if isinstance(found, GateRefused):
            raise found
        return found

    async def identify(self, token: str) -> FakeAdmission:
        found = self.tokens.get(token)
        if isinstance(found, GateRefused) and found.status == 409:
            return FakeAdmission("r-early", "candidate", "Early", "candidate")
        return await self.admit(token)


class FakeMedia:
    """Records what signaling asked for; offers a fake SDP on connect."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.events: dict[tuple[str, str], MediaEvents] = {}

    async def connect(self, room_id: str, participant_id: str, events: MediaEvents) -> None:
        self.calls.append(("connect", room_id, participant_id))
        self.events[(room_id, participant_id)] = events
        await events.offer(f"v=0 offer for {participant_id}", [])

    async def accept_answer(self, room_id: str, participant_id: str, sdp: str) -> None:
        if not sdp.startswith("v=0"):
            raise MediaError("The answer is not SDP: it must start with v=0.")
        self.calls.append(("answer", room_id, participant_id))

    async def add_ice_candidate(
        self,
        room_id: str,
        participant_id: str,
        candidate: str,
        sdp_mid: str | None,
        sdp_mline_index: int | None,
    ) -> None:
        self.calls.append(("candidate", room_id, participant_id, candidate))

    async def connect_probe(self, room_id: str, participant_id: str, events: MediaEvents) -> None:
        self.calls.append(("probe", room_id, participant_id))
        await events.offer(f"v=0 echo for {participant_id}", [])

    async def disconnect(self, room_id: str, participant_id: str) -> None:
        self.calls.append(("disconnect", room_id, participant_id))

    async def close_room(self, room_id: str) -> None:
        self.calls.append(("close_room", room_id))
