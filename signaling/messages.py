"""The signaling wire format: JSON text frames, each an object with a "type".

Pure functions and typed messages, tested apart from any transport. Anything a client sends is
validated into one of the `ClientMessage` types or refused with a precise reason.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

M = TypeVar("M")

MAX_TEXT_FRAME = 64 * 1024  # an SDP offer/answer for 6 people is ~10-20 KB
MAX_CHAT = 2000
MAX_SDP = 60_000
MAX_CANDIDATE = 1_000


class ProtocolError(Exception):
    """A frame that is not a valid client message; `code` is machine-readable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class StrictMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# --- client -> server -----------------------------------------------------------------------


class Join(StrictMessage):
    type: Literal["join"]
    name: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    audio: bool = True
    video: bool = True
    consent: bool = False  # ticked the recording notice (required for recorded interviews)


class Answer(StrictMessage):
    type: Literal["answer"]
    sdp: Annotated[str, Field(min_length=10, max_length=MAX_SDP)]


class Candidate(StrictMessage):
    type: Literal["candidate"]
    candidate: Annotated[str, Field(max_length=MAX_CANDIDATE)]
    sdpMid: Annotated[str, Field(max_length=32)] | None = None  # the browser's field names
    sdpMLineIndex: Annotated[int, Field(ge=0, le=64)] | None = None


class MediaState(StrictMessage):
    type: Literal["media"]
    audio: bool
    video: bool
    screen: bool = False


class Chat(StrictMessage):
    type: Literal["chat"]
    text: Annotated[str, Field(min_length=1, max_length=MAX_CHAT)]


class Admit(StrictMessage):
    type: Literal["admit"]
    participant: Annotated[str, Field(min_length=1, max_length=64)]


class End(StrictMessage):
    type: Literal["end"]


class Leave(StrictMessage):
    type: Literal["leave"]


class Ping(StrictMessage):
    type: Literal["ping"]
    t: float = Field(ge=0)


class RecordingControl(StrictMessage):
    type: Literal["recording"]
    paused: bool


class Note(StrictMessage):
    type: Literal["note"]
    text: Annotated[str, Field(min_length=1, max_length=MAX_CHAT)]
    bookmark: bool = False


class Quality(StrictMessage):
    """The client's own view of its connection (from getStats), shown to the others."""

    type: Literal["quality"]
    level: Literal["good", "fair", "poor"]
    rtt_ms: Annotated[float, Field(ge=0, le=60_000)] | None = None


AnyClientMessage = (
    Join
    | Answer
    | Candidate
    | MediaState
    | Chat
    | Admit
    | End
    | Leave
    | Ping
    | Quality
    | RecordingControl
    | Note
)
_CLIENT: TypeAdapter[AnyClientMessage] = TypeAdapter(
    Annotated[AnyClientMessage, Field(discriminator="type")]
)
CLIENT_TYPES = ("join", "answer", "candidate", "media", "chat", "admit", "end", "leave", "ping",
                "quality", "recording", "note")  # fmt: skip


def decode(frame: str | bytes) -> AnyClientMessage:
    """Parse one text frame from a client, or raise ProtocolError saying exactly what is wrong."""
    return decode_with(_CLIENT, CLIENT_TYPES, frame)


def decode_with(adapter: TypeAdapter[M], types: tuple[str, ...], frame: str | bytes) -> M:
    """`decode` for another protocol over the same framing (`signaling.oneway_messages`)."""
    if isinstance(frame, bytes):
        raise ProtocolError("binary_frame", "Only JSON text frames are accepted.")
    if len(frame) > MAX_TEXT_FRAME:
        raise ProtocolError(
            "too_large", f"Message is {len(frame)} characters; the limit is {MAX_TEXT_FRAME}."
        )
    try:
        raw = json.loads(frame)
    except json.JSONDecodeError as exc:
        raise ProtocolError("bad_json", f"Message is not valid JSON: {exc.msg}.") from None
    if not isinstance(raw, dict):
        raise ProtocolError("bad_message", "Message must be a JSON object.")
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("bad_message", 'Message needs a "type" string.')
    if kind not in types:
        raise ProtocolError("unknown_type", f"Unknown message type {kind[:40]!r}.")
    try:
        return adapter.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"][1:]) or kind
        raise ProtocolError("invalid", f"{kind}: {where}: {first['msg']}.") from None


# --- server -> client -----------------------------------------------------------------------


def encode(kind: str, **fields: Any) -> str:
    """One server message as a JSON text frame."""
    return json.dumps({"type": kind, **fields}, separators=(",", ":"), ensure_ascii=False)


def error(code: str, message: str, *, in_reply_to: str | None = None) -> str:
    return encode("error", code=code, message=message, in_reply_to=in_reply_to)
