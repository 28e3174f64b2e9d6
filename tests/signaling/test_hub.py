"""Signaling through real WebSockets: joins, lobby, offers, chat, errors, reconnects."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType, web
from aiohttp.test_utils import TestClient

from signaling.hub import Hub
from signaling.ports import GateRefused
from signaling.ws import websocket_handler
from tests.signaling.fakes import FakeAdmission, FakeGate, FakeMedia

ORIGIN = "http://127.0.0.1:8080"
Socket = ClientWebSocketResponse
Connect = Callable[..., Awaitable[Socket]]


@pytest.fixture
def media() -> FakeMedia:
    return FakeMedia()


@pytest.fixture
def hub(media: FakeMedia) -> Hub:
    return Hub(media, reconnect_grace=0.2)


@pytest.fixture
async def connect(aiohttp_client: Any, hub: Hub) -> AsyncIterator[Connect]:
    gate = FakeGate(
        {
            "ivan": FakeAdmission("r1", "user:1", "Ivan", "interviewer"),
            "ines": FakeAdmission("r1", "user:2", "Inès", "interviewer"),
            "zoe": FakeAdmission("r1", "candidate", "Zoë", "candidate"),
            "other": FakeAdmission("r2", "candidate", "Other", "candidate"),
            "early": GateRefused(409, "The room opens at 09:50."),
        }
    )
    app = web.Application()
    app.router.add_get(
        "/join/{token}/ws",
        websocket_handler(  # type: ignore[arg-type]
            hub=hub,
            gate=gate,
            allowed_origins=lambda: {ORIGIN},
            token_of=lambda request: request.match_info["token"],
        ),
    )
    client: TestClient = await aiohttp_client(app)  # type: ignore[type-arg]
    sockets: list[Socket] = []

    async def open_socket(token: str, *, origin: str = ORIGIN, join: bool = True) -> Socket:
        ws = await client.ws_connect(f"/join/{token}/ws", headers={"Origin": origin})
        sockets.append(ws)
        if join:
            await ws.send_json({"type": "join", "consent": True})
        return ws

    yield open_socket
    for ws in sockets:
        await ws.close()
    await hub.close()


async def next_of(ws: Socket, kind: str) -> dict[str, Any]:
    """The next message of a kind, skipping others."""
    while True:
        message = await ws.receive(timeout=5)
        assert message.type is WSMsgType.TEXT, message
        data: dict[str, Any] = json.loads(message.data)
        if data["type"] == kind:
            return data


async def closing(ws: Socket) -> int | None:
    """Read whatever is still queued until the server closes the socket; its close code."""
    while True:
        message = await ws.receive(timeout=5)
        if message.type in {WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING}:
            return ws.close_code


async def test_interviewer_enters_candidate_waits_and_is_admitted(
    connect: Connect, media: FakeMedia
) -> None:
    ivan = await connect("ivan")
    welcome = await next_of(ivan, "welcome")
    assert welcome["state"] == "room"
    assert welcome["you"]["role"] == "interviewer"
    assert welcome["recorded"] is True
    assert welcome["ice_servers"] == []
    assert (await next_of(ivan, "offer"))["sdp"] == "v=0 offer for user:1"

    zoe = await connect("zoe")
    assert (await next_of(zoe, "welcome"))["state"] == "lobby"
    lobby = await next_of(ivan, "lobby")
    assert [p["name"] for p in lobby["waiting"]] == ["Zoë"]
    assert ("connect", "r1", "candidate") not in media.calls  # no media while waiting

    await zoe.send_json({"type": "chat", "text": "hello?"})
    refused = await next_of(zoe, "error")
    assert refused["code"] == "in_lobby"

    await ivan.send_json({"type": "admit", "participant": "candidate"})
    assert (await next_of(zoe, "admitted"))["participant"]["name"] == "Zoë"
    assert (await next_of(zoe, "offer"))["sdp"] == "v=0 offer for candidate"
    joined = await next_of(ivan, "participant-joined")
    assert joined["participant"]["id"] == "candidate"
    assert (await next_of(ivan, "lobby"))["waiting"] == []


async def test_answers_candidates_media_state_and_chat_reach_their_targets(
    connect: Connect, media: FakeMedia
) -> None:
    ivan = await connect("ivan")
    ines = await connect("ines")
    await next_of(ines, "welcome")
    await ivan.send_json({"type": "answer", "sdp": "v=0 answer"})
    await ivan.send_json({"type": "candidate", "candidate": "", "sdpMid": "0"})
    await ivan.send_json({"type": "media", "audio": False, "video": True, "screen": True})
    updated = await next_of(ines, "participant-updated")
    assert updated["participant"]["audio"] is False
    assert updated["participant"]["screen"] is True
    await ines.send_json({"type": "chat", "text": "Welcome <b>!"})
    chat = await next_of(ivan, "chat")
    assert chat["text"] == "Welcome <b>!"
    assert chat["from"] == {"id": "user:2", "name": "Inès"}
    await ivan.send_json({"type": "answer", "sdp": "this is not an SDP answer"})
    error = await next_of(ivan, "error")
    assert error == {
        "type": "error",
        "code": "media",
        "message": "The answer is not SDP: it must start with v=0.",
        "in_reply_to": "answer",
    }
    assert ("answer", "r1", "user:1") in media.calls
    assert ("candidate", "r1", "user:1", "") in media.calls


async def test_bad_messages_get_errors_and_the_room_goes_on(connect: Connect) -> None:
    ivan = await connect("ivan")
    ines = await connect("ines")
    await next_of(ivan, "welcome")
    await ivan.send_str("{not json")
    assert (await next_of(ivan, "error"))["code"] == "bad_json"
    await ivan.send_json({"type": "teleport"})
    assert (await next_of(ivan, "error"))["message"] == "Unknown message type 'teleport'."
    await ivan.send_bytes(b"\x00")
    assert (await next_of(ivan, "error"))["code"] == "binary_frame"
    await ivan.send_json({"type": "join"})
    assert (await next_of(ivan, "error"))["code"] == "already_joined"
    await ines.send_json({"type": "chat", "text": "still here"})
    assert (await next_of(ivan, "chat"))["text"] == "still here"


async def test_a_flood_is_rate_limited_and_then_closed(connect: Connect) -> None:
    ivan = await connect("ivan")
    await next_of(ivan, "welcome")
    for _ in range(60):
        await ivan.send_json({"type": "ping", "t": 1})
    codes = []
    while True:
        message = await ivan.receive(timeout=5)
        if message.type in {WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING}:
            break
        data = json.loads(message.data)
        if data["type"] == "error":
            codes.append(data["code"])
    assert codes == ["rate_limited"] * 10
    assert ivan.close_code == 1008


async def test_joining_from_another_site_or_with_a_bad_link_is_refused(connect: Connect) -> None:
    with pytest.raises(Exception, match="403"):
        await connect("ivan", origin="https://evil.example")
    with pytest.raises(Exception, match="404"):
        await connect("nobody")
    early = await connect("early", join=False)
    assert (await next_of(early, "error"))["code"] == "not_open"
    assert await closing(early) == 4003


async def test_the_first_message_must_be_join(connect: Connect) -> None:
    ws = await connect("ivan", join=False)
    await ws.send_json({"type": "chat", "text": "hi"})
    assert (await next_of(ws, "error"))["code"] == "join_first"
    await ws.send_json({"type": "ping", "t": 5})
    assert (await next_of(ws, "pong"))["t"] == 5
    await ws.send_json({"type": "join", "name": "Ivan P.", "consent": True})
    assert (await next_of(ws, "welcome"))["you"]["name"] == "Ivan P."


async def test_a_reload_replaces_the_old_socket_without_a_ghost(
    connect: Connect, hub: Hub, media: FakeMedia
) -> None:
    ivan = await connect("ivan")
    ines = await connect("ines")
    await next_of(ivan, "welcome")
    again = await connect("ines")  # a reload: the new socket joins first
    await next_of(again, "welcome")
    assert await closing(ines) == 4000
    room = hub.room("r1")
    assert room is not None
    assert sorted(room.members) == ["user:1", "user:2"]
    await again.send_json({"type": "chat", "text": "back"})
    assert (await next_of(ivan, "chat"))["text"] == "back"


async def test_a_dropped_connection_shows_reconnecting_then_leaves(
    connect: Connect, hub: Hub
) -> None:
    ivan = await connect("ivan")
    ines = await connect("ines")
    await next_of(ines, "welcome")
    await ines.close()
    updated = await next_of(ivan, "participant-updated")
    assert updated["participant"]["connection"] == "reconnecting"
    left = await next_of(ivan, "participant-left")  # after the grace period
    assert left == {"type": "participant-left", "id": "user:2", "reason": "left"}


async def test_rejoining_within_the_grace_period_keeps_the_seat(connect: Connect, hub: Hub) -> None:
    # Long enough that a rejoin on a busy machine lands inside it (0.2 s did not, in CI).
    hub.reconnect_grace = 1.5
    ivan = await connect("ivan")
    ines = await connect("ines")
    await next_of(ines, "welcome")
    await ines.close()
    assert (await next_of(ivan, "participant-updated"))["participant"]["connection"] == (
        "reconnecting"
    )
    back = await connect("ines")
    assert (await next_of(back, "welcome"))["state"] == "room"
    updated = await next_of(ivan, "participant-updated")
    assert updated["participant"]["connection"] == "connected"
    await asyncio.sleep(hub.reconnect_grace + 0.2)  # past the grace: no participant-left
    await back.send_json({"type": "chat", "text": "still in"})
    seen = []
    while not seen or seen[-1]["type"] != "chat":
        message = await ivan.receive(timeout=5)
        seen.append(json.loads(message.data))
    assert seen[-1]["text"] == "still in"
    assert "participant-left" not in [m["type"] for m in seen]


async def test_an_interviewer_ends_the_interview_for_everyone(
    connect: Connect, media: FakeMedia
) -> None:
    ivan = await connect("ivan")
    zoe = await connect("zoe")
    await next_of(zoe, "welcome")
    await ivan.send_json({"type": "admit", "participant": "candidate"})
    await next_of(zoe, "admitted")
    await zoe.send_json({"type": "end"})
    assert (await next_of(zoe, "error"))["code"] == "forbidden"
    await ivan.send_json({"type": "end"})
    assert (await next_of(zoe, "ended"))["by"] == "Ivan"
    assert ("close_room", "r1") in media.calls
    late = await connect("ines")
    refused = await next_of(late, "error")
    assert refused["code"] == "ended"


async def test_rooms_are_separate(connect: Connect) -> None:
    ivan = await connect("ivan")
    other = await connect("other")
    assert (await next_of(other, "welcome"))["participants"] == []
    await next_of(ivan, "welcome")
    await other.send_json({"type": "ping", "t": 1})
    await next_of(other, "pong")


async def test_probe_sockets_get_an_echo_offer_and_pongs(
    aiohttp_client: Any, media: FakeMedia
) -> None:
    hub = Hub(media)
    gate = FakeGate(
        {
            "zoe": FakeAdmission("r1", "candidate", "Zoë", "candidate"),
            "early": GateRefused(409, "The room opens at 09:50."),
            "gone": GateRefused(410, "This interview has ended."),
        }
    )
    app = web.Application()
    app.router.add_get(
        "/join/{token}/ws",
        websocket_handler(  # type: ignore[arg-type]
            hub=hub,
            gate=gate,
            allowed_origins=lambda: {ORIGIN},
            token_of=lambda request: request.match_info["token"],
        ),
    )
    client: TestClient = await aiohttp_client(app)  # type: ignore[type-arg]
    for token in ("zoe", "early"):
        ws = await client.ws_connect(f"/join/{token}/ws?probe=1", headers={"Origin": ORIGIN})
        offer = await next_of(ws, "offer")
        assert offer["sdp"].startswith("v=0 echo for candidate")
        await ws.send_json({"type": "ping", "t": 42})
        assert (await next_of(ws, "pong"))["t"] == 42
        await ws.send_json({"type": "answer", "sdp": "v=0 the browser's answer"})
        await ws.send_json({"type": "chat", "text": "hello"})
        assert (await next_of(ws, "error"))["code"] == "probe_only"
        await ws.close()
    assert hub.room("r1") is None  # nobody took a seat
    probes = [c for c in media.calls if c[0] == "probe"]
    assert len(probes) == 2
    assert len({c[1] for c in probes}) == 2  # each check has its own room
    assert all(("close_room", c[1]) in media.calls for c in probes)
    gone = await client.ws_connect("/join/gone/ws?probe=1", headers={"Origin": ORIGIN})
    assert (await next_of(gone, "error"))["code"] == "closed"
    assert await closing(gone) == 4003


async def test_a_recorded_interview_needs_consent_to_join(connect: Connect) -> None:
    ws = await connect("zoe", join=False)
    await ws.send_json({"type": "join"})
    refused = await next_of(ws, "error")
    assert refused["code"] == "consent_required"
    assert await closing(ws) == 4003


async def test_interviewers_pause_the_recording_and_everyone_sees_it(
    connect: Connect, hub: Hub
) -> None:
    ivan = await connect("ivan")
    zoe = await connect("zoe")
    assert (await next_of(ivan, "welcome"))["recording"] == {"state": "recording"}
    assert (await next_of(zoe, "welcome"))["recording"] == {"state": "recording"}
    await zoe.send_json({"type": "recording", "paused": True})
    assert (await next_of(zoe, "error"))["code"] == "forbidden"
    await ivan.send_json({"type": "recording", "paused": True})
    assert await next_of(ivan, "recording") == {"type": "recording", "state": "paused"}
    assert await next_of(zoe, "recording") == {"type": "recording", "state": "paused"}
    await ivan.send_json({"type": "recording", "paused": False})
    assert (await next_of(zoe, "recording"))["state"] == "recording"
    await hub.recording_failed("r1", "The disk is full.")
    failed = await next_of(zoe, "recording")
    assert failed == {"type": "recording", "state": "failed", "reason": "The disk is full."}
    await ivan.send_json({"type": "recording", "paused": True})
    assert (await next_of(ivan, "error"))["code"] == "not_recording"


async def test_notes_reach_interviewers_only(connect: Connect) -> None:
    ivan = await connect("ivan")
    ines = await connect("ines")
    zoe = await connect("zoe")
    await next_of(zoe, "welcome")
    await ivan.send_json({"type": "admit", "participant": "candidate"})
    await next_of(zoe, "admitted")
    await ivan.send_json({"type": "note", "text": "Strong on SQL", "bookmark": True})
    note = await next_of(ines, "note")
    assert note["text"] == "Strong on SQL"
    assert note["bookmark"] is True
    assert note["from"] == {"id": "user:1", "name": "Ivan"}
    assert (await next_of(ivan, "note"))["text"] == "Strong on SQL"  # the author's confirmation
    await zoe.send_json({"type": "note", "text": "I am not an interviewer"})
    assert (await next_of(zoe, "error"))["code"] == "forbidden"
    await zoe.send_json({"type": "chat", "text": "marker"})
    seen = []
    while not seen or seen[-1]["type"] != "chat":
        seen.append(json.loads((await zoe.receive(timeout=5)).data))
    assert "note" not in [m["type"] for m in seen]  # everything Zoë got up to her own chat
    late = await connect("ines")  # a reload: notes come back with the welcome
    assert [n["text"] for n in (await next_of(late, "welcome"))["notes"]] == ["Strong on SQL"]


async def test_a_lost_media_process_makes_everyone_reconnect_to_the_same_seat(
    connect: Connect, hub: Hub, media: FakeMedia
) -> None:
    ivan = await connect("ivan")
    ines = await connect("ines")
    await next_of(ines, "welcome")
    await hub.media_lost("r1")
    assert await closing(ivan) == 1012
    assert await closing(ines) == 1012
    back = await connect("ivan")  # what the browser does on 1012
    welcome = await next_of(back, "welcome")
    assert welcome["state"] == "room"
    assert [c for c in media.calls if c[0] == "connect" and c[2] == "user:1"] == [
        ("connect", "r1", "user:1"),
        ("connect", "r1", "user:1"),
    ]
