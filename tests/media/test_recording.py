"""Track recording: real aiortc peers through the engine, the recorder attached by its hook.

Frames are written as they arrive (no codec), one WebM file per participant, source and
segment, each with its JSON sidecar. The first tests drive a `Publication` directly with
hand-made packets; the others run real calls for a few seconds.
"""

from __future__ import annotations

import asyncio
import errno
import itertools
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import av
import pytest

from liveinterview.clock import ManualClock
from liveinterview.media.engine import AiortcEngine
from liveinterview.media.packets import ReceivedRtp, SenderReport
from liveinterview.media.publication import Publication, Source
from liveinterview.media.recording import (
    RecordingState,
    RecordingStateError,
    RoomRecording,
    track_file_name,
)
from liveinterview.media.sidecar import TrackSidecar, extend_rtp, sidecar_path
from liveinterview.media.track_file import opus_samples
from liveinterview.media.track_recorder import TrackRecorder
from tests.media.clients import LOOPBACK, ClientPeer, eventually

pytestmark = pytest.mark.media

CLOCK = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
# A VP8 keyframe header announcing 320×240, and a delta frame (the payload is not real VP8:
# the recorder copies bytes, it never decodes).
KEY = bytes([0x50, 0x01, 0x00, 0x9D, 0x01, 0x2A, 0x40, 0x01, 0xF0, 0x00]) + b"k" * 10
DELTA = bytes([0x51, 0x01, 0x00]) + b"d" * 10


# --- pure parts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("participant", "source", "segment", "name"),
    [
        ("alice", Source.CAMERA, 0, "alice__camera__000.webm"),
        ("user:42", Source.MICROPHONE, 7, "user%3A42__microphone__007.webm"),
        ("../etc/passwd", Source.SCREEN, 12, "..%2Fetc%2Fpasswd__screen__012.webm"),
        ("a__b", Source.CAMERA, 1, "a__b__camera__001.webm"),
    ],
)
def test_track_files_are_named_by_participant_source_and_segment(
    participant: str, source: Source, segment: int, name: str
) -> None:
    assert track_file_name(participant, source, segment) == name


def test_a_very_long_participant_id_still_makes_a_short_unique_name() -> None:
    first, second = track_file_name("x" * 300, "camera", 0), track_file_name("x" * 299, "camera", 0)
    assert first != second
    assert len(first) < 130


@pytest.mark.parametrize(
    ("toc", "samples"),
    [
        (bytes([0x78]), 960),  # CELT fullband 20 ms, one frame (what browsers send)
        (bytes([0x08]), 960),  # SILK narrowband 20 ms
        (bytes([0x79]), 1920),  # two 20 ms frames
        (bytes([0x7B, 0x03]), 2880),  # code 3: three frames
        (bytes([0x60]), 480),  # hybrid 10 ms
        (b"", 0),
    ],
)
def test_opus_packet_durations_come_from_the_toc_byte(toc: bytes, samples: int) -> None:
    assert opus_samples(toc) == samples


def test_sender_report_timestamps_are_extended_across_a_32_bit_wrap() -> None:
    assert extend_rtp(10, near_extended=(1 << 32) - 5, near_rtp=(1 << 32) - 5) == (1 << 32) + 10
    assert extend_rtp((1 << 32) - 5, near_extended=(1 << 32) + 10, near_rtp=10) == (1 << 32) - 5


# --- a publication driven by hand ------------------------------------------------------


class Upstream:
    def __init__(self) -> None:
        self.requests = 0

    def request_keyframe(self) -> bool:
        self.requests += 1
        return True


def video(seq: int, key: bool = False, ssrc: int = 7, arrival: float = 0.0) -> ReceivedRtp:
    data = KEY if key else DELTA
    return ReceivedRtp(ssrc, seq, seq * 6000, True, b"\x10" + data, data, None, arrival + seq / 15)


def packets(path: Path) -> list[av.Packet]:
    with av.open(str(path)) as container:
        return [p for p in container.demux(container.streams[0]) if p.size]


