"""The room's browser client against a fake signaling server with real aiortc media."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, ViewportSize

from liveinterview.paths import STATIC_DIR, TEMPLATES_DIR
from tests.browser.room_fake_server import (
    IVAN,
    FakeRoomServer,
    base_context,
    template_environment,
)

pytestmark = pytest.mark.browser
WAIT = 20_000  # ms: generous for aiortc encoding video on a busy CI machine
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
async def make_room() -> AsyncIterator[Callable[..., Awaitable[FakeRoomServer]]]:
    servers: list[FakeRoomServer] = []

    async def make(**page: Any) -> FakeRoomServer:
        server = FakeRoomServer(**page)
        await server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        await server.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context()
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(message.text)

    page.on("console", console)
    yield page
    await context.close()
    assert errors == [], "the page had uncaught errors"


async def test_prejoin_shows_camera_preview_and_a_moving_microphone_meter(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room()
    await page.goto(room.page_url)
    await page.wait_for_function(
        "() => document.getElementById('preview').videoWidth > 0", timeout=WAIT
    )
    await page.wait_for_function("() => window.liveInterview.micLevel > 0.2", timeout=WAIT)
    assert await page.locator("#camera-select option").count() >= 1
    assert await page.locator("#mic-select option").count() >= 1
    assert await page.get_by_label("Your name as others will see it").input_value() == "Zoë Müller"
    await page.wait_for_selector("text=We can hear you.", timeout=WAIT)


async def test_connectivity_check_reports_round_trips_and_the_echoed_video(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room()
    await page.goto(room.page_url)
    await page.wait_for_function(
        "() => document.getElementById('check-media').dataset.status === 'ok'", timeout=WAIT
    )
    signaling = await page.locator("#check-signaling").inner_text()
    media = await page.locator("#check-media").inner_text()
    assert "Reached the server (round trip" in signaling
    assert "Video works, connected directly, round trip" in media
    assert await page.locator("#check-signaling").get_attribute("data-status") == "ok"
    assert room.messages("ping", probe=True), "the probe measured the round trip with ping"
    assert room.messages("answer", probe=True)
    assert not room.messages("join", probe=True), "a probe is not a participant"
    details = await page.evaluate("window.liveInterview.check.report.details")
    assert details["iceConnected"] is True
    assert details["framesDecoded"] > 0
    assert details["mediaRttMs"] is not None
    assert details["signalingRttMs"] is not None
    assert details["relayed"] is False
    assert details["turnConfigured"] is False


FRAMES_FROM = """async ([who, source]) => {
  const peer = window.liveInterview.room?.peer;
  const remote = peer && [...peer.remote.values()].find(
    (r) => r.participant === who && r.source === source);
  if (!remote) return 0;
  let frames = 0;
  (await remote.receiver.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp") frames += s.framesDecoded ?? 0;
  });
  return frames;
}"""


CONSENT = "I understand that this interview is recorded"


async def join(page: Page, room: FakeRoomServer, *, name: str | None = None) -> None:
    if page.url != room.page_url:
        await page.goto(room.page_url)
    if name is not None:
        await page.get_by_label("Your name as others will see it").fill(name)
    if room.page["recorded"]:
        await page.get_by_label(CONSENT).check()
    await page.get_by_role("button", name="Join the interview").click()
    await page.wait_for_selector("#room:not([hidden])", timeout=WAIT)


async def frames_from(page: Page, who: str, source: str, *, above: int) -> int:
    """Wait until more than `above` frames of `who`'s `source` are decoded; return the count.

    Polled from here: Playwright's wait_for_function does not await a promise.
    """
    deadline = time.monotonic() + WAIT / 1000
    while (frames := await page.evaluate(FRAMES_FROM, [who, source])) <= above:
        if time.monotonic() > deadline:
            raise AssertionError(f"{who}'s {source}: {frames} frames decoded, wanted > {above}")
        await asyncio.sleep(0.2)
    return int(frames)


async def wait_for_video_from(page: Page, who: str) -> None:
    """Frames from `who`'s camera are decoded and keep coming; the tile shows them."""
    first = await frames_from(page, who, "camera", above=0)
    await frames_from(page, who, "camera", above=first + 10)
    tile = page.locator(f'#room-stage .tile[data-participant="{who}"]')
    await tile.and_(page.locator(".has-video")).wait_for(timeout=WAIT)
    assert await tile.locator("video").evaluate("v => v.videoWidth") > 0


async def announced(page: Page, text: str) -> None:
    """Screen readers were told `text` (the live region holds one message at a time)."""
    await page.wait_for_function(
        "(text) => document.getElementById('announcer').textContent.includes(text)", arg=text
    )


