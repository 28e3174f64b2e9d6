"""Single-purpose links (setup, staff invite, password reset): their states and rules."""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import secrets
from datetime import datetime

from liveinterview.domain.errors import Gone, NotFound

TOKEN_BYTES = 32


class TokenPurpose(enum.StrEnum):
    SETUP = "setup"
    INVITE = "invite"
    RESET = "reset"


def new_token() -> str:
    """A random URL-safe token; only its hash is ever stored."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    # A fast hash is right here: tokens have 256 bits of entropy, unlike passwords.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(token: str) -> bool:
    return 20 <= len(token) <= 100 and all(c.isalnum() or c in "-_" for c in token)


def check_usable(
    *,
    found: bool,
    expires_at: datetime | None,
    used_at: datetime | None,
    now: datetime,
) -> None:
    """Raise NotFound for unknown tokens and Gone for used or expired ones."""
    if not found:
        raise NotFound("This link is not valid. Check that you copied all of it.")
    if used_at is not None:
        raise Gone("This link has already been used.")
    if expires_at is None or expires_at <= now:
        raise Gone("This link has expired. Ask for a new one.")


def derive_link_token(secret: str, salt: str, scope: str) -> str:
    """The token of a candidate/interviewer link, re-derivable from the secret and its salt.

    `scope` names what the link opens (purpose, interview, participant), so one salt can
    never be replayed for another interview or purpose.
    """
    digest = hmac.new(secret.encode(), f"{salt}|{scope}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_salt() -> str:
    return secrets.token_urlsafe(16)