async def test_video_starts_at_a_keyframe_and_a_new_ssrc_starts_the_next_segment(
    tmp_path: Path,
) -> None:
    (tmp_path / "alice__camera__004.webm").touch()  # left by an earlier server process
    recording = RoomRecording(tmp_path, clock=CLOCK, min_free_bytes=0)
    upstream = Upstream()
    publication = Publication("alice", Source.CAMERA, now=lambda: 0.0)
    publication.bind(upstream)
    recorder = recording.attach("alice", Source.CAMERA, publication, "Alice")
    assert isinstance(recorder, TrackRecorder)

    publication.on_sender_report(SenderReport(7, 0xE000_0000_8000_0000, 6000 * 3, 0.05))
    for seq in (1, 2):
        publication.on_rtp(video(seq))  # deltas before any keyframe: nothing to decode from
    assert (recorder.written, recorder.skipped) == (0, 2)
    assert upstream.requests >= 1
    for seq in (3, 4, 5):
        publication.on_rtp(video(seq, key=seq == 3))
    publication.on_rtp(video(60, key=True, ssrc=8))  # the participant reconnected
    publication.on_rtp(video(61, ssrc=8))
    publication.close()  # the participant left

    first, second = (tmp_path / f"alice__camera__{n:03d}.webm" for n in (5, 6))
    assert recorder.files == [first, second]
    assert [p.pts for p in packets(first)] == [0, 67, 133]
    assert [p.is_keyframe for p in packets(first)] == [True, False, False]
    assert [p.pts for p in packets(second)] == [0, 67]
    sidecar = TrackSidecar.load(first)
    assert (sidecar.segment, sidecar.ssrc, sidecar.closed, sidecar.open) == (
        5,
        7,
        "restarted",
        False,
    )
    assert (sidecar.width, sidecar.height, sidecar.frames, sidecar.keyframes) == (320, 240, 3, 1)
    assert sidecar.first_rtp_timestamp == 18000
    assert sidecar.first_report is not None  # it came before the first frame, and was kept
    assert sidecar.first_report.rtp_timestamp == 18000
    assert sidecar.ntp_of(0.0) == pytest.approx(0xE000_0000 + 0.5)
    assert TrackSidecar.load(second).closed == "ended"
    assert recording.recorders == []  # forgotten once the publication ended
    recording.stop()


async def test_pausing_twice_or_resuming_a_running_recording_is_refused(tmp_path: Path) -> None:
    recording = RoomRecording(tmp_path, clock=CLOCK, min_free_bytes=0)
    with pytest.raises(RecordingStateError, match="resume a recording that is recording"):
        recording.resume()
    recording.pause()
    with pytest.raises(RecordingStateError, match="it must be recording"):
        recording.pause()
    recording.stop()
    recording.stop()  # stopping twice is fine
    state = json.loads((tmp_path / "recording.json").read_text())
    assert state["state"] == "stopped"
    assert state["pauses"][0]["end"] is not None  # the pause ends with the recording


# --- real calls ------------------------------------------------------------------------


class DiskQuota:
    """A file system that is full after `free` bytes: writes past it raise ENOSPC."""

    def __init__(self, free: int) -> None:
        self.free = free

    def open(self, path: Path) -> BinaryIO:
        return _QuotaFile(open(path, "xb", buffering=0), self)  # type: ignore[return-value]


