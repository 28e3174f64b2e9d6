"""Business errors. They carry a user-facing message, never an HTTP status."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """Base of every expected, user-explainable failure."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """The caller gave values that break a rule; `fields` maps field names to problems."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it exists."""


class Gone(DomainError):
    """A link or token that existed is expired, used or revoked."""


class PermissionDenied(DomainError):
    """The caller is known but not allowed to do this."""


class NotSignedIn(DomainError):
    """The action needs a staff sign-in."""


class Conflict(DomainError):
    """The action collides with the current state (already done, just taken, ...)."""


class Throttled(DomainError):
    """Too many attempts; try again after `retry_after_seconds`."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
