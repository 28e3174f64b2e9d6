"""An interviewer's busy calendars: feed addresses fetched now and then, and uploaded files.

Either kind is imported whole or not at all. A feed is saved only once it could be read; a
feed that stops working later is marked with the reason, and while it is, slot loading
(storage.availability.broken_sources) offers no times with its owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy.ext.asyncio import AsyncConnection

from liveinterview.calendar.busy import CalendarImportError, parse_busy
from liveinterview.calendar.feed_fetch import FeedFetchError, fetch_feed
from liveinterview.clock import Clock
from liveinterview.config import Settings
from liveinterview.domain.accounts import Permission, StaffMember, require
from liveinterview.domain.errors import Conflict, InvalidInput, NotFound
from liveinterview.services.accounts import Client
from liveinterview.services.work import unit_of_work
from liveinterview.storage import accounts as accounts_repo
from liveinterview.storage import audit
from liveinterview.storage import availability as repo
from liveinterview.storage.availability import CalendarSource
from liveinterview.storage.db import Database

log = logging.getLogger(__name__)

# Busy times are imported for this stretch around now; slots are never offered further out.
IMPORT_PAST = timedelta(days=1)
IMPORT_FUTURE = timedelta(days=120)
# A failed feed is tried again soon: while it fails, its owner is offered no slots at all.
RETRY_FAILED_AFTER = timedelta(minutes=5)
FEEDS_PER_CLAIM = 10
MAX_CALENDARS = 20
MAX_URL_LENGTH = 2000
MAX_LABEL_LENGTH = 200
FEED_SCHEMES = {"http": "http", "https": "https", "webcal": "https", "webcals": "https"}
CALENDAR_UNREADABLE = "the calendar could not be read because of an error on our side"


@dataclass(frozen=True)
class CalendarEntry:
    """A calendar source as its owner sees it; times in the owner's zone, the URL hidden."""

    id: int
    kind: str  # feed | upload
    label: str
    host: str
    status: str  # pending | ok | error
    error: str
    event_count: int
    created_at: datetime
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    next_fetch_at: datetime | None


