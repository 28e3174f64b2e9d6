"""Open WebSockets, so a shutdown can close each one with GOING_AWAY."""

from __future__ import annotations

import weakref

from aiohttp import WSCloseCode, web


class OpenSockets:
    """Weakly remembers every open WebSocket; closes them all on shutdown."""

    def __init__(self) -> None:
        self._sockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()

    def add(self, ws: web.WebSocketResponse) -> None:
        self._sockets.add(ws)

    def discard(self, ws: web.WebSocketResponse) -> None:
        self._sockets.discard(ws)

    def __len__(self) -> int:
        return len(self._sockets)

    async def close_all(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutdown")
