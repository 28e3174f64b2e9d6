"""Invitations, updates, cancellations, downloads and feeds, read back with icalendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from liveinterview.calendar.invites import (
    Attendee,
    FeedEntry,
    InviteEvent,
    build_cancel,
    build_download,
    build_feed,
    build_request,
)

BERLIN = ZoneInfo("Europe/Berlin")
SENT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TRICKY = "Zoë Müller; Senior Engineer, Berlin"

CANDIDATE = Attendee(email="zoe@example.de", name=TRICKY)
INTERVIEWER = Attendee(
    email="ada@company.example", name="Ada Lovelace", role="CHAIR", partstat="ACCEPTED", rsvp=False
)
EVENT = InviteEvent(
    uid="interview-42@liveinterview.example",
    sequence=0,
    start=datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN),  # summer time: 07:00 UTC
    end=datetime(2026, 3, 30, 10, 0, tzinfo=BERLIN),
    summary=f"Interview: {TRICKY}",
    description="Hello Zoë,\nplease join 5 minutes early; bring your CV, if you like.\n\nSee you!",
    location="Online, LiveInterview; Room 7",
    url="https://liveinterview.example/join/abc123?lang=de",
    organizer_email="recruiting@company.example",
    organizer_name="Company Recruiting",
    attendees=(CANDIDATE, INTERVIEWER),
)


def parsed(data: bytes) -> tuple[Any, Any]:
    calendar = icalendar.Calendar.from_ical(data)
    (vevent,) = calendar.walk("VEVENT")
    return calendar, vevent


def attendee_params(vevent: Any) -> dict[str, dict[str, str]]:
    return {str(a): dict(a.params) for a in vevent.get("ATTENDEE", [])}


def test_request_holds_everything_a_client_needs_to_file_the_invitation() -> None:
    calendar, vevent = parsed(build_request(EVENT, dtstamp=SENT))
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["PRODID"].startswith("-//LiveInterview//")
    assert vevent["UID"] == "interview-42@liveinterview.example"
    assert vevent["SEQUENCE"] == 0
    assert vevent["DTSTAMP"].dt == SENT
    assert vevent["DTSTART"].dt == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert vevent["DTEND"].dt == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert vevent["STATUS"] == "CONFIRMED"
    assert vevent["URL"] == "https://liveinterview.example/join/abc123?lang=de"
    assert str(vevent["ORGANIZER"]) == "mailto:recruiting@company.example"
    assert vevent["ORGANIZER"].params["CN"] == "Company Recruiting"
    assert attendee_params(vevent) == {
        "mailto:zoe@example.de": {
            "CN": TRICKY, "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE",
        },
        "mailto:ada@company.example": {
            "CN": "Ada Lovelace", "ROLE": "CHAIR", "PARTSTAT": "ACCEPTED", "RSVP": "FALSE",
        },
    }  # fmt: skip
    (alarm,) = vevent.walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm["TRIGGER"].dt == timedelta(minutes=-15)


def test_times_are_written_in_utc_so_no_vtimezone_is_needed() -> None:
    data = build_request(EVENT, dtstamp=SENT)
    assert b"DTSTART:20260330T070000Z\r\n" in data
    assert b"DTEND:20260330T080000Z\r\n" in data
    assert b"DTSTAMP:20260301T120000Z\r\n" in data
    assert b"VTIMEZONE" not in data


TEXT_CASES = [
    pytest.param("SUMMARY", f"Interview: {TRICKY}", id="summary"),
    pytest.param("LOCATION", "Online, LiveInterview; Room 7", id="location"),
    pytest.param(
        "DESCRIPTION",
        "Hello Zoë,\nplease join 5 minutes early; bring your CV, if you like.\n\nSee you!",
        id="description-with-newlines",
    ),
]


@pytest.mark.parametrize(("name", "expected"), TEXT_CASES)
def test_text_with_commas_semicolons_newlines_and_accents_round_trips(
    name: str, expected: str
) -> None:
    for build in (build_request, build_cancel, build_download):
        _, vevent = parsed(build(EVENT, dtstamp=SENT))
        assert str(vevent[name]) == expected


def test_output_is_crlf_and_folded_for_strict_clients() -> None:
    data = build_request(replace(EVENT, description="ü" * 200), dtstamp=SENT)
    lines = data.split(b"\r\n")
    assert lines[-1] == b""
    assert b"\n" not in b"".join(lines)
    assert max(len(line) for line in lines) <= 75
    assert parsed(data)[1]["DESCRIPTION"] == "ü" * 200


def test_a_reschedule_keeps_uid_and_organizer_and_raises_the_sequence_then_cancel() -> None:
    first = parsed(build_request(EVENT, dtstamp=SENT))[1]
    moved = replace(
        EVENT,
        sequence=EVENT.sequence + 1,
        start=datetime(2026, 4, 2, 14, 0, tzinfo=BERLIN),
        end=datetime(2026, 4, 2, 15, 30, tzinfo=BERLIN),
    )
    second = parsed(build_request(moved, dtstamp=SENT + timedelta(hours=1)))[1]
    cancelled = replace(moved, sequence=moved.sequence + 1)
    calendar, third = parsed(build_cancel(cancelled, dtstamp=SENT + timedelta(hours=2)))

    assert first["UID"] == second["UID"] == third["UID"] == "interview-42@liveinterview.example"
    assert str(first["ORGANIZER"]) == str(second["ORGANIZER"]) == str(third["ORGANIZER"])
    assert [first["SEQUENCE"], second["SEQUENCE"], third["SEQUENCE"]] == [0, 1, 2]
    assert second["DTSTART"].dt == datetime(2026, 4, 2, 12, 0, tzinfo=UTC)
    assert second["DTEND"].dt == datetime(2026, 4, 2, 13, 30, tzinfo=UTC)
    assert second["DTSTAMP"].dt == SENT + timedelta(hours=1)
    assert calendar["METHOD"] == "CANCEL"
    assert third["STATUS"] == "CANCELLED"
    assert third["DTSTAMP"].dt == SENT + timedelta(hours=2)


def test_cancel_names_every_attendee_and_asks_for_no_reply_or_alarm() -> None:
    _, vevent = parsed(build_cancel(replace(EVENT, sequence=3), dtstamp=SENT))
    assert vevent["SEQUENCE"] == 3
    assert attendee_params(vevent) == {
        "mailto:zoe@example.de": {
            "CN": TRICKY, "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION",
        },
        "mailto:ada@company.example": {
            "CN": "Ada Lovelace", "ROLE": "CHAIR", "PARTSTAT": "ACCEPTED",
        },
    }  # fmt: skip
    assert vevent.walk("VALARM") == []


def test_download_is_a_publish_without_attendees() -> None:
    calendar, vevent = parsed(build_download(EVENT, dtstamp=SENT))
    assert calendar["METHOD"] == "PUBLISH"
    assert "ATTENDEE" not in vevent
    assert str(vevent["ORGANIZER"]) == "mailto:recruiting@company.example"
    assert vevent["UID"] == EVENT.uid
    assert vevent["DTSTART"].dt == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert vevent["URL"] == EVENT.url
    assert len(vevent.walk("VALARM")) == 1


def test_feed_lists_upcoming_and_cancelled_interviews_and_asks_for_hourly_refresh() -> None:
    later = replace(
        EVENT,
        uid="interview-43@liveinterview.example",
        sequence=2,
        start=datetime(2026, 4, 1, 9, 0, tzinfo=UTC),
        end=datetime(2026, 4, 1, 9, 45, tzinfo=UTC),
        location="",
    )
    data = build_feed(
        [FeedEntry(EVENT), FeedEntry(later, cancelled=True)],
        calendar_name=f"Interviews — {TRICKY}",
        dtstamp=SENT,
    )
    calendar = icalendar.Calendar.from_ical(data)
    assert "METHOD" not in calendar
    assert calendar["X-WR-CALNAME"] == f"Interviews — {TRICKY}"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in data
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in data
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert {uid: str(e["STATUS"]) for uid, e in events.items()} == {
        "interview-42@liveinterview.example": "CONFIRMED",
        "interview-43@liveinterview.example": "CANCELLED",
    }
    cancelled = events["interview-43@liveinterview.example"]
    assert cancelled["SEQUENCE"] == 2
    assert cancelled["DTSTART"].dt == datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    assert "LOCATION" not in cancelled
    assert all("ATTENDEE" not in e and "ORGANIZER" not in e for e in events.values())


def test_an_interview_without_a_join_link_yet_has_no_url_or_location() -> None:
    _, vevent = parsed(build_request(replace(EVENT, url="", location=""), dtstamp=SENT))
    assert "URL" not in vevent
    assert "LOCATION" not in vevent
    assert vevent["UID"] == EVENT.uid


def test_an_empty_feed_is_still_a_valid_calendar() -> None:
    calendar = icalendar.Calendar.from_ical(
        build_feed([], calendar_name="Interviews", dtstamp=SENT)
    )
    assert calendar.walk("VEVENT") == []
    assert calendar["X-WR-CALNAME"] == "Interviews"


INVALID_EVENTS = [
    pytest.param({"start": datetime(2026, 3, 30, 9)}, "InviteEvent.start must be time-zone aware",
                 id="naive-start"),
    pytest.param({"end": datetime(2026, 3, 30, 10)}, "InviteEvent.end must be time-zone aware",
                 id="naive-end"),
    pytest.param({"end": datetime(2026, 3, 30, 9, tzinfo=BERLIN)},
                 "InviteEvent.end (2026-03-30T09:00:00+02:00) must be after InviteEvent.start "
                 "(2026-03-30T09:00:00+02:00)", id="end-equals-start"),
    pytest.param({"end": datetime(2026, 3, 30, 6, tzinfo=UTC)},
                 "InviteEvent.end (2026-03-30T06:00:00+00:00) must be after InviteEvent.start "
                 "(2026-03-30T09:00:00+02:00)", id="end-before-start"),
    pytest.param({"uid": ""}, "InviteEvent.uid must not be empty", id="empty-uid"),
    pytest.param({"uid": "   "}, "InviteEvent.uid must not be empty", id="blank-uid"),
    pytest.param({"sequence": -1}, "InviteEvent.sequence must not be negative, not -1",
                 id="negative-sequence"),
    pytest.param({"summary": "Interview\r\nATTENDEE:mailto:eve@evil.example"},
                 "InviteEvent.summary must not contain line breaks (CR or LF)",
                 id="crlf-in-summary"),
    pytest.param({"location": "Room\n7"},
                 "InviteEvent.location must not contain line breaks (CR or LF)",
                 id="lf-in-location"),
    pytest.param({"uid": "a\rb"}, "InviteEvent.uid must not contain line breaks (CR or LF)",
                 id="cr-in-uid"),
    pytest.param({"organizer_name": "Recruiting\n"},
                 "InviteEvent.organizer_name must not contain line breaks (CR or LF)",
                 id="lf-in-organizer-name"),
    pytest.param({"description": "bell\x07"},
                 "InviteEvent.description must not contain the control character '\\x07'",
                 id="control-character-in-description"),
    pytest.param({"organizer_email": "recruiting.company.example"},
                 "InviteEvent.organizer_email must be an email address like name@example.com, "
                 "not 'recruiting.company.example'", id="organizer-email-without-at"),
    pytest.param({"url": "javascript:alert(1)"},
                 "InviteEvent.url must be an http(s) address, not 'javascript:alert(1)'",
                 id="url-not-http"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "message"), INVALID_EVENTS)
def test_invalid_events_are_refused_naming_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=r".+") as raised:
        replace(EVENT, **changes)
    assert str(raised.value) == message


INVALID_ATTENDEES = [
    pytest.param({"email": "zoe.example.de"},
                 "Attendee.email must be an email address like name@example.com, "
                 "not 'zoe.example.de'", id="email-without-at"),
    pytest.param({"email": "zoe@example.de\r\nBCC: eve@evil.example"},
                 "Attendee.email must not contain line breaks (CR or LF)", id="crlf-in-email"),
    pytest.param({"email": "zoe @example.de"},
                 "Attendee.email must be an email address like name@example.com, "
                 "not 'zoe @example.de'", id="space-in-email"),
    pytest.param({"name": "Zoë\nMüller"}, "Attendee.name must not contain line breaks (CR or LF)",
                 id="lf-in-name"),
    pytest.param({"role": "BOSS"},
                 "Attendee.role must be one of ['CHAIR', 'NON-PARTICIPANT', 'OPT-PARTICIPANT', "
                 "'REQ-PARTICIPANT'], not 'BOSS'", id="unknown-role"),
    pytest.param({"partstat": "MAYBE"},
                 "Attendee.partstat must be one of ['ACCEPTED', 'DECLINED', 'DELEGATED', "
                 "'NEEDS-ACTION', 'TENTATIVE'], not 'MAYBE'", id="unknown-partstat"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "message"), INVALID_ATTENDEES)
def test_invalid_attendees_are_refused_naming_the_field(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=r".+") as raised:
        replace(CANDIDATE, **changes)
    assert str(raised.value) == message


BUILDERS = [
    pytest.param(lambda stamp: build_request(EVENT, dtstamp=stamp), id="request"),
    pytest.param(lambda stamp: build_cancel(EVENT, dtstamp=stamp), id="cancel"),
    pytest.param(lambda stamp: build_download(EVENT, dtstamp=stamp), id="download"),
    pytest.param(
        lambda stamp: build_feed([FeedEntry(EVENT)], calendar_name="x", dtstamp=stamp), id="feed"
    ),
]


@pytest.mark.parametrize("build", BUILDERS)
def test_a_naive_dtstamp_is_refused(build: Any) -> None:
    with pytest.raises(ValueError, match=r"^dtstamp must be time-zone aware$"):
        build(datetime(2026, 3, 1, 12))


@pytest.mark.parametrize("build", BUILDERS)
def test_dtstamp_in_any_zone_is_written_in_utc(build: Any) -> None:
    data = build(datetime(2026, 3, 1, 13, 0, tzinfo=timezone(timedelta(hours=1))))
    assert b"DTSTAMP:20260301T120000Z\r\n" in data


def test_a_calendar_name_with_a_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^calendar_name must not contain line breaks"):
        build_feed([], calendar_name="Interviews\r\nX-EVIL:1", dtstamp=SENT)
