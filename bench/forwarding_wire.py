"""The forwarding benchmark's signaling: JSON lines over one TCP connection per participant.

Client to server: `connect` (room, participant, `watch` for late-joiner timing), `answer`,
`candidate` (trickled like a browser: candidate, sdpMid, sdpMLineIndex; an empty candidate
ends them). Server to client: `offer` (sdp, tracks), `state`, `error`, `timing`.
Also the load generator's command channel (stdin/stdout) uses the same framing.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any


def encode(message: dict[str, Any]) -> bytes:
    return (json.dumps(message, separators=(",", ":")) + "\n").encode()


async def read(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    """The next message, or None at the end of the stream."""
    line = await reader.readline()
    if not line:
        return None
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError(f"expected a JSON object, got {line[:80]!r}")
    return message


def split_candidates(sdp: str) -> tuple[str, list[str]]:
    """A browser-style answer: the SDP without candidate lines, and the candidates to trickle."""
    kept: list[str] = []
    candidates: list[str] = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            if line[2:] not in candidates:  # bundled sections repeat the same candidates
                candidates.append(line[2:])
        elif line != "a=end-of-candidates":
            kept.append(line)
    return "\r\n".join(kept) + "\r\n", candidates