class CalendarSources:
    """Adding, refreshing and removing the signed-in interviewer's calendars."""

    def __init__(self, *, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self._http: aiohttp.ClientSession | None = None

    @contextlib.asynccontextmanager
    async def http_client(self) -> AsyncIterator[None]:
        """Hold the one HTTP client for calendar feeds while the app runs."""
        async with aiohttp.ClientSession(
            headers={"User-Agent": "LiveInterview calendar import"}
        ) as session:
            self._http = session
            try:
                yield
            finally:
                self._http = None

    @property
    def _refresh_every(self) -> timedelta:
        return timedelta(minutes=self.settings.feed_refresh_minutes)

    async def add_feed(
        self, actor: StaffMember, *, url: str, label: str, client: Client
    ) -> CalendarEntry:
        """Fetch and import a calendar feed; it is saved only if that works."""
        require(actor.roles, Permission.CONDUCT_INTERVIEWS)
        address = feed_address(url)
        name = _label(label) or urlsplit(address).hostname or "Calendar"
        async with self.db.read() as conn:
            sources = await repo.sources_for(conn, [actor.id])
            prefs = (await repo.prefs_for(conn, [actor.id]))[actor.id]
        _check_room(sources)
        if any(source.url == address for source in sources):
            raise InvalidInput(
                "You have already added this calendar.",
                {"url": "You have already added this calendar."},
            )
        try:
            intervals = await self._read_feed(address, prefs.timezone, actor.email)
        except (FeedFetchError, CalendarImportError) as exc:
            message = f"This calendar could not be added: {_sentence(exc.message)}"
            raise InvalidInput(message, {"url": message}) from None
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            source_id = await repo.add_source(
                work.conn, user_id=actor.id, kind="feed", label=name, url=address, now=now
            )
            count = await repo.replace_busy(
                work.conn, source_id, intervals, now=now, next_fetch_at=now + self._refresh_every
            )
            await audit.record(
                work.conn,
                at=now,
                actor_id=actor.id,
                action="calendar.feed_added",
                subject=name,
                address=client.address,
                details={"source_id": source_id, "host": _host(address), "busy_times": count},
            )
            source = await repo.get_source(work.conn, source_id)
        assert source is not None
        return entry_of(source, ZoneInfo(prefs.timezone))

    async def upload(
        self, actor: StaffMember, *, data: bytes, filename: str, label: str, client: Client
    ) -> CalendarEntry:
        """Import an .ics file at once, whole or not at all."""
        require(actor.roles, Permission.CONDUCT_INTERVIEWS)
        if not data:
            raise InvalidInput(
                "Choose an .ics file to upload.", {"file": "Choose an .ics file to upload."}
            )
        name = _label(label) or _label(filename) or "Uploaded calendar"
        async with self.db.read() as conn:
            _check_room(await repo.sources_for(conn, [actor.id]))
            prefs = (await repo.prefs_for(conn, [actor.id]))[actor.id]
        try:
            intervals = await self._parse(data, prefs.timezone, actor.email)
        except CalendarImportError as exc:
            message = f"This file could not be imported: {_sentence(exc.message)}"
            raise InvalidInput(message, {"file": message}) from None
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            source_id = await repo.add_source(
                work.conn, user_id=actor.id, kind="upload", label=name, url=None, now=now
            )
            count = await repo.replace_busy(
                work.conn, source_id, intervals, now=now, next_fetch_at=None
            )
            await audit.record(
                work.conn,
                at=now,
                actor_id=actor.id,
                action="calendar.uploaded",
                subject=name,
                address=client.address,
                details={"source_id": source_id, "bytes": len(data), "busy_times": count},
            )
            source = await repo.get_source(work.conn, source_id)
        assert source is not None
        return entry_of(source, ZoneInfo(prefs.timezone))

    async def refresh_now(
        self, actor: StaffMember, source_id: int, client: Client
    ) -> CalendarEntry:
        """Fetch one of the actor's feeds at once; a failure is recorded like a scheduled one."""
        require(actor.roles, Permission.CONDUCT_INTERVIEWS)
        async with self.db.read() as conn:
            source = await self._own_source(conn, actor, source_id)
            prefs = (await repo.prefs_for(conn, [actor.id]))[actor.id]
        if source.kind != "feed":
            raise InvalidInput("An uploaded file cannot be refreshed; upload it again instead.")
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            claimed = await repo.claim_source(
                work.conn, source.id, now=now, until=now + self._claim_hold()
            )
        if not claimed:
            raise Conflict(
                "This calendar is being refreshed right now. Reload the page in a moment."
            )
        await self._refresh(source, prefs.timezone, actor.email)
        async with unit_of_work(self.db) as work:
            await audit.record(
                work.conn,
                at=self.clock.now(),
                actor_id=actor.id,
                action="calendar.refreshed",
                subject=source.label,
                address=client.address,
                details={"source_id": source.id},
            )
            refreshed = await repo.get_source(work.conn, source.id)
        if refreshed is None:
            raise NotFound("There is no such calendar.")
        return entry_of(refreshed, ZoneInfo(prefs.timezone))

    async def remove(self, actor: StaffMember, source_id: int, client: Client) -> None:
        require(actor.roles, Permission.CONDUCT_INTERVIEWS)
        async with unit_of_work(self.db) as work:
            source = await self._own_source(work.conn, actor, source_id)
            await repo.delete_source(work.conn, source.id)
            await audit.record(
                work.conn,
                at=self.clock.now(),
                actor_id=actor.id,
                action="calendar.removed",
                subject=source.label,
                address=client.address,
                details={"source_id": source.id, "kind": source.kind},
            )

    async def _own_source(
        self, conn: AsyncConnection, actor: StaffMember, source_id: int
    ) -> CalendarSource:
        source = await repo.get_source(conn, source_id)
        # Someone else's calendar is reported exactly like one that does not exist.
        if source is None or source.user_id != actor.id:
            raise NotFound("There is no such calendar.")
        return source

    # --- the background job -----------------------------------------------------------------

    def _claim_hold(self) -> timedelta:
        return timedelta(seconds=2 * self.settings.feed_timeout_seconds + 120)

    async def refresh_due_feeds(self) -> int:
        """Fetch every feed whose refresh is due, a batch at a time; returns how many."""
        done = 0
        while True:
            now = self.clock.now()
            # Long enough for a whole batch, which is fetched concurrently; a process that
            # dies mid-batch leaves its claims to expire and another one takes over.
            hold = self._claim_hold()
            async with unit_of_work(self.db) as work:
                batch = await repo.claim_due_feeds(
                    work.conn, now=now, until=now + hold, limit=FEEDS_PER_CLAIM
                )
                owner_ids = sorted({source.user_id for source in batch})
                prefs = await repo.prefs_for(work.conn, owner_ids)
                emails: dict[int, str] = {}
                for user_id in owner_ids:
                    owner = await accounts_repo.get_user(work.conn, user_id)
                    emails[user_id] = owner.email if owner is not None else ""
            results = await asyncio.gather(
                *(
                    self._refresh(source, prefs[source.user_id].timezone, emails[source.user_id])
                    for source in batch
                ),
                return_exceptions=True,
            )
            for source, result in zip(batch, results, strict=True):
                if isinstance(result, BaseException):
                    log.error(
                        "calendar feed refresh crashed; it is tried again once its claim expires",
                        exc_info=result,
                        extra={"source_id": source.id},
                    )
            done += len(batch)
            if len(batch) < FEEDS_PER_CLAIM:
                return done

    async def _refresh(self, source: CalendarSource, timezone: str, email: str) -> None:
        """Fetch and import one feed, or record why that failed. Never raises for bad feeds."""
        assert source.url is not None
        error: str | None = None
        intervals: list[tuple[datetime, datetime]] = []
        try:
            intervals = await self._read_feed(source.url, timezone, email)
        except (FeedFetchError, CalendarImportError) as exc:
            error = exc.message
        except Exception:
            log.exception("calendar feed import failed", extra={"source_id": source.id})
            error = CALENDAR_UNREADABLE
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            if await repo.get_source(work.conn, source.id) is None:
                return  # removed while it was being fetched
            if error is None:
                await repo.replace_busy(
                    work.conn,
                    source.id,
                    intervals,
                    now=now,
                    next_fetch_at=now + self._refresh_every,
                )
            else:
                await repo.mark_source_failed(
                    work.conn,
                    source.id,
                    error=error,
                    now=now,
                    next_fetch_at=now + min(self._refresh_every, RETRY_FAILED_AFTER),
                )
        if error is None:
            log.info("calendar feed refreshed", extra={"source_id": source.id})
        else:
            log.warning("calendar feed failed", extra={"source_id": source.id, "reason": error})

    async def _read_feed(
        self, url: str, timezone: str, email: str
    ) -> list[tuple[datetime, datetime]]:
        if self._http is None:
            raise RuntimeError("the calendar HTTP client is not running (app not started?)")
        data = await fetch_feed(
            self._http,
            url,
            timeout_s=self.settings.feed_timeout_seconds,
            max_bytes=self.settings.feed_max_bytes,
            allow_private_addresses=self.settings.feed_allow_private_addresses,
        )
        return await self._parse(data, timezone, email)

    async def _parse(
        self, data: bytes, timezone: str, email: str
    ) -> list[tuple[datetime, datetime]]:
        now = self.clock.now()
        try:
            # Expanding repeat rules can take a while; the video rooms share this event loop.
            return await asyncio.to_thread(
                parse_busy,
                data,
                window_start=now - IMPORT_PAST,
                window_end=now + IMPORT_FUTURE,
                tz=timezone,
                owner_emails=[email] if email else [],
                max_bytes=self.settings.feed_max_bytes,
            )
        except CalendarImportError:
            raise
        except Exception:
            log.exception("calendar could not be parsed")
            raise CalendarImportError(CALENDAR_UNREADABLE) from None


def feed_address(raw: str) -> str:
    """A feed URL as we fetch it (webcal:// becomes https://), or InvalidInput on `url`."""
    value = raw.strip()

    def invalid(problem: str) -> InvalidInput:
        return InvalidInput(problem, {"url": problem})

    if not value:
        raise invalid("Enter the calendar's secret address.")
    if len(value) > MAX_URL_LENGTH:
        raise invalid(f"The address is longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise invalid("This is not a valid web address.") from None
    scheme = FEED_SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise invalid(
            "Enter an address starting with https://, http:// or webcal://, "
            "like the calendar's “secret address in iCal format”."
        )
    if not host or any(ch.isspace() for ch in value):
        raise invalid("This is not a valid web address.")
    return urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, ""))


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


def _label(raw: str) -> str:
    text = " ".join(raw.split())
    text = "".join(ch for ch in text if ch.isprintable())
    return text[:MAX_LABEL_LENGTH]


def _check_room(sources: Sequence[CalendarSource]) -> None:
    if len(sources) >= MAX_CALENDARS:
        raise InvalidInput(f"You can connect at most {MAX_CALENDARS} calendars. Remove one first.")


def entry_of(source: CalendarSource, zone: ZoneInfo) -> CalendarEntry:
    def local(moment: datetime | None) -> datetime | None:
        return moment.astimezone(zone) if moment is not None else None

    return CalendarEntry(
        id=source.id,
        kind=source.kind,
        label=source.label,
        host=_host(source.url) if source.url else "",
        status=source.status,
        error=source.error,
        event_count=source.event_count,
        created_at=source.created_at.astimezone(zone),
        last_attempt_at=local(source.last_attempt_at),
        last_success_at=local(source.last_success_at),
        next_fetch_at=local(source.next_fetch_at),
    )
