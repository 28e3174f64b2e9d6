"""Who is in an interview room, who waits in the lobby, and what each change means.

Pure state and rules, no I/O: every change returns the events the hub must tell people about.
Illegal transitions raise RoomError naming the expected and the actual state.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Literal

CAPACITY = 6


class Role(enum.StrEnum):
    CANDIDATE = "candidate"
    INTERVIEWER = "interviewer"


class Presence(enum.StrEnum):
    WAITING = "waiting"  # in the lobby
    IN_ROOM = "in_room"
    RECONNECTING = "reconnecting"  # was in the room; their connection dropped


class RoomState(enum.StrEnum):
    OPEN = "open"
    ENDED = "ended"


class Recording(enum.StrEnum):
    OFF = "off"  # the interview is not recorded
    RECORDING = "recording"
    PAUSED = "paused"
    FAILED = "failed"


class RoomError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    role: Role
    presence: Presence
    audio: bool = True
    video: bool = True
    screen: bool = False
    quality: str = "good"

    def public(self) -> dict[str, object]:
        """How others see this member on the wire."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "audio": self.audio,
            "video": self.video,
            "screen": self.screen,
            "connection": "reconnecting" if self.presence is Presence.RECONNECTING else "connected",
            "quality": self.quality,
        }


@dataclass(frozen=True)
class Event:
    """Something to tell people. `to` is 'room' (everyone in the room), 'interviewers', or an id."""

    kind: Literal[
        "entered",
        "waiting",
        "admitted",
        "updated",
        "left",
        "lobby",
        "ended",
        "replaced",
        "recording",
    ]
    member: Member | None
    to: str = "room"
    reason: str = ""


