"""Recordings: started with the call, logged as it goes, composed afterwards, kept for a while.

The media side (writing track files) sits behind the RecordingControl port; this module
decides when to record, what is logged, and who may see what.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote

from sqlalchemy.ext.asyncio import AsyncConnection

from liveinterview.clock import Clock
from liveinterview.domain.accounts import Role, StaffMember
from liveinterview.domain.errors import Conflict, Gone, NotFound, PermissionDenied
from liveinterview.domain.interviews import RequestStatus
from liveinterview.domain.timeline import video_offsets
from liveinterview.services.interview_links import InterviewUrls, LinkKeeper, Purpose
from liveinterview.services.notify import Notifier
from liveinterview.services.work import Work, unit_of_work
from liveinterview.storage import accounts as staff_store
from liveinterview.storage import audit as audit_log
from liveinterview.storage import bookings
from liveinterview.storage import interviews as interview_store
from liveinterview.storage import links as link_store
from liveinterview.storage import recordings as store
from liveinterview.storage.db import Database
from liveinterview.storage.interviews import InterviewRecord
from liveinterview.storage.recordings import RecordingRecord, SessionEvent

log = logging.getLogger(__name__)

REVIEW_FILE = "review.mp4"
TRACK_SUFFIXES = (".webm",)


class RecordingControl(Protocol):
    """The media side: writes each participant's tracks into a room's directory."""

    def start(self, room_id: str, directory: Path, names: Mapping[str, str]) -> None:
        """Begin (or continue, after a restart) recording the room into `directory`."""
        ...

    def pause(self, room_id: str) -> None: ...

    def resume(self, room_id: str) -> None: ...

    async def stop(self, room_id: str) -> None:
        """Close every file of the room (flushed, finished)."""
        ...


@dataclass(frozen=True)
class RecordingPolicy:
    root: Path
    retention: timedelta
    review_by_interviewers: bool
    share_for: timedelta


@dataclass(frozen=True)
class TrackFile:
    name: str
    size: int
    participant: str
    source: str


@dataclass(frozen=True)
class TimelineEntry:
    offset: float | None  # seconds into the review video; None: outside it
    at: datetime
    kind: str
    who: str
    text: str


@dataclass(frozen=True)
class Review:
    record: InterviewRecord
    recording: RecordingRecord
    status: str  # recording | processing | ready | failed | deleted | expired
    progress: float
    failure: str
    log: list[SessionEvent]
    timeline: list[TimelineEntry]
    files: list[TrackFile]
    consents: list[tuple[str, str, datetime]]
    share_links: list[tuple[str, datetime, int]]  # (url, expires, created by)
    can_manage: bool


def room_request_id(room_id: str) -> int:
    return int(room_id.removeprefix("interview-"))


class RecordingService:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        policy: RecordingPolicy,
        control: RecordingControl,
        links: LinkKeeper,
        urls: InterviewUrls,
        notifier: Notifier,
        announce_failure: Callable[[str, str], Awaitable[None]] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.policy = policy
        self.control = control
        self.links = links
        self.urls = urls
        self.notifier = notifier
        self.announce_failure = announce_failure

    # --- the live side ------------------------------------------------------------------

    async def room_event(self, room_id: str, kind: str, details: dict[str, object]) -> None:
        """Signaling's hook: consents, the session log, and starting/pausing/stopping."""
        request_id = room_request_id(room_id)
        now = self.clock.now()
        who = str(details.get("member", ""))
        name = str(details.get("name", ""))
        async with unit_of_work(self.db) as work:
            record = await interview_store.get_request(work.conn, request_id)
            if record is None or not record.recorded:
                return
            recording = await store.recording_of(work.conn, request_id)
            if kind == "joined":
                if details.get("consent"):
                    await store.add_consent(
                        work.conn, request_id, participant=who, name=name, at=now
                    )
                if recording is None or recording.status == "recording":
                    recording = await store.start_recording(
                        work.conn,
                        request_id,
                        directory=room_id,
                        now=now,
                        expires_at=(record.end_at or now) + self.policy.retention,
                    )
                    names = await self._names(work.conn, record)
                    # Started (idempotently) after every join: a restarted server resumes here.
                    self.control.start(room_id, self.policy.root / recording.directory, names)
            if recording is None:
                return
            for entry in _log_entries(kind, details):
                await store.add_session_event(
                    work.conn,
                    request_id,
                    at=now,
                    participant=who,
                    name=name,
                    kind=entry.kind,
                    text=entry.text,
                    interviewers_only=entry.interviewers_only,
                )
            if kind == "recording" and recording.status == "recording":
                if details.get("paused"):
                    self.control.pause(room_id)
                else:
                    self.control.resume(room_id)
            if kind == "ended" and recording.status == "recording":
                await self._finish(work, recording, now)

    async def _names(self, conn: AsyncConnection, record: InterviewRecord) -> dict[str, str]:
        people = await bookings.booked_interviewers(conn, record.id)
        names = {f"user:{p.user_id}": p.name for p in people}
        names["candidate"] = record.candidate_name
        return names

    async def _finish(self, work: Work, recording: RecordingRecord, now: datetime) -> None:
        await self.control.stop(f"interview-{recording.request_id}")
        conn = work.conn
        await store.set_status(conn, recording.id, "processing", now=now, stopped=True)
        await store.enqueue_compose(conn, recording.id, now=now)

    async def finish_closed_rooms(self, closes_after: timedelta) -> int:
        """Recordings whose room has closed (nobody ended the call): stop and compose them."""
        now = self.clock.now()
        finished = 0
        async with unit_of_work(self.db) as work:
            for recording in await store.still_recording(work.conn):
                record = await interview_store.get_request(work.conn, recording.request_id)
                over = (
                    record is None
                    or record.status is RequestStatus.CANCELLED
                    or (record.end_at is not None and record.end_at + closes_after <= now)
                    or (record.room_ended_at is not None)
                )
                if over:
                    await self._finish(work, recording, now)
                    finished += 1
        return finished

    async def failed(self, room_id: str, reason: str) -> None:
        """The media side could not go on (disk full...): mark it, tell the room and staff."""
        request_id = room_request_id(room_id)
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            recording = await store.recording_of(work.conn, request_id)
            record = await interview_store.get_request(work.conn, request_id)
            if recording is None or record is None or recording.status == "failed":
                return
            await store.set_status(work.conn, recording.id, "failed", now=now, failure=reason,
                                   stopped=True)  # fmt: skip
            await store.add_session_event(
                work.conn, request_id, at=now, kind="failed", participant="server",
                name="Server", text=reason,
            )  # fmt: skip
            recruiter = await staff_store.get_user(work.conn, record.recruiter_id)
            if recruiter is not None:
                await self.notifier.queue(
                    work,
                    "recording_failed",
                    to=(recruiter.name, recruiter.email),
                    subject=f"Recording stopped: {record.position} with {record.candidate_name}",
                    context={
                        "position": record.position,
                        "candidate": record.candidate_name,
                        "reason": reason,
                        "link": self.urls.interview(record.id),
                    },
                )
        log.error("recording failed", extra={"room": room_id, "reason": reason})
        if self.announce_failure is not None:
            await self.announce_failure(room_id, reason)

    # --- review -------------------------------------------------------------------------

    async def review(self, actor: StaffMember, request_id: int) -> Review:
        async with self.db.read() as conn:
            record, recording = await self._allowed(conn, actor, request_id)
            job = await store.latest_job(conn, recording.id)
            events = await store.session_log(conn, request_id, with_notes=True)
            consents = await store.consents(conn, request_id)
            shares = await self.links.tokens(conn, request_id, Purpose.SHARE)
            share_rows = await link_store.links_of(conn, request_id, Purpose.SHARE.value)
        status, progress, failure = self._status(recording, job)
        expires = {row.user_id: row.expires_at for row in share_rows}
        now = self.clock.now()
        share_links = [
            (self.urls.share(token), expires[user], user)
            for user, token in shares.items()
            if user is not None and expires[user] > now
        ]
        await self._audit(actor, request_id, "recording.viewed", {})
        return Review(
            record=record,
            recording=recording,
            status=status,
            progress=progress,
            failure=failure,
            log=events,
            timeline=_timeline(events, recording, self._video_start(recording)),
            files=self._files(recording) if status != "deleted" else [],
            consents=consents,
            share_links=share_links,
            can_manage=_owns(actor, record),
        )

    def _status(
        self, recording: RecordingRecord, job: dict[str, object] | None
    ) -> tuple[str, float, str]:
        if recording.status == "deleted":
            return "deleted", 0.0, ""
        if recording.status == "recording":
            return "recording", 0.0, ""
        if recording.status == "ready":
            return "ready", 1.0, ""
        if recording.status == "failed" and recording.review_file is None:
            return "failed", 0.0, recording.failure
        if job is not None and job["status"] == "failed":
            return "failed", 0.0, str(job["error"])
        progress = float(job["progress"]) if job is not None else 0.0  # type: ignore[arg-type]
        return "processing", progress, ""

    def _video_start(self, recording: RecordingRecord) -> datetime | None:
        """When the review video's first frame was recorded (the composer writes it down)."""
        timing = self.policy.root / recording.directory / (REVIEW_FILE + ".json")
        try:
            start = json.loads(timing.read_text())["start_utc"]
            return datetime.fromisoformat(start)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _files(self, recording: RecordingRecord) -> list[TrackFile]:
        directory = self.policy.root / recording.directory
        if not directory.is_dir():
            return []
        files = []
        for path in sorted(directory.iterdir()):
            if path.suffix in TRACK_SUFFIXES and path.is_file():
                # <participant, percent-quoted>__<source>__<segment>.webm
                participant, _, rest = path.stem.partition("__")
                source = rest.split("__")[0] if rest else ""
                files.append(
                    TrackFile(path.name, path.stat().st_size, unquote(participant), source)
                )
        return files

    async def file(
        self,
        actor: StaffMember,
        request_id: int,
        name: str,
        *,
        address: str,
        kind: str = "downloaded",
        audit: bool = True,
    ) -> Path:
        """A recording file for this staff member (audited); NotFound for anything else."""
        async with self.db.read() as conn:
            _, recording = await self._allowed(conn, actor, request_id)
        path = self._path(recording, name)
        if audit:
            await self._audit(actor, request_id, f"recording.{kind}", {"file": name}, address)
        return path

    def _path(self, recording: RecordingRecord, name: str) -> Path:
        if recording.status == "deleted":
            raise Gone("This recording has been deleted.")
        allowed = {f.name for f in self._files(recording)}
        if recording.review_file:
            allowed.add(recording.review_file)
        # Only names we listed ourselves: no path from the request ever reaches the disk.
        if name not in allowed:
            raise NotFound("There is no such recording file.")
        return self.policy.root / recording.directory / name

    async def delete_now(self, actor: StaffMember, request_id: int, *, address: str) -> None:
        async with unit_of_work(self.db) as work:
            record, recording = await self._allowed(work.conn, actor, request_id)
            if not _owns(actor, record):
                raise PermissionDenied("Only the interview's recruiter can delete its recording.")
            if recording.status == "recording":
                raise Conflict("The interview is still being recorded; end the call first.")
            if recording.status == "deleted":
                return
            self._remove_files(recording)
            await store.mark_deleted(work.conn, recording.id, now=self.clock.now())
            await link_store.revoke_links(
                work.conn, request_id, Purpose.SHARE.value, now=self.clock.now()
            )
            await audit_log.record(
                work.conn,
                at=self.clock.now(),
                actor_id=actor.id,
                action="recording.deleted",
                subject=f"interview {request_id}",
                address=address,
            )

    def _remove_files(self, recording: RecordingRecord) -> None:
        directory = self.policy.root / recording.directory
        if directory.exists():
            shutil.rmtree(directory)

    async def purge_expired(self) -> int:
        """The daily retention job: expired recordings are deleted from disk, and recorded."""
        now = self.clock.now()
        removed = 0
        async with unit_of_work(self.db) as work:
            for recording in await store.expired(work.conn, now):
                if recording.status == "recording":
                    continue
                self._remove_files(recording)
                await store.mark_deleted(work.conn, recording.id, now=now)
                await audit_log.record(
                    work.conn,
                    at=now,
                    actor_id=None,
                    action="recording.expired",
                    subject=f"interview {recording.request_id}",
                    details={"expired_at": recording.expires_at.isoformat()},
                )
                removed += 1
        if removed:
            log.info("expired recordings deleted", extra={"count": removed})
        return removed

    # --- share links --------------------------------------------------------------------

    async def create_share_link(self, actor: StaffMember, request_id: int) -> str:
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            record, recording = await self._allowed(work.conn, actor, request_id)
            if not _owns(actor, record):
                raise PermissionDenied("Only the interview's recruiter can share its recording.")
            if recording.status != "ready":
                raise Conflict("The recording can be shared once its review file is ready.")
            # One share link per recruiter: a new one replaces theirs.
            existing = await link_store.links_of(work.conn, request_id, Purpose.SHARE.value)
            if any(link.user_id == actor.id for link in existing):
                await link_store.revoke_share(work.conn, request_id, actor.id, now=now)
            token = await self.links.issue(
                work.conn,
                request_id=request_id,
                purpose=Purpose.SHARE,
                user_id=actor.id,
                now=now,
                expires_at=min(now + self.policy.share_for, recording.expires_at),
            )
            await audit_log.record(
                work.conn, at=now, actor_id=actor.id, action="recording.shared",
                subject=f"interview {request_id}",
            )  # fmt: skip
        return self.urls.share(token)

    async def revoke_share_link(self, actor: StaffMember, request_id: int, creator: int) -> None:
        """End the share link `creator` made (one per person)."""
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            record, _ = await self._allowed(work.conn, actor, request_id)
            if not _owns(actor, record):
                raise PermissionDenied("Only the interview's recruiter can revoke share links.")
            await link_store.revoke_share(work.conn, request_id, creator, now=now)
            await audit_log.record(
                work.conn, at=now, actor_id=actor.id, action="recording.share_revoked",
                subject=f"interview {request_id}",
            )  # fmt: skip

    async def shared(
        self, token: str, *, address: str, audit: bool = True
    ) -> tuple[InterviewRecord, Path]:
        """The review file behind a share link (audited, with the address)."""
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            grant = await self.links.check(work.conn, token, Purpose.SHARE, now)
            record = await interview_store.get_request(work.conn, grant.request_id)
            recording = await store.recording_of(work.conn, grant.request_id)
            if record is None or recording is None or recording.status != "ready":
                raise Gone("This recording is no longer available.")
            assert recording.review_file is not None
            if not audit:
                return record, self.policy.root / recording.directory / recording.review_file
            await audit_log.record(
                work.conn,
                at=now,
                actor_id=None,
                action="recording.share_viewed",
                subject=f"interview {record.id}",
                address=address,
                details={"shared_by": grant.user_id},
            )
        return record, self.policy.root / recording.directory / recording.review_file

    # --- helpers ------------------------------------------------------------------------

    async def _allowed(
        self, conn: AsyncConnection, actor: StaffMember, request_id: int
    ) -> tuple[InterviewRecord, RecordingRecord]:
        record = await interview_store.get_request(conn, request_id)
        if record is None:
            raise NotFound("There is no such interview.")
        if not _owns(actor, record):
            panel = await bookings.booked_interviewers(conn, request_id)
            on_panel = actor.id in {p.user_id for p in panel}
            if not (on_panel and self.policy.review_by_interviewers):
                # Other recruiters learn nothing either: recordings are personal data.
                raise NotFound("There is no such recording.")
        recording = await store.recording_of(conn, request_id)
        if recording is None:
            raise NotFound("This interview has no recording.")
        return record, recording

    async def _audit(
        self,
        actor: StaffMember,
        request_id: int,
        action: str,
        details: dict[str, object],
        address: str = "",
    ) -> None:
        async with unit_of_work(self.db) as work:
            await audit_log.record(
                work.conn,
                at=self.clock.now(),
                actor_id=actor.id,
                action=action,
                subject=f"interview {request_id}",
                address=address,
                details=details,
            )


