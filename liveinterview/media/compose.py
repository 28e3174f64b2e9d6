"""The review file: an interview's track files, decoded once, composed into one H.264/AAC MP4.

    python -m liveinterview.media.compose --input DIR --output FILE.mp4 [--names JSON]

Runs outside the server (a job's own process). Every `*.webm` in DIR with its sidecar is a
track segment; each goes on one clock (`compose_timeline.py`), paused time is cut out of all
of them alike, cameras are tiled with the participants' names and a shared screen is shown
large (`compose_layout.py`), and the microphones are mixed.

Output protocol: stdout gets `progress <0..1>` lines and finally `done <seconds>`; stderr
gets `skipped <file>: <reason>` for each unusable track and `error: <reason>` when nothing
could be made (exit status 1). FILE.mp4 appears only when complete (written as
FILE.mp4.part, then renamed), with FILE.mp4.json beside it: the session's start (UTC) and the
pauses, to place the session log on the review file's timeline.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import av
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.container import OutputContainer

from liveinterview.media.compose_picture import HEIGHT, WIDTH, Compositor
from liveinterview.media.compose_sources import (
    HOLD,
    SAMPLE_RATE,
    AudioSource,
    Mixer,
    VideoSource,
    Warn,
    load_tracks,
)
from liveinterview.media.compose_timeline import Timeline, pause_spans, segment_clocks

FPS = 25
VIDEO_PRESET = "veryfast"
VIDEO_CRF = 23
AUDIO_BIT_RATE = 96_000
AUDIO_LOOKAHEAD = 0.5  # seconds of audio decoded ahead of the picture


class NothingToCompose(Exception):
    """No track file could be used (or none was there)."""


@dataclass(frozen=True)
class ComposeResult:
    duration: float
    tracks: int
    skipped: list[str]


# --- the job ---------------------------------------------------------------------------


def compose(
    directory: Path,
    output: Path,
    *,
    names: dict[str, str] | None = None,
    progress: Callable[[float], None] = lambda fraction: None,
    warn: Warn = lambda message: None,
) -> ComposeResult:
    """Write the review file; NothingToCompose if no track is usable."""
    skipped: list[str] = []

    def skip(message: str) -> None:
        if message.startswith("skipped "):
            skipped.append(message)
        warn(message)

    tracks = load_tracks(directory, skip)
    sidecars = [track.sidecar for track in tracks]
    clocks = segment_clocks(sidecars)
    usable = [(t, c) for t, c in zip(tracks, clocks, strict=True) if c is not None]
    if not usable:
        found = len(list(directory.glob("*.webm")))
        raise NothingToCompose(
            f"no usable track file in {directory} ({found} found, {len(skipped)} skipped)"
        )
    extents = [(c.unix(t.first_pts), c.unix(t.end_pts)) for t, c in usable]
    timeline = Timeline.build(extents, pause_spans(sidecars))
    presence: dict[str, list[tuple[float, float]]] = {}
    for (track, _), (start, end) in zip(usable, extents, strict=True):
        presence.setdefault(track.sidecar.participant_id, []).append((start, end + HOLD))
    display = {t.sidecar.participant_id: t.sidecar.display_name for t, _ in usable}
    display.update(names or {})

    videos = [VideoSource(t, c, warn) for t, c in usable if t.sidecar.kind == "video"]
    audios = [AudioSource(t, c, timeline, warn) for t, c in usable if t.sidecar.kind == "audio"]
    compositor = Compositor(videos, presence, display)
    duration = timeline.duration
    partial = output.with_name(output.name + ".part")
    try:
        with av.open(str(partial), "w", format="mp4", options={"movflags": "+faststart"}) as mp4:
            _encode(mp4, timeline, videos, audios, compositor, progress)
        _write_timeline(output, timeline, display, skipped)
        os.replace(partial, output)  # last: FILE.mp4 exists only when all is done
    finally:
        partial.unlink(missing_ok=True)
    return ComposeResult(duration, len(usable), skipped)


def _encode(
    mp4: OutputContainer,
    timeline: Timeline,
    videos: Sequence[VideoSource],
    audios: Sequence[AudioSource],
    compositor: Compositor,
    progress: Callable[[float], None],
) -> None:
    if "libx264" not in av.codecs_available:
        raise NothingToCompose("this PyAV build has no H.264 encoder (libx264)")
    video = mp4.add_stream(
        "libx264", rate=FPS, options={"preset": VIDEO_PRESET, "crf": str(VIDEO_CRF)}
    )
    video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    video.codec_context.gop_size = FPS * 2  # a keyframe every 2 s: quick seeking in players
    audio = mp4.add_stream("aac", rate=SAMPLE_RATE, layout="mono", bit_rate=AUDIO_BIT_RATE)
    mixer = Mixer()
    duration = timeline.duration
    frames = max(1, math.ceil(duration * FPS))
    audio_pts = 0
    for index in range(frames):
        at = index / FPS
        until = round(at * SAMPLE_RATE)
        lookahead = round((at + AUDIO_LOOKAHEAD) * SAMPLE_RATE)
        for source in audios:
            source.fill(mixer, lookahead)
        audio_pts = _encode_audio(mp4, audio, mixer.take(until), audio_pts)
        unix = timeline.to_session(at)
        for source_video in videos:
            source_video.advance(unix)
        picture = compositor.draw(unix)
        picture.pts = index
        picture.time_base = Fraction(1, FPS)
        mp4.mux(video.encode(picture))
        progress((index + 1) / frames)
    end = round(duration * SAMPLE_RATE)
    for source in audios:
        source.fill(mixer, end)
    _encode_audio(mp4, audio, mixer.take(end), audio_pts)
    mp4.mux(audio.encode(None))
    mp4.mux(video.encode(None))


def _encode_audio(mp4: OutputContainer, stream: AudioStream, pcm: bytes, pts: int) -> int:
    if not pcm:
        return pts
    samples = len(pcm) // 2
    frame = AudioFrame(format="s16", layout="mono", samples=samples)
    plane = frame.planes[0]
    plane.update(pcm + bytes(plane.buffer_size - len(pcm)))
    frame.sample_rate = SAMPLE_RATE
    frame.pts = pts
    frame.time_base = Fraction(1, SAMPLE_RATE)
    mp4.mux(stream.encode(frame))
    return pts + samples


def _write_timeline(
    output: Path, timeline: Timeline, names: dict[str, str], skipped: list[str]
) -> None:
    def utc(unix: float) -> str:
        return datetime.fromtimestamp(unix, UTC).isoformat()

    data = {
        "start_utc": utc(timeline.start),
        "end_utc": utc(timeline.end),
        "duration": round(timeline.duration, 3),
        "pauses": [
            {"start_utc": utc(s), "end_utc": utc(e), "at": round(at, 3)}
            for (s, e), at in zip(timeline.cuts, timeline.cut_positions(), strict=True)
        ],
        "participants": names,
        "skipped": skipped,
    }
    output.with_name(output.name + ".json").write_text(json.dumps(data, indent=1))


# --- the command -----------------------------------------------------------------------


def _names(value: str | None) -> dict[str, str]:
    if not value:
        return {}
    text = value if value.lstrip().startswith("{") else Path(value).read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError("--names must be a JSON object of participant id to name")
    return {str(k): v for k, v in data.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m liveinterview.media.compose",
        description="Compose an interview's track files into one review MP4.",
    )
    parser.add_argument("--input", required=True, type=Path, help="the recording directory")
    parser.add_argument("--output", required=True, type=Path, help="the MP4 to write")
    parser.add_argument(
        "--names", help="JSON object (or a file holding one): participant id -> name"
    )
    args = parser.parse_args(argv)
    try:
        names = _names(args.names)
    except (OSError, ValueError) as exc:
        print(f"error: bad --names: {exc}", file=sys.stderr)
        return 2
    if not args.input.is_dir():
        print(f"error: {args.input} is not a directory", file=sys.stderr)
        return 1

    last = [-1.0, 0.0]

    def report(fraction: float) -> None:
        now = time.monotonic()
        if fraction >= 1.0 or fraction - last[0] >= 0.01 or now - last[1] >= 1.0:
            print(f"progress {fraction:.3f}", flush=True)
            last[:] = [fraction, now]

    def warn(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        result = compose(args.input, args.output, names=names, progress=report, warn=warn)
    except NothingToCompose as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OSError, av.FFmpegError) as exc:
        print(f"error: composing failed: {exc}", file=sys.stderr)
        return 1
    print(f"done {result.duration:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
