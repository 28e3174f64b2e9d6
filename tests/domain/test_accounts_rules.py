from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from liveinterview.domain.accounts import (
    Permission,
    Role,
    check_new_password,
    normalize_email,
    normalize_name,
    parse_roles,
    permissions,
    require,
)
from liveinterview.domain.errors import Gone, InvalidInput, NotFound, PermissionDenied
from liveinterview.domain.throttle import ThrottlePolicy
from liveinterview.domain.tokens import check_usable, hash_token, looks_like_token, new_token

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ({Role.ADMIN}, set(Permission)),
        ({Role.RECRUITER}, {Permission.MANAGE_INTERVIEWS}),
        ({Role.INTERVIEWER}, {Permission.CONDUCT_INTERVIEWS}),
        (
            {Role.RECRUITER, Role.INTERVIEWER},
            {Permission.MANAGE_INTERVIEWS, Permission.CONDUCT_INTERVIEWS},
        ),
        (set(), set()),
    ],
)
def test_roles_grant_exactly_their_permissions(roles: set[Role], expected: set[Permission]) -> None:
    assert permissions(roles) == expected


def test_recruiter_may_not_manage_staff() -> None:
    with pytest.raises(PermissionDenied):
        require({Role.RECRUITER}, Permission.MANAGE_STAFF)
    require({Role.ADMIN}, Permission.MANAGE_STAFF)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ada@Example.COM ", "ada@example.com"),
        ("first.last+tag@sub.example.org", "first.last+tag@sub.example.org"),
    ],
)
def test_valid_emails_are_normalized(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "a b@example.com",
        "ada@ex ample.com",
        "Ada <ada@example.com>",
        "ada@example.com,eve@evil.test",
        "x" * 250 + "@example.com",
    ],
)
def test_invalid_emails_are_rejected_with_a_field_message(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_email(raw)
    assert caught.value.fields == {"email": "Enter a valid email address, like name@example.com."}


@pytest.mark.parametrize(("raw", "expected"), [("  Zoë   Müller ", "Zoë Müller"), ("Ada", "Ada")])
def test_names_are_trimmed(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "x" * 121, "Eve\x07"])
def test_bad_names_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidInput):
        normalize_name(raw)


@pytest.mark.parametrize(
    ("password", "confirm", "problem"),
    [
        ("correct horse battery", "correct horse batterz", "The two passwords do not match."),
        ("short", "short", "Use at least 10 characters."),
        ("a" * 257, "a" * 257, "Use at most 256 characters."),
        ("ada@example.com", "ada@example.com", "Do not use your email address as the password."),
        ("aaaaaaaaaaaa", "aaaaaaaaaaaa", "Use more than three different characters."),
    ],
)
def test_weak_new_passwords_are_explained(password: str, confirm: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_new_password(password, confirm, email="ada@example.com")
    assert caught.value.message == problem


def test_good_password_passes() -> None:
    check_new_password("correct horse battery", "correct horse battery", email="ada@example.com")


def test_unknown_role_and_empty_roles_are_rejected() -> None:
    with pytest.raises(InvalidInput, match="Unknown role 'owner'"):
        parse_roles(["owner"])
    with pytest.raises(InvalidInput, match="at least one role"):
        parse_roles([])
    assert parse_roles(["admin", "admin"]) == {Role.ADMIN}


POLICY = ThrottlePolicy(window=timedelta(minutes=15), max_failures=3)


@pytest.mark.parametrize(
    ("minutes_ago", "expected_wait"),
    [
        ([], 0),
        ([1, 2], 0),
        ([1, 2, 3], 12 * 60),  # oldest counted failure (3 min ago) leaves the window in 12 min
        ([1, 2, 3, 4], 12 * 60),  # the third most recent (3 min ago) decides, not the oldest
        ([1, 2, 16], 0),  # one failure already outside the window
        ([14.5, 14.6, 14.7], 18),  # 14.7 min ago leaves in 18 s
    ],
)
def test_throttle_waits_until_the_oldest_counted_failure_leaves_the_window(
    minutes_ago: list[float], expected_wait: int
) -> None:
    failures = [NOW - timedelta(minutes=m) for m in minutes_ago]
    assert POLICY.retry_after(failures, NOW) == expected_wait


def test_tokens_are_random_urlsafe_and_hashed() -> None:
    a, b = new_token(), new_token()
    assert a != b
    assert looks_like_token(a)
    assert hash_token(a) != a
    assert len(hash_token(a)) == 64
    assert not looks_like_token("short")
    assert not looks_like_token("../../etc/passwd" + "x" * 20)


@pytest.mark.parametrize(
    ("found", "expires_in", "used", "error"),
    [
        (False, 10, False, NotFound),
        (True, 10, True, Gone),
        (True, 0, False, Gone),
        (True, -5, False, Gone),
    ],
)
def test_unusable_tokens_are_refused(
    found: bool, expires_in: int, used: bool, error: type[Exception]
) -> None:
    with pytest.raises(error):
        check_usable(
            found=found,
            expires_at=NOW + timedelta(minutes=expires_in),
            used_at=NOW if used else None,
            now=NOW,
        )


def test_fresh_token_is_usable() -> None:
    check_usable(found=True, expires_at=NOW + timedelta(seconds=1), used_at=None, now=NOW)