def _owns(actor: StaffMember, record: InterviewRecord) -> bool:
    """The interview's own recruiter, or an administrator."""
    return actor.is_active and (actor.id == record.recruiter_id or Role.ADMIN in actor.roles)


@dataclass(frozen=True)
class _LogEntry:
    kind: str
    text: str = ""
    interviewers_only: bool = False


def _log_entries(kind: str, details: dict[str, object]) -> list[_LogEntry]:
    """What goes into the session log for one room event."""
    if kind in {"joined", "left", "ended"}:
        return [_LogEntry(kind, str(details.get("reason", "")))]
    if kind == "chat":
        return [_LogEntry("chat", str(details.get("text", "")))]
    if kind == "note":
        note_kind = "bookmark" if details.get("bookmark") else "note"
        return [_LogEntry(note_kind, str(details.get("text", "")), interviewers_only=True)]
    if kind == "recording":
        return [_LogEntry("paused" if details.get("paused") else "resumed")]
    if kind == "media":
        was = details.get("was")
        before = was if isinstance(was, dict) else {}
        entries: list[_LogEntry] = []
        for field, on, off in (
            ("audio", "unmuted", "muted"),
            ("video", "camera_on", "camera_off"),
            ("screen", "screen_start", "screen_stop"),
        ):
            if field in details and bool(details[field]) != bool(before.get(field, details[field])):
                entries.append(_LogEntry(on if details[field] else off))
        return entries
    return []


def _timeline(
    events: list[SessionEvent], recording: RecordingRecord, video_start: datetime | None
) -> list[TimelineEntry]:
    offsets = video_offsets(
        [(e.at, e.kind) for e in events],
        started_at=video_start or recording.started_at,
        stopped_at=recording.stopped_at,
    )
    return [
        TimelineEntry(offset, e.at, e.kind, e.name, e.text)
        for offset, e in zip(offsets, events, strict=True)
    ]
