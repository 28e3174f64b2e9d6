"""The media plane as worker processes: real aiortc clients through a `WorkerPool` of two.

Every worker is a real `python -m liveinterview.media.worker` process running the real
engine and recorder on 127.0.0.1; the clients run in the test process and drive the pool
exactly as they drive an in-process engine.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import cast

import pytest

from liveinterview.app import create_app
from liveinterview.config import SettingsError, load_settings
from liveinterview.media.engine import AiortcEngine
from liveinterview.media.ipc import FrameDecoder, WorkerConfig, encode
from liveinterview.media.placement import (
    InMemoryPlacement,
    NoWorkerAvailable,
    WorkerLoad,
    least_loaded,
)
from liveinterview.media.pool import WorkerPool
from liveinterview.media.sidecar import read_json, sidecar_path
from liveinterview.media.worker_process import Backoff, Heartbeat, WorkerState
from liveinterview.web.keys import HUB, RECORDINGS
from signaling.ports import MediaError
from tests.media.clients import LOOPBACK, ClientPeer, eventually

CONFIG = WorkerConfig(
    host_addresses=(LOOPBACK,),
    announced_address="",
    min_free_bytes=0,
    log_level="WARNING",
    log_format="text",
)

MakePeer = Callable[..., ClientPeer]


@pytest.fixture
async def pool() -> AsyncIterator[WorkerPool]:
    pool = WorkerPool(CONFIG, 2)
    await pool.launch()
    yield pool
    await pool.close()


@pytest.fixture
async def peers(pool: WorkerPool) -> AsyncIterator[MakePeer]:
    """Client peers of any room, driving the pool (closed at the end of the test)."""
    made: list[ClientPeer] = []

    def make(room_id: str, participant_id: str, **options: object) -> ClientPeer:
        engine = cast(AiortcEngine, pool)  # ClientPeer needs only the MediaEngine calls
        client = ClientPeer(engine, room_id, participant_id, **options)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


def receiving(client: ClientPeer, publisher: str, minimum: int = 10) -> bool:
    return (
        client.frames_from(publisher, "camera") >= minimum
        and client.frames_from(publisher, "microphone") >= minimum
    )


def frames(*clients: ClientPeer) -> int:
    return sum(sum(client.decoded.values()) for client in clients)


async def pair(peers: MakePeer, room_id: str, first: str, second: str) -> list[ClientPeer]:
    one, two = peers(room_id, first), peers(room_id, second)
    await one.join()
    await two.join()
    await eventually(lambda: receiving(one, second) and receiving(two, first))
    return [one, two]


# --- pure parts ----------------------------------------------------------------------------


def test_frames_come_out_whole_however_the_bytes_are_cut() -> None:
    messages = [{"id": 1, "op": "ping"}, {"ev": "offer", "sdp": "v=0\r\n" * 500, "x": "é"}]
    stream = b"".join(encode(m) for m in messages)
    for cut in (1, 3, 4, 7, len(stream) // 2, len(stream)):
        decoder = FrameDecoder()
        received = []
        for start in range(0, len(stream), cut):
            received += decoder.feed(stream[start : start + cut])
        assert received == messages


@pytest.mark.parametrize(
    ("loads", "chosen"),
    [
        ([WorkerLoad("1", 0, 0), WorkerLoad("2", 0, 0)], "1"),  # a tie: the first
        ([WorkerLoad("1", 2, 1), WorkerLoad("2", 1, 1)], "2"),  # fewer participants
        ([WorkerLoad("1", 4, 1), WorkerLoad("2", 4, 2)], "1"),  # then fewer rooms
        ([WorkerLoad("1", 1, 1), WorkerLoad("2", 6, 1), WorkerLoad("3", 3, 3)], "1"),
    ],
)
def test_a_new_room_goes_to_the_worker_with_fewest_participants(
    loads: list[WorkerLoad], chosen: str
) -> None:
    assert least_loaded(loads).worker == chosen


async def test_placement_keeps_a_room_on_its_worker_until_released_or_gone() -> None:
    placement = InMemoryPlacement()
    both = [WorkerLoad("1", 0, 0), WorkerLoad("2", 0, 0)]
    assert await placement.assign("r", both) == "1"
    assert await placement.assign("r", [WorkerLoad("1", 9, 9), WorkerLoad("2", 0, 0)]) == "1"
    assert await placement.assign("r", [WorkerLoad("2", 0, 0)]) == "2"  # worker 1 died
    await placement.release("r", "1")  # a late release of the old assignment changes nothing
    assert await placement.lookup("r") == "2"
    await placement.release("r", "2")
    assert await placement.lookup("r") is None
    with pytest.raises(NoWorkerAvailable):
        await placement.assign("r", [])


@pytest.mark.parametrize(
    ("deaths", "delays"),
    [
        ([60.0, 60.0], [0.0, 0.0]),  # healthy runs: restarted at once each time
        ([1.0, 1.0, 1.0, 1.0], [0.0, 0.5, 1.0, 2.0]),  # dying at once: doubling
        ([1.0] * 10, [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]),
        ([1.0, 1.0, 1.0, 60.0, 1.0], [0.0, 0.5, 1.0, 0.0, 0.5]),  # a good run resets it
    ],
)
def test_a_worker_that_keeps_dying_is_restarted_ever_more_slowly(
    deaths: list[float], delays: list[float]
) -> None:
    backoff, failures, got = Backoff(), 0, []
    for lived in deaths:
        failures = backoff.failures(failures, lived)
        got.append(backoff.delay(failures))
    assert got == delays


@pytest.mark.parametrize(
    ("raw", "workers"), [("auto", None), ("AUTO", None), ("0", 0), ("1", 1), (" 64 ", 64)]
)
def test_the_workers_setting_takes_auto_or_a_count(raw: str, workers: int | None) -> None:
    settings = load_settings({"LIVEINTERVIEW_MEDIA_WORKERS": raw})
    assert settings.media_workers == workers
    expected = os.cpu_count() if workers is None else workers
    assert settings.media_worker_count == expected


@pytest.mark.parametrize("raw", ["65", "-1", "two", "1.5"])
def test_a_bad_workers_setting_is_refused_naming_it(raw: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"LIVEINTERVIEW_MEDIA_WORKERS": raw})
    assert str(caught.value) == (
        f"LIVEINTERVIEW_MEDIA_WORKERS: expected auto or a number from 0 to 64, got {raw!r}"
    )


def test_zero_workers_keeps_the_engine_in_the_web_process(tmp_path: Path) -> None:
    environment = {
        "LIVEINTERVIEW_DATA_DIR": str(tmp_path),
        "LIVEINTERVIEW_SECRET_KEY": "k" * 40,
    }
    inside = create_app(load_settings({**environment, "LIVEINTERVIEW_MEDIA_WORKERS": "0"}))
    assert isinstance(inside[HUB].media, AiortcEngine)
    assert not isinstance(inside[RECORDINGS].control, WorkerPool)
    pooled = create_app(load_settings({**environment, "LIVEINTERVIEW_MEDIA_WORKERS": "2"}))
    media = pooled[HUB].media
    assert isinstance(media, WorkerPool)
    assert pooled[RECORDINGS].control is media
    assert media.pids() == {}  # nothing runs before the app starts


# --- through real worker processes ---------------------------------------------------------


async def test_a_pool_whose_workers_cannot_start_says_so_at_once() -> None:
    pool = WorkerPool(  # not waited for 600 s: they exit at once
        CONFIG, 2, startup_seconds=600, worker_module="liveinterview.media.no_such_worker"
    )
    with pytest.raises(RuntimeError, match="no media worker became ready"):
        await pool.launch()
    assert pool.pids() == {}
    assert {pool.worker(w).state for w in ("1", "2")} == {WorkerState.STOPPED}


@pytest.mark.media
async def test_rooms_are_spread_over_the_workers_and_media_flows_through_them(
    pool: WorkerPool, peers: MakePeer
) -> None:
    alice, bob = await pair(peers, "room-a", "alice", "user:42")
    carol = peers("room-b", "carol")
    await carol.join()

    first, second = await pool.worker_of("room-a"), await pool.worker_of("room-b")
    assert {first, second} == {"1", "2"}
    assert first is not None
    assert second is not None
    assert await pool.worker(first).call("rooms") == ["room-a"]
    assert await pool.worker(second).call("rooms") == ["room-b"]
    assert sorted(pool.loads(), key=lambda load: load.worker) == sorted(
        [WorkerLoad(first, 2, 1), WorkerLoad(second, 1, 1)], key=lambda load: load.worker
    )

    # Every kind of event comes back to the right connection.
    assert alice.track_maps[-1] == [
        {"mid": "3", "participant": "user:42", "source": "microphone"},
        {"mid": "4", "participant": "user:42", "source": "camera"},
        {"mid": "5", "participant": "user:42", "source": "screen"},
    ]
    await eventually(lambda: "connected" in alice.states and "connected" in carol.states)
    await eventually(lambda: len(alice.levels) > 0 and len(bob.levels) > 0)
    assert 0.1 < max(alice.levels) <= 1.0
    assert carol.frames_from("alice", "camera") == 0  # rooms stay apart

    await pool.disconnect("room-a", "user:42")
    await pool.disconnect("room-a", "alice")
    assert await pool.worker_of("room-a") is None  # an empty room is released
    assert await pool.worker_of("room-b") == second


@pytest.mark.media
async def test_a_media_error_in_a_worker_arrives_as_media_error_with_its_message(
    pool: WorkerPool, peers: MakePeer
) -> None:
    bad_answer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    engine = AiortcEngine(ice_servers=[], host_addresses=[LOOPBACK])
    local = ClientPeer(engine, "room-e", "alice", answering=False)
    remote = peers("room-e", "alice", answering=False)
    try:
        await local.join()
        await remote.join()
        await eventually(lambda: bool(remote.unanswered))
        for call in (
            lambda media: media.accept_answer("room-e", "alice", bad_answer),
            lambda media: media.add_ice_candidate("room-e", "alice", "candidate:x", "7", None),
            lambda media: media.accept_answer("room-e", "nobody", bad_answer),
        ):
            with pytest.raises(MediaError) as in_process:
                await call(engine)
            with pytest.raises(MediaError) as through_pool:
                await call(pool)
            assert type(through_pool.value) is MediaError
            assert through_pool.value.message == in_process.value.message
    finally:
        await local.close()
        await engine.close()
    assert await pool.worker_of("room-e") is not None  # the room and its worker carry on


@pytest.mark.media
@pytest.mark.slow
async def test_a_killed_worker_loses_only_its_rooms_which_reconnect_and_flow_again(
    pool: WorkerPool, peers: MakePeer
) -> None:
    lost: list[str] = []

    async def on_room_lost(room_id: str) -> None:
        lost.append(room_id)

    pool.on_room_lost = on_room_lost
    await pair(peers, "room-a", "alice", "user:42")
    survivors = await pair(peers, "room-b", "carol", "dan")
    eve = peers("probe-c", "eve")  # a pre-join check: her camera comes back to her
    await pool.connect_probe("probe-c", "eve", eve.events)
    await eventually(lambda: eve.frames_from("eve", "camera") >= 10)
    victim = await pool.worker_of("room-a")
    assert victim is not None
    assert victim != await pool.worker_of("room-b")
    assert victim == await pool.worker_of("probe-c")  # a tie goes to the first worker
    worker = pool.worker(victim)
    old_pid = worker.pid
    assert old_pid is not None

    before = frames(*survivors)
    os.kill(old_pid, signal.SIGKILL)
    await eventually(lambda: sorted(lost) == ["probe-c", "room-a"])
    assert await pool.worker_of("room-a") is None
    await eventually(lambda: worker.state is WorkerState.READY and worker.pid != old_pid)
    assert worker.restarts == 1
    await eventually(lambda: frames(*survivors) > before + 30)  # room-b flows on...
    before = frames(*survivors)

    # What the browsers do on close code 1012: a fresh peer connection each, joined again.
    await pair(peers, "room-a", "alice", "user:42")
    await eventually(lambda: frames(*survivors) > before + 30)  # ...while room-a comes back
    assert sorted(lost) == ["probe-c", "room-a"]  # never room-b
    assert all(client.pc.connectionState == "connected" for client in survivors)


def recording_state(directory: Path) -> str | None:
    path = directory / "recording.json"
    return str(read_json(path)["state"]) if path.exists() else None


def grown(path: Path, size: int = 20_000) -> bool:
    return path.exists() and path.stat().st_size >= size


@pytest.mark.media
@pytest.mark.slow
async def test_recording_through_a_worker_continues_in_a_new_segment_after_it_is_killed(
    pool: WorkerPool, peers: MakePeer, tmp_path: Path
) -> None:
    directory = tmp_path / "interview-7"
    names = {"alice": "Alice", "bob": "Bob"}
    await pair(peers, "interview-7", "alice", "bob")
    pool.start("interview-7", directory, names)
    first = directory / "alice__camera__000.webm"
    await eventually(lambda: grown(first) and grown(directory / "bob__microphone__000.webm"))
    pool.pause("interview-7")
    await eventually(lambda: recording_state(directory) == "paused")

    worker = await pool.worker_of("interview-7")
    assert worker is not None
    pid = pool.worker(worker).pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    await eventually(lambda: pool.worker(worker).pid != pid)

    # They rejoin; the recordings service starts the recording again after each join.
    await pair(peers, "interview-7", "alice", "bob")
    pool.start("interview-7", directory, names)
    await eventually(lambda: recording_state(directory) == "paused")  # still paused
    killed = read_json(sidecar_path(first))
    assert (killed["open"], killed["closed"], killed["repaired"]) == (False, "crashed", True)
    pool.resume("interview-7")
    second = directory / "alice__camera__001.webm"
    await eventually(lambda: grown(second) and grown(directory / "bob__microphone__001.webm"))

    await pool.stop("interview-7")
    sidecar = read_json(sidecar_path(second))
    assert (sidecar["open"], sidecar["closed"], sidecar["display_name"]) == (
        False,
        "stopped",
        "Alice",
    )
    assert recording_state(directory) == "stopped"


@pytest.mark.media
async def test_a_recording_failure_in_a_worker_reaches_the_app_with_room_and_reason(
    tmp_path: Path,
) -> None:
    failures: list[tuple[str, str]] = []

    async def on_failure(room_id: str, reason: str) -> None:
        failures.append((room_id, reason))

    pool = WorkerPool(replace(CONFIG, min_free_bytes=2**60), 1)  # no disk is that large
    pool.on_failure = on_failure
    await pool.launch()
    client = ClientPeer(cast(AiortcEngine, pool), "interview-3", "alice")  # type: ignore[arg-type]
    try:
        await client.join()
        pool.start("interview-3", tmp_path, {"alice": "Alice"})
        await eventually(lambda: len(failures) == 1)
    finally:
        await pool.close()
        await client.close()
    ((room_id, reason),) = failures
    assert room_id == "interview-3"
    assert reason.startswith("not enough free disk space:")


@pytest.mark.media
async def test_shutdown_finishes_the_recordings_and_leaves_no_worker_behind(
    tmp_path: Path,
) -> None:
    pool = WorkerPool(CONFIG, 2)
    await pool.launch()
    pids = pool.pids()
    assert len(pids) == 2
    client = ClientPeer(cast(AiortcEngine, pool), "interview-9", "alice")  # type: ignore[arg-type]
    try:
        await client.join()
        await eventually(lambda: "connected" in client.states)
        pool.start("interview-9", tmp_path, {"alice": "Alice"})
        await eventually(
            lambda: (
                grown(tmp_path / "alice__microphone__000.webm", 2_000)
                and grown(tmp_path / "alice__camera__000.webm", 2_000)
            )
        )
    finally:
        await pool.close()
        await client.close()

    assert [pid for pid in pids.values() if is_a_worker(pid)] == []
    assert [pool.worker(w).returncode for w in ("1", "2")] == [0, 0]  # exited by themselves
    assert pool.pids() == {}
    assert closed_segments(tmp_path) == ["stopped", "stopped", "stopped"]  # and recording.json


def is_a_worker(pid: int) -> bool:
    """Whether a media worker runs with this pid (free, or reused, once it was reaped)."""
    try:
        return b"liveinterview.media.worker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def closed_segments(directory: Path) -> list[str]:
    """How each track file was closed (from its sidecar), and the room's final state."""
    closed = [str(read_json(sidecar_path(p))["closed"]) for p in sorted(directory.glob("*.webm"))]
    return [*closed, str(json.loads((directory / "recording.json").read_text())["state"])]


