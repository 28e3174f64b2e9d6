"""Interview rooms: who a join link admits, when, and what the room tells the record."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from liveinterview.clock import Clock
from liveinterview.domain.accounts import StaffMember
from liveinterview.domain.errors import Conflict, DomainError, Gone, NotFound
from liveinterview.domain.interviews import RequestStatus
from liveinterview.domain.rooms import (
    RoomPolicy,
    RoomState,
    RoomWindow,
    check_can_enter,
    room_window,
)
from liveinterview.domain.timetext import when
from liveinterview.domain.turn import turn_credential
from liveinterview.services.interview_links import LinkKeeper, Purpose
from liveinterview.services.work import unit_of_work
from liveinterview.storage import bookings
from liveinterview.storage import interviews as store
from liveinterview.storage.db import Database
from liveinterview.storage.interviews import InterviewRecord
from signaling.ports import GateRefused

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IceConfig:
    """What browsers are told about STUN/TURN (the server's own ICE is configured apart)."""

    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = ""
    turn_ttl: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class RoomAdmission:
    """Satisfies signaling.ports.Admission."""

    room_id: str
    participant_id: str
    name: str
    role: str
    auto_admit: bool
    recorded: bool
    ice_servers: list[dict[str, object]] = field(default_factory=list)
    interview: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class JoinView:
    """The pre-join page: who, what, when, and whether the room is open."""

    record: InterviewRecord
    participant: str
    is_candidate: bool
    timezone: str
    when: str
    window: RoomWindow
    interviewers: list[str]
    participant_id: str  # "candidate" or "user:<id>"


def room_id_of(request_id: int) -> str:
    return f"interview-{request_id}"


def request_id_of(room_id: str) -> int:
    return int(room_id.removeprefix("interview-"))


class RoomService:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        links: LinkKeeper,
        policy: RoomPolicy,
        ice: IceConfig,
    ) -> None:
        self.db = db
        self.clock = clock
        self.links = links
        self.policy = policy
        self.ice = ice

    async def view(self, token: str) -> JoinView:
        """For the join page; NotFound/Gone for links that do not (or no longer) work."""
        async with self.db.read() as conn:
            grant = await self.links.check(conn, token, Purpose.JOIN, self.clock.now())
            record = await store.get_request(conn, grant.request_id)
            if record is None:
                raise NotFound("This link is not valid.")
            people = await bookings.booked_interviewers(conn, record.id)
        if record.status is RequestStatus.CANCELLED:
            raise Gone("This interview was cancelled.")
        if record.start_at is None or record.end_at is None:
            raise Conflict("This interview has no time booked yet.")
        if grant.user_id is None:
            name, tz, is_candidate = record.candidate_name, record.candidate_timezone, True
        else:
            match = [p for p in people if p.user_id == grant.user_id]
            if not match:
                raise Gone("You are no longer on this interview's panel.")
            name, tz, is_candidate = match[0].name, match[0].timezone, False
        tz = tz or "UTC"
        return JoinView(
            record=record,
            participant=name,
            is_candidate=is_candidate,
            timezone=tz,
            when=when(record.start_at, record.end_at, tz),
            window=self._window(record),
            interviewers=[p.name for p in people],
            participant_id="candidate" if grant.user_id is None else f"user:{grant.user_id}",
        )

    def _window(self, record: InterviewRecord) -> RoomWindow:
        assert record.start_at is not None
        assert record.end_at is not None
        return room_window(
            start=record.start_at,
            end=record.end_at,
            now=self.clock.now(),
            cancelled=record.status is RequestStatus.CANCELLED,
            ended_at=record.room_ended_at,
            policy=self.policy,
        )

    async def admit(self, token: str) -> RoomAdmission:
        """signaling.ports.RoomGate: the room this link opens now, or GateRefused."""
        return await self._admission(token, early_is_fine=False)

    async def identify(self, token: str) -> RoomAdmission:
        """signaling.ports.RoomGate: like admit, but also before the room opens."""
        return await self._admission(token, early_is_fine=True)

    async def _admission(self, token: str, *, early_is_fine: bool) -> RoomAdmission:
        try:
            view = await self.view(token)
            if not (early_is_fine and view.window.state is RoomState.NOT_YET):
                check_can_enter(view.window)
        except DomainError as exc:
            status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 410
            raise GateRefused(status, exc.message) from None
        record = view.record
        participant = view.participant_id
        assert record.start_at is not None
        assert record.end_at is not None
        return RoomAdmission(
            room_id=room_id_of(record.id),
            participant_id=participant,
            name=view.participant,
            role="candidate" if view.is_candidate else "interviewer",
            auto_admit=record.auto_admit,
            recorded=record.recorded,
            ice_servers=self.ice_servers(participant),
            interview={
                "position": record.position,
                "start": record.start_at.isoformat(),
                "end": record.end_at.isoformat(),
                "when": view.when,
            },
        )

    def ice_servers(self, user: str) -> list[dict[str, object]]:
        """RTCIceServer entries for a browser; TURN credentials expire by themselves."""
        servers: list[dict[str, object]] = []
        if self.ice.stun_urls:
            servers.append({"urls": list(self.ice.stun_urls)})
        if self.ice.turn_urls:
            credential = turn_credential(
                self.ice.turn_secret,
                user.replace(":", "-"),
                now=self.clock.now(),
                ttl=self.ice.turn_ttl,
            )
            servers.append(
                {
                    "urls": list(self.ice.turn_urls),
                    "username": credential.username,
                    "credential": credential.password,
                }
            )
        return servers

    async def staff_join_token(self, actor: StaffMember, request_id: int) -> str:
        """A booked interviewer's own join link, for 'Join' on their dashboard."""
        async with self.db.read() as conn:
            tokens = await self.links.tokens(conn, request_id, Purpose.JOIN)
        token = tokens.get(actor.id)
        if token is None:
            raise NotFound("You are not on this interview's panel.")
        return token

    async def record_event(self, room_id: str, kind: str, details: dict[str, object]) -> None:
        """Signaling hook: joins, leaves and the end of the call go into the history."""
        request_id = request_id_of(room_id)
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            if kind == "ended":
                await store.mark_room_ended(work.conn, request_id, now=now)
            if kind in {"joined", "left", "ended"}:
                await store.add_event(
                    work.conn,
                    request_id,
                    at=now,
                    actor_id=None,
                    actor=str(details.get("name", "someone")),
                    kind=f"room_{kind}",
                    details={k: v for k, v in details.items() if k in {"role", "reason"}},
                )
