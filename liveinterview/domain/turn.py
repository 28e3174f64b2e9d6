"""TURN credentials for browsers (the TURN REST API scheme, coturn's `use-auth-secret`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class TurnCredential:
    username: str
    password: str
    expires_at: datetime


def turn_credential(secret: str, user: str, *, now: datetime, ttl: timedelta) -> TurnCredential:
    """username = "<expiry unix time>:<user>", password = base64(HMAC-SHA1(secret, username)).

    coturn recomputes the password from the shared secret and refuses expired usernames, so
    nothing is stored and a leaked credential dies by itself.
    """
    if not secret:
        raise ValueError("the TURN shared secret is empty")
    if ":" in user:
        raise ValueError("the TURN user part must not contain ':'")
    expires_at = now + ttl
    username = f"{int(expires_at.timestamp())}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return TurnCredential(username, base64.b64encode(digest).decode(), expires_at)
