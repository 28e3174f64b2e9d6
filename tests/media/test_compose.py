"""The review file: track files composed into one MP4 by the command the job runs.

One real call is recorded once for the module: alice's camera flashes white and her
microphone beeps (1 kHz) at the same instants, bob shows a pattern and is silent, and the
recording is paused for a second in the middle. The composed file must keep flashes and
beeps within 100 ms of each other, cut the pause out, and skip broken tracks.
"""

from __future__ import annotations

import asyncio
import fractions
import itertools
import math
import shutil
import struct
import subprocess
import sys
import time
from array import array
from dataclasses import dataclass
from pathlib import Path

import av
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame

from liveinterview.clock import SystemClock
from liveinterview.media.bitmap_font import (
    GLYPH_HEIGHT,
    GLYPH_WIDTH,
    GLYPHS,
    printable,
    render_label,
)
from liveinterview.media.compose_layout import Rect, fit, grid, layout
from liveinterview.media.compose_timeline import Timeline
from liveinterview.media.engine import AiortcEngine
from liveinterview.media.publication import Publication, Source
from liveinterview.media.recording import RoomRecording
from liveinterview.media.sidecar import TrackSidecar
from tests.conftest import in_fresh_loop
from tests.media.clients import LOOPBACK, ClientPeer, ToneTrack, eventually

pytestmark = pytest.mark.media

ROOT = Path(__file__).resolve().parents[2]
PERIOD, FLASH = 1.0, 0.2  # a flash and a beep every second, both 0.2 s long
NAMES = {"alice": "Alice Ångström", "bob": "Bob"}


# --- the test clip ---------------------------------------------------------------------


class BeepTrack(MediaStreamTrack):
    """A microphone: 1 kHz beeps at every multiple of PERIOD after `origin`, else silence."""

    kind = "audio"

    def __init__(self, origin: float) -> None:
        super().__init__()
        self._origin = origin
        self._count: int | None = None
        tone = [int(0.5 * 32767 * math.sin(2 * math.pi * 1000 * n / 48000)) for n in range(960)]
        self._beep = struct.pack("<960h", *tone)  # 20 whole periods: seamless
        self._silence = bytes(1920)

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._count is None:
            self._count = max(0, math.ceil((time.monotonic() - self._origin) / 0.02))
        due = self._origin + self._count * 0.02
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        on = (self._count * 0.02) % PERIOD < FLASH - 1e-9
        frame = AudioFrame(format="s16", layout="mono", samples=960)
        frame.planes[0].update(self._beep if on else self._silence)
        frame.sample_rate = 48000
        frame.pts = self._count * 960
        frame.time_base = fractions.Fraction(1, 48000)
        self._count += 1
        return frame


