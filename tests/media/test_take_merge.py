"""A take's track files merged into one WebM without transcoding, on real recordings: a real
aiortc client publishes camera and microphone through the engine into the recorder."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest

from liveinterview.clock import ManualClock
from liveinterview.media.engine import AiortcEngine
from liveinterview.media.publication import Publication, Source
from liveinterview.media.recording import RoomRecording
from liveinterview.media.take_merge import ANSWER_FILE, MergeError, merge_take, track_segments
from tests.media.clients import LOOPBACK, ClientPeer, eventually

pytestmark = pytest.mark.media

CLOCK = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One take of about three seconds: camera and microphone files with sidecars."""
    directory = tmp_path_factory.mktemp("take") / "take"

    async def record() -> None:
        recording = RoomRecording(directory, clock=CLOCK, min_free_bytes=0)

        def on_publication(room: str, who: str, source: Source, publication: Publication) -> None:
            recording.attach(who, source, publication, "Zoë")

        engine = AiortcEngine(
            ice_servers=[], host_addresses=[LOOPBACK], on_publication=on_publication
        )
        client = ClientPeer(engine, "oneway-1", "candidate-1")
        try:
            await client.join()
            await eventually(
                lambda: (
                    all(r.written >= 40 for r in recording.recorders if r.source != "screen")
                    and len([r for r in recording.recorders if r.written]) == 2
                )
            )
            await asyncio.sleep(1.0)
        finally:
            recording.stop()
            await client.close()
            await engine.close()

    asyncio.run(record())
    return directory


def packets_of(path: Path) -> dict[str, list[bytes]]:
    with av.open(str(path)) as container:
        found: dict[str, list[bytes]] = {}
        for stream in container.streams:
            found.setdefault(stream.codec_context.name, [])
        for packet in container.demux():
            if packet.size:
                found[packet.stream.codec_context.name].append(bytes(packet))
        return found


def first_time(path: Path, kind: str) -> float:
    with av.open(str(path)) as container:
        stream = next(s for s in container.streams if s.type == kind)
        packet = next(iter(container.demux(stream)))
        assert packet.pts is not None
        assert stream.time_base is not None
        return float(packet.pts * stream.time_base)


def test_a_take_merges_into_one_webm_with_every_packet_unchanged(recorded: Path) -> None:
    sources = sorted(p.name for p in recorded.glob("*.webm"))
    assert sources == ["candidate-1__camera__000.webm", "candidate-1__microphone__000.webm"]
    started = time.perf_counter()
    merged = merge_take(recorded)
    elapsed = time.perf_counter() - started
    assert merged.file == recorded / ANSWER_FILE
    print(f"merge of a {merged.duration_ms} ms take: {elapsed * 1000:.1f} ms")

    copied = packets_of(merged.file)
    assert copied["vp8"] == packets_of(recorded / sources[0])["vp8"]  # stream copy: same bytes
    assert copied["opus"] == packets_of(recorded / sources[1])["opus"]
    with av.open(str(merged.file)) as container:
        assert [s.type for s in container.streams] == ["video", "audio"]
        assert container.duration is not None
        seconds = container.duration / 1e6
        video = [frame.time for frame in container.decode(video=0)]
    assert abs(seconds * 1000 - merged.duration_ms) < 50
    assert video == sorted(video)
    assert 2.0 < seconds < 10.0
    assert merged.packets == len(copied["vp8"]) + len(copied["opus"])


def test_the_tracks_keep_their_offset_on_the_servers_clock(recorded: Path) -> None:
    segments = {segment.kind: segment for segment in track_segments(recorded)}
    assert min(s.offset for s in segments.values()) == 0.0
    assert all(s.offset < 2.0 for s in segments.values())  # both started within the take
    merged = merge_take(recorded, output_name="aligned.webm")
    for kind, segment in segments.items():
        # Each track's first packet moved by exactly its offset from the take's start.
        assert first_time(merged.file, kind) == pytest.approx(
            first_time(segment.path, kind) + segment.offset, abs=0.002
        )


def test_a_limit_leaves_out_what_came_after_it(recorded: Path) -> None:
    merged = merge_take(recorded, timedelta(seconds=1), output_name="cut.webm")
    assert merged.duration_ms <= 1000
    with av.open(str(merged.file)) as container:
        assert container.duration is not None
        assert container.duration / 1e6 <= 1.0
        assert sum(1 for _ in container.decode(audio=0)) > 10


def test_a_take_with_nothing_recorded_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MergeError):
        merge_take(tmp_path)
    (tmp_path / "candidate-1__camera__000.webm").write_bytes(b"not a webm")
    with pytest.raises(MergeError):
        merge_take(tmp_path)
    assert not (tmp_path / ANSWER_FILE).exists()
