"""iCalendar invitations, cancellations, downloads and an interviewer's feed.

Updates land on the existing entry in Gmail, Outlook and Apple Calendar because every
message about one interview keeps its UID and ORGANIZER and carries a higher SEQUENCE
(RFC 5546 section 2.1.4; Outlook matches on UID, then keeps the highest SEQUENCE).
Callers own the SEQUENCE: bump it for every reschedule and for the cancellation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
from icalendar import vCalAddress

__all__ = [
    "Attendee",
    "FeedEntry",
    "InviteEvent",
    "build_cancel",
    "build_download",
    "build_feed",
    "build_request",
]

PRODID = "-//LiveInterview//Interview scheduling//EN"
REMINDER = timedelta(minutes=15)
FEED_REFRESH = timedelta(hours=1)

ROLES = frozenset({"CHAIR", "REQ-PARTICIPANT", "OPT-PARTICIPANT", "NON-PARTICIPANT"})
PARTSTATS = frozenset({"NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED"})


@dataclass(frozen=True)
class Attendee:
    """Someone invited to the interview: the candidate or an interviewer."""

    email: str
    name: str
    role: str = "REQ-PARTICIPANT"
    partstat: str = "NEEDS-ACTION"
    rsvp: bool = True

    def __post_init__(self) -> None:
        _check_email("Attendee.email", self.email)
        _check_line("Attendee.name", self.name)
        if self.role not in ROLES:
            raise ValueError(f"Attendee.role must be one of {sorted(ROLES)}, not {self.role!r}")
        if self.partstat not in PARTSTATS:
            raise ValueError(
                f"Attendee.partstat must be one of {sorted(PARTSTATS)}, not {self.partstat!r}"
            )


@dataclass(frozen=True)
class InviteEvent:
    """One interview as calendars see it; `sequence` grows with every change sent out."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    description: str
    location: str
    url: str
    organizer_email: str
    organizer_name: str
    attendees: tuple[Attendee, ...]

    def __post_init__(self) -> None:
        _check_line("InviteEvent.uid", self.uid)
        if not self.uid.strip():
            raise ValueError("InviteEvent.uid must not be empty")
        if isinstance(self.sequence, bool) or not isinstance(self.sequence, int):
            raise ValueError("InviteEvent.sequence must be an integer")
        if self.sequence < 0:
            raise ValueError(f"InviteEvent.sequence must not be negative, not {self.sequence}")
        _check_aware("InviteEvent.start", self.start)
        _check_aware("InviteEvent.end", self.end)
        if self.end <= self.start:
            raise ValueError(
                f"InviteEvent.end ({self.end.isoformat()}) must be after "
                f"InviteEvent.start ({self.start.isoformat()})"
            )
        _check_line("InviteEvent.summary", self.summary)
        _check_text("InviteEvent.description", self.description)
        _check_line("InviteEvent.location", self.location)
        if self.url:  # empty while an interview has no join link yet
            _check_url("InviteEvent.url", self.url)
        _check_email("InviteEvent.organizer_email", self.organizer_email)
        _check_line("InviteEvent.organizer_name", self.organizer_name)
        if not all(isinstance(attendee, Attendee) for attendee in self.attendees):
            raise ValueError("InviteEvent.attendees must hold Attendee values")


@dataclass(frozen=True)
class FeedEntry:
    """An interview in an interviewer's feed; cancelled ones stay, marked as such."""

    event: InviteEvent
    cancelled: bool = False


def build_request(event: InviteEvent, *, dtstamp: datetime) -> bytes:
    """METHOD:REQUEST: the invitation, and every update of it (same UID, higher SEQUENCE)."""
    calendar = _calendar("REQUEST", dtstamp)
    vevent = _vevent(event, dtstamp, status="CONFIRMED")
    _add_people(vevent, event, rsvp=True)
    vevent.add_component(_reminder(event))
    calendar.add_component(vevent)
    return bytes(calendar.to_ical())


def build_cancel(event: InviteEvent, *, dtstamp: datetime) -> bytes:
    """METHOD:CANCEL for the whole interview, to everyone; the caller bumps SEQUENCE."""
    calendar = _calendar("CANCEL", dtstamp)
    vevent = _vevent(event, dtstamp, status="CANCELLED")
    # RFC 5546 3.2.5: a cancellation of the whole event names every attendee.
    _add_people(vevent, event, rsvp=False)
    calendar.add_component(vevent)
    return bytes(calendar.to_ical())


def build_download(event: InviteEvent, *, dtstamp: datetime) -> bytes:
    """METHOD:PUBLISH: the "add to calendar" file; no attendees, so nobody is asked to reply."""
    calendar = _calendar("PUBLISH", dtstamp)
    vevent = _vevent(event, dtstamp, status="CONFIRMED")
    vevent.add("ORGANIZER", _address(event.organizer_email, event.organizer_name))
    vevent.add_component(_reminder(event))
    calendar.add_component(vevent)
    return bytes(calendar.to_ical())


