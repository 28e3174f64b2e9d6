"""What the signaling layer needs from the rest of the system (implemented by the app)."""

from __future__ import annotations

from typing import Protocol


class MediaError(Exception):
    """Media could not be negotiated (bad SDP, no usable codec, unknown candidate...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MediaEvents(Protocol):
    """Callbacks from the media engine to one participant's signaling connection."""

    async def offer(self, sdp: str, tracks: list[dict[str, str]]) -> None:
        """Send this (re)negotiation offer to the participant; they answer it.

        `tracks` maps each send slot of this offer to whose track it carries:
        [{"mid": "3", "participant": "user:1", "source": "camera"}, ...].
        """
        ...

    async def connection_state(self, state: str) -> None:
        """The participant's peer connection state: new, connecting, connected, failed, closed."""
        ...

    async def audio_level(self, level: float) -> None:
        """The participant's current microphone level, 0.0 to 1.0 (for the active speaker)."""
        ...


class MediaEngine(Protocol):
    """Server side of every participant's single peer connection (an SFU).

    The server always offers (server-driven negotiation): it offers receive slots for the
    participant's microphone, camera and screen share, plus one send slot per track of every
    other participant, and offers again whenever tracks come or go.
    """

    async def connect(self, room_id: str, participant_id: str, events: MediaEvents) -> None:
        """Create (or replace) the participant's peer connection; an offer follows."""
        ...

    async def accept_answer(self, room_id: str, participant_id: str, sdp: str) -> None:
        """Apply the participant's answer; MediaError if it is unusable."""
        ...

    async def add_ice_candidate(
        self,
        room_id: str,
        participant_id: str,
        candidate: str,
        sdp_mid: str | None,
        sdp_mline_index: int | None,
    ) -> None:
        """A trickled candidate from the browser; MediaError if it cannot be used."""
        ...

    async def disconnect(self, room_id: str, participant_id: str) -> None:
        """Close the participant's peer connection; others stop receiving their tracks."""
        ...

    async def connect_probe(self, room_id: str, participant_id: str, events: MediaEvents) -> None:
        """The pre-join check: a room of one whose camera is sent straight back (an offer
        follows with the three receive slots and one send slot carrying the echo)."""
        ...

    async def close_room(self, room_id: str) -> None:
        """Close every peer connection of the room."""
        ...


class GateRefused(Exception):
    """A join link that may not enter (now): `status` is an HTTP status, the message plain."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Admission(Protocol):
    """Who a valid join link admits, to which room, on what terms."""

    @property
    def room_id(self) -> str: ...

    @property
    def participant_id(self) -> str:
        """Stable for this person in this interview: a reconnect keeps it."""
        ...

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str:
        """ "candidate" or "interviewer"."""
        ...

    @property
    def auto_admit(self) -> bool: ...

    @property
    def recorded(self) -> bool: ...

    @property
    def ice_servers(self) -> list[dict[str, object]]: ...

    @property
    def interview(self) -> dict[str, str]:
        """Position, start, end (for the welcome message)."""
        ...


class RoomGate(Protocol):
    """Decides whether a join link opens a room right now (window, cancellation, identity)."""

    async def admit(self, token: str) -> Admission:
        """The admission for this token, or GateRefused."""
        ...

    async def identify(self, token: str) -> Admission:
        """Like admit, but also before the room opens (for the pre-join check)."""
        ...
