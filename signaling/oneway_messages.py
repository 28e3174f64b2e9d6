"""The one-way answer socket's wire format (docs/oneway.md): the live room's framing and its
`answer`/`candidate`/`ping` messages, plus `join` with consent and the take commands."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from signaling.messages import (
    Answer,
    Candidate,
    Ping,
    StrictMessage,
    decode_with,
)

MAX_QUESTION_INDEX = 99
MAX_ID = 2**31 - 1


class Join(StrictMessage):
    type: Literal["join"]
    consent: bool  # ticked the recording notice; required true
    take_over: bool = False  # close another open tab of this interview and continue here


class TakeStart(StrictMessage):
    type: Literal["take-start"]
    question: Annotated[int, Field(ge=-1, le=MAX_QUESTION_INDEX)]  # -1: the practice question


class TakeStop(StrictMessage):
    type: Literal["take-stop"]
    take: Annotated[int, Field(ge=1, le=MAX_ID)]


class Keep(StrictMessage):
    type: Literal["keep"]
    take: Annotated[int, Field(ge=1, le=MAX_ID)]


AnyAnswerMessage = Join | Answer | Candidate | Ping | TakeStart | TakeStop | Keep
_CLIENT: TypeAdapter[AnyAnswerMessage] = TypeAdapter(
    Annotated[AnyAnswerMessage, Field(discriminator="type")]
)
CLIENT_TYPES = ("join", "answer", "candidate", "ping", "take-start", "take-stop", "keep")


def decode(frame: str | bytes) -> AnyAnswerMessage:
    """One client frame as a typed message, or `ProtocolError` saying what is wrong."""
    return decode_with(_CLIENT, CLIENT_TYPES, frame)