def build_feed(entries: Iterable[FeedEntry], *, calendar_name: str, dtstamp: datetime) -> bytes:
    """A subscribable calendar (no METHOD) of an interviewer's interviews, refreshed hourly.

    Attendees and organizer are left out: the feed is read-only, and its secret address
    should reveal as little about candidates as possible if it leaks.
    """
    _check_line("calendar_name", calendar_name)
    calendar = _calendar(None, dtstamp)
    calendar.add("X-WR-CALNAME", calendar_name)
    calendar.add("NAME", calendar_name)
    calendar.add("REFRESH-INTERVAL", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", icalendar.vDuration(FEED_REFRESH))  # X- names default to TEXT
    for entry in entries:
        if not isinstance(entry, FeedEntry):
            raise ValueError(f"entries must hold FeedEntry values, not {type(entry).__name__}")
        status = "CANCELLED" if entry.cancelled else "CONFIRMED"
        calendar.add_component(_vevent(entry.event, dtstamp, status=status))
    return bytes(calendar.to_ical())


def _calendar(method: str | None, dtstamp: datetime) -> icalendar.Calendar:
    _check_aware("dtstamp", dtstamp)
    calendar = icalendar.Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    if method is not None:
        calendar.add("METHOD", method)
    return calendar


def _vevent(event: InviteEvent, dtstamp: datetime, *, status: str) -> icalendar.Event:
    vevent = icalendar.Event()
    vevent.add("UID", event.uid)
    vevent.add("SEQUENCE", event.sequence)
    vevent.add("DTSTAMP", dtstamp.astimezone(UTC))
    # UTC everywhere: no VTIMEZONE to get wrong, and Google compares updates by instant.
    vevent.add("DTSTART", event.start.astimezone(UTC))
    vevent.add("DTEND", event.end.astimezone(UTC))
    vevent.add("SUMMARY", event.summary)
    if event.description:  # an update without it removes it: iTIP replaces the whole event
        vevent.add("DESCRIPTION", event.description)
    if event.location:
        vevent.add("LOCATION", event.location)
    if event.url:
        vevent.add("URL", event.url)
    vevent.add("STATUS", status)
    vevent.add("TRANSP", "OPAQUE")
    return vevent


def _add_people(vevent: icalendar.Event, event: InviteEvent, *, rsvp: bool) -> None:
    vevent.add("ORGANIZER", _address(event.organizer_email, event.organizer_name))
    for attendee in event.attendees:
        address = _address(attendee.email, attendee.name)
        address.params["ROLE"] = attendee.role
        address.params["PARTSTAT"] = attendee.partstat
        if rsvp:
            address.params["RSVP"] = "TRUE" if attendee.rsvp else "FALSE"
        vevent.add("ATTENDEE", address)


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    return address


def _reminder(event: InviteEvent) -> icalendar.Alarm:
    # Gmail and Outlook apply their users' own reminder settings; Apple Calendar uses this.
    alarm = icalendar.Alarm()
    alarm.add("ACTION", "DISPLAY")
    alarm.add("DESCRIPTION", event.summary or "Interview")
    alarm.add("TRIGGER", -REMINDER)
    return alarm


# --- input checks ----------------------------------------------------------------------------


def _check_aware(field: str, value: object) -> None:
    if not isinstance(value, datetime):
        raise ValueError(f"{field} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field} must be time-zone aware")


def _check_text(field: str, value: object) -> None:
    """Free text: newlines are fine (iCalendar escapes them), other control characters not."""
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string, not {type(value).__name__}")
    stray = next((c for c in value.replace("\r\n", "\n") if _control(c) and c != "\n"), None)
    if stray is not None:
        raise ValueError(f"{field} must not contain the control character {stray!r}")


def _check_line(field: str, value: object) -> None:
    """One-line text: CR and LF would end the property and could inject new ones."""
    if isinstance(value, str) and ("\r" in value or "\n" in value):
        raise ValueError(f"{field} must not contain line breaks (CR or LF)")
    _check_text(field, value)


def _control(character: str) -> bool:
    return (ord(character) < 32 and character != "\t") or ord(character) == 127


def _check_email(field: str, value: object) -> None:
    _check_line(field, value)
    local, at, domain = str(value).rpartition("@")
    if not at or not local or not domain or any(c.isspace() or c in '"<>' for c in str(value)):
        raise ValueError(f"{field} must be an email address like name@example.com, not {value!r}")


def _check_url(field: str, value: object) -> None:
    _check_line(field, value)
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in str(value):
        raise ValueError(f"{field} must be an http(s) address, not {value!r}")