async def test_joining_shows_the_other_participants_video(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room()
    await page.goto(room.page_url)
    await page.wait_for_function("() => window.liveInterview.tracks.video?.readyState === 'live'")
    preview_track = await page.evaluate("window.liveInterview.tracks.video.id")
    await join(page, room, name="Zoë M.")
    await wait_for_video_from(page, IVAN["id"])
    [joined] = room.messages("join", probe=False)
    assert joined == {
        "type": "join",
        "name": "Zoë M.",
        "audio": True,
        "video": True,
        "consent": True,
    }
    room_track = await page.evaluate("window.liveInterview.room.tracks.video.id")
    assert room_track == preview_track, "the camera chosen before joining is kept"
    assert room.messages("answer", probe=False)
    assert room.protocol_errors == []
    assert "Ivan Petrov" in await page.locator("#people-list").inner_text()
    assert await page.locator("#room-status").inner_text() == "Connected"
    # The recorded interview says so in the room too.
    assert await page.locator("#room-recording").is_visible()


async def test_mute_sends_media_state_and_shows_muted(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room()
    await join(page, room)
    await page.get_by_role("button", name="Mute microphone").click()
    await room.wait_until(lambda: room.messages("media"), what="a media message")
    assert room.messages("media")[-1] == {
        "type": "media",
        "audio": False,
        "video": True,
        "screen": False,
    }
    await page.get_by_role("button", name="Unmute microphone").wait_for()
    self_tile = page.locator("#room-stage .tile-self")
    assert await self_tile.locator(".flag-muted").is_visible()
    assert "Muted" in await page.locator("#people-list").inner_text()
    assert await page.evaluate("window.liveInterview.room.tracks.audio.enabled") is False


async def test_camera_off_releases_the_camera_and_on_publishes_a_new_one(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room()
    await join(page, room)
    await wait_for_video_from(page, IVAN["id"])
    old = await page.evaluate_handle("window.liveInterview.room.tracks.video")
    await page.get_by_role("button", name="Turn camera off").click()
    await room.wait_until(lambda: room.messages("media"), what="a media message")
    assert room.messages("media")[-1] == {
        "type": "media",
        "audio": True,
        "video": False,
        "screen": False,
    }
    assert await old.evaluate("t => t.readyState") == "ended", "the camera light goes off"
    self_tile = page.locator("#room-stage .tile-self")
    await self_tile.and_(page.locator(":not(.has-video)")).wait_for()
    assert "Camera off" in await page.locator("#people-list").inner_text()

    await page.get_by_role("button", name="Turn camera on").click()
    await room.wait_until(lambda: room.messages("media")[-1]["video"], what="video: true")
    await self_tile.and_(page.locator(".has-video")).wait_for()
    sent = """() => window.liveInterview.room.peer.slots.get("camera").sender.track?.readyState"""
    assert await page.evaluate(sent) == "live"
    # Ivan's tile is our camera looped back: it comes back too.
    await wait_for_video_from(page, IVAN["id"])


async def test_the_room_works_with_the_keyboard_alone(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room()
    await page.goto(room.page_url)

    async def tab_to(element_id: str) -> None:
        for _ in range(40):
            await page.keyboard.press("Tab")
            if await page.evaluate("document.activeElement?.id") == element_id:
                outline = await page.evaluate(
                    "getComputedStyle(document.activeElement).outlineStyle"
                )
                assert outline != "none", f"#{element_id} shows where the focus is"
                return
        raise AssertionError(f"#{element_id} cannot be reached with Tab")

    await tab_to("f-consent")
    await page.keyboard.press("Space")
    await tab_to("btn-join")
    await page.keyboard.press("Enter")
    await page.locator("#room").wait_for()
    await tab_to("btn-mic")
    await page.keyboard.press("Space")
    await room.wait_until(lambda: room.messages("media"), what="a media message")
    assert room.messages("media")[-1]["audio"] is False
    assert await page.evaluate("() => document.activeElement.id") == "btn-mic", "focus stays"
    await tab_to("chat-input")
    await page.keyboard.type("Typed without a mouse")
    await page.keyboard.press("Enter")
    await room.wait_until(lambda: room.messages("chat"), what="a chat message")


async def test_chat_message_round_trips(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room()
    await join(page, room)
    await page.get_by_role("textbox", name="Message to everyone").fill("Hello, can you hear me?")
    await page.keyboard.press("Enter")
    await room.wait_until(lambda: room.messages("chat"), what="a chat message")
    assert room.messages("chat") == [{"type": "chat", "text": "Hello, can you hear me?"}]
    log = page.locator("#chat-log")
    await log.locator(
        ".chat-message:not(.chat-pending)", has_text="Hello, can you hear me?"
    ).wait_for()
    assert await log.locator(".chat-message").count() == 1, "the server's echo replaced ours"
    await room.send(
        "chat",
        id="c-ivan-1",
        text="Yes, loud and clear.",
        at="2026-03-03T13:01:00Z",
        **{"from": {"id": IVAN["id"], "name": IVAN["name"]}},
    )
    await log.get_by_text("Yes, loud and clear.").wait_for()
    assert "Ivan Petrov" in await log.inner_text()
    assert await page.get_by_role("textbox", name="Message to everyone").input_value() == ""


async def test_server_error_is_shown_and_the_room_goes_on(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room()
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    await join(page, room)
    await wait_for_video_from(page, IVAN["id"])
    await room.send("error", code="rate_limited", message="Too many messages; slow down.")
    await page.locator("#toasts").get_by_text("Too many messages; slow down.").wait_for()
    assert any("rate_limited" in text for text in warnings), "errors are logged to the console"
    # Unknown types and garbage are ignored, not fatal.
    await room.send("mystery", payload=1)
    await room.send_raw("this is not json")
    await room.send("participant-joined", participant={**IVAN, "id": "p-rita", "name": "Rita"})
    await page.locator('#people-list [data-participant="p-rita"]').wait_for()
    assert await page.locator("#room-status").inner_text() == "Connected"


async def test_dropped_socket_reconnects_and_joins_again(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room()
    await join(page, room)
    await wait_for_video_from(page, IVAN["id"])
    await room.drop()
    await room.wait_until(
        lambda: len(room.messages("join", probe=False)) == 2, what="a second join"
    )
    first, second = room.messages("join", probe=False)
    assert first == second, "the same seat, the same state"
    await wait_for_video_from(page, IVAN["id"])  # a fresh offer, answered on a fresh peer
    assert await page.locator("#room-stage .tile").count() == 2, "no ghost tiles"
    assert await page.locator("#room-status").inner_text() == "Connected"


async def test_candidate_waits_in_the_lobby_until_admitted(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room()
    room.state = "lobby"
    await join(page, room)
    lobby = page.locator("#lobby-wait")
    await lobby.wait_for()
    assert "An interviewer will let you in" in await lobby.inner_text()
    assert await page.get_by_role("textbox", name="Message to everyone").is_disabled()
    assert not await page.get_by_role("button", name="End interview for everyone").is_visible()
    await room.admit()
    await lobby.wait_for(state="hidden")
    await wait_for_video_from(page, IVAN["id"])
    await announced(page, "You have been admitted")


async def test_interviewer_admits_from_the_lobby_and_ends_for_everyone(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room(role="interviewer", participant_name="Rita Interviewer")
    room.waiting = [{"id": "p-cand", "name": "Zoë Müller", "role": "candidate"}]
    await join(page, room)
    await announced(page, "Zoë Müller is waiting in the lobby.")
    admit = page.get_by_role("button", name="Admit Zoë Müller")
    await admit.click()
    await room.wait_until(lambda: room.messages("admit"), what="an admit message")
    assert room.messages("admit") == [{"type": "admit", "participant": "p-cand"}]
    await room.send("lobby", waiting=[])
    await page.locator("#lobby-panel").wait_for(state="hidden")

    await page.get_by_role("button", name="End interview for everyone").click()
    dialog = page.get_by_role("dialog", name="End the interview for everyone?")
    await dialog.get_by_role("button", name="End interview").click()
    await page.get_by_role("heading", name="The interview has ended").wait_for()
    assert room.messages("end") == [{"type": "end"}]
    assert "Rita Interviewer ended the interview" in await page.locator("#room-ended").inner_text()
    live = await page.evaluate(
        "Object.values(window.liveInterview.room.tracks).filter((t) => t?.readyState === 'live')"
        ".length"
    )
    assert live == 0, "camera and microphone are released"


async def test_others_state_reconnecting_quality_and_speaker_are_shown(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room()
    await join(page, room)
    await wait_for_video_from(page, IVAN["id"])
    ivan = page.locator(f'#room-stage .tile[data-participant="{IVAN["id"]}"]')
    await room.send(
        "participant-updated",
        participant={**IVAN, "connection": "reconnecting", "quality": "poor", "audio": False},
    )
    await ivan.locator(".flag-reconnecting").wait_for()
    assert await ivan.locator(".flag-muted").is_visible()
    assert await ivan.get_by_role("img", name="Connection poor").count() == 1
    person = page.locator(f'#people-list [data-participant="{IVAN["id"]}"]')
    assert "Reconnecting…, muted" in await person.inner_text()
    await announced(page, "Ivan Petrov’s connection dropped; reconnecting…")
    await room.send("participant-updated", participant=IVAN)
    await ivan.locator(".flag-reconnecting").wait_for(state="hidden")

    await room.send("speaking", id=IVAN["id"])
    await ivan.and_(page.locator(".is-speaking")).wait_for()

    # Our own quality goes to the server every few seconds.
    await room.wait_until(lambda: room.messages("quality"), what="a quality message")
    assert room.messages("quality")[0]["level"] in {"good", "fair", "poor"}

    await room.send("participant-left", id=IVAN["id"], reason="left")
    await ivan.wait_for(state="detached")
    await announced(page, "Ivan Petrov left.")


async def test_screen_share_publishes_and_the_browser_stop_bar_ends_it(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room()
    await join(page, room)
    await wait_for_video_from(page, IVAN["id"])
    await page.get_by_role("button", name="Share screen").click()
    await room.wait_until(lambda: room.messages("media"), what="a media message")
    assert room.messages("media")[-1] == {
        "type": "media",
        "audio": True,
        "video": True,
        "screen": True,
    }
    await page.locator("#room-stage .tile-screen-self video").wait_for()
    # The fake server loops our screen back as Ivan's: shown large once he is sharing.
    await room.send("participant-updated", participant={**IVAN, "screen": True})
    ivan_screen = page.locator(f'#room-stage [data-screen="{IVAN["id"]}"]')
    await ivan_screen.wait_for()
    await frames_from(page, IVAN["id"], "screen", above=0)
    assert await page.locator("#room-stage").evaluate("s => s.classList.contains('has-screen')")
    stage_width = await page.locator("#room-stage").evaluate("s => s.clientWidth")
    assert await ivan_screen.evaluate("t => t.clientWidth") == stage_width, "shown large"

    # The browser's own "Stop sharing" bar ends the track; our state follows.
    await page.evaluate("window.liveInterview.room.tracks.screen.dispatchEvent(new Event('ended'))")
    await room.wait_until(
        lambda: room.messages("media")[-1]["screen"] is False, what="screen: false"
    )
    await page.get_by_role("button", name="Share screen").wait_for()
    await page.locator("#room-stage .tile-screen-self").wait_for(state="detached")


async def test_reload_rejoins_the_same_seat_and_leave_is_final(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room()
    await join(page, room)
    await page.get_by_role("button", name="Mute microphone").click()
    await room.wait_until(lambda: room.messages("media"), what="a media message")
    await page.reload()
    await room.wait_until(
        lambda: len(room.messages("join", probe=False)) == 2, what="a join after reload"
    )
    assert room.messages("join", probe=False)[-1]["audio"] is False, "still muted"
    assert room.messages("join", probe=False)[-1]["consent"] is True, "the notice was ticked"
    assert await page.locator("#prejoin").is_hidden()
    await wait_for_video_from(page, IVAN["id"])

    await page.get_by_role("button", name="Leave").click()
    await page.get_by_role("heading", name="You left the interview").wait_for()
    await room.wait_until(lambda: room.messages("leave"), what="a leave message")
    await page.reload()
    await page.get_by_role("button", name="Join the interview").wait_for()
    assert len(room.messages("join", probe=False)) == 2, "after leaving, a reload does not rejoin"
    assert await page.get_by_label(CONSENT).is_checked(), "ticked in this tab already"


async def test_countdown_enables_join_when_the_room_opens(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    now = datetime.now(UTC)
    room = await make_room(
        opens_at=(now + timedelta(seconds=3)).isoformat(), server_now=now.isoformat()
    )
    await page.goto(room.page_url)
    await page.get_by_label(CONSENT).check()
    button = page.get_by_role("button", name="Join the interview")
    assert await button.is_disabled()
    assert "The room opens in" in await page.get_by_role("timer").inner_text()
    assert "You can join when the room opens." in await page.locator("#join-hint").inner_text()
    await page.wait_for_function(
        "() => !document.getElementById('btn-join').disabled", timeout=WAIT
    )
    assert "The room is open" in await page.get_by_role("timer").inner_text()


async def test_ended_or_cancelled_interview_shows_only_the_message(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room(closed_message="This interview was cancelled.")
    await page.goto(room.page_url)
    assert "This interview was cancelled." in await page.locator("main").inner_text()
    assert await page.locator("#prejoin").count() == 0
    assert await page.locator("script[type=module]").count() == 0
    assert room.connections == []


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        ("NotAllowedError", "Allow camera access in the address bar"),
        ("NotReadableError", "Close other apps using the camera"),
        ("NotFoundError", "No camera was found"),
    ],
)
async def test_camera_problems_get_plain_advice(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page, error: str, advice: str
) -> None:
    room = await make_room()
    await page.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => "
        f"Promise.reject(new DOMException('refused', '{error}'));"
    )
    await page.goto(room.page_url)
    problems = page.get_by_role("alert")
    await problems.get_by_text(advice).wait_for()
    assert await problems.get_by_role("button", name="Try again").is_visible()
    # The connection check still runs, without video.
    await page.wait_for_function(
        "() => document.getElementById('check-media').dataset.status === 'warn'", timeout=WAIT
    )
    assert "no camera is on" in await page.locator("#check-media").inner_text()
    await page.get_by_label(CONSENT).check()
    assert await page.get_by_role("button", name="Join the interview").is_enabled()


async def test_on_a_phone_tiles_stack_and_nothing_scrolls_sideways(
    make_room: Callable[..., Awaitable[FakeRoomServer]], browser: Browser
) -> None:
    room = await make_room()
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await page.goto(room.page_url)
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.get_by_label(CONSENT).tap()
    await page.get_by_role("button", name="Join the interview").tap()
    await wait_for_video_from(page, IVAN["id"])
    mine = await page.locator("#room-stage .tile-self").bounding_box()
    ivan = await page.locator(f'#room-stage [data-participant="{IVAN["id"]}"]').bounding_box()
    assert mine is not None
    assert ivan is not None
    assert mine["x"] == ivan["x"], "one column"
    assert ivan["y"] >= mine["y"] + mine["height"], "one below the other"
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await context.close()


async def test_client_helpers(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    """The pure functions, run in the browser itself (no JS test framework needed)."""
    room = await make_room()
    await page.goto(room.page_url)
    results = await page.evaluate(
        """async () => {
      const m = (name) => import(`/static/js/room/${name}.js`);
      const { backoffDelay, socketUrl } = await m("signaling");
      const { qualityLevel } = await m("stats");
      const { slotIndexes, trackEntries } = await m("peer");
      const { hasTurn } = await m("probe");
      const { adviceFor } = await m("devices");
      const { initials } = await m("elements");
      const { levelFromRms } = await m("meter");
      const { formatDuration } = await m("countdown");
      const { ActiveSpeaker } = await m("speaker");
      const { recordingState, indicatorText, changeText } = await m("recording");
      let clock = 0;
      const speakers = new ActiveSpeaker({ threshold: 0.4, holdMs: 1000, now: () => clock });
      const spoke = [];
      for (const [t, levels] of [
        [0, [["a", 0.5], ["b", 0.7]]], [100, [["a", 0.1]]], [1200, [["a", 0.1]]],
        [1300, [["a", 0.9], ["b", 0.2]]]]) {
        clock = t;
        spoke.push(speakers.update(levels));
      }
      const slots = slotIndexes(
        [{mid: "0", kind: "audio"}, {mid: "1", kind: "video"}, {mid: "2", kind: "video"},
         {mid: "3", kind: "audio"}, {mid: "4", kind: "video"}], new Set(["3", "4"]));
      return {
        backoff: [0, 1, 5, 20].map((n) => backoffDelay(n, () => 0.5)),
        jitter: [backoffDelay(0, () => 0), backoffDelay(0, () => 1)],
        https: socketUrl("/join/t/ws", "https://example.com/join/t", {probe: "1"}),
        http: socketUrl("http://127.0.0.1:8080/join/t/ws", "http://x/"),
        ws: socketUrl("wss://media.example.com/join/t/ws", "https://example.com/"),
        quality: [
          qualityLevel({rttMs: 40, lossRatio: 0, connected: true}),
          qualityLevel({rttMs: 300, lossRatio: 0, connected: true}),
          qualityLevel({rttMs: 40, lossRatio: 0.05, connected: true}),
          qualityLevel({rttMs: 900, lossRatio: 0, connected: true}),
          qualityLevel({rttMs: null, lossRatio: null, connected: false}),
        ],
        slots: Object.fromEntries(slots),
        entries: trackEntries([{mid: "3", participant: "p", source: "camera"},
                               {mid: "4", participant: "p", source: "hologram"}, null]).length,
        turn: [hasTurn([{urls: "stun:s"}]), hasTurn([{urls: ["stun:s", "turns:t:443"]}])],
        advice: ["NotAllowedError", "NotReadableError", "NotFoundError", "TypeError", "Weird"]
          .map((name) => adviceFor({name}, "audio")),
        initials: [initials("Zoë Müller"), initials("  ivan "), initials("")],
        levels: [levelFromRms(1), levelFromRms(0.001), levelFromRms(0)],
        durations: [3_725_000, 245_000, 12_000, 400, -5].map(formatDuration),
        spoke,
        states: [{state: "paused"}, "recording", {state: "failed", reason: " Disk full "},
                 {state: "exploded"}, null, 7].map(recordingState),
        indicator: [["recording", "", false], ["paused", "", true], ["failed", "Disk full", true],
                    ["failed", "Disk full", false], ["failed", "", true], ["off", "", true]]
          .map(([state, reason, interviewer]) => indicatorText(state, reason, interviewer)),
        changes: [[null, "recording"], ["recording", "recording"], ["paused", "recording"],
                  ["off", "recording"], ["recording", "off"]]
          .map(([before, state]) => changeText(before, state, "", true)),
      };
    }"""
    )
    assert results["backoff"] == [500, 1000, 15000, 15000]
    assert results["jitter"] == [350, 650]
    assert results["https"] == "wss://example.com/join/t/ws?probe=1"
    assert results["http"] == "ws://127.0.0.1:8080/join/t/ws"
    assert results["ws"] == "wss://media.example.com/join/t/ws"
    assert results["quality"] == ["good", "fair", "fair", "poor", "poor"]
    assert results["slots"] == {"microphone": 0, "camera": 1, "screen": 2}
    assert results["entries"] == 1
    assert results["turn"] == [False, True]
    blocked, busy, missing, unsupported, unknown = results["advice"]
    assert "Allow microphone access in the address bar" in blocked
    assert "Close other apps using the microphone" in busy
    assert "No microphone was found" in missing
    assert "current Chrome" in unsupported
    assert "(Weird)" in unknown
    assert results["initials"] == ["ZM", "I", "?"]
    assert results["levels"] == [1, 0, 0]
    assert results["durations"] == ["1 h 02 min", "4 min 05 s", "12 s", "1 s", "0 s"]
    assert results["spoke"] == ["b", "b", None, "a"], "loudest wins; silence holds a moment"
    assert results["states"] == [
        {"state": "paused", "reason": ""},
        {"state": "recording", "reason": ""},
        {"state": "failed", "reason": "Disk full"},
        None,
        None,
        None,
    ]
    assert results["indicator"] == [
        "Recording",
        "Recording paused",
        "Recording stopped: Disk full",
        "Not recording",
        "Recording stopped",
        "",
    ]
    assert results["changes"] == [
        "Recording started.",
        "",
        "Recording resumed.",
        "Recording started.",
        "Recording is off.",
    ]


async def test_with_a_csp_nonce_every_module_loads_by_its_versioned_url(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room()
    room.csp_nonce = "r4nd0m-n0nce"
    await join(page, room)
    await wait_for_video_from(page, IVAN["id"])
    modules = [path for path in room.static_requests if path.startswith("/static/js/room/")]
    assert len(modules) == len(list((STATIC_DIR / "js/room").glob("*.js")))
    assert all("?v=" in path for path in modules), modules


def test_every_room_module_gets_a_versioned_url() -> None:
    """The import map in room/_modules.html lists every file in static/js/room/."""
    listed = set(re.findall(r'"([a-z-]+\.js)"', (TEMPLATES_DIR / "room/_modules.html").read_text()))
    on_disk = {path.name for path in (STATIC_DIR / "js/room").glob("*.js")}
    assert listed == on_disk


REQUIRED_CONTEXT: dict[str, Any] = {
    "position": "Backend <Engineer>",
    "when_text": "Tuesday 3 March 2026, 14:00–15:00 (Europe/Berlin)",
    "participant_name": "Zoë",
    "role": "candidate",
    "ws_url": "wss://example.com/join/t/ws",
    "ice_servers": [{"urls": "turn:turn.example.com", "username": "u", "credential": "p"}],
    "recorded": False,
}


def render_join_page(**context: Any) -> str:
    env = template_environment(lambda path: f"/static/{path}?v=1")
    return env.get_template("room/prejoin.html").render(**base_context(), **context)


def test_page_renders_with_only_the_required_context() -> None:
    html = render_join_page(**REQUIRED_CONTEXT)
    assert "Backend &lt;Engineer&gt;" in html
    assert "This interview is recorded" not in html
    assert "importmap" not in html, "an inline script without a nonce would break the CSP"
    config = re.search(r'id="room-config">(.*?)</script>', html, re.S)
    assert config
    assert json.loads(config.group(1)) == {
        "wsUrl": "wss://example.com/join/t/ws",
        "iceServers": [{"urls": "turn:turn.example.com", "username": "u", "credential": "p"}],
        "role": "candidate",
        "name": "Zoë",
        "opensAt": None,
        "serverNow": None,
        "recorded": False,
    }


def test_with_a_csp_nonce_the_page_maps_modules_to_versioned_urls() -> None:
    html = render_join_page(**REQUIRED_CONTEXT, csp_nonce="n0nce")
    imports = re.search(r'<script type="importmap" nonce="n0nce">(.*?)</script>', html, re.S)
    assert imports
    assert json.loads(imports.group(1))["imports"]["/static/js/room/peer.js"] == (
        "/static/js/room/peer.js?v=1"
    )


@pytest.mark.parametrize(
    ("code", "reason", "heading"),
    [
        (4000, "Replaced by a newer connection", "You joined from somewhere else"),
        (4003, "The room is full.", "You are no longer connected"),
        (1008, "Too many invalid messages", "You are no longer connected"),
    ],
)
async def test_final_close_codes_do_not_reconnect(
    make_room: Callable[..., Awaitable[FakeRoomServer]],
    page: Page,
    code: int,
    reason: str,
    heading: str,
) -> None:
    room = await make_room()
    await join(page, room)
    await room.wait_until(lambda: room.messages("join", probe=False), what="a join")
    await room.close_socket(code, reason)
    await page.get_by_role("heading", name=heading).wait_for()
    assert await page.get_by_role("button", name="Rejoin").is_visible()
    if code != 4000:
        assert reason in await page.locator("#room-ended").inner_text()
    gave_up = "(s) => !s.reconnect && s.retryTimer === null && s.socket === null"
    assert await page.evaluate(f"({gave_up})(window.liveInterview.room.socket)")
    assert len(room.messages("join", probe=False)) == 1


# --- recording: consent, the REC indicator, pause/resume, interviewers' notes -----------------


async def test_consent_checkbox_gates_join_and_join_carries_consent(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room()
    await page.goto(room.page_url)
    notice = page.get_by_role("note")
    assert "The hiring team watches the recording" in await notice.inner_text()
    button = page.get_by_role("button", name="Join the interview")
    box = page.get_by_label(CONSENT)
    assert not await box.is_checked()
    assert await box.get_attribute("required") is not None
    assert await button.is_disabled()
    assert "Tick “I understand" in await page.locator("#join-hint").inner_text()
    await box.check()
    assert await button.is_enabled()
    await box.uncheck()
    assert await button.is_disabled(), "unticking takes it back"
    await box.check()
    await button.click()
    await room.wait_until(lambda: room.messages("join", probe=False), what="a join")
    assert room.messages("join", probe=False)[0]["consent"] is True
    await page.locator("#room-recording").get_by_text("Recording").wait_for()
    await announced(page, "This interview is being recorded.")


async def test_unrecorded_interview_asks_no_consent_and_shows_no_rec(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room(recorded=False)
    await page.goto(room.page_url)
    assert await page.locator("#f-consent").count() == 0
    await join(page, room)
    await room.wait_until(lambda: room.messages("join", probe=False), what="a join")
    assert room.messages("join", probe=False)[0]["consent"] is False, "not sent, the default"
    await page.locator("#room-status").get_by_text("Connected").wait_for(timeout=WAIT)
    assert await page.locator("#room-recording").is_hidden()


async def test_join_refused_for_missing_consent_says_so_and_leads_back(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    """A page rendered before the interview became recorded: the server insists on consent."""
    room = await make_room(recorded=False)
    await page.goto(room.page_url)
    room.page["recorded"] = True
    await page.get_by_role("button", name="Join the interview").click()
    await page.get_by_role("heading", name="Please confirm the recording notice").wait_for()
    assert "please confirm the recording notice" in await page.locator("#room-ended").inner_text()
    assert len(room.messages("join", probe=False)) == 1, "no retry loop"
    await page.get_by_role("button", name="Back to the join page").click()
    await page.get_by_label(CONSENT).wait_for()
    assert not await page.get_by_label(CONSENT).is_checked()
    assert len(room.messages("join", probe=False)) == 1, "the join page asks first"


async def test_rec_indicator_follows_the_recording_state_for_a_candidate(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room()
    await join(page, room)
    indicator = page.locator("#room-recording")
    await indicator.and_(page.locator('[data-state="recording"]')).wait_for()
    assert (await indicator.inner_text()).strip() == "Recording"
    assert await page.locator("#btn-recording").is_hidden(), "candidates cannot pause"

    await room.send("recording", state="paused")
    await indicator.get_by_text("Recording paused").wait_for()
    await announced(page, "Recording paused")
    await room.send("recording", state="recording")
    await indicator.and_(page.locator('[data-state="recording"]')).wait_for()
    await announced(page, "Recording resumed.")

    await room.send("recording", state="failed", reason="The disk is full.")
    await indicator.get_by_text("Not recording").wait_for()
    assert "disk" not in await indicator.inner_text(), "candidates are not told why"
    await announced(page, "The interview is no longer being recorded.")


async def test_interviewer_pauses_and_resumes_the_recording(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room(role="interviewer", participant_name="Rita Interviewer")
    await join(page, room)
    indicator = page.locator("#room-recording")
    await page.get_by_role("button", name="Pause recording").click()
    await room.wait_until(lambda: room.messages("recording"), what="a recording message")
    assert room.messages("recording") == [{"type": "recording", "paused": True}]
    await indicator.get_by_text("Recording paused").wait_for()
    await page.get_by_role("button", name="Resume recording").click()
    await room.wait_until(lambda: len(room.messages("recording")) == 2, what="resume")
    assert room.messages("recording")[-1] == {"type": "recording", "paused": False}
    await indicator.and_(page.locator('[data-state="recording"]')).wait_for()

    await room.send("recording", state="failed", reason="The disk is full.")
    await indicator.get_by_text("Recording stopped: The disk is full.").wait_for()
    assert await page.locator("#btn-recording").is_hidden(), "nothing left to pause"
    await announced(page, "Recording stopped: The disk is full. The call goes on.")


async def test_interviewer_notes_are_sent_listed_and_bookmarked(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room(role="interviewer", participant_name="Rita Interviewer")
    room.notes = [
        {
            "id": "n0",
            "from": {"id": IVAN["id"], "name": IVAN["name"]},
            "text": "Strong on SQL.",
            "bookmark": False,
            "at": "2026-03-03T13:05:07Z",
        }
    ]
    await join(page, room)
    panel = page.get_by_role("region", name="Notes")
    await panel.wait_for()
    notes = page.locator("#notes-list")
    first = notes.locator(".note-item").first
    assert "Strong on SQL." in await first.inner_text()
    assert "Ivan Petrov" in await first.inner_text()
    assert await first.locator("time").get_attribute("datetime") == "2026-03-03T13:05:07Z"
    assert re.search(r"\d{1,2}:\d{2}:\d{2}", await first.locator("time").inner_text())

    await panel.get_by_label("Add a note").fill("Asked about the migration project.")
    await panel.get_by_role("button", name="Add note").click()
    await room.wait_until(lambda: room.messages("note"), what="a note")
    assert room.messages("note") == [
        {"type": "note", "text": "Asked about the migration project.", "bookmark": False}
    ]
    mine = notes.locator(".note-item", has_text="Asked about the migration project.")
    await mine.wait_for()
    assert "You" in await mine.inner_text()
    assert await panel.get_by_label("Add a note").input_value() == ""
    await announced(page, "Note saved.")

    await panel.get_by_role("button", name="Bookmark this moment").click()
    await room.wait_until(lambda: len(room.messages("note")) == 2, what="a bookmark")
    assert room.messages("note")[-1] == {"type": "note", "text": "Bookmark", "bookmark": True}
    await notes.locator(".note-bookmark").wait_for()
    await announced(page, "Bookmark saved at")

    await panel.get_by_label("Add a note").fill("Great answer on caching")
    await panel.get_by_role("button", name="Bookmark this moment").click()
    await room.wait_until(lambda: len(room.messages("note")) == 3, what="a bookmark with text")
    assert room.messages("note")[-1] == {
        "type": "note",
        "text": "Great answer on caching",
        "bookmark": True,
    }

    await room.send(
        "note",
        id="n-ivan-2",
        text="Let's ask about testing next.",
        bookmark=False,
        at="2026-03-03T13:20:00Z",
        **{"from": {"id": IVAN["id"], "name": IVAN["name"]}},
    )
    await notes.get_by_text("Let's ask about testing next.").wait_for()
    assert await page.locator("#notes-count").inner_text() == "5"


async def test_notes_work_with_the_keyboard(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room(role="interviewer", participant_name="Rita Interviewer")
    await join(page, room)
    await page.locator("#note-input").focus()
    await page.keyboard.type("Typed and sent with Ctrl+Enter")
    await page.keyboard.press("Control+Enter")
    await room.wait_until(lambda: room.messages("note"), what="a note")
    assert room.messages("note")[0]["text"] == "Typed and sent with Ctrl+Enter"
    for _ in range(5):  # back past the list of notes to the bookmark button
        await page.keyboard.press("Shift+Tab")
        if await page.evaluate("document.activeElement.id") == "btn-bookmark":
            break
    await page.keyboard.press("Enter")
    await room.wait_until(lambda: len(room.messages("note")) == 2, what="a bookmark")
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


async def test_candidates_never_see_the_notes_panel_or_notes(
    make_room: Callable[..., Awaitable[FakeRoomServer]], page: Page
) -> None:
    room = await make_room()
    room.notes = [
        {
            "id": "n0",
            "from": {"id": IVAN["id"], "name": IVAN["name"]},
            "text": "Secret assessment",
            "bookmark": False,
            "at": "2026-03-03T13:05:07Z",
        }
    ]
    await join(page, room)
    await room.wait_until(lambda: room.messages("join", probe=False), what="a join")
    assert await page.locator("#notes-panel").count() == 0
    assert await page.get_by_role("button", name="Bookmark this moment").count() == 0
    # Even a note the server should not have sent is not shown.
    await room.send(
        "note",
        id="n1",
        text="Another secret",
        bookmark=False,
        at="2026-03-03T13:06:00Z",
        **{"from": {"id": IVAN["id"], "name": IVAN["name"]}},
    )
    await room.send(
        "chat",
        id="c1",
        text="After the note",
        at="2026-03-03T13:06:01Z",
        **{"from": {"id": IVAN["id"], "name": IVAN["name"]}},
    )
    await page.locator("#chat-log").get_by_text("After the note").wait_for()
    text = await page.locator("body").inner_text()
    assert "secret" not in text.lower()


async def test_on_a_phone_notes_fold_behind_a_toggle(
    make_room: Callable[..., Awaitable[FakeRoomServer]], browser: Browser
) -> None:
    room = await make_room(role="interviewer", participant_name="Rita Interviewer")
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await join(page, room)
    toggle = page.get_by_role("button", name="Show notes")
    await toggle.wait_for()
    assert await toggle.get_attribute("aria-expanded") == "false"
    assert await page.locator("#note-input").is_hidden()
    assert await page.get_by_role("button", name="Bookmark this moment").is_visible()
    await toggle.tap()
    hide = page.get_by_role("button", name="Hide notes")
    assert await hide.get_attribute("aria-expanded") == "true"
    assert await page.locator("#note-input").is_visible()
    assert await page.evaluate("document.activeElement.id") == "notes-toggle", "no keyboard pops up"
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await context.close()


def test_interviewers_page_has_the_notes_panel_and_candidates_page_has_not() -> None:
    recorded = {**REQUIRED_CONTEXT, "recorded": True, "recording_notice": "Recorded <for> you."}
    candidate = render_join_page(**recorded)
    assert 'id="f-consent"' in candidate
    assert "Recorded &lt;for&gt; you." in candidate
    assert "notes-panel" not in candidate
    interviewer = render_join_page(**{**recorded, "role": "interviewer"})
    assert 'id="notes-panel"' in interviewer
