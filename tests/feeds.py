"""Calendars for tests: .ics text, and a real feed server on 127.0.0.1 whose answers tests set."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web
from aiohttp.test_utils import TestServer

STALL_LIMIT_SECONDS = 30.0


def ics(*events: tuple[str, str], summary: str = "Busy") -> bytes:
    """A calendar with one event per (start, end), given as UTC 'YYYY-MM-DDTHH:MM'."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//LiveInterview tests//EN"]
    for number, (start, end) in enumerate(events):
        lines += [
            "BEGIN:VEVENT",
            f"UID:event-{number}@tests.example",
            f"DTSTART:{_stamp(start)}",
            f"DTEND:{_stamp(end)}",
            f"SUMMARY:{summary} {number}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def _stamp(text: str) -> str:
    return datetime.fromisoformat(text).strftime("%Y%m%dT%H%M%SZ")


def at(text: str) -> datetime:
    """A UTC instant from 'YYYY-MM-DDTHH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


CUT_OFF = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART:20260303T100000Z\r\n"


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    stall: bool = False


class FeedServer:
    """Serves /<name> with whatever the test set last; unknown names get a 404."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.hits: Counter[str] = Counter()
        self.release = asyncio.Event()
        self.server: TestServer | None = None
        self.app = web.Application()
        self.app.router.add_get("/{name}", self._handle)

    def serve(self, name: str, body: bytes, status: int = 200) -> str:
        self.answers[name] = Answer(status, body)
        return self.url(name)

    def stall(self, name: str) -> str:
        """Answer only after the test ends: longer than any feed timeout in the tests."""
        self.answers[name] = Answer(stall=True)
        return self.url(name)

    def url(self, name: str) -> str:
        assert self.server is not None
        return str(self.server.make_url(f"/{name}"))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.hits[name] += 1
        answer = self.answers.get(name)
        if answer is None:
            raise web.HTTPNotFound()
        if answer.stall:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), STALL_LIMIT_SECONDS)
        return web.Response(status=answer.status, body=answer.body, content_type="text/calendar")


async def feed_server(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> AsyncIterator[FeedServer]:
    """For a fixture: the server runs on 127.0.0.1 for one test; stalled answers end with it."""
    feeds = FeedServer()
    feeds.server = await aiohttp_server(feeds.app, host="127.0.0.1")
    yield feeds
    feeds.release.set()
