"""An interviewer's own availability: time zone, weekly hours, date overrides and limits.

The calendars that make them busy are kept by `calendar_sources.CalendarSources`, reached
through `AvailabilityService.calendars`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from liveinterview.clock import Clock
from liveinterview.config import Settings
from liveinterview.domain.accounts import Permission, StaffMember, require
from liveinterview.domain.errors import InvalidInput, NotFound
from liveinterview.domain.hours import (
    CORRECT_FIELDS,
    WEEKDAYS,
    check_preferences,
    format_notice_hours,
    format_ranges,
    parse_override,
    parse_week,
    weekday_field,
)
from liveinterview.domain.interviews import common_timezones
from liveinterview.services.accounts import Client
from liveinterview.services.calendar_sources import CalendarEntry, CalendarSources, entry_of
from liveinterview.services.work import Work, unit_of_work
from liveinterview.storage import audit
from liveinterview.storage import availability as repo
from liveinterview.storage.availability import InterviewerPrefs
from liveinterview.storage.db import Database


@dataclass(frozen=True)
class AvailabilityInput:
    """The availability form as typed: settings and each weekday's hours, Monday first."""

    timezone: str
    buffer_before: str
    buffer_after: str
    max_per_day: str
    max_per_week: str
    min_notice_hours: str
    hours: tuple[str, ...]

    @classmethod
    def of(
        cls, prefs: InterviewerPrefs, week: dict[int, list[tuple[int, int]]]
    ) -> AvailabilityInput:
        """The stored values, as the form shows them."""
        return cls(
            timezone=prefs.timezone,
            buffer_before=str(prefs.buffer_before_minutes),
            buffer_after=str(prefs.buffer_after_minutes),
            max_per_day="" if prefs.max_per_day is None else str(prefs.max_per_day),
            max_per_week="" if prefs.max_per_week is None else str(prefs.max_per_week),
            min_notice_hours=format_notice_hours(prefs.min_notice_minutes),
            hours=tuple(format_ranges(week.get(day, [])) for day in range(len(WEEKDAYS))),
        )

    def days(self) -> list[tuple[str, str, str]]:
        """(weekday name, form field, text) for each day, Monday first."""
        return [(name, weekday_field(d), self.hours[d]) for d, name in enumerate(WEEKDAYS)]


@dataclass(frozen=True)
class OverrideEntry:
    day: date
    hours: str  # "" for a day off

    @property
    def day_off(self) -> bool:
        return not self.hours


@dataclass(frozen=True)
class Overview:
    """Everything on the interviewer's availability pages."""

    timezone: str
    timezone_never_set: bool
    today: date
    form: AvailabilityInput
    overrides: list[OverrideEntry]
    calendars: list[CalendarEntry]
    problem: str | None  # why no slots are offered right now, if a calendar is unreadable
    timezones: Sequence[str]
    refresh_minutes: int
    max_upload: str  # the largest .ics file accepted, for people: "2 MB"