class _QuotaFile:
    def __init__(self, file: BinaryIO, quota: DiskQuota) -> None:
        self._file, self._quota = file, quota

    def write(self, data: bytes) -> int:
        if len(data) > self._quota.free:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._quota.free -= len(data)
        return self._file.write(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        self._file.close()


@dataclass
class Studio:
    """An engine whose publications are recorded into `directory` through the hook."""

    engine: AiortcEngine
    recording: RoomRecording
    directory: Path
    failures: list[str]
    announced: list[tuple[str, Source]] = field(default_factory=list)
    clients: list[ClientPeer] = field(default_factory=list)

    def client(self, participant_id: str) -> ClientPeer:
        client = ClientPeer(self.engine, "room-1", participant_id)
        self.clients.append(client)
        return client

    def recorder(self, participant_id: str, source: Source) -> TrackRecorder:
        return next(
            r
            for r in self.recording.recorders
            if (r.participant_id, r.source) == (participant_id, source)
        )


MakeStudio = Callable[..., Studio]


@pytest.fixture
async def studio(tmp_path: Path) -> AsyncIterator[MakeStudio]:
    made: list[Studio] = []

    def make(**options: Any) -> Studio:
        failures: list[str] = []
        directory = tmp_path / "recording"
        options.setdefault("min_free_bytes", 0)
        recording = RoomRecording(directory, clock=CLOCK, on_failure=failures.append, **options)
        announced: list[tuple[str, Source]] = []

        def on_publication(room: str, participant: str, source: Source, pub: Publication) -> None:
            announced.append((participant, source))
            recording.attach(participant, source, pub, participant.title())

        engine = AiortcEngine(
            ice_servers=[], host_addresses=[LOOPBACK], on_publication=on_publication
        )
        made.append(Studio(engine, recording, directory, failures, announced))
        return made[-1]

    yield make
    for made_studio in made:
        made_studio.recording.stop()
        for client in made_studio.clients:
            await client.close()
        await made_studio.engine.close()


def written(studio: Studio, participant: str, camera: int, microphone: int) -> bool:
    recorders = {r.source: r for r in studio.recording.recorders if r.participant_id == participant}
    return (
        recorders[Source.CAMERA].written >= camera
        and recorders[Source.MICROPHONE].written >= microphone
    )


def with_sender_reports(studio: Studio) -> bool:
    return all(
        r.current is not None and r.current.sidecar.last_report is not None
        for r in studio.recording.recorders
        if r.source is not Source.SCREEN
    )


@pytest.mark.slow
async def test_every_track_of_a_call_is_recorded_as_it_arrives(studio: MakeStudio) -> None:
    room = studio()
    await room.client("alice").join()
    await room.client("user:42").join()
    await eventually(
        lambda: (
            written(room, "alice", 45, 150)
            and written(room, "user:42", 45, 150)
            and with_sender_reports(room)
        )
    )
    counts = {(r.participant_id, r.source): r.written for r in room.recording.recorders}
    room.recording.stop()

    names = sorted(p.name for p in room.directory.glob("*.webm"))
    assert names == [
        "alice__camera__000.webm",
        "alice__microphone__000.webm",
        "user%3A42__camera__000.webm",
        "user%3A42__microphone__000.webm",
    ]  # nobody shared a screen: no file for it
    for path in room.directory.glob("*.webm"):
        sidecar = TrackSidecar.load(path)
        written_frames = counts[(sidecar.participant_id, Source(sidecar.source))]
        with av.open(str(path)) as container:
            (stream,) = container.streams
            frames = list(container.decode(stream))
            duration = container.duration / 1e6 if container.duration else None
        assert stream.codec_context.name == sidecar.codec
        assert len(frames) == sidecar.frames >= written_frames  # every frame decodes
        assert duration is not None  # closed properly: duration and seek index written
        if sidecar.kind == "video":
            # aiortc's 15 fps camera: the timestamps advance one frame per frame sent.
            assert stream.codec_context.name == "vp8"
            assert duration == pytest.approx((len(frames) - 1) / 15, abs=2 / 15)
            assert (frames[0].width, frames[0].height) == (320, 240)
            assert sidecar.keyframes >= 1
        else:
            assert stream.codec_context.name == "opus"
            assert stream.codec_context.extradata[:8] == b"OpusHead"
            assert duration == pytest.approx(len(frames) * 0.02, abs=0.05)
        assert sidecar.display_name == sidecar.participant_id.title()
        assert sidecar.clock_rate == (90000 if sidecar.kind == "video" else 48000)
        assert sidecar.first_rtp_timestamp is not None
        assert sidecar.first_arrival is not None
        assert sidecar.last_report is not None
        assert sidecar.report_offset is not None
        assert (sidecar.open, sidecar.closed) == (False, "stopped")
        raw = json.loads(sidecar_path(path).read_text())
        assert raw["first_frame"]["arrival_utc"].startswith("2026-03-02T09:00")


@pytest.mark.slow
async def test_a_reconnect_continues_in_a_new_segment_and_a_return_in_the_next(
    studio: MakeStudio,
) -> None:
    room = studio()
    await room.client("alice").join()
    await room.client("user:42").join()
    await eventually(lambda: written(room, "user:42", 15, 50))
    camera = room.recorder("user:42", Source.CAMERA)

    await room.client("user:42").join()  # a reload: a new connection, the same publications
    await eventually(lambda: len(camera.files) == 2 and camera.written >= 30)
    assert room.announced.count(("user:42", Source.CAMERA)) == 1

    await room.engine.disconnect("room-1", "user:42")  # left...
    assert camera.finished
    await room.client("user:42").join()  # ...and came back: new publications, announced again
    await eventually(lambda: written(room, "user:42", 15, 50))
    assert room.announced.count(("user:42", Source.CAMERA)) == 2
    room.recording.stop()

    segments = sorted(room.directory.glob("user%3A42__camera__*.webm"))
    assert [p.name[-8:] for p in segments] == ["000.webm", "001.webm", "002.webm"]
    sidecars = [TrackSidecar.load(p) for p in segments]
    assert [s.closed for s in sidecars] == ["restarted", "ended", "stopped"]
    assert len({s.ssrc for s in sidecars}) == 3
    for earlier, later in itertools.pairwise(sidecars):
        assert earlier.first_arrival is not None
        assert later.first_arrival is not None
        assert later.first_arrival > earlier.first_arrival
    for path in segments:
        with av.open(str(path)) as container:
            first = next(container.decode(video=0))  # each segment starts with a keyframe
            assert first.key_frame
    assert len(sorted(room.directory.glob("user%3A42__microphone__*.webm"))) == 3


@pytest.mark.slow
async def test_a_pause_writes_nothing_and_is_kept_in_the_sidecars(studio: MakeStudio) -> None:
    room = studio()
    await room.client("alice").join()
    await eventually(lambda: written(room, "alice", 15, 50))
    microphone = room.recorder("alice", Source.MICROPHONE)
    camera = room.recorder("alice", Source.CAMERA)

    room.recording.pause()
    before = (microphone.written, camera.written, microphone.skipped)
    await asyncio.sleep(1.0)
    assert (microphone.written, camera.written) == before[:2]
    assert microphone.skipped >= before[2] + 25  # the frames kept coming, and were dropped
    room.recording.resume()
    await eventually(
        lambda: camera.written >= before[1] + 15 and microphone.written >= before[0] + 50
    )
    room.recording.stop()

    path = room.directory / "alice__microphone__000.webm"
    sidecar = TrackSidecar.load(path)
    (pause,) = sidecar.pauses
    assert pause.end is not None
    assert pause.end - pause.start == pytest.approx(1.0, abs=0.2)
    assert sidecar.arrival_offset is not None
    times = [sidecar.arrival_offset + float(p.pts) / 1000 for p in packets(path)]
    inside = [t for t in times if pause.start + 0.1 < t < pause.end - 0.1]
    assert inside == []
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert max(gaps) == pytest.approx(pause.end - pause.start, abs=0.15)
    assert TrackSidecar.load(room.directory / "alice__camera__000.webm").pauses == [pause]
    state = json.loads((room.directory / "recording.json").read_text())
    assert len(state["pauses"]) == 1
    assert state["state"] == "stopped"


@pytest.mark.slow
async def test_a_full_disk_fails_the_recording_and_the_call_goes_on(studio: MakeStudio) -> None:
    quota = DiskQuota(free=150_000)
    room = studio(open_file=quota.open)
    alice, bob = room.client("alice"), room.client("bob")
    await alice.join()
    await bob.join()

    await eventually(lambda: room.recording.state is RecordingState.FAILED)
    assert room.failures == [room.recording.failure_reason]  # told once
    assert "No space left on device" in room.failures[0]
    receiving = bob.frames_from("alice", "camera")
    await eventually(lambda: bob.frames_from("alice", "camera") >= receiving + 15)
    for source in Source:  # the recorder let go of every publication
        publication = room.engine.publication("room-1", "alice", source)
        assert not any(isinstance(sink, TrackRecorder) for sink in publication.sinks)
    assert room.recording.attach("carol", Source.CAMERA, publication, "Carol") is None
    state = json.loads((room.directory / "recording.json").read_text())
    assert (state["state"], state["failure"]) == ("failed", room.failures[0])
    readable = [p for p in room.directory.glob("*.webm") if packets(p)]
    assert readable  # what was written before the disk filled up is still there


@pytest.mark.slow
async def test_no_file_is_opened_without_the_minimum_free_space(studio: MakeStudio) -> None:
    room = studio(min_free_bytes=1 << 62)
    alice = room.client("alice")
    await alice.join()
    await eventually(lambda: room.recording.state is RecordingState.FAILED)
    assert room.failures[0].startswith("not enough free disk space")
    assert list(room.directory.glob("*.webm")) == []
    await eventually(lambda: alice.states[-1:] == ["connected"])  # the call itself is fine


async def test_a_failing_publication_listener_keeps_nobody_out_and_probes_are_not_announced(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[tuple[str, str, Source]] = []

    def broken(room: str, participant: str, source: Source, publication: Publication) -> None:
        calls.append((room, participant, source))
        raise RuntimeError("listener bug")

    engine = AiortcEngine(ice_servers=[], host_addresses=[LOOPBACK], on_publication=broken)
    alice = ClientPeer(engine, "room-1", "alice")
    probe = ClientPeer(engine, "probe-1", "bob")
    try:
        await alice.join()
        await engine.connect_probe("probe-1", "bob", probe.events)
        await eventually(lambda: alice.states[-1:] == ["connected"])
    finally:
        await alice.close()
        await probe.close()
        await engine.close()
    assert calls == [("room-1", "alice", source) for source in Source]
    assert "on_publication failed" in caplog.text
