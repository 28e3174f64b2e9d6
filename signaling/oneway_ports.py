"""What the one-way answer socket needs from the app (implemented by
`liveinterview.services.oneway_answers`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

# Sends one server message (type, fields) to the candidate's socket.
Send = Callable[..., Awaitable[None]]
# Closes the candidate's socket: "replaced" (another connection took over; final) or
# "restart" (the media plane lost the room; the page reconnects).
Close = Callable[[str], Awaitable[None]]


class Refused(Exception):
    """A candidate's request the rules refuse: `code` is machine-readable, the message plain."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class AnswerSeat(Protocol):
    """One candidate connection's hold on its interview: only one at a time."""

    @property
    def room_id(self) -> str:
        """The media room the candidate publishes into."""
        ...

    @property
    def participant_id(self) -> str: ...

    def welcome(self) -> dict[str, Any]:
        """The `welcome` message's fields."""
        ...

    async def start_take(self, question: int) -> None:
        """Begin recording an answer (`take-started` follows), or Refused."""
        ...

    async def stop_take(self, take_id: int) -> None:
        """Stop early (`take-stopped` follows), or Refused."""
        ...

    async def keep(self, take_id: int) -> None:
        """Keep a finished take as the answer (`kept`, maybe `completed`), or Refused."""
        ...

    async def release(self) -> None:
        """The connection ended: a take still recording is discarded, practice deleted."""
        ...


class AnswerDesk(Protocol):
    """Decides whether a candidate's link may record answers now."""

    async def check_link(self, token: str) -> str:
        """The participant id of a valid, open link; GateRefused (404/410) otherwise."""
        ...

    async def seat(
        self,
        token: str,
        *,
        consent: bool,
        take_over: bool,
        send: Send,
        close: Close,
    ) -> AnswerSeat:
        """The interview's seat for this connection, or Refused (no consent, open elsewhere,
        closed...). With `take_over`, the connection holding it is released and closed first
        (`close` is how this one would be closed in turn)."""
        ...
