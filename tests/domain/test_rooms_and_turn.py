from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from liveinterview.domain.errors import Conflict, Gone
from liveinterview.domain.rooms import RoomPolicy, RoomState, check_can_enter, room_window
from liveinterview.domain.turn import turn_credential

START = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
POLICY = RoomPolicy(opens_before=timedelta(minutes=10), closes_after=timedelta(minutes=30))


@pytest.mark.parametrize(
    ("now", "cancelled", "ended", "state"),
    [
        (START - timedelta(minutes=11), False, None, RoomState.NOT_YET),
        (START - timedelta(minutes=10), False, None, RoomState.OPEN),
        (END + timedelta(minutes=29), False, None, RoomState.OPEN),
        (END + timedelta(minutes=30), False, None, RoomState.OVER),
        (START, False, START + timedelta(minutes=5), RoomState.OVER),
        (START, True, None, RoomState.CANCELLED),
    ],
)
def test_the_room_is_open_around_the_interview(
    now: datetime, cancelled: bool, ended: datetime | None, state: RoomState
) -> None:
    window = room_window(
        start=START, end=END, now=now, cancelled=cancelled, ended_at=ended, policy=POLICY
    )
    assert window.state is state
    assert window.opens_at == START - timedelta(minutes=10)
    assert window.closes_at == END + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("state", "error", "message"),
    [
        (RoomState.NOT_YET, Conflict, "not open yet"),
        (RoomState.OVER, Gone, "has ended"),
        (RoomState.CANCELLED, Gone, "was cancelled"),
    ],
)
def test_entering_outside_the_window_is_refused(
    state: RoomState, error: type[Exception], message: str
) -> None:
    window = room_window(
        start=START, end=END, now=START, cancelled=False, ended_at=None, policy=POLICY
    )
    with pytest.raises(error, match=message):
        check_can_enter(type(window)(state, window.opens_at, window.closes_at))


def test_turn_credentials_follow_the_rest_api_scheme() -> None:
    now = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    credential = turn_credential("s3cret", "room-7", now=now, ttl=timedelta(hours=2))
    expiry = int((now + timedelta(hours=2)).timestamp())
    assert credential.username == f"{expiry}:room-7"
    expected = base64.b64encode(
        hmac.new(b"s3cret", f"{expiry}:room-7".encode(), hashlib.sha1).digest()
    ).decode()
    assert credential.password == expected
    # An independent vector, computed with
    # `echo -n "1700000000:u" | openssl dgst -sha1 -hmac north -binary | base64`.
    fixed = turn_credential(
        "north", "u", now=datetime.fromtimestamp(1_700_000_000, UTC), ttl=timedelta(0)
    )
    assert fixed.username == "1700000000:u"
    assert fixed.password == "S5t0cXb+5/BonfPqCeQ8Z01i5VE="


@pytest.mark.parametrize(
    ("secret", "user", "message"), [("", "u", "secret is empty"), ("s", "a:b", "must not contain")]
)
def test_turn_credentials_refuse_bad_input(secret: str, user: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        turn_credential(secret, user, now=START, ttl=timedelta(hours=1))
