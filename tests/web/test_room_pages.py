"""Join links open the room only in its window; the room's WebSocket behind the real gate."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType
from aiohttp.test_utils import TestClient

from liveinterview.clock import ManualClock
from liveinterview.storage.db import Database
from tests.mailbox import Mailbox
from tests.pages import page_text, submit
from tests.scheduling import create_request, interviewer, latest, link_in
from tests.staff import sign_in, signed_in_as

Client = TestClient  # type: ignore[type-arg]
START = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
ORIGIN = "http://127.0.0.1:8080"


async def booked(client: Client, db: Database, mailbox: Mailbox) -> tuple[int, str, str]:
    """A booked interview; returns (request id, candidate join path, interviewer join path)."""
    await signed_in_as(client, "rita@example.com", "recruiter")
    ivan = await interviewer(client, db, "ivan@example.com", name="Ivan Petrov")
    request_id = await create_request(client, panel={ivan.id: "required"})
    book = link_in(mailbox.only("zoe@example.com"), "book")
    response = await submit(
        client, book, {"start": START.isoformat(), "tz": "Europe/Berlin"}, token_from=book
    )
    assert response.status == 303
    return (
        request_id,
        link_in(latest(mailbox, "zoe@example.com"), "join"),
        link_in(latest(mailbox, "ivan@example.com"), "join"),
    )


def room_config(body: str) -> dict[str, Any]:
    start = body.index('<script type="application/json" id="room-config">') + len(
        '<script type="application/json" id="room-config">'
    )
    return json.loads(body[start : body.index("</script>", start)])  # type: ignore[no-any-return]


async def test_the_join_page_counts_down_opens_and_closes(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock
) -> None:
    _, candidate, _ = await booked(client, db, mailbox)
    client.session.cookie_jar.clear()
    early = await client.get(candidate)
    assert early.status == 200
    body = await early.text()
    config = room_config(body)
    assert config["opensAt"] == "2026-03-03T08:50:00+00:00"
    assert config["role"] == "candidate"
    assert config["recorded"] is True
    assert config["iceServers"] == []
    assert config["wsUrl"].startswith("ws://127.0.0.1:")
    assert config["wsUrl"].endswith(f"{candidate}/ws")
    assert "Tuesday 3 March 2026, 10:00–11:00 (Europe/Berlin, CET)" in page_text(body)
    assert "This interview is recorded" in page_text(body)
    nonce = early.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'<script type="importmap" nonce="{nonce}">' in body

    clock.set(START - timedelta(minutes=5))
    assert room_config(await (await client.get(candidate)).text())["opensAt"] is None
    clock.set(START + timedelta(hours=2, minutes=1))  # 60 min after the end, plus one
    ended = page_text(await (await client.get(candidate)).text())
    assert "This interview has ended." in ended


async def socket(client: Client, path: str, *, origin: str = ORIGIN) -> ClientWebSocketResponse:
    return await client.ws_connect(f"{path}/ws", headers={"Origin": origin})


async def message_of(ws: ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    while True:
        frame = await ws.receive(timeout=5)
        assert frame.type is WSMsgType.TEXT, frame
        data: dict[str, Any] = json.loads(frame.data)
        if data["type"] == kind:
            return data


async def test_the_room_socket_admits_only_within_the_window_and_from_our_site(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock
) -> None:
    _, candidate, _ = await booked(client, db, mailbox)
    early = await socket(client, candidate)  # a valid link, too early: told why, then closed
    refusal = await message_of(early, "error")
    assert refusal == {
        "type": "error",
        "code": "not_open",
        "message": "The interview room is not open yet.",
        "in_reply_to": None,
    }
    assert (await early.receive(timeout=5)).type is WSMsgType.CLOSE
    assert early.close_code == 4003
    clock.set(START - timedelta(minutes=5))
    with pytest.raises(Exception, match="403"):
        await socket(client, candidate, origin="https://evil.example")
    with pytest.raises(Exception, match="404"):
        await socket(client, "/join/" + "A" * 43)
    ws = await socket(client, candidate)
    await ws.send_json({"type": "join", "consent": True})
    welcome = await message_of(ws, "welcome")
    assert welcome["state"] == "lobby"
    assert welcome["interview"]["position"] == "Backend Engineer"
    await ws.close()


async def test_interviewer_admits_the_candidate_and_ends_the_call(
    client: Client, db: Database, mailbox: Mailbox, clock: ManualClock
) -> None:
    request_id, candidate, ivan_path = await booked(client, db, mailbox)
    clock.set(START - timedelta(minutes=2))
    ivan = await socket(client, ivan_path)
    await ivan.send_json({"type": "join", "consent": True})
    assert (await message_of(ivan, "welcome"))["you"]["name"] == "Ivan Petrov"
    zoe = await socket(client, candidate)
    await zoe.send_json({"type": "join", "name": "Zoë M.", "consent": True})
    assert (await message_of(zoe, "welcome"))["state"] == "lobby"
    waiting = await message_of(ivan, "lobby")
    assert [p["name"] for p in waiting["waiting"]] == ["Zoë M."]
    await ivan.send_json({"type": "admit", "participant": "candidate"})
    await message_of(zoe, "admitted")
    await ivan.send_json({"type": "end"})
    assert (await message_of(zoe, "ended"))["by"] == "Ivan Petrov"

    # The end is recorded: the link now says so, and the history shows the call.
    client.session.cookie_jar.clear()
    assert "This interview has ended." in page_text(await (await client.get(candidate)).text())
    late = await socket(client, candidate)
    assert (await message_of(late, "error"))["message"] == "This interview has ended."
    assert (await late.receive(timeout=5)).type is WSMsgType.CLOSE
    assert late.close_code == 4003
    await sign_in(client, "rita@example.com")
    history = page_text(await (await client.get(f"/interviews/{request_id}")).text())
    for line in ("Ivan Petrov: room joined", "Zoë M.: room joined", "Ivan Petrov: room ended"):
        assert line in history


async def test_interviewers_join_from_their_dashboard(
    client: Client, db: Database, mailbox: Mailbox
) -> None:
    request_id, _, ivan_path = await booked(client, db, mailbox)
    await sign_in(client, "ivan@example.com")
    response = await client.get(f"/interviews/{request_id}/join", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == ivan_path
    await sign_in(client, "rita@example.com")  # not on the panel
    assert (await client.get(f"/interviews/{request_id}/join")).status == 404
