"""`TrackRecorder`: the frame sink that writes one publication into segment files.

It is one more subscriber of a `Publication`, called on the event loop with every encoded
frame. Video starts only at a keyframe (asked for through the publication), after attaching,
after a discontinuity and after a pause. A new SSRC (the participant reconnected) closes the
segment and starts the next one. Nothing raises into the relay: a write error hands the
recording over to `RecorderHost.fail`, which stops every track of the room.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from av.error import PyAVCallbackError

from liveinterview.media.packets import EncodedFrame, SenderReport
from liveinterview.media.publication import Publication, Source
from liveinterview.media.track_file import TrackFile

log = logging.getLogger(__name__)

MAX_FRAME_ERRORS = 20  # frames in a row the muxer refused before the track is given up


class RecorderHost(Protocol):
    """The room recording, as its track recorders see it."""

    @property
    def writing(self) -> bool:
        """Frames are to be written now (not paused, stopped or failed)."""
        ...

    def open_segment(self, recorder: TrackRecorder, frame: EncodedFrame) -> TrackFile | None:
        """The next segment file for this track, starting with `frame`; None if that failed."""
        ...

    def check_space(self, now: float) -> None: ...

    def fail(self, reason: str) -> None: ...

    def forget(self, recorder: TrackRecorder) -> None:
        """The track ended (the participant left)."""
        ...


class TrackRecorder:
    def __init__(
        self,
        host: RecorderHost,
        publication: Publication,
        participant_id: str,
        source: Source,
        display_name: str,
    ) -> None:
        self.publication = publication
        self.participant_id = participant_id
        self.source = source
        self.display_name = display_name
        self.current: TrackFile | None = None
        self.files: list[Path] = []
        self.finished = False
        self.written = 0  # frames written, all segments
        self.skipped = 0  # frames not written: paused, or video waiting for a keyframe
        self.last_written_pts = 0.0  # seconds into the current segment
        self._host = host
        self._video = source.kind == "video"
        self._waiting_keyframe = self._video
        self._report: SenderReport | None = None
        self._errors = 0

    def __repr__(self) -> str:
        return f"<TrackRecorder {self.participant_id} {self.source}>"

    # --- FrameSink ----------------------------------------------------------------------

    def on_frame(self, frame: EncodedFrame) -> None:
        if self.finished:
            return
        try:
            self._on_frame(frame)
        except (OSError, PyAVCallbackError) as exc:
            name = self.current.path.name if self.current else "a track file"
            self._host.fail(f"writing {name} failed: {exc}")
        except Exception:
            # The muxer refused this frame (say, bad data): skip it, unless it keeps happening.
            self._errors += 1
            log.exception("%r could not write a frame", self)
            if self._errors >= MAX_FRAME_ERRORS:
                self._host.fail(f"{self!r}: {self._errors} frames in a row could not be written")

    def on_discontinuity(self) -> None:
        self._waiting_keyframe = self._video  # the next delta frame asks for one

    def on_sender_report(self, report: SenderReport) -> None:
        self._report = report
        current = self.current
        if current is not None and not self.finished:
            try:
                current.note_sender_report(report)  # the first one is saved at once
            except OSError as exc:
                self._host.fail(f"writing the sidecar of {current.path.name} failed: {exc}")

    def on_end(self) -> None:
        self.stop("ended")
        self._host.forget(self)

    # --- from the room recording --------------------------------------------------------

    def resume(self) -> None:
        self._waiting_keyframe = self._video

    def stop(self, reason: str) -> str | None:
        """Close the segment and stop listening; the close error, if any."""
        self.finished = True
        self.publication.unsubscribe(self)
        return self._close_segment(reason)

    # --- internals ----------------------------------------------------------------------

    def _on_frame(self, frame: EncodedFrame) -> None:
        if not self._host.writing:
            self.skipped += 1
            if self._video:
                self._waiting_keyframe = True  # resume on a keyframe
            return
        current = self.current
        if current is not None and frame.ssrc != current.ssrc:
            self._close_segment("restarted")  # a new connection: the next segment
            current = None
            self._waiting_keyframe = self._video
        if self._waiting_keyframe:
            if not frame.keyframe:
                self.skipped += 1
                self.publication.request_keyframe()
                return
            self._waiting_keyframe = False
        if current is None:
            current = self.current = self._host.open_segment(self, frame)
            if current is None:
                return
            self.files.append(current.path)
            if current.write(frame):
                self._count(current)
            if self._report is not None:
                current.note_sender_report(self._report)  # it may have come before the frame
        elif current.write(frame):
            self._count(current)
        self._host.check_space(frame.arrival)

    def _count(self, current: TrackFile) -> None:
        self.written += 1
        self._errors = 0
        self.last_written_pts = current.sidecar.duration

    def _close_segment(self, reason: str) -> str | None:
        current, self.current = self.current, None
        if current is None:
            return None
        error = current.close(reason)
        if error:
            log.warning("%r: %s", self, error)
        return error
