"""Reading submitted forms without surprises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from liveinterview.domain.errors import InvalidInput, NotFound
from liveinterview.domain.tokens import looks_like_token

MAX_FIELD_LENGTH = 10_000


@dataclass(frozen=True)
class Form:
    """Text fields of a submitted form; file fields are reached through `raw`."""

    raw: MultiDictProxy[Any]

    def text(self, name: str, *, max_length: int = MAX_FIELD_LENGTH) -> str:
        value = self.raw.get(name, "")
        if not isinstance(value, str):
            raise InvalidInput(f"The field {name!r} must be text.", {name: "Must be text."})
        if len(value) > max_length:
            raise InvalidInput(
                f"The field {name!r} is longer than {max_length} characters.",
                {name: f"Use at most {max_length} characters."},
            )
        return value

    def all(self, name: str) -> list[str]:
        return [v for v in self.raw.getall(name, []) if isinstance(v, str)]


async def read_form(request: web.Request) -> Form:
    return Form(await request.post())


def token_param(request: web.Request, name: str = "token") -> str:
    """The capability token from the URL; malformed ones are simply not found."""
    token = request.match_info[name]
    if not looks_like_token(token):
        raise NotFound("This link is not valid. Check that you copied all of it.")
    return token


def safe_next(value: str, default: str) -> str:
    """Only same-site paths may be redirect targets after sign-in."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def record_id(request: web.Request, name: str = "request_id") -> int:
    raw = request.match_info[name]
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound("There is no such interview.")
    return int(raw)


def parse_start(raw: str) -> datetime:
    """A slot start as sent by the slot picker: an ISO 8601 instant with its offset."""
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput("Choose one of the times shown.", {"start": "Choose a time."}) from None
    if value.tzinfo is None:
        raise InvalidInput("Choose one of the times shown.", {"start": "Choose a time."})
    return value.astimezone(UTC)
