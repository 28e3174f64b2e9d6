"""Demo data for trying the product locally: `liveinterview demo`."""

from __future__ import annotations

import email
import email.policy
import re
import secrets
from datetime import timedelta

from liveinterview.app import create_app, started
from liveinterview.config import MailBackend, Settings
from liveinterview.domain.accounts import Role, StaffMember
from liveinterview.domain.errors import DomainError
from liveinterview.services.interviews import PanelChoice
from liveinterview.storage import availability
from liveinterview.storage.db import Database
from liveinterview.web.keys import CLOCK, INTERVIEWS, STAFF

DEMO_STAFF = (
    ("admin@demo.liveinterview.test", "Ada Admin", ["admin"], "Europe/Berlin"),
    ("recruiter@demo.liveinterview.test", "Rita Recruiter", ["recruiter"], "Europe/Berlin"),
    ("ivan@demo.liveinterview.test", "Ivan Interviewer", ["interviewer"], "Europe/Berlin"),
    ("ines@demo.liveinterview.test", "Inès Interviewer", ["interviewer"], "America/New_York"),
)
CANDIDATE = ("Casey Candidate", "candidate@demo.liveinterview.test")


async def seed_demo(settings: Settings, *, password: str | None = None) -> list[str]:
    """Create demo staff (with working hours) and one interview request; return lines to print."""
    password = password or secrets.token_urlsafe(12)
    lines = [f"Demo accounts (password: {password}), sign in at {settings.base_url}/signin:"]
    members: dict[str, StaffMember] = {}
    async with started(create_app(settings, run_background_jobs=False)) as app:
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
            link = _booking_link(settings)
            if link:
                lines.append(f"The candidate's booking link (from the outbox): {link}")
    return lines


def _booking_link(settings: Settings) -> str | None:
    if settings.mail_backend is not MailBackend.OUTBOX or not settings.outbox_dir.exists():
        return None
    newest = sorted(settings.outbox_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime)
    for path in reversed(newest):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if CANDIDATE[1] not in str(message["To"]):
            continue
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        match = re.search(r"https?://\S+/book/[A-Za-z0-9_-]+", text)
        if match:
            return match.group(0)
    return None