class FlashTrack(MediaStreamTrack):
    """A camera: white at every multiple of PERIOD after `origin` (for FLASH), else dark."""

    kind = "video"
    fps = 30

    def __init__(self, origin: float) -> None:
        super().__init__()
        self._origin = origin
        self._count: int | None = None

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._count is None:
            self._count = max(0, math.ceil((time.monotonic() - self._origin) * self.fps))
        due = self._origin + self._count / self.fps
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        on = (self._count / self.fps) % PERIOD < FLASH - 1e-9
        frame = VideoFrame(width=320, height=240, format="yuv420p")
        frame.planes[0].update(bytes([235 if on else 30]) * frame.planes[0].buffer_size)
        for plane in frame.planes[1:]:
            plane.update(bytes([128]) * plane.buffer_size)
        frame.pts = self._count * (90000 // self.fps)
        frame.time_base = fractions.Fraction(1, 90000)
        self._count += 1
        return frame


@dataclass(frozen=True)
class Clip:
    directory: Path
    pause: float  # seconds paused


async def record_clip(directory: Path) -> Clip:
    recording = RoomRecording(directory, clock=SystemClock(), min_free_bytes=0)

    def on_publication(room: str, who: str, source: Source, publication: Publication) -> None:
        recording.attach(who, source, publication, who)

    engine = AiortcEngine(ice_servers=[], host_addresses=[LOOPBACK], on_publication=on_publication)
    origin = time.monotonic() + 0.5
    alice, bob = ClientPeer(engine, "room-1", "alice"), ClientPeer(engine, "room-1", "bob")
    alice.local["camera"], alice.local["microphone"] = FlashTrack(origin), BeepTrack(origin)
    bob.local["microphone"] = ToneTrack(amplitude=0.0)
    try:
        await alice.join()
        await bob.join()
        camera = next(
            r for r in recording.recorders if r.participant_id == "alice" and r.source == "camera"
        )
        await eventually(lambda: camera.written >= 75)  # 2.5 s
        recording.pause()
        paused_at = time.monotonic()
        await asyncio.sleep(1.0)
        recording.resume()
        pause = time.monotonic() - paused_at
        resumed = camera.written
        await eventually(lambda: camera.written >= resumed + 75)
        recording.stop()
    finally:
        for client in (alice, bob):
            await client.close()
        await engine.close()
    return Clip(directory, pause)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    directory = tmp_path_factory.mktemp("clip")
    clips: list[Clip] = []

    async def make() -> None:
        clips.append(await record_clip(directory))

    in_fresh_loop(make)
    return clips[0]


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: list[str]
    stderr: str


def compose(source: Path, output: Path, *extra: str) -> Run:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "liveinterview.media.compose",
            "--input",
            str(source),
            "--output",
            str(output),
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Run(done.returncode, done.stdout.splitlines(), done.stderr)


# --- measuring the result --------------------------------------------------------------


def onsets(times: list[float], levels: list[float], quiet: float = 0.3) -> list[float]:
    """Where `levels` rise above half their range after at least `quiet` seconds below it."""
    threshold = (min(levels) + max(levels)) / 2
    found: list[float] = []
    low_since: float | None = None
    for at, level in zip(times, levels, strict=True):
        if level < threshold:
            low_since = at if low_since is None else low_since
        else:
            if low_since is not None and at - low_since >= quiet:
                found.append(at)
            low_since = None
    return found


def flash_and_beep_onsets(path: Path) -> tuple[list[float], list[float]]:
    with av.open(str(path)) as container:
        frame_times, luma = [], []
        for frame in container.decode(video=0):
            small = frame.reformat(width=64, height=36, format="gray")
            frame_times.append(float(frame.time or 0.0))
            luma.append(sum(bytes(small.planes[0])) / (64 * 36))
    with av.open(str(path)) as container:
        window_times, loudness = [], []
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        for decoded in container.decode(audio=0):
            start = float(decoded.time or 0.0)
            for frame in resampler.resample(decoded):
                samples = array("h", bytes(frame.planes[0])[: frame.samples * 2])
                for offset in range(0, len(samples) - 239, 240):  # 5 ms windows
                    window = samples[offset : offset + 240]
                    window_times.append(start + offset / 48000)
                    loudness.append(math.sqrt(sum(s * s for s in window) / 240))
    return onsets(frame_times, luma), onsets(window_times, loudness)


# --- the command on a real recording ---------------------------------------------------


@pytest.mark.slow
def test_the_review_file_has_one_video_and_one_audio_stream_as_long_as_the_recording(
    clip: Clip, tmp_path: Path
) -> None:
    output = tmp_path / "review.mp4"
    run = compose(clip.directory, output, "--names", '{"bob": "Robert"}')

    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    *progress, done = run.stdout
    fractions_seen = [float(line.split()[1]) for line in progress]
    assert all(line.startswith("progress ") for line in progress)
    assert fractions_seen == sorted(fractions_seen)
    assert fractions_seen[-1] == 1.0
    assert done.startswith("done ")
    duration = float(done.split()[1])
    with av.open(str(output)) as container:
        kinds = [(s.type, s.codec_context.name) for s in container.streams]
        assert kinds == [("video", "h264"), ("audio", "aac")]
        assert container.duration is not None
        assert container.duration / 1e6 == pytest.approx(duration, abs=0.1)
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (1280, 720)

    # The same span judged from the sidecars alone: first to last frame, minus the pause.
    sidecars = [TrackSidecar.load(p) for p in clip.directory.glob("*.webm")]
    starts = [s.arrival_offset for s in sidecars if s.arrival_offset is not None]
    ends = [s.arrival_offset + s.duration for s in sidecars if s.arrival_offset is not None]
    assert duration == pytest.approx(max(ends) - min(starts) - clip.pause, abs=0.25)
    timeline = (tmp_path / "review.mp4.json").read_text()
    assert '"Robert"' in timeline
    assert '"pauses"' in timeline


@pytest.mark.slow
def test_flashes_and_beeps_stay_within_100_ms_of_each_other(clip: Clip, tmp_path: Path) -> None:
    output = tmp_path / "review.mp4"
    assert compose(clip.directory, output).returncode == 0

    flashes, beeps = flash_and_beep_onsets(output)

    pairs = [(flash, min(beeps, key=lambda beep: abs(beep - flash))) for flash in flashes]
    offsets = [round(beep - flash, 3) for flash, beep in pairs]
    print("flash onsets", flashes, "beep onsets", beeps, "offsets (audio - video)", offsets)
    assert len(pairs) >= 4
    assert len({beep for _, beep in pairs}) == len(pairs)
    assert all(abs(offset) < 0.1 for offset in offsets), offsets
    # Paused time is cut from both alike: the onsets keep their one-second spacing except
    # across the pause, where the gap is a second shortened by the second paused (± 0.2 s).
    spacings = sorted(b - a for a, b in itertools.pairwise(beeps))
    assert spacings[len(spacings) // 2] == pytest.approx(PERIOD, abs=0.02)


@pytest.mark.slow
def test_a_corrupt_track_is_skipped_and_a_truncated_one_is_used(clip: Clip, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(clip.directory, broken)
    (broken / "bob__camera__000.webm").write_bytes(b"\x1a\x45\xdf\xa3" + bytes(5000))
    truncated = broken / "alice__camera__000.webm"
    data = truncated.read_bytes()
    truncated.write_bytes(data[: len(data) * 2 // 3])  # a crash: the last third never written
    (broken / "bob__microphone__000.webm.json").unlink()  # a track without its sidecar

    run = compose(broken, tmp_path / "review.mp4")

    assert run.returncode == 0, run.stderr
    skipped = sorted(line for line in run.stderr.splitlines() if line.startswith("skipped "))
    assert [line.split(":")[0] for line in skipped] == [
        "skipped bob__camera__000.webm",
        "skipped bob__microphone__000.webm",
    ]
    assert "alice__camera" not in run.stderr
    with av.open(str(tmp_path / "review.mp4")) as container:
        assert [s.type for s in container.streams] == ["video", "audio"]


def test_nothing_usable_is_an_error_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "alice__camera__000.webm").write_bytes(b"not a webm file")
    run = compose(tmp_path / "in", tmp_path / "review.mp4")
    assert run.returncode == 1
    assert "skipped alice__camera__000.webm: " in run.stderr
    assert "error: no usable track file" in run.stderr
    assert not (tmp_path / "review.mp4").exists()
    assert not (tmp_path / "review.mp4.part").exists()


# --- the pure parts --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "cells"),
    [
        (1, [Rect(0, 0, 1280, 720)]),
        (2, [Rect(0, 0, 640, 720), Rect(640, 0, 640, 720)]),
        (3, [Rect(0, 0, 640, 360), Rect(640, 0, 640, 360), Rect(320, 360, 640, 360)]),
        (
            4,
            [
                Rect(0, 0, 640, 360),
                Rect(640, 0, 640, 360),
                Rect(0, 360, 640, 360),
                Rect(640, 360, 640, 360),
            ],
        ),
        (
            5,
            [
                Rect(0, 0, 426, 360),
                Rect(426, 0, 426, 360),
                Rect(852, 0, 426, 360),
                Rect(214, 360, 426, 360),
                Rect(640, 360, 426, 360),
            ],
        ),
    ],
)
def test_cameras_are_tiled_in_a_grid(count: int, cells: list[Rect]) -> None:
    assert grid(count, Rect(0, 0, 1280, 720)) == cells


def test_a_shared_screen_is_large_and_the_cameras_line_up_beside_it() -> None:
    arrangement = layout(["a", "b", "c"], "b", 1280, 720)
    assert arrangement.screen == Rect(0, 0, 960, 720)
    assert list(arrangement.cameras.values()) == [
        Rect(960, 90, 320, 180),
        Rect(960, 270, 320, 180),
        Rect(960, 450, 320, 180),
    ]
    six = layout([str(n) for n in range(6)], "0", 1280, 720)
    assert {cell.height for cell in six.cameras.values()} == {120}


@pytest.mark.parametrize(
    ("size", "cell", "placed"),
    [
        ((640, 480), Rect(0, 0, 640, 720), Rect(0, 120, 640, 480)),
        ((1920, 1080), Rect(0, 0, 960, 720), Rect(0, 90, 960, 540)),
        ((320, 240), Rect(640, 0, 640, 360), Rect(720, 0, 480, 360)),
    ],
)
def test_video_keeps_its_aspect_ratio_in_its_cell(
    size: tuple[int, int], cell: Rect, placed: Rect
) -> None:
    assert fit(*size, cell) == placed


def test_paused_time_is_cut_from_the_review_timeline() -> None:
    timeline = Timeline.build([(100.0, 110.0), (101.0, 120.0)], [(105.0, 108.0), (115.0, None)])
    # The unresumed pause (a crash while paused) ends where no media follows: at the end.
    assert timeline.cuts == ((105.0, 108.0), (115.0, 120.0))
    assert timeline.duration == 12.0
    assert [timeline.to_output(t) for t in (100.0, 104.0, 106.0, 109.0)] == [0.0, 4.0, None, 6.0]
    assert [timeline.to_session(o) for o in (0.0, 4.0, 5.0, 6.0)] == [100.0, 104.0, 108.0, 109.0]
    assert timeline.cut_positions() == [5.0, 12.0]


def test_every_glyph_is_five_pixels_wide_and_names_print_without_accents() -> None:
    assert all(len(row) == GLYPH_WIDTH for glyph in GLYPHS.values() for row in glyph)
    assert all(len(glyph) == GLYPH_HEIGHT for glyph in GLYPHS.values())
    assert printable("Zoë  Ångström-Łukasz 李") == "Zoe Angstrom-?ukasz ?"
    label = render_label("Ann", scale=2)
    assert (label.width, label.height) == (46, 30)
    assert len(label.pixels) == label.width * label.height
    assert 235 in label.pixels
    long = render_label("A very long name that cannot fit", scale=2, max_width=120)
    assert long.width <= 120
