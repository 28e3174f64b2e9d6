"""Rooms, their sockets, and fan-out: the signaling state of one process.

No sockets are opened here: a `Connection` is anything that can send a text frame and close.
The media engine is reached through `signaling.ports.MediaEngine`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from signaling import messages as wire
from signaling.ports import Admission, MediaEngine, MediaError
from signaling.room import Event, Member, Presence, Recording, Role, Room, RoomError

log = logging.getLogger(__name__)

CHAT_HISTORY = 100
RECONNECT_GRACE_SECONDS = 45.0
SPEAKING_THRESHOLD = 0.08  # level above which someone counts as speaking
SPEAKING_HOLD_SECONDS = 1.5  # the highlight stays this long after they stop


class Connection(Protocol):
    async def send(self, text: str) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


@dataclass
class Session:
    """One participant's socket in one room."""

    admission: Admission
    connection: Connection
    name: str
    closed: bool = False

    @property
    def room_id(self) -> str:
        return self.admission.room_id

    @property
    def member_id(self) -> str:
        return self.admission.participant_id


@dataclass
class _RoomPlace:
    room: Room
    sessions: dict[str, Session] = field(default_factory=dict)
    chat: deque[dict[str, object]] = field(default_factory=lambda: deque(maxlen=CHAT_HISTORY))
    notes: deque[dict[str, object]] = field(default_factory=lambda: deque(maxlen=CHAT_HISTORY))
    drop_timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    speaking: str | None = None
    speaking_since: float = 0.0


class _MediaEvents:
    """Media engine callbacks for one session, turned into signaling messages."""

    def __init__(self, hub: Hub, session: Session) -> None:
        self.hub = hub
        self.session = session

    async def offer(self, sdp: str, tracks: list[dict[str, str]]) -> None:
        await self.hub._send(self.session, wire.encode("offer", sdp=sdp, tracks=tracks))

    async def connection_state(self, state: str) -> None:
        log.info(
            "peer connection state",
            extra={"room": self.session.room_id, "member": self.session.member_id, "state": state},
        )

    async def audio_level(self, level: float) -> None:
        await self.hub._audio_level(self.session, level)


