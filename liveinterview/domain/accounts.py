"""Staff roles, what each may do, and the rules for passwords and names."""

from __future__ import annotations

import enum
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from liveinterview.domain.errors import InvalidInput, PermissionDenied

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MAX_NAME_LENGTH = 120
# Deliberately loose: the mail server is the real judge; this catches typos and header tricks.
_EMAIL = re.compile(r"^[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"'.]+$")


class Role(enum.StrEnum):
    ADMIN = "admin"
    RECRUITER = "recruiter"
    INTERVIEWER = "interviewer"


class Permission(enum.StrEnum):
    MANAGE_STAFF = "manage_staff"
    MANAGE_INTERVIEWS = "manage_interviews"
    CONDUCT_INTERVIEWS = "conduct_interviews"


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.RECRUITER: frozenset({Permission.MANAGE_INTERVIEWS}),
    Role.INTERVIEWER: frozenset({Permission.CONDUCT_INTERVIEWS}),
}


def permissions(roles: Collection[Role]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= _GRANTS[role]
    return frozenset(granted)


def require(roles: Collection[Role], needed: Permission) -> None:
    """Raise PermissionDenied unless one of `roles` grants `needed`."""
    if needed not in permissions(roles):
        raise PermissionDenied("Your account does not have access to this page.")


def parse_roles(values: Collection[str]) -> frozenset[Role]:
    roles: set[Role] = set()
    for value in values:
        try:
            roles.add(Role(value))
        except ValueError:
            raise InvalidInput(f"Unknown role {value!r}.", {"roles": "Unknown role."}) from None
    if not roles:
        raise InvalidInput("Choose at least one role.", {"roles": "Choose at least one role."})
    return frozenset(roles)


def normalize_email(raw: str) -> str:
    """Trim and lower-case an address, or raise InvalidInput."""
    email = raw.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidInput(
            f"{raw.strip()!r} is not a valid email address.",
            {"email": "Enter a valid email address, like name@example.com."},
        )
    return email


def normalize_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise InvalidInput("Enter a name.", {"name": "Enter a name."})
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            f"The name is longer than {MAX_NAME_LENGTH} characters.",
            {"name": f"Use at most {MAX_NAME_LENGTH} characters."},
        )
    if any(ord(ch) < 32 for ch in name):
        raise InvalidInput("The name contains control characters.", {"name": "Remove them."})
    return name


def check_new_password(password: str, confirm: str, *, email: str) -> None:
    """Raise InvalidInput explaining the first rule a new password breaks."""
    problem: str | None = None
    if password != confirm:
        problem = "The two passwords do not match."
    elif len(password) < MIN_PASSWORD_LENGTH:
        problem = f"Use at least {MIN_PASSWORD_LENGTH} characters."
    elif len(password) > MAX_PASSWORD_LENGTH:
        problem = f"Use at most {MAX_PASSWORD_LENGTH} characters."
    elif password.strip().lower() in {email.lower(), email.split("@")[0].lower()}:
        problem = "Do not use your email address as the password."
    elif len(set(password)) < 4:
        problem = "Use more than three different characters."
    if problem:
        raise InvalidInput(problem, {"password": problem})


@dataclass(frozen=True)
class StaffMember:
    """A staff account as the rest of the system sees it (never the password hash)."""

    id: int
    email: str
    name: str
    roles: frozenset[Role]
    is_active: bool
    has_password: bool
    created_at: datetime
    timezone: str = "UTC"

    def can(self, permission: Permission) -> bool:
        return self.is_active and permission in permissions(self.roles)
