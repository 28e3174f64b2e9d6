"""Crash safety: a server killed with SIGKILL mid-call leaves track files that play, and
start-up repair gives them back their duration and seek index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from liveinterview.media.repair import RepairError, find_unfinished, repair
from liveinterview.media.sidecar import read_json, sidecar_path

pytestmark = pytest.mark.media

ROOT = Path(__file__).resolve().parents[2]
CUES = b"\x1c\x53\xbb\x6b"  # the Matroska element id of the seek index

# A server process in miniature: the engine, one real aiortc participant, the recorder;
# it reports how far each track has been written, until it is killed.
RECORDING_SERVER = """
import asyncio, sys
from pathlib import Path
from liveinterview.clock import SystemClock
from liveinterview.media.engine import AiortcEngine
from liveinterview.media.recording import RoomRecording
from tests.media.clients import LOOPBACK, ClientPeer

async def main(directory):
    recording = RoomRecording(Path(directory), clock=SystemClock(), min_free_bytes=0)
    engine = AiortcEngine(
        ice_servers=[], host_addresses=[LOOPBACK],
        on_publication=lambda room, who, source, pub: recording.attach(who, source, pub, who),
    )
    await ClientPeer(engine, "room", "alice").join()
    while True:
        await asyncio.sleep(0.05)
        parts = [f"{r.source.value}={r.last_written_pts:.3f}" for r in recording.recorders
                 if r.current is not None]
        print("written", *parts, flush=True)

asyncio.run(main(sys.argv[1]))
"""


def record_until_killed(directory: Path, seconds: float) -> dict[str, float]:
    """Run the recording server until both tracks hold `seconds`, SIGKILL it mid-write.

    Returns how far each track had been written by the last report before the kill.
    """
    server = subprocess.Popen(
        [sys.executable, "-c", RECORDING_SERVER, str(directory)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 60
    written: dict[str, float] = {}
    try:
        assert server.stdout is not None
        for line in server.stdout:
            if not line.startswith("written "):
                continue
            written = {
                source: float(pts) for source, pts in (part.split("=") for part in line.split()[1:])
            }
            if written.get("camera", 0) >= seconds and written.get("microphone", 0) >= seconds:
                server.send_signal(signal.SIGKILL)
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"the server wrote only {written} in 60 s")
    finally:
        server.kill()
        server.wait()
    assert server.returncode == -signal.SIGKILL
    return written


@pytest.mark.slow
def test_a_killed_recording_plays_and_is_repaired_at_the_next_start(tmp_path: Path) -> None:
    written = record_until_killed(tmp_path, seconds=3.0)

    camera, microphone = (
        tmp_path / "alice__camera__000.webm",
        tmp_path / "alice__microphone__000.webm",
    )
    assert find_unfinished(tmp_path) == [camera, microphone]
    for path in (camera, microphone):
        data = path.read_bytes()
        assert CUES not in data  # the killed writer never wrote its index...
        with av.open(str(path)) as container:
            assert container.duration is None  # ...nor its duration
            frames = list(container.decode(container.streams[0]))
        assert frames  # but what it wrote plays

    results = {path.name.split("__")[1]: repair(path) for path in (camera, microphone)}

    for source, result in results.items():
        # Lost at most the cluster being written (0.5 s) plus the last report's age.
        assert written[source] - 1.0 <= result.duration <= written[source] + 0.3, source
        assert CUES in result.path.read_bytes()
        with av.open(str(result.path)) as container:
            assert container.duration is not None
            assert container.duration / 1e6 == pytest.approx(result.duration, abs=0.1)
            stream = container.streams[0]
            container.seek(1_500_000)  # 1.5 s, through the index
            packet = next(p for p in container.demux(stream) if p.size)
            assert packet.is_keyframe
            assert packet.pts is not None
            assert stream.time_base is not None
            assert float(packet.pts * stream.time_base) <= 1.5
        sidecar = read_json(sidecar_path(result.path))
        assert (sidecar["open"], sidecar["repaired"], sidecar["closed"]) == (False, True, "crashed")
    with av.open(str(microphone)) as container:
        container.seek(1_500_000)  # audio is all keyframes: the cluster start before 1.5 s
        packet = next(p for p in container.demux(container.streams[0]) if p.size)
        assert packet.pts is not None
        assert 1000 <= packet.pts <= 1500
    assert find_unfinished(tmp_path) == []


def test_a_file_with_nothing_recoverable_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "alice__camera__000.webm"
    path.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(200))  # an EBML id, then nothing usable
    sidecar_path(path).write_text('{"open": true}')
    with pytest.raises(RepairError, match=r"alice__camera__000\.webm"):
        repair(path)
    assert path.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_only_files_whose_sidecar_says_open_are_unfinished(tmp_path: Path) -> None:
    for name, sidecar in [
        ("a__camera__000.webm", '{"open": true}'),
        ("b__camera__000.webm", '{"open": false}'),
        ("c__camera__000.webm", None),
        ("d__camera__000.webm", "not json"),
    ]:
        nested = tmp_path / "interview-7"
        nested.mkdir(exist_ok=True)
        (nested / name).write_bytes(b"")
        if sidecar is not None:
            sidecar_path(nested / name).write_text(sidecar)
    assert find_unfinished(tmp_path) == [tmp_path / "interview-7" / "a__camera__000.webm"]