class Hub:
    """Every open room of this process, and the rules for talking to its members."""

    def __init__(
        self,
        media: MediaEngine,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        reconnect_grace: float = RECONNECT_GRACE_SECONDS,
        on_room_event: Callable[[str, str, dict[str, object]], Awaitable[None]] | None = None,
    ) -> None:
        self.media = media
        self.now = now
        self.reconnect_grace = reconnect_grace
        self.on_room_event = on_room_event
        self._places: dict[str, _RoomPlace] = {}

    # --- entering and leaving -----------------------------------------------------------

    async def join(self, admission: Admission, connection: Connection, join: wire.Join) -> Session:
        """A participant's first message on a new socket; they get `welcome` (or an error)."""
        if admission.recorded and not join.consent:
            raise RoomError(
                "consent_required",
                "This interview is recorded: please confirm the recording notice to join.",
            )
        place = self._places.get(admission.room_id)
        if place is None:
            room = Room(admission.room_id, auto_admit=admission.auto_admit)
            room.recording = Recording.RECORDING if admission.recorded else Recording.OFF
            place = _RoomPlace(room)
            self._places[admission.room_id] = place
        name = (join.name or admission.name).strip()[:80] or admission.name
        session = Session(admission, connection, name)
        previous = place.sessions.get(session.member_id)
        events = place.room.arrive(session.member_id, name, Role(admission.role))
        timer = place.drop_timers.pop(session.member_id, None)
        if timer is not None:
            timer.cancel()
        if previous is not None and not previous.closed:
            previous.closed = True
            with contextlib.suppress(Exception):
                await previous.connection.close(4000, "Replaced by a newer connection")
        place.sessions[session.member_id] = session
        member = place.room.get(session.member_id)
        place.room.update(session.member_id, audio=join.audio, video=join.video)
        await self._send(session, self._welcome(place, session, member))
        await self._dispatch(place, events)
        if member.presence is not Presence.WAITING:
            await self._connect_media(session)
        await self._notify("joined", session, {"role": admission.role, "consent": join.consent})
        return session

    async def leave(self, session: Session, reason: str = "left") -> None:
        place = self._places.get(session.room_id)
        if place is None or place.sessions.get(session.member_id) is not session:
            return
        del place.sessions[session.member_id]
        session.closed = True
        await self.media.disconnect(session.room_id, session.member_id)
        await self._dispatch(place, place.room.leave(session.member_id, reason))
        await self._notify("left", session, {"reason": reason})
        self._forget_if_empty(place)

    async def disconnected(self, session: Session) -> None:
        """The socket closed without `leave`: hold the seat for a while, show 'reconnecting'."""
        place = self._places.get(session.room_id)
        if place is None or place.sessions.get(session.member_id) is not session:
            return  # replaced by a newer socket, or already gone
        session.closed = True
        await self.media.disconnect(session.room_id, session.member_id)
        await self._dispatch(place, place.room.dropped(session.member_id))
        if session.member_id in place.room.members:
            loop = asyncio.get_running_loop()
            place.drop_timers[session.member_id] = loop.call_later(
                self.reconnect_grace,
                lambda: asyncio.ensure_future(self._give_up(place, session)),
            )
        else:
            place.sessions.pop(session.member_id, None)
            self._forget_if_empty(place)

    async def _give_up(self, place: _RoomPlace, session: Session) -> None:
        place.drop_timers.pop(session.member_id, None)
        if place.sessions.get(session.member_id) is session:
            del place.sessions[session.member_id]
            await self._dispatch(place, place.room.leave(session.member_id, "left"))
            await self._notify("left", session, {"reason": "connection lost"})
            self._forget_if_empty(place)

    # --- messages -----------------------------------------------------------------------

    async def handle(self, session: Session, message: wire.AnyClientMessage) -> None:
        """One validated message from a participant already in the hub."""
        place = self._places.get(session.room_id)
        if place is None or place.sessions.get(session.member_id) is not session:
            await self._send(session, wire.error("gone", "This connection was replaced."))
            return
        try:
            await self._handle(place, session, message)
        except RoomError as exc:
            await self._send(session, wire.error(exc.code, exc.message, in_reply_to=message.type))
        except MediaError as exc:
            await self._send(session, wire.error("media", exc.message, in_reply_to=message.type))

    async def _handle(
        self, place: _RoomPlace, session: Session, message: wire.AnyClientMessage
    ) -> None:
        room = place.room
        member = room.get(session.member_id)
        match message:
            case wire.Ping(t=t):
                await self._send(session, wire.encode("pong", t=t))
            case wire.Join():
                raise RoomError("already_joined", "This connection has already joined.")
            case wire.Answer(sdp=sdp):
                self._require_in_room(member, "answer")
                await self.media.accept_answer(session.room_id, session.member_id, sdp)
            case wire.Candidate(candidate=candidate, sdpMid=mid, sdpMLineIndex=index):
                self._require_in_room(member, "send ICE candidates")
                await self.media.add_ice_candidate(
                    session.room_id, session.member_id, candidate, mid, index
                )
            case wire.MediaState(audio=audio, video=video, screen=screen):
                events = room.update(session.member_id, audio=audio, video=video, screen=screen)
                await self._dispatch(place, events)
                if events:
                    await self._notify(
                        "media",
                        session,
                        {
                            "audio": audio,
                            "video": video,
                            "screen": screen,
                            "was": {
                                "audio": member.audio,
                                "video": member.video,
                                "screen": member.screen,
                            },
                        },
                    )
            case wire.RecordingControl(paused=paused):
                events = room.pause_recording(session.member_id, paused)
                if events:
                    await self._notify("recording", session, {"paused": paused})
                await self._dispatch(place, events)
            case wire.Note(text=text, bookmark=bookmark):
                if member.role is not Role.INTERVIEWER:
                    raise RoomError("forbidden", "Only interviewers can take notes.")
                note: dict[str, object] = {
                    "id": f"{int(time.time() * 1000)}-{len(place.notes)}",
                    "from": {"id": member.id, "name": member.name},
                    "text": text,
                    "bookmark": bookmark,
                    "at": self.now().isoformat(),
                }
                place.notes.append(note)
                await self._notify("note", session, {"text": text, "bookmark": bookmark})
                await self._to_interviewers(place, wire.encode("note", **note))
            case wire.Quality(level=level):
                await self._dispatch(place, room.update(session.member_id, quality=level))
            case wire.Chat(text=text):
                self._require_in_room(member, "chat")
                entry: dict[str, object] = {
                    "id": f"{int(time.time() * 1000)}-{len(place.chat)}",
                    "from": {"id": member.id, "name": member.name},
                    "text": text,
                    "at": self.now().isoformat(),
                }
                place.chat.append(entry)
                await self._broadcast(place, wire.encode("chat", **entry))
                await self._notify("chat", session, {"text": text})
            case wire.Admit(participant=target):
                events = room.admit(session.member_id, target)
                await self._dispatch(place, events)
                admitted = place.sessions.get(target)
                if admitted is not None:
                    await self._connect_media(admitted)
            case wire.End():
                events = room.end(session.member_id)
                # Recorded before anyone is told, so a page reloaded at once already says so.
                await self._notify("ended", session, {})
                await self._dispatch(place, events)
                await self.media.close_room(session.room_id)
                for other in list(place.sessions.values()):
                    other.closed = True
                    with contextlib.suppress(Exception):
                        await other.connection.close(1000, "The interview has ended")
                place.sessions.clear()
            case wire.Leave():
                await self.leave(session)
                with contextlib.suppress(Exception):
                    await session.connection.close(1000, "Left")

    def _require_in_room(self, member: Member, action: str) -> None:
        if member.presence is Presence.WAITING:
            raise RoomError("in_lobby", f"You cannot {action} while waiting in the lobby.")

    # --- fan-out ------------------------------------------------------------------------

    def _recording_state(self, place: _RoomPlace) -> dict[str, object]:
        state: dict[str, object] = {"state": place.room.recording.value}
        if place.room.recording is Recording.FAILED:
            state["reason"] = place.room.recording_reason
        return state

    async def _to_interviewers(self, place: _RoomPlace, text: str) -> None:
        for session in list(place.sessions.values()):
            member = place.room.members.get(session.member_id)
            if member is not None and member.role is Role.INTERVIEWER:
                await self._send(session, text)

    async def media_lost(self, room_id: str) -> None:
        """The room's media process died: every socket closes with 1012 ("service restart"),
        so each browser reconnects, rejoins its seat and gets a fresh peer connection."""
        place = self._places.get(room_id)
        if place is None:
            return
        for session in list(place.sessions.values()):
            with contextlib.suppress(Exception):
                await session.connection.close(1012, "Media server restarted; reconnecting")

    async def recording_failed(self, room_id: str, reason: str) -> None:
        """The app could not go on recording: everyone sees it, the call goes on."""
        place = self._places.get(room_id)
        if place is not None:
            await self._dispatch(place, place.room.recording_failed(reason))

    def _welcome(self, place: _RoomPlace, session: Session, member: Member) -> str:
        room = place.room
        others = [m.public() for m in room.in_room() if m.id != member.id]
        return wire.encode(
            "welcome",
            you=member.public(),
            participants=others,
            ice_servers=session.admission.ice_servers,
            state="lobby" if member.presence is Presence.WAITING else "room",
            recorded=session.admission.recorded,
            recording=self._recording_state(place),
            notes=list(place.notes) if member.role is Role.INTERVIEWER else [],
            chat=list(place.chat) if member.presence is not Presence.WAITING else [],
            interview=session.admission.interview,
            waiting=[m.public() for m in room.waiting()] if member.role is Role.INTERVIEWER else [],
        )

    async def _dispatch(self, place: _RoomPlace, events: list[Event]) -> None:
        for event in events:
            member = event.member
            if event.kind == "entered" and member is not None:
                await self._broadcast(
                    place,
                    wire.encode("participant-joined", participant=member.public()),
                    skip=member.id,
                )
            elif event.kind == "updated" and member is not None:
                await self._broadcast(
                    place,
                    wire.encode("participant-updated", participant=member.public()),
                    skip=member.id,
                )
            elif event.kind == "left" and member is not None:
                await self._broadcast(
                    place,
                    wire.encode("participant-left", id=member.id, reason=event.reason),
                    skip=member.id,
                )
            elif event.kind == "admitted" and member is not None:
                target = place.sessions.get(member.id)
                if target is not None:
                    others = [m.public() for m in place.room.in_room() if m.id != member.id]
                    await self._send(
                        target,
                        wire.encode(
                            "admitted",
                            participant=member.public(),
                            participants=others,
                            chat=list(place.chat),
                        ),
                    )
            elif event.kind == "lobby":
                waiting = [m.public() for m in place.room.waiting()]
                for session in list(place.sessions.values()):
                    member_now = place.room.members.get(session.member_id)
                    if (
                        member_now is not None
                        and member_now.role is Role.INTERVIEWER
                        and member_now.presence is not Presence.WAITING
                    ):
                        await self._send(session, wire.encode("lobby", waiting=waiting))
            elif event.kind == "recording":
                text = wire.encode("recording", **self._recording_state(place))
                for session in list(place.sessions.values()):
                    await self._send(session, text)
            elif event.kind == "ended" and member is not None:
                text = wire.encode("ended", by=member.name)
                for session in list(place.sessions.values()):
                    await self._send(session, text)

    async def _broadcast(self, place: _RoomPlace, text: str, *, skip: str | None = None) -> None:
        """To everyone in the room proper (not the lobby), optionally except one member."""
        for member_id, session in list(place.sessions.items()):
            member = place.room.members.get(member_id)
            if member_id == skip or member is None or member.presence is Presence.WAITING:
                continue
            await self._send(session, text)

    async def _send(self, session: Session, text: str) -> None:
        if session.closed:
            return
        try:
            await session.connection.send(text)
        except Exception:  # a dead socket must not stop a fan-out to the others
            log.info("send to a closed socket dropped", extra={"member": session.member_id})

    async def _connect_media(self, session: Session) -> None:
        try:
            await self.media.connect(
                session.room_id, session.member_id, _MediaEvents(self, session)
            )
        except MediaError as exc:
            await self._send(session, wire.error("media", exc.message))

    async def _audio_level(self, session: Session, level: float) -> None:
        place = self._places.get(session.room_id)
        if place is None:
            return
        now = time.monotonic()
        if level >= SPEAKING_THRESHOLD and place.speaking != session.member_id:
            if place.speaking is None or now - place.speaking_since > SPEAKING_HOLD_SECONDS:
                place.speaking = session.member_id
                place.speaking_since = now
                await self._broadcast(place, wire.encode("speaking", id=session.member_id))
        elif level >= SPEAKING_THRESHOLD:
            place.speaking_since = now
        elif place.speaking == session.member_id and now - place.speaking_since > (
            SPEAKING_HOLD_SECONDS
        ):
            place.speaking = None
            await self._broadcast(place, wire.encode("speaking", id=None))

    async def _notify(self, kind: str, session: Session, details: dict[str, object]) -> None:
        if self.on_room_event is None:
            return
        try:
            await self.on_room_event(
                session.room_id,
                kind,
                {"member": session.member_id, "name": session.name, **details},
            )
        except Exception:
            log.exception("room event hook failed")

    def _forget_if_empty(self, place: _RoomPlace) -> None:
        if not place.sessions and not place.drop_timers:
            self._places.pop(place.room.id, None)

    # --- inspection (tests, health) -----------------------------------------------------

    def room(self, room_id: str) -> Room | None:
        place = self._places.get(room_id)
        return place.room if place else None

    def room_count(self) -> int:
        return len(self._places)

    async def close(self) -> None:
        """Shutdown: close every socket with GOING_AWAY and every peer connection."""
        for place in list(self._places.values()):
            for timer in place.drop_timers.values():
                timer.cancel()
            for session in list(place.sessions.values()):
                session.closed = True
                with contextlib.suppress(Exception):
                    await session.connection.close(1001, "Server shutdown")
            await self.media.close_room(place.room.id)
        self._places.clear()
