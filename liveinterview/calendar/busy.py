"""Busy times from an interviewer's own calendar (.ics): expanded, filtered, merged."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from math import lcm
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from icalendar.parser.ical.component import ComponentIcalParser
from icalendar.parser.parameter import Parameters
from icalendar.parser.property import unescape_backslash
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
from recurring_ical_events import (
    CalendarQuery,
    ComponentAdapter,
    ComponentsWithName,
    EventAdapter,
    Occurrence,
    Series,
)

__all__ = ["CalendarImportError", "Interval", "parse_busy"]

Interval = tuple[datetime, datetime]

# What one import may cost: dateutil steps (candidate days examined plus occurrences made)
# per allowed occurrence. A step is 1-2 microseconds, so the default 20,000 occurrences buy
# 400,000 steps: at most about 0.7 s spent on a hostile rule before it is rejected.
_STEPS_PER_INSTANCE = 20
_MAX_ZONE_TRANSITIONS = 5_000
_ZONE_HORIZON = timedelta(days=800)

# Only these properties can change a busy time. Every other line is skipped before
# icalendar parses it, which makes parsing several times faster (Outlook's X-ALT-DESC
# alone is often half the file) and keeps errors in irrelevant data from rejecting a file.
_USED_PROPERTIES = frozenset(
    {
        "ATTENDEE", "CALSCALE", "DTEND", "DTSTART", "DURATION", "EXDATE", "FREEBUSY", "RDATE",
        "RECURRENCE-ID", "RRULE", "SEQUENCE", "STATUS", "SUMMARY", "TRANSP", "TZID", "TZNAME",
        "TZOFFSETFROM", "TZOFFSETTO", "UID", "X-MICROSOFT-CDO-BUSYSTATUS", "X-WR-TIMEZONE",
    }
)  # fmt: skip
_USED_COMPONENTS = frozenset(
    {"VCALENDAR", "VEVENT", "VFREEBUSY", "VTIMEZONE", "STANDARD", "DAYLIGHT"}
)
_PROPERTY_NAME = re.compile(r"[A-Za-z0-9-]+(?=[;:])")
# A content line whose parameter values need no unquoting or unescaping (no " , ^ \\).
_PLAIN_LINE = re.compile(r"([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+=[^\";:,^\\]*)*):")
_NEWLINE = re.compile(r"\r?\n")  # the same line ends icalendar accepts


class CalendarImportError(Exception):
    """The calendar cannot be used; the message says why in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_busy(
    data: bytes,
    *,
    window_start: datetime,
    window_end: datetime,
    tz: str,
    owner_emails: Collection[str],
    max_bytes: int = 2_000_000,
    max_instances: int = 20_000,
) -> list[Interval]:
    """The owner's busy intervals inside [window_start, window_end): UTC, sorted, merged.

    Events block unless TRANSPARENT, CANCELLED (whole or one occurrence) or declined by one
    of `owner_emails`; tentative ones block. DATE values are whole days in `tz`, and so are
    floating times. Anything wrong with the input raises CalendarImportError, never a
    partial answer; expansion is bounded, so hostile rules fail fast rather than run long.
    """
    if len(data) > max_bytes:
        size, limit = _sizes(len(data), max_bytes)
        raise CalendarImportError(f"the calendar is {size}; the limit is {limit}")
    local = _named_zone(tz)
    start, end = _window(window_start, window_end)
    owners = {address for address in map(_address, owner_emails) if address}
    budget = _Budget(max_steps=_STEPS_PER_INSTANCE * max_instances)
    # The guard stops a runaway rule while it expands; the exact count comes afterwards.
    guard = _Counter(max_instances, lambda: _too_many(max_instances, start, end))
    occurrences = _Counter(max_instances, lambda: _too_many(max_instances, start, end))
    intervals: list[Interval] = []
    window = (start, end)
    for calendar in _parse(data, owners):
        zones = _Zones(calendar, budget, horizon=end + _ZONE_HORIZON)
        _localize(calendar, zones, local)
        intervals += _event_intervals(calendar, window, local, owners, budget, guard, occurrences)
        intervals += _freebusy_intervals(calendar, local, occurrences)
    return _merged(_clipped(intervals, start, end))