@dataclass
class Room:
    id: str
    auto_admit: bool = False
    capacity: int = CAPACITY
    state: RoomState = RoomState.OPEN
    members: dict[str, Member] = field(default_factory=dict)
    recording: Recording = Recording.OFF
    recording_reason: str = ""

    # --- queries ------------------------------------------------------------------------

    def in_room(self) -> list[Member]:
        return [m for m in self.members.values() if m.presence is not Presence.WAITING]

    def waiting(self) -> list[Member]:
        return [m for m in self.members.values() if m.presence is Presence.WAITING]

    def interviewers_present(self) -> bool:
        return any(
            m.role is Role.INTERVIEWER and m.presence is Presence.IN_ROOM
            for m in self.members.values()
        )

    def get(self, member_id: str) -> Member:
        member = self.members.get(member_id)
        if member is None:
            raise RoomError("not_in_room", f"{member_id!r} is not in this room.")
        return member

    # --- changes ------------------------------------------------------------------------

    def arrive(self, member_id: str, name: str, role: Role) -> list[Event]:
        """Someone opens their link; a returning member takes their old seat back."""
        self._require_open()
        existing = self.members.get(member_id)
        if existing is not None:
            # A reload or a new socket after a blip: same seat, no ghost, no new lobby wait.
            presence = (
                Presence.WAITING if existing.presence is Presence.WAITING else Presence.IN_ROOM
            )
            member = replace(existing, name=name, presence=presence)
            self.members[member_id] = member
            if presence is Presence.WAITING:
                return [Event("replaced", member, to=member_id), *self._lobby_event()]
            return [Event("replaced", member, to=member_id), Event("updated", member)]
        if len(self.in_room()) >= self.capacity and (role is Role.INTERVIEWER or self.auto_admit):
            raise RoomError(
                "room_full", f"The room is full: at most {self.capacity} people can take part."
            )
        if role is Role.INTERVIEWER:
            member = Member(member_id, name, role, Presence.IN_ROOM)
            self.members[member_id] = member
            events = [Event("entered", member)]
            if self.auto_admit:
                events += self._admit_everyone()
            return events
        member = Member(member_id, name, role, Presence.WAITING)
        self.members[member_id] = member
        if self.auto_admit and self.interviewers_present():
            return self._admit(member_id)
        return [Event("waiting", member, to=member_id), *self._lobby_event()]

    def admit(self, by: str, member_id: str) -> list[Event]:
        self._require_open()
        self._require_interviewer(by, "admit people")
        member = self.get(member_id)
        if member.presence is not Presence.WAITING:
            raise RoomError(
                "not_waiting",
                f"{member.name} is not waiting (expected waiting, found {member.presence}).",
            )
        if len(self.in_room()) >= self.capacity:
            raise RoomError(
                "room_full", f"The room is full: at most {self.capacity} people can take part."
            )
        return self._admit(member_id)

    def update(
        self,
        member_id: str,
        *,
        audio: bool | None = None,
        video: bool | None = None,
        screen: bool | None = None,
        quality: str | None = None,
    ) -> list[Event]:
        member = self.get(member_id)
        changed = replace(
            member,
            audio=member.audio if audio is None else audio,
            video=member.video if video is None else video,
            screen=member.screen if screen is None else screen,
            quality=member.quality if quality is None else quality,
        )
        if changed == member:
            return []
        self.members[member_id] = changed
        if changed.presence is Presence.WAITING:
            return []
        return [Event("updated", changed)]

    def dropped(self, member_id: str) -> list[Event]:
        """The member's connection ended without a goodbye: keep the seat, show reconnecting."""
        member = self.members.get(member_id)
        if member is None or self.state is RoomState.ENDED:
            return []
        if member.presence is Presence.WAITING:
            del self.members[member_id]
            return self._lobby_event()
        changed = replace(member, presence=Presence.RECONNECTING)
        self.members[member_id] = changed
        return [Event("updated", changed)]

    def leave(self, member_id: str, reason: str = "left") -> list[Event]:
        member = self.members.pop(member_id, None)
        if member is None:
            return []
        if member.presence is Presence.WAITING:
            return self._lobby_event()
        return [Event("left", member, reason=reason)]

    def pause_recording(self, by: str, paused: bool) -> list[Event]:
        """An interviewer pauses or resumes; a failed or absent recording cannot be."""
        self._require_open()
        self._require_interviewer(by, "pause or resume the recording")
        if self.recording in {Recording.OFF, Recording.FAILED}:
            raise RoomError(
                "not_recording",
                f"There is no recording to pause or resume (it is {self.recording}).",
            )
        wanted = Recording.PAUSED if paused else Recording.RECORDING
        if self.recording is wanted:
            return []
        self.recording = wanted
        return [Event("recording", self.get(by), to="everyone")]

    def recording_failed(self, reason: str) -> list[Event]:
        """The server could not go on recording (disk full...); the call goes on."""
        if self.recording is Recording.FAILED:
            return []
        self.recording = Recording.FAILED
        self.recording_reason = reason
        return [Event("recording", None, to="everyone", reason=reason)]

    def end(self, by: str) -> list[Event]:
        self._require_open()
        ender = self._require_interviewer(by, "end the interview")
        self.state = RoomState.ENDED
        self.members.clear()
        return [Event("ended", ender, to="everyone")]

    # --- helpers ------------------------------------------------------------------------

    def _admit(self, member_id: str) -> list[Event]:
        member = replace(self.members[member_id], presence=Presence.IN_ROOM)
        self.members[member_id] = member
        return [Event("admitted", member, to=member_id), Event("entered", member),
                *self._lobby_event()]  # fmt: skip

    def _admit_everyone(self) -> list[Event]:
        events: list[Event] = []
        for waiting in self.waiting():
            if len(self.in_room()) >= self.capacity:
                break
            events += self._admit(waiting.id)
        return events

    def _lobby_event(self) -> list[Event]:
        return [Event("lobby", None, to="interviewers")]

    def _require_open(self) -> None:
        if self.state is not RoomState.OPEN:
            raise RoomError(
                "ended", f"The interview has ended (expected open, found {self.state})."
            )

    def _require_interviewer(self, member_id: str, action: str) -> Member:
        member = self.get(member_id)
        if member.role is not Role.INTERVIEWER or member.presence is Presence.WAITING:
            raise RoomError("forbidden", f"Only interviewers in the room can {action}.")
        return member
