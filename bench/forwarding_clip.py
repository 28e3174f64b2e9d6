"""The forwarding benchmark's camera and microphone: a WebM clip encoded once with PyAV.

640x480 VP8 at 30 fps and about 1 Mbit/s with a single keyframe (the first frame), and mono
Opus in 20 ms packets. A moving gradient keeps most of the picture predictable; a band of
seeded noise makes the encoder spend its whole rate, as a camera does. The load generator
loops the clip and jumps back to the first frame when asked for a keyframe, so the stream
stays decodable and behaves like a browser answering a PLI.
"""

from __future__ import annotations

import fractions
import math
import random
import struct
from dataclasses import dataclass
from pathlib import Path

import av

WIDTH, HEIGHT, FPS = 640, 480, 30
VIDEO_BITRATE = 1_000_000
AUDIO_RATE = 48000
AUDIO_FRAME = 960  # samples in 20 ms
AUDIO_BITRATE = 32000
SECONDS = 10


@dataclass(frozen=True)
class Clip:
    video: list[tuple[bytes, bool]]  # (VP8 frame, keyframe)
    audio: list[bytes]  # Opus packets, 20 ms each

    @property
    def video_kbps(self) -> float:
        return sum(len(data) for data, _ in self.video) * 8 * FPS / len(self.video) / 1000

    @property
    def audio_kbps(self) -> float:
        return sum(len(data) for data in self.audio) * 8 * 50 / len(self.audio) / 1000

    @property
    def keyframes(self) -> int:
        return sum(key for _, key in self.video)

    @property
    def keyframe_bytes(self) -> int:
        return len(self.video[0][0])


def make(path: Path, seconds: int = SECONDS, seed: int = 4) -> None:
    """Encode the clip into `path` (WebM).

    The pictures are the same for a given seed; the bytes vary a little from run to run,
    because libvpx's realtime mode adapts its effort to the CPU time it gets.
    """
    rng = random.Random(seed)
    frames = seconds * FPS
    with av.open(str(path), "w", format="webm") as out:
        video = out.add_stream("libvpx", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.bit_rate = VIDEO_BITRATE
        video.codec_context.gop_size = frames  # one keyframe; the rest are inter frames
        video.options = {
            "deadline": "realtime",
            "cpu-used": "8",
            "lag-in-frames": "0",
            "minrate": str(VIDEO_BITRATE),
            "maxrate": str(VIDEO_BITRATE),
            "bufsize": str(VIDEO_BITRATE),
        }
        audio = out.add_stream("libopus", rate=AUDIO_RATE, layout="mono")
        audio.bit_rate = AUDIO_BITRATE
        audio.options = {"application": "voip", "vbr": "off"}

        row = bytes(range(256)) * (WIDTH // 256 + 2)
        band = HEIGHT // 12
        chroma = bytes([128]) * (WIDTH * HEIGHT // 4)
        for index in range(frames):
            frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
            shift = (index * 5) % 256
            luma = row[shift : shift + WIDTH] * (HEIGHT - band) + rng.randbytes(WIDTH * band)
            frame.planes[0].update(luma)
            frame.planes[1].update(chroma)
            frame.planes[2].update(chroma)
            frame.pts = index
            frame.time_base = fractions.Fraction(1, FPS)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))

        for index in range(seconds * 50):
            samples = [
                int(0.3 * 32767 * math.sin(2 * math.pi * 440 * (index * AUDIO_FRAME + n) / 48000))
                for n in range(AUDIO_FRAME)
            ]
            frame = av.AudioFrame(format="s16", layout="mono", samples=AUDIO_FRAME)
            frame.planes[0].update(struct.pack(f"<{AUDIO_FRAME}h", *samples))
            frame.sample_rate = AUDIO_RATE
            frame.pts = index * AUDIO_FRAME
            frame.time_base = fractions.Fraction(1, AUDIO_RATE)
            out.mux(audio.encode(frame))
        out.mux(audio.encode(None))


def load(path: Path) -> Clip:
    """The clip's encoded frames in order, as the load generator sends them."""
    video: list[tuple[bytes, bool]] = []
    audio: list[bytes] = []
    with av.open(str(path)) as container:
        for packet in container.demux():
            if packet.size == 0:
                continue
            if packet.stream.type == "video":
                video.append((bytes(packet), bool(packet.is_keyframe)))
            elif packet.stream.type == "audio":
                audio.append(bytes(packet))
    if not video or not video[0][1]:
        raise ValueError(f"{path} does not start with a VP8 keyframe")
    return Clip(video=video, audio=audio)