# --- arguments and messages ------------------------------------------------------------------


def _sizes(size: int, limit: int) -> tuple[str, str]:
    """Both sizes in the largest unit that still tells them apart."""
    for unit, scale in (("MB", 1_000_000), ("KB", 1_000)):
        if limit >= scale:
            shown = [f"{n / scale:.1f}".removesuffix(".0") for n in (size, limit)]
            if shown[0] != shown[1]:
                return f"{shown[0]} {unit}", f"{shown[1]} {unit}"
    return f"{size:,} bytes", f"{limit:,} bytes"


def _named_zone(name: str) -> ZoneInfo:
    zone = _iana(name)
    if zone is None:
        raise CalendarImportError(f'"{name}" is not a time zone name I know')
    return zone


def _iana(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory like "Europe"
        return None


def _window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    if start.tzinfo is None or end.tzinfo is None:
        raise CalendarImportError("the window needs time-zone-aware start and end times")
    if end <= start:
        raise CalendarImportError(f"the window ends ({end}) before it starts ({start})")
    return start.astimezone(UTC), end.astimezone(UTC)


def _address(value: object) -> str:
    text = str(value).strip()
    if text[:7].lower() == "mailto:":
        text = text[7:]
    return text.strip().lower()


def _too_many(limit: int, start: datetime, end: datetime) -> NoReturn:
    raise CalendarImportError(
        f"the calendar has more than {limit:,} event occurrences between "
        f"{start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} UTC; the limit is {limit:,}"
    )


def _describe(component: Any) -> str:
    kind = {"VEVENT": "event", "VFREEBUSY": "free/busy block"}.get(component.name)
    if kind is None:
        return f"a {component.name} component"
    summary, uid = component.get("SUMMARY"), component.get("UID")
    if summary and uid:
        return f'{kind} "{summary}" (UID {uid})'
    if summary:
        return f'{kind} "{summary}"'
    return f"{kind} with UID {uid}" if uid else f"an {kind} without UID or SUMMARY"


def _values(prop: Any) -> list[Any]:
    """A property that may occur several times, always as a list."""
    if prop is None:
        return []
    return prop if isinstance(prop, list) else [prop]


# --- parsing ---------------------------------------------------------------------------------


def _parse(data: bytes, owners: set[str]) -> list[Any]:
    text = data.decode("utf-8-sig", "replace")  # icalendar, too, replaces bad bytes
    first = text.lstrip().split("\n", 1)[0].strip()
    if not first:
        raise CalendarImportError("the calendar file is empty")
    if first.upper() != "BEGIN:VCALENDAR":
        raise CalendarImportError(
            f"this is not an iCalendar file: it starts with {first[:40]!r}, not BEGIN:VCALENDAR"
        )
    parser = _Parser(text, owners)
    try:
        components = parser.parse()
    except _LineError as error:
        raise CalendarImportError(_at_line(text, error.line, error.reason)) from None
    if parser.broken:
        line, name, component, reason = parser.broken[0]
        what = f"{name} of {_describe(component)}" if component.name != "VCALENDAR" else name
        raise CalendarImportError(_at_line(text, line, f"{what} could not be read: {reason}"))
    others = sorted({str(c.name) for c in components if c.name != "VCALENDAR"})
    if others:
        raise CalendarImportError(
            f"this is not an iCalendar file: it holds {', '.join(others)}, not VCALENDAR"
        )
    return components


class _LineError(Exception):
    def __init__(self, line: str, reason: str) -> None:
        super().__init__(reason)
        self.line, self.reason = line, reason


class _Parser(ComponentIcalParser):
    """icalendar's parser, strict on what matters for busy time and blind to the rest.

    Date-times are read as written and their TZIDs resolved later, per calendar: icalendar's
    own resolution caches every VTIMEZONE in a process-wide registry where the first calendar
    to define a TZID decides it for every calendar parsed after it, and entries never expire.
    """

    def __init__(self, text: str, owners: set[str]) -> None:
        factory = icalendar.Calendar._get_component_factory()
        super().__init__(text, factory, icalendar.Calendar.types_factory)
        self.broken: list[tuple[str, str, Any, str]] = []
        self._owners = owners

    def parse_content_lines(self) -> None:
        for line in self._content_lines_iterator:
            if not line:
                continue
            if self._ignored(line):
                continue
            try:
                name, params, value = _parts(line)
            except ValueError:
                raise _LineError(line, f"not a valid iCalendar line: {line[:60]!r}") from None
            name = name.upper()
            if name == "BEGIN":
                self.handle_begin_component(value)
            elif name == "END":
                self._end(line, value)
            elif self.component is None:
                raise _LineError(line, f"{name} appears outside of BEGIN:VCALENDAR")
            else:
                self.handle_property(name, params, value, line)
        if self.component is not None:
            raise _LineError("", f"the file ends inside {self.component.name}; it looks cut off")

    def _ignored(self, line: str) -> bool:
        found = _PROPERTY_NAME.match(line)
        if found is None:
            return False  # not even a name: let icalendar report the syntax error
        name = found[0].upper()
        if name in ("BEGIN", "END"):
            return False
        if name not in _USED_PROPERTIES:
            return True
        if self.component is not None and self.component.name not in _USED_COMPONENTS:
            return True
        # Meetings list many attendees; only the owner's own answer matters.
        return name == "ATTENDEE" and not any(owner in line.lower() for owner in self._owners)

    def _end(self, line: str, name: str) -> None:
        if self.component is None:
            raise _LineError(line, f"END:{name} without a matching BEGIN")
        if name.upper() != self.component.name:
            raise _LineError(line, f"END:{name} closes BEGIN:{self.component.name}")
        self.handle_end_component("")  # not "VTIMEZONE": keeps it out of the global cache

    def parse_and_add_property(
        self, name: str, params: Any, val: str, tzid: str | None, line: Any
    ) -> None:
        super().parse_and_add_property(name, params, val, None, line)

    def handle_property_parse_error(
        self, exception: Exception, name: str, params: Any, val: str, line: Any
    ) -> None:
        self.broken.append((str(line), name, self.component, str(exception)))


def _parts(line: Any) -> tuple[str, Parameters, str]:
    """`line.parts()`, without its character-by-character scan for plain lines."""
    plain = _PLAIN_LINE.match(line)
    if plain is None:
        return line.parts()  # type: ignore[no-any-return]
    pairs = (pair.split("=", 1) for pair in plain[2].split(";")[1:])
    return plain[1], Parameters(pairs), unescape_backslash(line[plain.end() :])


def _at_line(text: str, line: str, reason: str) -> str:
    number = _line_number(text, line) if line else None
    return f"line {number}: {reason}" if number else reason


def _line_number(text: str, wanted: str) -> int | None:
    """The physical line on which an unfolded content line starts."""
    parts: list[str] = []
    start = 0
    for number, physical in enumerate(_NEWLINE.split(text), start=1):
        if physical[:1] in (" ", "\t") and parts:
            parts.append(physical[1:])
            continue
        if "".join(parts) == wanted:
            return start
        parts, start = [physical], number
    return start if "".join(parts) == wanted else None


# --- time zones ------------------------------------------------------------------------------


class _Zones:
    """The TZIDs of one calendar: IANA names, Windows names, then the calendar's VTIMEZONEs."""

    def __init__(self, calendar: Any, budget: _Budget, horizon: datetime) -> None:
        self._defined = {str(c["TZID"]): c for c in calendar.walk("VTIMEZONE") if "TZID" in c}
        self._budget = budget
        self._horizon = horizon.replace(tzinfo=None)
        self._known: dict[str, tzinfo | None] = {}

    def get(self, tzid: str) -> tzinfo | None:
        if tzid not in self._known:
            self._known[tzid] = self._resolve(tzid)
        return self._known[tzid]

    def named(self, tzid: str) -> ZoneInfo | None:
        """An IANA zone, or the IANA zone for a Windows name; None for anything else."""
        name = tzid.strip().strip("/")
        return _iana(name) or _iana(WINDOWS_TO_OLSON.get(name, ""))

    def _resolve(self, tzid: str) -> tzinfo | None:
        # A named zone beats the calendar's own definition, as in icalendar: embedded
        # definitions are often cut down to the current rule and lose the zone's history.
        zone: tzinfo | None = self.named(tzid)
        if zone is None and tzid in self._defined:
            zone = _EmbeddedZone.build(self._defined[tzid], self._budget, self._horizon)
        if zone is None:
            # "/vendor.example/Europe/Berlin": globally unique TZIDs (RFC 5545 3.2.19)
            # written by Evolution and Lightning end in an IANA name.
            parts = tzid.strip("/").split("/")
            zone = next(
                filter(None, (_iana("/".join(parts[i:])) for i in range(1, len(parts)))), None
            )
        return zone


class _EmbeddedZone(tzinfo):
    """A zone defined by a VTIMEZONE, its transitions computed once (bounded) up front.

    dateutil's tzical would re-expand the observance rules on every offset lookup, from 1601
    for Outlook, and without any bound for a hostile FREQ=SECONDLY observance.
    """

    def __init__(self, tzid: str, transitions: list[tuple[datetime, timedelta, timedelta, str]]):
        # A transition: (onset as local time in the old offset, old offset, new offset, name).
        self._tzid = tzid
        self._initial = transitions[0][1]
        self._onsets = [onset for onset, _, _, _ in transitions]
        self._offsets = [new for _, _, new, _ in transitions]
        self._names = [name for _, _, _, name in transitions]
        self._utc = [onset - old for onset, old, _, _ in transitions]
        # PEP 495: in a gap or an overlap, fold=0 means the offset before the transition.
        self._fold0 = [o + max(new - old, timedelta(0)) for o, old, new, _ in transitions]
        self._fold1 = [o + min(new - old, timedelta(0)) for o, old, new, _ in transitions]

    @classmethod
    def build(cls, vtimezone: Any, budget: _Budget, horizon: datetime) -> _EmbeddedZone:
        tzid = str(vtimezone["TZID"])
        label = f'time zone "{tzid}"'
        for observance in vtimezone.subcomponents:
            missing = {"DTSTART", "TZOFFSETFROM", "TZOFFSETTO"} - set(observance)
            if observance.name in ("STANDARD", "DAYLIGHT") and missing:
                raise CalendarImportError(f"{label}: {observance.name} lacks {min(missing)}")
        limit = _Counter(
            _MAX_ZONE_TRANSITIONS,
            lambda: _fail(f"{label} has more than {_MAX_ZONE_TRANSITIONS:,} transitions"),
        )
        onsets = [
            instance
            for name in ("STANDARD", "DAYLIGHT")
            for instance in _expand(
                vtimezone, name, _Observance, budget, limit, lambda _: label,
                (datetime(1, 1, 2), horizon),
            )
        ]  # fmt: skip
        if not onsets:
            raise CalendarImportError(f"{label} has no STANDARD or DAYLIGHT part")
        transitions = sorted(
            (
                _naive(instance.start),
                instance.source["TZOFFSETFROM"].td,
                instance.source["TZOFFSETTO"].td,
                str(instance.source.get("TZNAME", tzid)),
            )
            for instance in onsets
        )
        return cls(tzid, transitions)

    def _index(self, dt: datetime | None) -> int:
        if dt is None:
            return -1
        bounds = self._fold1 if dt.fold else self._fold0
        return bisect_right(bounds, dt.replace(tzinfo=None)) - 1

    def utcoffset(self, dt: datetime | None) -> timedelta:
        index = self._index(dt)
        return self._offsets[index] if index >= 0 else self._initial

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str:
        index = self._index(dt)
        return self._names[index] if index >= 0 else self._tzid

    def fromutc(self, dt: datetime) -> datetime:
        utc = dt.replace(tzinfo=None)
        index = bisect_right(self._utc, utc) - 1
        local = utc + (self._offsets[index] if index >= 0 else self._initial)
        # Local times repeated after a backward transition are the second ones: fold=1.
        fold = int(index >= 0 and local < self._onsets[index] and local >= self._fold1[index])
        return local.replace(tzinfo=self, fold=fold)

    def __repr__(self) -> str:
        return f"<_EmbeddedZone {self._tzid!r}>"


def _naive(value: date) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.combine(value, time())


def _localize(calendar: Any, zones: _Zones, local: tzinfo) -> None:
    """Give every date-time its zone: TZID, or `local` for floating times; check the spans."""
    scale = str(calendar.get("CALSCALE", "GREGORIAN"))
    if scale.upper() != "GREGORIAN":
        raise CalendarImportError(f"only Gregorian calendars can be read, not CALSCALE:{scale}")
    declared = calendar.get("X-WR-TIMEZONE")
    calendar_zone = zones.named(str(declared)) if declared is not None else None
    if declared is not None and calendar_zone is None:
        raise CalendarImportError(f'X-WR-TIMEZONE "{declared}" is not a time zone I know')
    for event in calendar.walk("VEVENT"):
        _localize_event(event, zones, local, calendar_zone)


def _localize_event(event: Any, zones: _Zones, local: tzinfo, calendar_zone: tzinfo | None) -> None:
    label = _describe(event)
    for name in ("DTSTART", "DTEND", "DURATION", "RECURRENCE-ID"):
        if isinstance(event.get(name), list):
            raise CalendarImportError(f"{label} has more than one {name}")
    if "DTSTART" not in event:
        raise CalendarImportError(f"{label} has no DTSTART")

    def zoned(value: Any, tzid: str | None, name: str) -> Any:
        if isinstance(value, tuple):  # an RDATE period
            return tuple(zoned(part, tzid, name) for part in value)
        if not isinstance(value, datetime) or value.tzinfo is not None:
            return value
        zone = zones.get(tzid) if tzid else local
        if zone is None:
            raise CalendarImportError(
                f'{label}: {name} uses the time zone "{tzid}", which is neither a known '
                "zone name nor defined in the calendar"
            )
        return value.replace(tzinfo=zone)

    for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
        prop = event.get(name)
        if prop is not None:
            prop.dt = zoned(prop.dt, prop.params.get("TZID"), name)
    for name in ("EXDATE", "RDATE"):
        for values in _values(event.get(name)):
            for item in values.dts:
                item.dt = zoned(item.dt, values.params.get("TZID"), name)
    start = event["DTSTART"].dt
    if calendar_zone is not None and "RRULE" in event and _is_utc(start):
        # Google's X-WR-TIMEZONE: a series written in UTC keeps its local time across DST.
        for name in ("DTSTART", "DTEND"):
            if name in event and _is_utc(event[name].dt):
                event[name].dt = event[name].dt.astimezone(calendar_zone)
        start = event["DTSTART"].dt
    _check_span(event, label, local)
    for rule in _values(event.get("RRULE")):
        until = rule.get("UNTIL")
        if until and isinstance(start, datetime) and _naive_datetime(until[0]):
            # RFC 5545: UNTIL is in the zone of DTSTART; dateutil wants it in UTC.
            rule["UNTIL"] = [until[0].replace(tzinfo=start.tzinfo).astimezone(UTC)]


def _is_utc(value: object) -> bool:
    return isinstance(value, datetime) and value.tzinfo is not None and value.tzname() == "UTC"


def _naive_datetime(value: object) -> bool:
    return isinstance(value, datetime) and value.tzinfo is None


def _check_span(event: Any, label: str, local: tzinfo) -> None:
    start = event["DTSTART"].dt
    if not isinstance(start, date):
        raise CalendarImportError(f"{label}: DTSTART is not a date or a date-time")
    duration = event.get("DURATION")
    if duration is not None and not isinstance(duration.dt, timedelta):
        raise CalendarImportError(f"{label}: DURATION is not a duration")
    if duration is not None and duration.dt < timedelta(0):
        raise CalendarImportError(
            f"{label} has a negative DURATION ({duration.to_ical().decode()})"
        )
    if "DTEND" in event:
        end = event["DTEND"].dt
        if not isinstance(end, date):
            raise CalendarImportError(f"{label}: DTEND is not a date or a date-time")
        if _instant(end, local) < _instant(start, local):
            raise CalendarImportError(
                f"{label} ends ({_shown(end)}) before it starts ({_shown(start)})"
            )


def _shown(value: date) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    return value.isoformat()


def _instant(value: date, local: tzinfo) -> datetime:
    """A DATE is local midnight; a floating time is local time; all as aware UTC."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=local)
    return value.astimezone(UTC)


# --- bounded expansion -----------------------------------------------------------------------


# What dateutil and recurring_ical_events raise on rules they cannot handle (dateutil even
# indexes past its tables for BYDAY=60MO); anything else is a bug and should surface.
_LIBRARY_ERRORS = (ValueError, TypeError, OverflowError, IndexError, KeyError)


class _SeriesError(Exception):
    def __init__(self, uid: str, reason: str) -> None:
        super().__init__(reason)
        self.uid, self.reason = uid, reason


class _Budget:
    """Steps dateutil may still take for this import, shared by every rule in it."""

    def __init__(self, max_steps: int) -> None:
        self.max_steps = max_steps
        self.steps = 0

    def charge(self, steps: int) -> None:
        self.steps += steps
        if self.steps > self.max_steps:
            raise _OutOfSteps


class _OutOfSteps(Exception):
    """Raised from deep inside dateutil when the budget is spent."""


class _Counter:
    """Counts occurrences and calls `exceeded` (which raises) once there are too many."""

    def __init__(self, limit: int, exceeded: Callable[[], NoReturn]) -> None:
        self.limit, self.count, self._exceeded = limit, 0, exceeded

    def add(self, n: int = 1) -> None:
        self.count += n
        if self.count > self.limit:
            self._exceeded()


def _fail(message: str) -> NoReturn:
    raise CalendarImportError(message)


# dateutil consults these BYxxx filters once per candidate day it examines (and BYDAY with
# an ordinal, once per month or year), so charging there bounds even rules that never
# produce an occurrence: FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30 would otherwise scan days until
# the year 9999. The names are dateutil.rrule internals, pinned by the tests.
_FILTER_WEIGHTS = {
    "_bymonth": 1, "_byweekno": 1, "_byweekday": 1, "_byeaster": 1, "_bymonthday": 1,
    "_bynmonthday": 1, "_byyearday": 1, "_bysetpos": 1, "_bynweekday": 31,
}  # fmt: skip


class _MeteredFilter(tuple[Any, ...]):
    """A dateutil BYxxx filter that charges the budget each time dateutil tests it."""

    budget: _Budget
    weight: int

    def __bool__(self) -> bool:
        self.budget.charge(self.weight)
        return len(self) > 0


class _MeteredRule:
    """A dateutil rule that charges every step to the budget and never caches."""

    def __init__(self, rule: Any, budget: _Budget, found: _Counter, uid: str) -> None:
        self.until = rule.until  # set by recurring_ical_events, which reads it back
        self.string = rule.string
        self._rule = rule.replace(cache=False)  # the cache would keep every step in memory
        self._budget, self._found, self._uid = budget, found, uid
        for name, weight in _FILTER_WEIGHTS.items():
            values = getattr(self._rule, name, None)
            if values is not None:
                metered = _MeteredFilter(values)
                metered.budget, metered.weight = budget, weight
                setattr(self._rule, name, metered)

    def between(self, after: datetime, before: datetime, inc: bool = False) -> list[datetime]:
        found: list[datetime] = []
        try:
            for moment in self._rule:
                self._budget.charge(1)
                if moment > before or (moment == before and not inc):
                    break
                if moment > after or (moment == after and inc):
                    self._found.add()
                    found.append(moment)
        except _OutOfSteps:
            raise _SeriesError(
                self._uid,
                f"its repeat rule RRULE:{self.string} needs more than "
                f"{self._budget.max_steps:,} steps to expand (it repeats too often, or "
                "rarely or never matches)",
            ) from None
        except _LIBRARY_ERRORS as error:
            raise _SeriesError(
                self._uid, f"its repeat rule RRULE:{self.string} cannot be used ({error})"
            ) from None
        return found


def _metered_series(budget: _Budget, found: _Counter) -> type[Any]:
    class MeteredRules(Series.RecurrenceRules):  # type: ignore[misc]
        def rrulestr(self, rule_string: str) -> _MeteredRule:
            return _MeteredRule(super().rrulestr(rule_string), budget, found, self.core.uid)

    class MeteredSeries(Series):  # type: ignore[misc]
        RecurrenceRules = MeteredRules

        def __init__(self, components: Any) -> None:
            try:
                super().__init__(components)
            except _LIBRARY_ERRORS as error:
                raise _SeriesError(components[0].uid, f"cannot be expanded ({error})") from None

        def between(self, span_start: Any, span_stop: Any) -> Iterator[Any]:
            try:
                yield from super().between(span_start, span_stop)
            except _LIBRARY_ERRORS as error:
                raise _SeriesError(self.uid, f"cannot be expanded ({error})") from None

    return MeteredSeries


class _Event(EventAdapter):  # type: ignore[misc]
    @property
    def source(self) -> Any:
        return self._component


class _Observance(ComponentAdapter):  # type: ignore[misc]
    """A VTIMEZONE's STANDARD or DAYLIGHT part: each occurrence is one transition."""

    @staticmethod
    def component_name() -> str:
        return "OBSERVANCE"

    @property
    def raw_start(self) -> datetime:
        return _naive(self._component["DTSTART"].dt)

    @property
    def raw_end(self) -> datetime:
        return self.raw_start

    @property
    def source(self) -> Any:
        return self._component


class _Instance(Occurrence):  # type: ignore[misc]
    """An occurrence that keeps its source component instead of copying it."""

    def __init__(self, adapter: Any, start: Any = None, end: Any = None, sequence: int = -1):
        super().__init__(adapter, start, end, sequence)
        self.source = adapter.source

    def as_component(self, keep_recurrence_attributes: bool) -> _Instance:
        return self


def _expand(
    source: Any,
    name: str,
    adapter: type[Any],
    budget: _Budget,
    found: _Counter,
    label: Callable[[str], str],
    span: tuple[datetime, datetime],
) -> list[_Instance]:
    selection = ComponentsWithName(
        name, adapter=adapter, series=_metered_series(budget, found), occurrence=_Instance
    )
    try:
        instances: list[_Instance] = CalendarQuery(source, components=[selection]).between(*span)
    except _SeriesError as error:
        raise CalendarImportError(f"{label(str(error.uid))}: {error.reason}") from None
    return instances


# --- busy intervals --------------------------------------------------------------------------


def _event_intervals(
    calendar: Any,
    window: tuple[datetime, datetime],
    local: tzinfo,
    owners: set[str],
    budget: _Budget,
    guard: _Counter,
    occurrences: _Counter,
) -> list[Interval]:
    by_uid: dict[str, list[Any]] = {}
    for event in calendar.walk("VEVENT"):
        by_uid.setdefault(str(event.get("UID", id(event))), []).append(event)
    # A lone event without repetition is its own only occurrence; handing only real series
    # to recurring_ical_events saves most of its per-event cost.
    spans = [
        (events[0], *_span(events[0], local))
        for events in by_uid.values()
        if len(events) == 1 and not _repeats(events[0])
    ]
    series = icalendar.Calendar()
    for events in by_uid.values():
        if len(events) > 1 or _repeats(events[0]):
            _fast_forward(events, window[0], local)
            series.subcomponents += events
    if series.subcomponents:
        labels = {uid: _describe(events[0]) for uid, events in by_uid.items()}
        local_window = (window[0].astimezone(local), window[1].astimezone(local))
        instances = _expand(
            series, "VEVENT", _Event, budget, guard,
            lambda uid: labels.get(uid, "an event without UID"), local_window,
        )  # fmt: skip
        spans += [(i.source, _instant(i.start, local), _instant(i.end, local)) for i in instances]
    inside = [
        (event, start, end)
        for event, start, end in spans
        if start < window[1] and (end > window[0] or start == end >= window[0])
    ]
    occurrences.add(len(inside))
    return [(start, end) for event, start, end in inside if _blocks(event, owners)]


def _fast_forward(series: list[Any], before: datetime, local: tzinfo) -> None:
    """Move an old series' DTSTART to shortly before `before`, changing nothing after it.

    dateutil always iterates from DTSTART, so a weekly meeting from 2005 would cost 20 years
    of steps. Without COUNT, a DAILY or WEEKLY rule yields the same occurrences from any
    start a whole number of intervals later (MONTHLY and YEARLY: whole years, so that the
    month and day defaults taken from DTSTART hold). The new start stays before the window
    and every RECURRENCE-ID: recurring_ical_events also lists DTSTART itself as an occurrence.
    """
    cores = [event for event in series if "RRULE" in event and "RECURRENCE-ID" not in event]
    rules = _values(cores[0].get("RRULE")) if len(cores) == 1 else []
    if len(rules) != 1 or "COUNT" in rules[0]:
        return
    core, frequency = cores[0], str(rules[0].get("FREQ", [""])[0]).upper()
    interval = rules[0].get("INTERVAL", [1])[0]
    start, end = _span(core, local)
    latest = before - (end - start)
    for moved in series:
        if "RECURRENCE-ID" in moved:
            latest = min(latest, _instant(moved["RECURRENCE-ID"].dt, local))
    latest -= timedelta(days=2)  # room for DST and for all-day events
    if latest <= start or not isinstance(interval, int) or interval < 1:
        return
    value = core["DTSTART"].dt
    if frequency in ("DAILY", "WEEKLY"):
        period = timedelta(days=interval * (7 if frequency == "WEEKLY" else 1))
        shifted = value + period * ((latest - start) // period)
    elif frequency in ("MONTHLY", "YEARLY"):
        step = lcm(interval * (12 if frequency == "YEARLY" else 1), 12)
        months = (latest.year - start.year) * 12 + latest.month - start.month - 1
        if months < step:
            return
        year, month = divmod(value.month - 1 + months - months % step, 12)
        try:
            shifted = value.replace(year=value.year + year, month=month + 1)
        except ValueError:  # 29 February in a common year, or beyond the year 9999
            return
    else:
        return  # HOURLY and finer stay within the step budget
    if "DTEND" in core:
        core["DTEND"].dt += shifted - value
    core["DTSTART"].dt = shifted


def _repeats(event: Any) -> bool:
    return "RRULE" in event or "RDATE" in event or "RECURRENCE-ID" in event


def _span(event: Any, local: tzinfo) -> Interval:
    """Start and end of a one-off event, by the RFC 5545 defaults recurring_ical_events uses."""
    start = event["DTSTART"].dt
    if "DTEND" in event:
        end = event["DTEND"].dt
    elif "DURATION" in event:
        duration = event["DURATION"].dt
        if duration.seconds and not isinstance(start, datetime):
            start = datetime.combine(start, time())
        end = start + duration
    elif isinstance(start, datetime):
        end = start  # a moment: blocks nothing
    else:
        end = start + timedelta(days=1)
    return _instant(start, local), _instant(end, local)


def _blocks(event: Any, owners: set[str]) -> bool:
    """Whether the owner is busy during the event; tentative counts as busy."""
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return False
    if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
        return False
    # Outlook's own "show as: free", should an event carry it without TRANSP.
    if str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper() == "FREE":
        return False
    return not any(
        _address(attendee) in owners
        and str(attendee.params.get("PARTSTAT", "")).upper() == "DECLINED"
        for attendee in _values(event.get("ATTENDEE"))
    )


def _freebusy_intervals(calendar: Any, local: tzinfo, found: _Counter) -> list[Interval]:
    intervals: list[Interval] = []
    for block in calendar.walk("VFREEBUSY"):
        for period in _values(block.get("FREEBUSY")):
            if str(period.params.get("FBTYPE", "BUSY")).upper() == "FREE":
                continue  # BUSY, BUSY-TENTATIVE, BUSY-UNAVAILABLE and unknown types block
            start, end = period.dt
            if isinstance(end, timedelta):
                end = start + end
            interval = (_instant(start, local), _instant(end, local))
            if interval[1] < interval[0]:
                raise CalendarImportError(
                    f"{_describe(block)} has a period that ends before it starts"
                )
            found.add()
            intervals.append(interval)
    return intervals


def _clipped(intervals: list[Interval], start: datetime, end: datetime) -> list[Interval]:
    clipped = ((max(s, start), min(e, end)) for s, e in intervals)
    return [(s, e) for s, e in clipped if s < e]


def _merged(intervals: list[Interval]) -> list[Interval]:
    """Sorted, with overlapping and touching intervals joined."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
