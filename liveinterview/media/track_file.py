"""One segment of one track on disk: a WebM file written frame by frame, as encoded.

Stream copy only: each `EncodedFrame` becomes an `av.Packet` muxed into Matroska/WebM (VP8 or
Opus), no codec is ever opened. Crash safety comes from the muxer options: a cluster is
closed every `cluster_time_limit_ms` and every packet's bytes are handed to the OS at once
(`flush_packets`, an unbuffered file), so a killed process loses at most the open cluster.
Its duration and seek index (Cues) are written when the file is closed; `repair` restores
them for a file that never was.
"""

from __future__ import annotations

import contextlib
import io
import struct
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO, cast

import av
from av.container import Flags, OutputContainer
from av.stream import Stream

from liveinterview.media.packets import EncodedFrame, SenderReport
from liveinterview.media.sidecar import Pause, ReportMark, TrackSidecar, extend_rtp

CLUSTER_TIME_LIMIT_MS = 500
MILLISECONDS = Fraction(1, 1000)  # Matroska's default timestamp scale
OPUS_CHANNELS = 2  # WebRTC negotiates opus/48000/2; mono packets decode fine as stereo


def opus_head(channels: int = OPUS_CHANNELS) -> bytes:
    """The Opus identification header (RFC 7845 §5.1) WebM carries as CodecPrivate.

    Pre-skip 0: a browser's stream is picked up mid-way, there is no encoder delay to hide.
    """
    return b"OpusHead" + struct.pack("<BBHIhB", 1, channels, 0, 48_000, 0, 0)


def opus_samples(packet: bytes) -> int:
    """Samples at 48 kHz in one Opus packet, from its TOC byte (RFC 6716 §3.1); 0 if unsure."""
    if not packet:
        return 0
    config, code = packet[0] >> 3, packet[0] & 0x03
    if config < 12:  # SILK: 10, 20, 40, 60 ms
        frame = (480, 960, 1920, 2880)[config % 4]
    elif config < 16:  # hybrid: 10, 20 ms
        frame = (480, 960)[config % 2]
    else:  # CELT: 2.5, 5, 10, 20 ms
        frame = (120, 240, 480, 960)[config % 4]
    if code == 0:
        frames = 1
    elif code in (1, 2):
        frames = 2
    else:
        frames = packet[1] & 0x3F if len(packet) > 1 else 0
    return frame * frames


class TrackFile:
    """Owns the container, the stream and the sidecar of one segment; not thread-safe."""

    def __init__(
        self,
        path: Path,
        file: BinaryIO,
        sidecar: TrackSidecar,
        *,
        cluster_time_limit_ms: int = CLUSTER_TIME_LIMIT_MS,
        sidecar_interval: float = 5.0,
    ) -> None:
        """Write the sidecar (`open: true`) and prepare the container; OSError if that fails."""
        self.path = path
        self.sidecar = sidecar
        self.closed = False
        self._file = file
        self._sidecar_interval = sidecar_interval
        self._saved_at: float | None = None
        self._last_pts = -1
        self._last_extended = 0
        self._last_rtp = 0
        sidecar.save(path)
        self._container: OutputContainer = av.open(
            file,
            "w",
            format="webm",
            options={"cluster_time_limit": str(cluster_time_limit_ms)},
        )
        self._container.flags |= cast(int, Flags.flush_packets.value)
        self._stream = self._add_stream()

    def _add_stream(self) -> Stream:
        sidecar = self.sidecar
        if sidecar.kind == "video":
            stream = self._container.add_mux_stream(
                "vp8", width=sidecar.width or 0, height=sidecar.height or 0
            )
        else:
            # A mux-only stream cannot carry CodecPrivate; a stream copied from an unopened
            # template (no encoder is ever opened) can, and WebM players need the OpusHead.
            with av.open(io.BytesIO(), "w", format="webm") as scratch:
                template = scratch.add_stream("libopus", rate=48_000)
                stream = self._container.add_stream_from_template(template)
            stream.codec_context.extradata = opus_head()
        stream.time_base = MILLISECONDS
        return stream

    @property
    def ssrc(self) -> int:
        return self.sidecar.ssrc

    def write(self, frame: EncodedFrame) -> bool:
        """Mux one frame; False if dropped (not after the last one). OSError if writing fails."""
        sidecar = self.sidecar
        if sidecar.first_rtp_timestamp is None:
            sidecar.first_rtp_timestamp = frame.timestamp
            sidecar.first_arrival = frame.arrival
        media = (frame.timestamp - sidecar.first_rtp_timestamp) / sidecar.clock_rate
        pts = round(media * 1000)
        if pts <= self._last_pts:
            return False
        packet = av.Packet(frame.data)
        packet.stream = self._stream
        packet.time_base = MILLISECONDS
        packet.pts = packet.dts = pts
        packet.is_keyframe = frame.keyframe
        duration = 0.0
        if sidecar.kind == "audio":
            duration = opus_samples(frame.data) / 48_000
            packet.duration = round(duration * 1000)
        self._container.mux(packet)

        self._last_pts = pts
        self._last_extended, self._last_rtp = frame.timestamp, frame.rtp_timestamp
        sidecar.frames += 1
        if frame.keyframe and sidecar.kind == "video":
            sidecar.keyframes += 1
        sidecar.bytes += len(frame.data)
        sidecar.duration = media + duration
        offset = frame.arrival - media
        if sidecar.arrival_offset is None or offset < sidecar.arrival_offset:
            sidecar.arrival_offset = offset
        ntp = sidecar.ntp_of(media)
        if ntp is not None:
            transit = frame.arrival - ntp
            if sidecar.report_offset is None or transit < sidecar.report_offset:
                sidecar.report_offset = transit
        if self._saved_at is None or frame.arrival - self._saved_at >= self._sidecar_interval:
            self._save(frame.arrival)
        return True

    def note_sender_report(self, report: SenderReport) -> None:
        """Keep the mapping of this segment's RTP timestamps to the publisher's NTP clock."""
        sidecar = self.sidecar
        if report.ssrc != sidecar.ssrc or sidecar.first_rtp_timestamp is None:
            return
        mark = ReportMark(
            report.ntp_timestamp,
            extend_rtp(report.rtp_timestamp, self._last_extended, self._last_rtp),
            report.arrival,
        )
        first = sidecar.first_report is None
        if first:
            sidecar.first_report = mark
        sidecar.last_report = mark
        if first:
            self._save(report.arrival)  # the first mapping is worth writing at once

    def set_pauses(self, pauses: list[Pause]) -> None:
        self.sidecar.pauses = list(pauses)
        self._save(self._saved_at)

    def _save(self, now: float | None) -> None:
        self.sidecar.save(self.path)
        self._saved_at = now

    def close(self, reason: str) -> str | None:
        """Finish the file (duration, seek index) and the sidecar; the error, if any."""
        if self.closed:
            return None
        self.closed = True
        error = None
        try:
            self._container.close()
        except Exception as exc:  # PyAV re-raises the file's OSError or its own error
            error = f"closing {self.path.name} failed: {exc}"
        finally:
            with contextlib.suppress(OSError):
                self._file.close()
        # A file whose trailer was not written stays "open": start-up repair will index it.
        self.sidecar.open = error is not None
        self.sidecar.closed = reason
        try:
            self.sidecar.save(self.path)
        except OSError as exc:
            error = error or f"writing the sidecar of {self.path.name} failed: {exc}"
        return error
