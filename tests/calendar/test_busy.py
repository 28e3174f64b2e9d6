"""Busy-time import: which parts of an interviewer's calendar block them, and what is refused."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from icalendar.timezone import tzp

from liveinterview.calendar.busy import CalendarImportError, Interval, parse_busy

OWNER = "owner@example.com"
MARCH = (datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 4, 6, tzinfo=UTC))
OCTOBER = (datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 10, 30, tzinfo=UTC))

BERLIN_VTIMEZONE = """BEGIN:VTIMEZONE
TZID:{tzid}
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
"""


def ics(*components: str, header: str = "") -> bytes:
    """A VCALENDAR around the components, with CRLF line ends as RFC 5545 wants."""
    body = "".join(components)
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{header}{body}END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


def event(*lines: str, uid: str = "e1", summary: str = "Standup") -> str:
    return (
        "\n".join(["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{summary}", *lines, "END:VEVENT"]) + "\n"
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def spans(*pairs: tuple[str, str]) -> list[Interval]:
    return [(at(start), at(end)) for start, end in pairs]


def busy(
    data: bytes,
    window: tuple[datetime, datetime] = MARCH,
    tz: str = "Europe/Berlin",
    **limits: int,
) -> list[Interval]:
    return parse_busy(
        data, window_start=window[0], window_end=window[1], tz=tz, owner_emails=[OWNER], **limits
    )


BLOCKING_CASES = [
    pytest.param(
        ics(event("DTSTART:20260302T090000Z", "DTEND:20260302T100000Z")),
        MARCH, "Europe/Berlin", spans(("2026-03-02 09:00", "2026-03-02 10:00")),
        id="utc-times",
    ),
    pytest.param(
        ics(event(
            "DTSTART;TZID=Europe/Berlin:20260302T090000",
            "DTEND;TZID=Europe/Berlin:20260302T100000",
        )),
        MARCH, "America/New_York", spans(("2026-03-02 08:00", "2026-03-02 09:00")),
        id="iana-tzid",
    ),
    pytest.param(
        ics(event(
            "DTSTART;TZID=W. Europe Standard Time:20260302T090000",
            "DTEND;TZID=W. Europe Standard Time:20260302T100000",
        )),
        MARCH, "UTC", spans(("2026-03-02 08:00", "2026-03-02 09:00")),
        id="outlook-windows-tzid-without-vtimezone",
    ),
    pytest.param(
        ics(
            BERLIN_VTIMEZONE.format(tzid="W. Europe Standard Time"),
            event(
                "DTSTART;TZID=W. Europe Standard Time:20260330T090000",
                "DTEND;TZID=W. Europe Standard Time:20260330T100000",
            ),
        ),
        MARCH, "UTC", spans(("2026-03-30 07:00", "2026-03-30 08:00")),
        id="outlook-windows-tzid-with-vtimezone-in-summer-time",
    ),
    pytest.param(
        ics(
            event(
                "DTSTART;TZID=Customized Time Zone:20260327T090000",
                "DTEND;TZID=Customized Time Zone:20260327T100000",
                "RRULE:FREQ=DAILY;COUNT=4",
            ),
            BERLIN_VTIMEZONE.format(tzid="Customized Time Zone"),  # defined after its use
        ),
        MARCH, "UTC",
        spans(
            ("2026-03-27 08:00", "2026-03-27 09:00"), ("2026-03-28 08:00", "2026-03-28 09:00"),
            ("2026-03-29 07:00", "2026-03-29 08:00"), ("2026-03-30 07:00", "2026-03-30 08:00"),
        ),
        id="vtimezone-only-zone-across-dst",
    ),
    pytest.param(
        ics(event(
            "DTSTART;TZID=/freeassociation.sourceforge.net/Europe/Berlin:20260302T090000",
            "DTEND;TZID=/freeassociation.sourceforge.net/Europe/Berlin:20260302T100000",
        )),
        MARCH, "UTC", spans(("2026-03-02 08:00", "2026-03-02 09:00")),
        id="globally-unique-tzid-of-evolution",
    ),
    pytest.param(
        ics(event("DTSTART:20260302T090000", "DTEND:20260302T100000")),
        MARCH, "America/New_York", spans(("2026-03-02 14:00", "2026-03-02 15:00")),
        id="floating-time-is-local-time",
    ),
    pytest.param(
        ics(event("DTSTART:20260302T090000Z", "DURATION:PT45M")),
        MARCH, "UTC", spans(("2026-03-02 09:00", "2026-03-02 09:45")),
        id="duration-instead-of-dtend",
    ),
    pytest.param(
        ics(event("DTSTART:20260302T090000Z")),
        MARCH, "UTC", [],
        id="date-time-without-end-blocks-nothing",
    ),
    pytest.param(
        ics(event("DTSTART;VALUE=DATE:20260310")),
        MARCH, "Europe/Berlin", spans(("2026-03-09 23:00", "2026-03-10 23:00")),
        id="date-without-end-is-one-local-day",
    ),
    pytest.param(
        ics(event("DTSTART;VALUE=DATE:20260329", "DTEND;VALUE=DATE:20260330")),
        MARCH, "Europe/Berlin", spans(("2026-03-28 23:00", "2026-03-29 22:00")),
        id="all-day-on-spring-forward-is-23-hours",
    ),
    pytest.param(
        ics(event("DTSTART;VALUE=DATE:20261025", "DTEND;VALUE=DATE:20261026")),
        OCTOBER, "Europe/Berlin", spans(("2026-10-24 22:00", "2026-10-25 23:00")),
        id="all-day-on-fall-back-is-25-hours",
    ),
    pytest.param(
        ics(event("DTSTART;VALUE=DATE:20260310", "DTEND;VALUE=DATE:20260313")),
        MARCH, "Europe/Berlin", spans(("2026-03-09 23:00", "2026-03-12 23:00")),
        id="multi-day-all-day-end-is-exclusive",
    ),
    pytest.param(
        ics(event("DTSTART:20260302T090000Z", "DTEND:20260302T100000Z", "TRANSP:TRANSPARENT")),
        MARCH, "UTC", [],
        id="transparent-does-not-block",
    ),
    pytest.param(
        ics(event("DTSTART:20260302T090000Z", "DTEND:20260302T100000Z", "STATUS:CANCELLED")),
        MARCH, "UTC", [],
        id="cancelled-does-not-block",
    ),
    pytest.param(
        ics(event("DTSTART:20260302T090000Z", "DTEND:20260302T100000Z", "STATUS:TENTATIVE")),
        MARCH, "UTC", spans(("2026-03-02 09:00", "2026-03-02 10:00")),
        id="tentative-blocks",
    ),
    pytest.param(
        ics(event(
            "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z",
            "X-MICROSOFT-CDO-BUSYSTATUS:FREE",
        )),
        MARCH, "UTC", [],
        id="outlook-show-as-free-does-not-block",
    ),
    pytest.param(
        ics(event(
            "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z",
            "ATTENDEE;CN=Boss;PARTSTAT=ACCEPTED:mailto:boss@example.com",
            "ATTENDEE;CN=Owner;PARTSTAT=DECLINED:MAILTO:Owner@Example.COM",
        )),
        MARCH, "UTC", [],
        id="declined-by-owner-does-not-block",
    ),
    pytest.param(
        ics(event(
            "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z",
            "ATTENDEE;PARTSTAT=DECLINED:mailto:someone.else@example.com",
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:owner@example.com",
        )),
        MARCH, "UTC", spans(("2026-03-02 09:00", "2026-03-02 10:00")),
        id="declined-by-someone-else-blocks",
    ),
    pytest.param(
        ics(
            event(
                "DTSTART;TZID=Europe/Berlin:20260302T090000",
                "DTEND;TZID=Europe/Berlin:20260302T100000",
                "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260330T235959Z",
                "EXDATE;TZID=Europe/Berlin:20260309T090000",
            ),
            event(
                "RECURRENCE-ID;TZID=Europe/Berlin:20260316T090000",
                "DTSTART;TZID=Europe/Berlin:20260317T140000",
                "DTEND;TZID=Europe/Berlin:20260317T150000",
                "SEQUENCE:1",
            ),
            event(
                "RECURRENCE-ID;TZID=Europe/Berlin:20260323T090000",
                "DTSTART;TZID=Europe/Berlin:20260323T090000",
                "DTEND;TZID=Europe/Berlin:20260323T100000",
                "STATUS:CANCELLED",
            ),
        ),
        MARCH, "Europe/Berlin",
        spans(
            ("2026-03-02 08:00", "2026-03-02 09:00"),  # 9 March: EXDATE
            ("2026-03-17 13:00", "2026-03-17 14:00"),  # 16 March moved to the 17th
            ("2026-03-30 07:00", "2026-03-30 08:00"),  # 23 March cancelled; summer time
        ),
        id="weekly-series-with-exdate-moved-and-cancelled-instances",
    ),
    pytest.param(
        ics(event(
            "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z",
            "RDATE:20260304T120000Z",
            "RDATE;VALUE=PERIOD:20260305T120000Z/PT2H",
        )),
        MARCH, "UTC",
        spans(
            ("2026-03-02 09:00", "2026-03-02 10:00"), ("2026-03-04 12:00", "2026-03-04 13:00"),
            ("2026-03-05 12:00", "2026-03-05 14:00"),
        ),
        id="rdate-and-rdate-period",
    ),
    pytest.param(
        ics(
            event(
                "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z", "RRULE:FREQ=WEEKLY;COUNT=6"
            ),
            header="X-WR-TIMEZONE:Europe/Berlin\n",
        ),
        (datetime(2026, 3, 23, tzinfo=UTC), datetime(2026, 4, 6, tzinfo=UTC)), "UTC",
        spans(("2026-03-23 09:00", "2026-03-23 10:00"), ("2026-03-30 08:00", "2026-03-30 09:00")),
        id="google-x-wr-timezone-keeps-utc-series-at-local-time",
    ),
    pytest.param(
        ics(event(
            "DTSTART:20260302T090000", "DTEND:20260302T100000",
            "RRULE:FREQ=DAILY;UNTIL=20260303T090000",
        )),
        MARCH, "America/New_York",
        spans(("2026-03-02 14:00", "2026-03-02 15:00"), ("2026-03-03 14:00", "2026-03-03 15:00")),
        id="floating-until-is-local-time-too",
    ),
    pytest.param(
        ics("\n".join([
            "BEGIN:VFREEBUSY", "UID:fb1",
            "FREEBUSY:20260302T090000Z/20260302T100000Z",
            "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260303T090000Z/PT30M,20260303T120000Z/PT1H",
            "FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260304T090000Z/20260304T100000Z",
            "FREEBUSY;FBTYPE=FREE:20260305T090000Z/20260305T100000Z",
            "END:VFREEBUSY",
        ]) + "\n"),
        MARCH, "UTC",
        spans(
            ("2026-03-02 09:00", "2026-03-02 10:00"), ("2026-03-03 09:00", "2026-03-03 09:30"),
            ("2026-03-03 12:00", "2026-03-03 13:00"), ("2026-03-04 09:00", "2026-03-04 10:00"),
        ),
        id="vfreebusy-periods-except-free",
    ),
    pytest.param(
        ics(
            event("DTSTART:20260302T090000Z", "DTEND:20260302T100000Z", uid="a"),
            event("DTSTART:20260302T093000Z", "DTEND:20260302T103000Z", uid="b"),
            event("DTSTART:20260302T103000Z", "DTEND:20260302T110000Z", uid="c"),
            event("DTSTART:20260302T080000Z", "DTEND:20260302T083000Z", uid="d"),
        ),
        MARCH, "UTC",
        spans(("2026-03-02 08:00", "2026-03-02 08:30"), ("2026-03-02 09:00", "2026-03-02 11:00")),
        id="overlapping-and-touching-intervals-merge-sorted",
    ),
    pytest.param(
        ics(
            event("DTSTART:20260301T220000Z", "DTEND:20260302T010000Z", uid="a"),
            event("DTSTART:20260405T230000Z", "DTEND:20260406T020000Z", uid="b"),
            event("DTSTART:20260301T090000Z", "DTEND:20260301T100000Z", uid="c"),
        ),
        MARCH, "UTC",
        spans(("2026-03-02 00:00", "2026-03-02 01:00"), ("2026-04-05 23:00", "2026-04-06 00:00")),
        id="clipped-to-the-window",
    ),
    pytest.param(
        ics(event(
            "DTSTART;TZID=Europe/Berlin:20010305T090000",
            "DTEND;TZID=Europe/Berlin:20010305T100000",
            "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
        )),
        (datetime(2026, 3, 23, tzinfo=UTC), datetime(2026, 4, 6, tzinfo=UTC)), "UTC",
        # 1,308 weeks after 5 March 2001: the week of 30 March is "on", 23 March "off".
        spans(("2026-03-30 07:00", "2026-03-30 08:00"), ("2026-04-02 07:00", "2026-04-02 08:00")),
        id="series-from-2001-keeps-its-biweekly-rhythm",
    ),
    pytest.param(
        ics(event(
            "DTSTART;TZID=Europe/Berlin:19990129T160000",
            "DTEND;TZID=Europe/Berlin:19990129T170000",
            "RRULE:FREQ=MONTHLY;BYDAY=-1FR",
        )),
        MARCH, "UTC",
        spans(("2026-03-27 15:00", "2026-03-27 16:00")),
        id="monthly-last-friday-since-1999",
    ),
    pytest.param(
        ics(
            event("DTSTART:20260302T090000Z", "DTEND:20260302T100000Z", uid="a"),
            "BEGIN:VTODO\nUID:t1\nDTSTART:not a date\nEND:VTODO\n",
            event("DTSTART:20260303T090000Z", "DTEND:20260303T100000Z", "GEO:not;a;geo", uid="b"),
        ),
        MARCH, "UTC",
        spans(("2026-03-02 09:00", "2026-03-02 10:00"), ("2026-03-03 09:00", "2026-03-03 10:00")),
        id="errors-in-data-that-cannot-change-busy-time-are-ignored",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("data", "window", "tz", "expected"), BLOCKING_CASES)
def test_busy_intervals_follow_the_calendar_rules(
    data: bytes, window: tuple[datetime, datetime], tz: str, expected: list[Interval]
) -> None:
    result = busy(data, window, tz)
    assert result == expected
    assert all(s.tzinfo is UTC and e.tzinfo is UTC for s, e in result)


def test_a_stream_of_several_calendars_is_read_whole() -> None:
    first = ics(event("DTSTART:20260302T090000Z", "DTEND:20260302T100000Z", uid="a"))
    second = ics(event("DTSTART:20260303T090000Z", "DTEND:20260303T100000Z", uid="b"))
    assert busy(first + second, tz="UTC") == spans(
        ("2026-03-02 09:00", "2026-03-02 10:00"), ("2026-03-03 09:00", "2026-03-03 10:00")
    )


def test_a_calendars_own_vtimezone_does_not_leak_into_icalendars_global_registry() -> None:
    tzid = "LiveInterview Test Zone 7f3a"
    data = ics(
        BERLIN_VTIMEZONE.format(tzid=tzid),
        event(f"DTSTART;TZID={tzid}:20260302T090000", f"DTEND;TZID={tzid}:20260302T100000"),
    )
    assert busy(data, tz="UTC") == spans(("2026-03-02 08:00", "2026-03-02 09:00"))
    assert tzp.timezone(tzid) is None


def test_old_series_expand_exactly_like_recurring_ical_events() -> None:
    """Old DTSTARTs are moved forward before expansion; nothing in the window may change."""
    rng = random.Random(20260302)
    window = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 15, tzinfo=UTC))
    berlin = ZoneInfo("Europe/Berlin")
    extras = {
        "DAILY": ["", ";BYDAY=MO,WE,FR", ";INTERVAL=3", ";INTERVAL=2;BYDAY=SU,MO"],
        "WEEKLY": ["", ";BYDAY=TU,TH", ";INTERVAL=2;BYDAY=MO,SU;WKST=SU", ";INTERVAL=3"],
        "MONTHLY": ["", ";BYDAY=-1FR", ";BYMONTHDAY=31", ";INTERVAL=5;BYDAY=2TU"],
        "YEARLY": ["", ";BYMONTH=3;BYDAY=-1SU", ";INTERVAL=3", ";BYWEEKNO=14;BYDAY=MO"],
    }
    for _ in range(150):
        frequency = rng.choice(list(extras))
        rule = f"FREQ={frequency}{rng.choice(extras[frequency])}"
        start = datetime(rng.randint(1995, 2025), rng.randint(1, 12), rng.randint(1, 28), 9, 30)
        zone = rng.choice(["Europe/Berlin", "America/New_York"])
        data = ics(
            event(
                f"DTSTART;TZID={zone}:{start:%Y%m%dT%H%M%S}",
                f"DTEND;TZID={zone}:{start + timedelta(minutes=90):%Y%m%dT%H%M%S}",
                f"RRULE:{rule}",
            )
        )
        query = recurring_ical_events.of(icalendar.Calendar.from_ical(data))
        reference = [
            (max(e.start.astimezone(UTC), window[0]), min(e.end.astimezone(UTC), window[1]))
            for e in query.between(window[0].astimezone(berlin), window[1].astimezone(berlin))
        ]
        assert busy(data, window) == sorted(reference), (rule, start, zone)


def test_an_outlook_sized_calendar_of_two_thousand_events_is_imported() -> None:
    # How long this takes is measured by bench/bench_busy.py, not asserted here.
    data = outlook_like_calendar(events=2_000)
    assert 1_000_000 < len(data) < 2_000_000
    result = busy(
        data, window=(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC))
    )
    assert result
    assert all(start < end for start, end in result)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(result))  # merged


ANSWERS = ["ACCEPTED", "TENTATIVE", "DECLINED"]


def outlook_like_calendar(events: int) -> bytes:
    """A realistic export: a quarter weekly series, Windows zones, descriptions and attendees."""
    rng = random.Random(1)
    parts = [BERLIN_VTIMEZONE.format(tzid="W. Europe Standard Time")]
    for index in range(events):
        start = datetime(2025, 6, 1, 8) + timedelta(
            days=rng.randrange(300), minutes=15 * rng.randrange(40)
        )
        lines = [
            "DTSTAMP:20250101T000000Z",
            "DESCRIPTION:Agenda\\, notes and a link: https://example.com/meeting/" + "x" * 80,
            "X-ALT-DESC;FMTTYPE=text/html:<html><body>" + "<p>Agenda</p>" * 5 + "</body></html>",
            "ORGANIZER;CN=Boss:mailto:boss@example.com",
            *(
                f"ATTENDEE;CN=Person {n};PARTSTAT=ACCEPTED:mailto:p{n}@example.com"
                for n in range(4)
            ),
            f"ATTENDEE;CN=Owner;PARTSTAT={rng.choice(ANSWERS)}:mailto:{OWNER}",
            f"DTSTART;TZID=W. Europe Standard Time:{start:%Y%m%dT%H%M%S}",
            f"DTEND;TZID=W. Europe Standard Time:{start + timedelta(minutes=45):%Y%m%dT%H%M%S}",
            "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
            "BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT15M\nDESCRIPTION:Reminder\nEND:VALARM",
        ]
        if index % 4 == 0:
            lines.append(
                rng.choice(["RRULE:FREQ=WEEKLY;BYDAY=MO,WE", "RRULE:FREQ=WEEKLY;INTERVAL=2"])
            )
        parts.append(event(*lines, uid=f"ev{index}@example.com", summary=f"Meeting {index}"))
    return ics(*parts)


# --- refused input ---------------------------------------------------------------------------

GOOD = ics(event("DTSTART:20260302T090000Z", "DTEND:20260302T100000Z"))

REFUSED_CASES = [
    pytest.param(b"x" * 3_100_000, {}, "the calendar is 3.1 MB; the limit is 2 MB", id="too-big"),
    pytest.param(
        b"x" * 1_200, {"max_bytes": 1_000}, "the calendar is 1.2 KB; the limit is 1 KB",
        id="too-big-in-kilobytes",
    ),
    pytest.param(b"  \r\n", {}, "the calendar file is empty", id="empty"),
    pytest.param(
        b"<html><body>Sign in</body></html>", {},
        "this is not an iCalendar file: it starts with '<html><body>Sign in</body></html>', "
        "not BEGIN:VCALENDAR",
        id="html-login-page",
    ),
    pytest.param(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoe\r\nEND:VCARD\r\n", {},
        "this is not an iCalendar file: it starts with 'BEGIN:VCARD', not BEGIN:VCALENDAR",
        id="vcard",
    ),
    pytest.param(
        ics(event("DTSTART:20260302T090000Z", "THIS IS NOT A LINE")), {},
        "line 8: not a valid iCalendar line: 'THIS IS NOT A LINE'",
        id="syntax-error-with-line-number",
    ),
    pytest.param(
        ics(event("DTSTART:20260302T090000Z").replace("END:VEVENT", "END:VTODO")), {},
        "line 8: END:VTODO closes BEGIN:VEVENT",
        id="mismatched-end",
    ),
    pytest.param(
        ics(event("DTSTART:20260302T090000Z")).replace(b"END:VEVENT\r\nEND:VCALENDAR\r\n", b""), {},
        "the file ends inside VEVENT; it looks cut off",
        id="cut-off-download",
    ),
    pytest.param(
        ics(event("DTSTART:20261345T090000Z", "DTEND:20260302T100000Z")), {},
        'line 7: DTSTART of event "Standup" (UID e1) could not be read: '
        "Wrong datetime format: 20261345T090000Z",
        id="unparseable-date-names-line-and-event",
    ),
    pytest.param(
        ics(event("DTSTART:20260302T090000Z", "RRULE:FREQ=SOMETIMES")), {},
        'line 8: RRULE of event "Standup" (UID e1) could not be read: '
        "Expected frequency, got: SOMETIMES",
        id="unparseable-rule",
    ),
    pytest.param(
        ics(event("DTSTART:20260302T090000Z", "DTEND:20260302T080000Z")), {},
        'event "Standup" (UID e1) ends (2026-03-02 08:00 UTC) before it starts '
        "(2026-03-02 09:00 UTC)",
        id="end-before-start",
    ),
    pytest.param(
        ics(event("DTSTART:20260302T090000Z", "DURATION:-PT1H")), {},
        'event "Standup" (UID e1) has a negative DURATION (-PT1H)',
        id="negative-duration",
    ),
    pytest.param(
        ics(event("DTEND:20260302T100000Z")), {},
        'event "Standup" (UID e1) has no DTSTART',
        id="no-start",
    ),
    pytest.param(
        ics(event("DTSTART;TZID=Mars/Olympus:20260302T090000", "DTEND:20260302T100000Z")), {},
        'event "Standup" (UID e1): DTSTART uses the time zone "Mars/Olympus", which is neither '
        "a known zone name nor defined in the calendar",
        id="unknown-tzid",
    ),
    pytest.param(
        ics(event("DTSTART:20260302T090000Z"), header="X-WR-TIMEZONE:Mars/Olympus\n"), {},
        'X-WR-TIMEZONE "Mars/Olympus" is not a time zone I know',
        id="unknown-calendar-zone",
    ),
    pytest.param(
        ics(header="CALSCALE:JULIAN\n"), {},
        "only Gregorian calendars can be read, not CALSCALE:JULIAN",
        id="julian-calendar",
    ),
    pytest.param(
        ics(event("DTSTART:20260302T000000Z", "DTEND:20260302T000100Z", "RRULE:FREQ=MINUTELY")),
        {"max_instances": 1_000},
        "the calendar has more than 1,000 event occurrences between 2026-03-02 00:00 and "
        "2026-04-06 00:00 UTC; the limit is 1,000",
        id="too-many-occurrences-in-the-window",
    ),
    pytest.param(
        ics(*(event(f"DTSTART:202603{d:02}T090000Z", f"DTEND:202603{d:02}T100000Z", uid=f"u{d}")
              for d in range(2, 9))),
        {"max_instances": 5},
        "the calendar has more than 5 event occurrences between 2026-03-02 00:00 and "
        "2026-04-06 00:00 UTC; the limit is 5",
        id="too-many-one-off-events",
    ),
    pytest.param(
        ics(event("DTSTART:20160302T090000Z", "DTEND:20160302T090001Z", "RRULE:FREQ=SECONDLY")), {},
        'event "Standup" (UID e1): its repeat rule RRULE:FREQ=SECONDLY needs more than 400,000 '
        "steps to expand (it repeats too often, or rarely or never matches)",
        id="secondly-bomb-from-the-past",
    ),
    pytest.param(
        ics(event("DTSTART:20200302T090000Z", "DTEND:20200302T100000Z",
                  "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")), {},
        'event "Standup" (UID e1): its repeat rule RRULE:FREQ=DAILY;BYMONTHDAY=30;BYMONTH=2 needs '
        "more than 400,000 steps to expand (it repeats too often, or rarely or never matches)",
        id="rule-that-never-matches",
    ),
    pytest.param(
        ics(event("DTSTART:20200302T090000Z", "RRULE:FREQ=YEARLY;BYDAY=60MO")), {},
        'event "Standup" (UID e1): its repeat rule RRULE:FREQ=YEARLY;BYDAY=60MO cannot be used '
        "(list index out of range)",
        id="rule-dateutil-cannot-handle",
    ),
    pytest.param(
        ics(
            BERLIN_VTIMEZONE.format(tzid="Bomb").replace("FREQ=YEARLY;BYDAY=-1SU", "FREQ=SECONDLY"),
            event("DTSTART;TZID=Bomb:20260302T090000", "DTEND;TZID=Bomb:20260302T100000"),
        ),
        {},
        'time zone "Bomb" has more than 5,000 transitions',
        id="vtimezone-bomb",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("data", "limits", "message"), REFUSED_CASES)
def test_bad_calendars_are_refused_whole_with_a_precise_message(
    data: bytes, limits: dict[str, int], message: str
) -> None:
    # That bombs are defused by the step budget (not waited out) is pinned by the metering
    # test below; bench/bench_busy.py reports how long each refusal takes.
    with pytest.raises(CalendarImportError) as raised:
        busy(data, **limits)
    assert raised.value.message == message


def test_every_step_of_an_expansion_is_metered() -> None:
    """Pins the hooks into recurring_ical_events and dateutil: without them this would pass."""
    data = ics(event("DTSTART:20260225T000000Z", "DTEND:20260225T000030Z", "RRULE:FREQ=MINUTELY"))
    with pytest.raises(CalendarImportError) as raised:
        busy(data, max_instances=100)
    assert raised.value.message == (
        'event "Standup" (UID e1): its repeat rule RRULE:FREQ=MINUTELY needs more than 2,000 '
        "steps to expand (it repeats too often, or rarely or never matches)"
    )


ARGUMENT_CASES = [
    pytest.param(
        datetime(2026, 3, 2), datetime(2026, 3, 3, tzinfo=UTC), "UTC",
        "the window needs time-zone-aware start and end times",
        id="naive-window",
    ),
    pytest.param(
        datetime(2026, 3, 3, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC), "UTC",
        "the window ends (2026-03-02 00:00:00+00:00) before it starts (2026-03-03 00:00:00+00:00)",
        id="window-ends-before-it-starts",
    ),
    pytest.param(
        datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC), "Mars/Olympus",
        '"Mars/Olympus" is not a time zone name I know',
        id="unknown-tz",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("start", "end", "tz", "message"), ARGUMENT_CASES)
def test_bad_arguments_are_refused(start: datetime, end: datetime, tz: str, message: str) -> None:
    with pytest.raises(CalendarImportError) as raised:
        parse_busy(GOOD, window_start=start, window_end=end, tz=tz, owner_emails=[OWNER])
    assert raised.value.message == message
