"""Demo data for trying the product locally: `liveinterview demo`."""

from __future__ import annotations

import secrets

from liveinterview.app import create_app, started
from liveinterview.config import Settings
from liveinterview.domain.errors import DomainError
from liveinterview.web.keys import STAFF

DEMO_STAFF = (
    ("admin@demo.liveinterview.test", "Ada Admin", ["admin"]),
    ("recruiter@demo.liveinterview.test", "Rita Recruiter", ["recruiter"]),
    ("ivan@demo.liveinterview.test", "Ivan Interviewer", ["interviewer"]),
    ("ines@demo.liveinterview.test", "Inès Interviewer", ["interviewer", "recruiter"]),
)


async def seed_demo(settings: Settings, *, password: str | None = None) -> list[str]:
    """Create the demo accounts that do not exist yet; return lines to print."""
    password = password or secrets.token_urlsafe(12)
    lines = [f"Demo accounts (password: {password}), sign in at {settings.base_url}/signin:"]
    async with started(create_app(settings)) as app:
        for email, name, roles in DEMO_STAFF:
            try:
                await app[STAFF].create_user(email=email, name=name, roles=roles, password=password)
                lines.append(f"  created  {email:40} {', '.join(roles)}")
            except DomainError as exc:
                lines.append(f"  skipped  {email:40} {exc.message}")
    return lines