async def test_a_worker_that_does_not_stop_in_time_is_killed() -> None:
    pool = WorkerPool(CONFIG, 1, shutdown_seconds=0.5)
    await pool.launch()
    os.kill(pool.pids()["1"], signal.SIGSTOP)  # hung: it never answers the shutdown
    await pool.close()
    assert pool.worker("1").returncode == -signal.SIGKILL
    assert pool.pids() == {}


async def test_a_hung_worker_is_killed_by_the_heartbeat_and_only_its_rooms_are_lost() -> None:
    pool = WorkerPool(CONFIG, 2, heartbeat=Heartbeat(every=0.2, timeout=1.0))
    lost: list[str] = []

    async def on_room_lost(room_id: str) -> None:
        lost.append(room_id)

    pool.on_room_lost = on_room_lost
    await pool.launch()
    try:
        client = ClientPeer(cast(AiortcEngine, pool), "room-h", "alice")  # type: ignore[arg-type]
        await client.join()
        victim = await pool.worker_of("room-h")
        assert victim is not None
        worker, other = pool.worker(victim), pool.worker("2" if victim == "1" else "1")
        hung_pid, other_pid = worker.pid, other.pid
        assert hung_pid is not None
        os.kill(hung_pid, signal.SIGSTOP)  # alive, but its event loop never runs again
        await eventually(lambda: lost == ["room-h"])
        await eventually(lambda: worker.state is WorkerState.READY and worker.pid != hung_pid)
        assert (worker.hangs, worker.restarts) == (1, 1)
        assert (other.hangs, other.pid) == (0, other_pid)  # the answering worker is left alone
        await client.close()
    finally:
        await pool.close()