class AvailabilityService:
    """When the signed-in interviewer can take interviews (`calendars`: when they are busy)."""

    def __init__(self, *, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.calendars = CalendarSources(db=db, clock=clock, settings=settings)

    # --- reading ----------------------------------------------------------------------------

    async def overview(self, actor: StaffMember) -> Overview:
        require(actor.roles, Permission.CONDUCT_INTERVIEWS)
        async with self.db.read() as conn:
            prefs = (await repo.prefs_for(conn, [actor.id]))[actor.id]
            zone = ZoneInfo(prefs.timezone)
            today = self.clock.now().astimezone(zone).date()
            week = (await repo.weekly_for(conn, [actor.id]))[actor.id]
            overrides = (await repo.overrides_for(conn, [actor.id], since=today))[actor.id]
            sources = await repo.sources_for(conn, [actor.id])
            problem = (await repo.broken_sources(conn, [actor.id])).get(actor.id)
        return Overview(
            timezone=prefs.timezone,
            # Users who never saved keep the column default; the page then suggests the
            # browser's zone. (Someone who saved UTC with every default looks the same.)
            timezone_never_set=prefs == InterviewerPrefs(actor.id, "UTC"),
            today=today,
            form=AvailabilityInput.of(prefs, week),
            overrides=[OverrideEntry(day, format_ranges(r)) for day, r in overrides.items()],
            calendars=[entry_of(source, zone) for source in sources],
            problem=problem,
            timezones=common_timezones(),
            refresh_minutes=self.settings.feed_refresh_minutes,
            max_upload=_size(min(self.settings.feed_max_bytes, self.settings.max_body_bytes)),
        )

    # --- settings and hours -----------------------------------------------------------------

    async def save(self, actor: StaffMember, form: AvailabilityInput, client: Client) -> None:
        """Settings and weekly hours together, checked together: all saved or none."""
        require(actor.roles, Permission.CONDUCT_INTERVIEWS)
        problems: dict[str, str] = {}
        prefs = week = None
        try:
            prefs = self._checked_prefs(actor, form)
        except InvalidInput as exc:
            problems.update(exc.fields)
        try:
            week = parse_week(form.hours)
        except InvalidInput as exc:
            problems.update(exc.fields)
        if problems:
            message = next(iter(problems.values())) if len(problems) == 1 else CORRECT_FIELDS
            raise InvalidInput(message, problems)
        assert prefs is not None
        assert week is not None
        async with unit_of_work(self.db) as work:
            await self._write_prefs(work, actor, prefs, client)
            await self._write_week(work, actor, week, client)

    async def save_settings(
        self, actor: StaffMember, form: AvailabilityInput, client: Client
    ) -> None:
        """Time zone, buffers, limits and notice (the hours in `form` are ignored)."""
        require(actor.roles, Permission.CONDUCT_INTERVIEWS)
        prefs = self._checked_prefs(actor, form)
        async with unit_of_work(self.db) as work:
            await self._write_prefs(work, actor, prefs, client)

    async def save_weekly_hours(
        self, actor: StaffMember, hours: Sequence[str], client: Client
    ) -> None:
        """All seven days at once, Monday first; an empty day has no hours."""
        require(actor.roles, Permission.CONDUCT_INTERVIEWS)
        week = parse_week(hours)
        async with unit_of_work(self.db) as work:
            await self._write_week(work, actor, week, client)

    def _checked_prefs(self, actor: StaffMember, form: AvailabilityInput) -> InterviewerPrefs:
        checked = check_preferences(
            timezone=form.timezone,
            buffer_before=form.buffer_before,
            buffer_after=form.buffer_after,
            max_per_day=form.max_per_day,
            max_per_week=form.max_per_week,
            min_notice_hours=form.min_notice_hours,
        )
        return InterviewerPrefs(
            user_id=actor.id,
            timezone=checked.timezone,
            buffer_before_minutes=checked.buffer_before_minutes,
            buffer_after_minutes=checked.buffer_after_minutes,
            max_per_day=checked.max_per_day,
            max_per_week=checked.max_per_week,
            min_notice_minutes=checked.min_notice_minutes,
        )

    async def _write_prefs(
        self, work: Work, actor: StaffMember, prefs: InterviewerPrefs, client: Client
    ) -> None:
        now = self.clock.now()
        await repo.save_prefs(work.conn, prefs, now)
        await audit.record(
            work.conn,
            at=now,
            actor_id=actor.id,
            action="availability.settings_saved",
            address=client.address,
            details={
                "timezone": prefs.timezone,
                "buffer_before_minutes": prefs.buffer_before_minutes,
                "buffer_after_minutes": prefs.buffer_after_minutes,
                "max_per_day": prefs.max_per_day,
                "max_per_week": prefs.max_per_week,
                "min_notice_minutes": prefs.min_notice_minutes,
            },
        )

    async def _write_week(
        self,
        work: Work,
        actor: StaffMember,
        week: dict[int, list[tuple[int, int]]],
        client: Client,
    ) -> None:
        await repo.replace_weekly(work.conn, actor.id, week)
        await audit.record(
            work.conn,
            at=self.clock.now(),
            actor_id=actor.id,
            action="availability.hours_saved",
            address=client.address,
            details={WEEKDAYS[day].lower(): format_ranges(r) for day, r in sorted(week.items())},
        )

    # --- date overrides ---------------------------------------------------------------------

    async def set_override(
        self, actor: StaffMember, *, day: str, kind: str, hours: str, client: Client
    ) -> date:
        """Other hours (kind "hours") or a day off (kind "off") on one date; replaces any."""
        require(actor.roles, Permission.CONDUCT_INTERVIEWS)
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            today = await self._today(work, actor)
            override = parse_override(day=day, kind=kind, hours=hours, today=today)
            await repo.set_override(work.conn, actor.id, override.day, override.ranges)
            await audit.record(
                work.conn,
                at=now,
                actor_id=actor.id,
                action="availability.override_set",
                subject=override.day.isoformat(),
                address=client.address,
                details={"hours": format_ranges(override.ranges), "day_off": not override.ranges},
            )
        return override.day

    async def delete_override(self, actor: StaffMember, day: str, client: Client) -> None:
        require(actor.roles, Permission.CONDUCT_INTERVIEWS)
        try:
            when = date.fromisoformat(day)
        except ValueError:
            raise NotFound("There is no such date override.") from None
        async with unit_of_work(self.db) as work:
            existing = (await repo.overrides_for(work.conn, [actor.id], since=when))[actor.id]
            if when not in existing:
                raise NotFound("There is no such date override.")
            await repo.delete_override(work.conn, actor.id, when)
            await audit.record(
                work.conn,
                at=self.clock.now(),
                actor_id=actor.id,
                action="availability.override_deleted",
                subject=when.isoformat(),
                address=client.address,
            )

    async def _today(self, work: Work, actor: StaffMember) -> date:
        prefs = (await repo.prefs_for(work.conn, [actor.id]))[actor.id]
        return self.clock.now().astimezone(ZoneInfo(prefs.timezone)).date()


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.0f} MB"
    return f"{n / 1000:.0f} KB"
