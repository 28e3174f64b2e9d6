"""The channel between the front and a media worker: length-prefixed JSON over a socketpair.

Each frame is a 4-byte big-endian length and one JSON object (UTF-8). Three shapes travel:

* a request `{"id": n, "op": ..., ...arguments}`, answered by `{"re": n, "ok": result}` or
  `{"re": n, "error": "media" | "internal", "message": ..., "type": ...}`;
* a note `{"op": ..., ...}` that is not answered (recording start, pause, resume);
* an event from the worker `{"ev": ..., ...}` (an offer, a connection state, a level, a
  recording failure, `ready`).

The socketpair is created by the front and handed to the worker as an inherited descriptor:
no listener, no path on disk, and the kernel closes it the moment either process dies, which
is how each side learns at once that the other is gone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from liveinterview.config import Settings

log = logging.getLogger(__name__)

HEADER = struct.Struct("!I")
MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # far above any SDP; a corrupt length stops the channel

Message = dict[str, Any]


class ChannelError(Exception):
    """The peer sent something that is not a frame of this protocol."""


def encode(message: Mapping[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
    return HEADER.pack(len(body)) + body


class FrameDecoder:
    """Bytes in, messages out: frames may arrive split or several at once."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Message]:
        buffer = self._buffer
        buffer += data
        messages: list[Message] = []
        offset = 0
        while len(buffer) - offset >= HEADER.size:
            (size,) = HEADER.unpack_from(buffer, offset)
            if size > MAX_MESSAGE_BYTES:
                raise ChannelError(f"a frame of {size} bytes is over the limit")
            end = offset + HEADER.size + size
            if len(buffer) < end:
                break
            try:
                message = json.loads(buffer[offset + HEADER.size : end])
            except ValueError as exc:
                raise ChannelError(f"a frame is not JSON: {exc}") from None
            if not isinstance(message, dict):
                raise ChannelError("a frame is not a JSON object")
            messages.append(message)
            offset = end
        if offset:
            del buffer[:offset]
        return messages


class Channel(asyncio.Protocol):
    """One end of the socketpair; `on_message` is called for each message, in order."""

    def __init__(
        self,
        on_message: Callable[[Message], None],
        on_close: Callable[[], None],
    ) -> None:
        self._on_message = on_message
        self._on_close = on_close
        self._decoder = FrameDecoder()
        self._transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            messages = self._decoder.feed(data)
        except ChannelError as exc:
            log.error("media channel closed: %s", exc)
            self.close()
            return
        for message in messages:
            self._on_message(message)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if not self.closed.done():
            self.closed.set_result(None)
            self._on_close()

    @property
    def is_open(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    def send(self, message: Mapping[str, Any]) -> bool:
        """Queue one message (never blocks); False when the channel is already closed."""
        if self._transport is None or self._transport.is_closing():
            return False
        self._transport.write(encode(message))
        return True

    def close(self) -> None:
        """Close after what was sent has been written."""
        if self._transport is not None:
            self._transport.close()


async def open_channel(
    sock: socket.socket, on_message: Callable[[Message], None], on_close: Callable[[], None]
) -> Channel:
    loop = asyncio.get_running_loop()
    _, channel = await loop.create_unix_connection(lambda: Channel(on_message, on_close), sock=sock)
    return channel


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker needs from the front's Settings (secrets and the database stay behind)."""

    host_addresses: tuple[str, ...]
    announced_address: str
    min_free_bytes: int
    log_level: str
    log_format: str

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerConfig:
        return cls(
            host_addresses=settings.media_host_addresses,
            announced_address=settings.media_announced_address,
            min_free_bytes=settings.recording_min_free_mb * 1024 * 1024,
            log_level=settings.log_level,
            log_format=settings.log_format,
        )

    def to_message(self) -> Message:
        return asdict(self)

    @classmethod
    def from_message(cls, message: Mapping[str, Any]) -> WorkerConfig:
        return cls(
            host_addresses=tuple(message["host_addresses"]),
            announced_address=str(message["announced_address"]),
            min_free_bytes=int(message["min_free_bytes"]),
            log_level=str(message["log_level"]),
            log_format=str(message["log_format"]),
        )
