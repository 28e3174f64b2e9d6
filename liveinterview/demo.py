"""Demo data for trying the product locally: `liveinterview demo`."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import re
import secrets
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from liveinterview.app import create_app, started
from liveinterview.config import MailBackend, Settings
from liveinterview.domain.accounts import Role, StaffMember
from liveinterview.domain.errors import DomainError
from liveinterview.services.interviews import PanelChoice
from liveinterview.storage import accounts, availability
from liveinterview.storage.db import Database
from liveinterview.web.keys import BOOKING, CLOCK, INTERVIEWS, ONEWAY, STAFF

DEMO_STAFF = (
    ("admin@demo.liveinterview.test", "Ada Admin", ["admin"], "Europe/Berlin"),
    ("recruiter@demo.liveinterview.test", "Rita Recruiter", ["recruiter"], "Europe/Berlin"),
    ("ivan@demo.liveinterview.test", "Ivan Interviewer", ["interviewer"], "Europe/Berlin"),
    ("ines@demo.liveinterview.test", "Inès Interviewer", ["interviewer"], "America/New_York"),
)
CANDIDATE = ("Casey Candidate", "candidate@demo.liveinterview.test")
CALL_CANDIDATE = ("Dana Demo", "dana@demo.liveinterview.test")
ONEWAY_CANDIDATE = ("Olive One-Way", "olive@demo.liveinterview.test")
ONEWAY_QUESTIONS = (
    # text, preparation s, answer s, attempts, practice
    ("Practice: say hello and tell us what you had for breakfast.", 10, 30, 1, True),
    ("Tell us about a project you are proud of and your part in it.", 30, 120, 2, False),
    ("Why would you like to work with us?", 20, 90, 2, False),
)


async def seed_demo(settings: Settings, *, password: str | None = None) -> list[str]:
    """Create demo staff (with working hours) and one interview request; return lines to print."""
    password = password or secrets.token_urlsafe(12)
    lines = [f"Demo accounts (password: {password}), sign in at {settings.base_url}/signin:"]
    members: dict[str, StaffMember] = {}
    quiet = settings.replace(media_workers=0)  # seeding runs no call: no media workers
    async with started(create_app(quiet, run_background_jobs=False)) as app:
        db = Database(settings.database_url)
        try:
            for address, name, roles, tz in DEMO_STAFF:
                try:
                    member = await app[STAFF].create_user(
                        email=address, name=name, roles=roles, password=password
                    )
                    lines.append(f"  created  {address:40} {', '.join(roles)}")
                except DomainError as exc:
                    lines.append(f"  skipped  {address:40} {exc.message}")
                    continue
                members[address] = member
                if "interviewer" in roles:
                    async with db.transaction() as conn:
                        await availability.save_prefs(
                            conn,
                            availability.InterviewerPrefs(member.id, tz, min_notice_minutes=60),
                            app[CLOCK].now(),
                        )
                        await availability.replace_weekly(
                            conn, member.id, {d: [(9 * 60, 17 * 60)] for d in range(5)}
                        )
        finally:
            await db.close()
        recruiter = members.get("recruiter@demo.liveinterview.test")
        interviewers = [m for m in members.values() if Role.INTERVIEWER in m.roles]
        if recruiter is not None and interviewers:
            today = app[CLOCK].now().date()
            await app[INTERVIEWS].create(
                recruiter,
                candidate_name=CANDIDATE[0],
                candidate_email=CANDIDATE[1],
                position="Backend Engineer",
                duration_minutes=45,
                step_minutes=30,
                first_day=today + timedelta(days=1),
                last_day=today + timedelta(days=14),
                timezone="Europe/Berlin",
                recorded=True,
                note="Looking forward to meeting you!",
                panel=[PanelChoice(m.id, "pool1") for m in interviewers],
            )
            lines.append(f"Interview request created for {CANDIDATE[1]}.")
            link = _link_in_outbox(settings, CANDIDATE[1], "book")
            if link:
                lines.append(f"The candidate's booking link (from the outbox): {link}")
            lines += await _demo_call(app, settings, db_url=settings.database_url)
            lines += await _demo_oneway(app, settings, recruiter)
    return lines


async def _demo_oneway(
    app: web.Application, settings: Settings, recruiter: StaffMember
) -> list[str]:
    """A one-way interview (practice + two questions) sent to a demo candidate, due in a week."""
    service = app[ONEWAY]
    set_id = await service.create_set(recruiter, "Demo screening")
    for text, prep, answer, attempts, practice in ONEWAY_QUESTIONS:
        await service.add_question(
            recruiter,
            set_id,
            text=text,
            prep_seconds=prep,
            answer_seconds=answer,
            attempts=attempts,
            practice=practice,
        )
    result = await service.invite(
        recruiter,
        set_id=set_id,
        position="Backend Engineer",
        deadline_day=app[CLOCK].now().date() + timedelta(days=7),
        deadline_time=time(17, 0),
        timezone="Europe/Berlin",
        lines=f"{ONEWAY_CANDIDATE[0]}, {ONEWAY_CANDIDATE[1]}",
    )
    if not result.sent:
        return [f"One-way interview not sent: {result.bad[0].problem if result.bad else '?'}"]
    link = _link_in_outbox(settings, ONEWAY_CANDIDATE[1], "answer")
    return [
        "One-way interview sent (practice + two questions, due in 7 days):",
        f"  candidate ({ONEWAY_CANDIDATE[0]}): {link or 'see the invitation email'}",
    ]


async def _demo_call(app: web.Application, settings: Settings, *, db_url: str) -> list[str]:
    """An interview starting in the next few minutes, so a newcomer can try a call at once:
    its interviewer is made available all of today and tomorrow."""
    now = app[CLOCK].now()
    db = Database(db_url)
    try:
        async with db.transaction() as conn:
            recruiter = await accounts.find_by_email(conn, "recruiter@demo.liveinterview.test")
            ivan = await accounts.find_by_email(conn, "ivan@demo.liveinterview.test")
            if recruiter is None or ivan is None:
                return []
            today = now.astimezone(ZoneInfo(ivan.timezone)).date()
            for day in (today, today + timedelta(days=1)):
                await availability.set_override(conn, ivan.id, day, [(0, 24 * 60)])
            prefs = (await availability.prefs_for(conn, [ivan.id]))[ivan.id]
            await availability.save_prefs(
                conn, dataclasses.replace(prefs, min_notice_minutes=0), now
            )
    finally:
        await db.close()
    await app[INTERVIEWS].create(
        recruiter,
        candidate_name=CALL_CANDIDATE[0],
        candidate_email=CALL_CANDIDATE[1],
        position="Demo call",
        duration_minutes=30,
        step_minutes=5,
        first_day=today,
        last_day=today + timedelta(days=1),
        timezone=ivan.timezone,
        recorded=True,
        note="This is the demo call: open your join link and the interviewer's in two windows.",
        panel=[PanelChoice(ivan.id, "required")],
        auto_admit=True,
    )
    book = _link_in_outbox(settings, CALL_CANDIDATE[1], "book")
    if book is None:
        return ["Demo call created; its booking email went through SMTP, not the outbox."]
    step = 5 * 60
    start = datetime.fromtimestamp(-(-int(now.timestamp()) // step) * step, UTC)
    await app[BOOKING].book(book.rsplit("/", 1)[1], start, ivan.timezone)
    candidate_join = _link_in_outbox(settings, CALL_CANDIDATE[1], "join")
    interviewer_join = _link_in_outbox(settings, ivan.email, "join")
    return [
        f"Demo call booked for {start:%H:%M} UTC (the room is open now):",
        f"  candidate ({CALL_CANDIDATE[0]}): {candidate_join}",
        f"  interviewer (Ivan):          {interviewer_join}",
    ]


def _link_in_outbox(settings: Settings, recipient: str, kind: str) -> str | None:
    """The newest `/{kind}/` link emailed to `recipient`, read back from the outbox folder."""
    if settings.mail_backend is not MailBackend.OUTBOX or not settings.outbox_dir.exists():
        return None
    newest = sorted(settings.outbox_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    for path in reversed(newest):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if recipient not in str(message["To"]):
            continue
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        match = re.search(rf"https?://\S+/{kind}/[A-Za-z0-9_-]+", text)
        if match:
            return match.group(0)
    return None
