"""The room's rules: lobby, admission, capacity, reconnects, ending."""

from __future__ import annotations

import pytest

from signaling.room import Presence, Role, Room, RoomError, RoomState


def kinds(events: list[object]) -> list[str]:
    return [e.kind for e in events]  # type: ignore[attr-defined]


def test_a_candidate_waits_until_an_interviewer_admits_them() -> None:
    room = Room("r1")
    events = room.arrive("candidate", "Zoë", Role.CANDIDATE)
    assert kinds(events) == ["waiting", "lobby"]
    assert room.get("candidate").presence is Presence.WAITING
    room.arrive("user:1", "Ivan", Role.INTERVIEWER)
    assert room.get("candidate").presence is Presence.WAITING  # no auto-admit
    events = room.admit("user:1", "candidate")
    assert kinds(events) == ["admitted", "entered", "lobby"]
    assert room.get("candidate").presence is Presence.IN_ROOM


def test_auto_admit_lets_the_candidate_in_once_an_interviewer_is_there() -> None:
    room = Room("r1", auto_admit=True)
    assert kinds(room.arrive("candidate", "Zoë", Role.CANDIDATE)) == ["waiting", "lobby"]
    events = room.arrive("user:1", "Ivan", Role.INTERVIEWER)
    assert kinds(events) == ["entered", "admitted", "entered", "lobby"]
    late = Room("r2", auto_admit=True)
    late.arrive("user:1", "Ivan", Role.INTERVIEWER)
    assert kinds(late.arrive("candidate", "Zoë", Role.CANDIDATE)) == [
        "admitted",
        "entered",
        "lobby",
    ]


@pytest.mark.parametrize(
    ("setup", "by", "target", "code"),
    [
        ("candidate_waiting", "candidate", "candidate", "forbidden"),
        ("candidate_in", "user:1", "candidate", "not_waiting"),
        ("candidate_waiting", "user:1", "nobody", "not_in_room"),
    ],
)
def test_admission_refusals_say_why(setup: str, by: str, target: str, code: str) -> None:
    room = Room("r1")
    room.arrive("user:1", "Ivan", Role.INTERVIEWER)
    room.arrive("candidate", "Zoë", Role.CANDIDATE)
    if setup == "candidate_in":
        room.admit("user:1", "candidate")
    with pytest.raises(RoomError) as caught:
        room.admit(by, target)
    assert caught.value.code == code


def test_a_seventh_participant_is_refused() -> None:
    room = Room("r1")
    for i in range(6):
        room.arrive(f"user:{i}", f"I{i}", Role.INTERVIEWER)
    with pytest.raises(RoomError, match="at most 6 people"):
        room.arrive("user:7", "I7", Role.INTERVIEWER)
    room.arrive("candidate", "Zoë", Role.CANDIDATE)  # may wait in the lobby
    with pytest.raises(RoomError, match="at most 6 people"):
        room.admit("user:0", "candidate")


def test_a_reconnect_takes_the_same_seat_and_skips_the_lobby() -> None:
    room = Room("r1")
    room.arrive("user:1", "Ivan", Role.INTERVIEWER)
    room.arrive("candidate", "Zoë", Role.CANDIDATE)
    room.admit("user:1", "candidate")
    assert kinds(room.dropped("candidate")) == ["updated"]
    assert room.get("candidate").presence is Presence.RECONNECTING
    assert room.get("candidate").public()["connection"] == "reconnecting"
    assert kinds(room.arrive("candidate", "Zoë", Role.CANDIDATE)) == ["replaced", "updated"]
    assert room.get("candidate").presence is Presence.IN_ROOM
    assert len(room.members) == 2


def test_a_waiting_candidate_who_drops_just_leaves_the_lobby() -> None:
    room = Room("r1")
    room.arrive("candidate", "Zoë", Role.CANDIDATE)
    assert kinds(room.dropped("candidate")) == ["lobby"]
    assert room.members == {}


def test_only_interviewers_end_the_interview_and_then_nobody_enters() -> None:
    room = Room("r1")
    room.arrive("user:1", "Ivan", Role.INTERVIEWER)
    room.arrive("candidate", "Zoë", Role.CANDIDATE)
    room.admit("user:1", "candidate")
    with pytest.raises(RoomError, match="Only interviewers"):
        room.end("candidate")
    assert kinds(room.end("user:1")) == ["ended"]
    assert room.state is RoomState.ENDED
    with pytest.raises(RoomError, match="expected open, found ended"):
        room.arrive("candidate", "Zoë", Role.CANDIDATE)


def test_media_changes_are_reported_once() -> None:
    room = Room("r1")
    room.arrive("user:1", "Ivan", Role.INTERVIEWER)
    assert kinds(room.update("user:1", audio=False)) == ["updated"]
    assert room.update("user:1", audio=False) == []
    assert room.get("user:1").public()["audio"] is False
