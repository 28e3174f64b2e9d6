"""The SFU: `AiortcEngine` implements `signaling.ports.MediaEngine` with aiortc.

Each participant has one peer connection (`Peer`) and three publications (microphone,
camera, screen) that outlive reconnections. Joining gives the newcomer send slots for everyone
present and everyone present send slots for the newcomer, then offers go out; leaving frees
those slots and offers again. Media is forwarded as encoded frames: see docs/media.md.

All aiortc calls for one room run under that room's lock, so negotiations never interleave;
events to participants go through per-participant outboxes, outside the lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from aiortc import RTCIceServer, RTCPeerConnection

from liveinterview.config import Settings
from liveinterview.media.forwarding_track import ForwardingStats
from liveinterview.media.ice_hosts import HostAddressPolicy
from liveinterview.media.negotiation import NegotiationState
from liveinterview.media.peer import Peer, PeerSettings
from liveinterview.media.publication import Publication, PublicationStats, Source
from signaling.ports import MediaError, MediaEvents

log = logging.getLogger(__name__)

MAX_PARTICIPANTS = 6

# (room id, participant id, source, publication): called for each new publication.
PublicationHook = Callable[[str, str, Source, Publication], None]


@dataclass(frozen=True)
class IceServer:
    """A STUN or TURN server for the server's own ICE agent (not the browsers' list)."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

    def for_aiortc(self) -> RTCIceServer:
        return RTCIceServer(
            urls=list(self.urls), username=self.username, credential=self.credential
        )


@dataclass
class _Room:
    id: str
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    peers: dict[str, Peer] = field(default_factory=dict)
    publications: dict[str, dict[Source, Publication]] = field(default_factory=dict)


@dataclass(frozen=True)
class SlotInfo:
    mid: str | None
    publisher: str | None
    source: Source | None
    stats: ForwardingStats


@dataclass(frozen=True)
class ParticipantInfo:
    """A snapshot for tests and health checks."""

    participant_id: str
    connection_state: str
    negotiation: NegotiationState
    offers: int
    answers: int
    superseded_offers: int
    publications: dict[Source, PublicationStats]
    slots: list[SlotInfo]


class AiortcEngine:
    def __init__(
        self,
        *,
        ice_servers: Sequence[IceServer],
        host_addresses: Sequence[str],
        announced_address: str | None = None,
        max_participants: int = MAX_PARTICIPANTS,
        start_bitrate_kbps: int | None = 1000,
        answer_timeout: float = 15.0,
        level_interval: float = 0.25,
        gap_timeout: float = 0.3,
        keyframe_min_interval: float = 0.5,
        keyframe_retry_interval: float = 1.0,
        now: Callable[[], float] | None = None,
        on_publication: PublicationHook | None = None,
        direct_path: bool = True,
    ) -> None:
        """`ice_servers` is always explicit: aiortc given none would contact Google's STUN.

        `host_addresses`: local addresses to gather ICE candidates on (empty: every interface
        aioice finds, loopback excepted); `announced_address`: put in the offer instead of them
        (1:1 NAT). `answer_timeout`: after this long without an answer, the next change
        replaces the unanswered offer. `on_publication` is told about every publication a
        `connect` creates (the recorder subscribes there); a reconnect keeps the participant's
        publications, so it is told again only after a `disconnect`. Probes are not told.
        `direct_path`: forward each packet in the socket's callback (datagram_tap, direct_send)
        instead of through aiortc's receive and send tasks; False only to measure the
        difference (bench/capacity.py).
        """
        self.max_participants = max_participants
        self._settings = PeerSettings(
            ice_servers=tuple(server.for_aiortc() for server in ice_servers),
            hosts=HostAddressPolicy(tuple(host_addresses), announced_address or None),
            answer_timeout=answer_timeout,
            start_bitrate_kbps=start_bitrate_kbps,
            level_interval=level_interval,
            direct_path=direct_path,
        )
        self._gap_timeout = gap_timeout
        self._keyframe_min_interval = keyframe_min_interval
        self._keyframe_retry_interval = keyframe_retry_interval
        self._now = now
        self._on_publication = on_publication
        self._rooms: dict[str, _Room] = {}

    # --- MediaEngine --------------------------------------------------------------------

    async def connect(self, room_id: str, participant_id: str, events: MediaEvents) -> None:
        while True:
            room = self._rooms.setdefault(room_id, _Room(room_id))
            async with room.lock:
                if self._rooms.get(room_id) is not room:
                    continue  # emptied and dropped while we waited for its lock
                previous = await self._connect(room, participant_id, events)
                break
        if previous is not None:
            await previous.close()

    async def _connect(self, room: _Room, participant_id: str, events: MediaEvents) -> Peer | None:
        """Under the room's lock: the new peer in, slots assigned, offers out.

        Returns the connection it replaces (to be closed once the lock is released).
        """
        previous = room.peers.get(participant_id)
        if previous is None and len(room.peers) >= self.max_participants:
            raise MediaError(
                f"The room already has {len(room.peers)} media connections, the most one "
                "room takes."
            )
        peer = await self._new_peer(room, participant_id, events)
        if previous is not None:
            previous.detach()  # its packets no longer reach the publications
        publications = room.publications.get(participant_id)
        if publications is None:
            publications = room.publications[participant_id] = self._publications(participant_id)
            self._announce(room.id, participant_id, publications)
        peer.publish(publications)
        for other_id, other in room.peers.items():
            if other_id != participant_id:
                peer.subscribe(other_id, room.publications[other_id])
                if previous is None:  # a reconnect keeps the slots the others have for it
                    other.subscribe(participant_id, publications)
        room.peers[participant_id] = peer
        await self._offer(peer)
        if previous is None:
            for other in list(room.peers.values()):
                if other is not peer:
                    await self._offer(other)
        return previous

    async def connect_probe(self, room_id: str, participant_id: str, events: MediaEvents) -> None:
        """A connectivity check: the participant alone, their own camera sent back to them."""
        if room_id in self._rooms:
            raise MediaError(f"Probe room {room_id!r} is already in use.")
        room = self._rooms[room_id] = _Room(room_id)
        async with room.lock:
            peer = await self._new_peer(room, participant_id, events)
            publications = room.publications[participant_id] = self._publications(participant_id)
            peer.publish(publications)
            # Only the camera comes back: an echoed microphone would howl through speakers.
            peer.subscribe(participant_id, publications, sources=(Source.CAMERA,))
            room.peers[participant_id] = peer
            await self._offer(peer)

    def _publications(self, participant_id: str) -> dict[Source, Publication]:
        return {
            source: Publication(
                participant_id,
                source,
                gap_timeout=self._gap_timeout,
                keyframe_min_interval=self._keyframe_min_interval,
                keyframe_retry_interval=self._keyframe_retry_interval,
            )
            for source in Source
        }

    def _announce(
        self, room_id: str, participant_id: str, publications: dict[Source, Publication]
    ) -> None:
        if self._on_publication is None:
            return
        for source, publication in publications.items():
            try:
                self._on_publication(room_id, participant_id, source, publication)
            except Exception:
                # A failing listener (the recorder) must not keep anyone out of the room.
                log.exception("on_publication failed for %s %s", participant_id, source)

    async def accept_answer(self, room_id: str, participant_id: str, sdp: str) -> None:
        room, peer = self._find(room_id, participant_id)
        async with room.lock:
            self._require_current(room, peer)
            again = await peer.accept_answer(sdp)
            if again:
                await self._offer(peer)

    async def add_ice_candidate(
        self,
        room_id: str,
        participant_id: str,
        candidate: str,
        sdp_mid: str | None,
        sdp_mline_index: int | None,
    ) -> None:
        room, peer = self._find(room_id, participant_id)
        async with room.lock:
            self._require_current(room, peer)
            await peer.add_ice_candidate(candidate, sdp_mid, sdp_mline_index)

    async def disconnect(self, room_id: str, participant_id: str) -> None:
        room = self._rooms.get(room_id)
        if room is None:
            return
        async with room.lock:
            peer = room.peers.pop(participant_id, None)
            if peer is None:
                return
            peer.detach()
            for publication in room.publications.pop(participant_id, {}).values():
                publication.close()
            for other in list(room.peers.values()):
                if other.unsubscribe(participant_id):
                    await self._offer(other)
            if not room.peers and self._rooms.get(room_id) is room:
                del self._rooms[room_id]
        await peer.close()

    async def close_room(self, room_id: str) -> None:
        room = self._rooms.pop(room_id, None)
        if room is None:
            return
        async with room.lock:
            peers = list(room.peers.values())
            room.peers.clear()
            for peer in peers:
                peer.detach()
            for publications in room.publications.values():
                for publication in publications.values():
                    publication.close()
            room.publications.clear()
        await asyncio.gather(*(peer.close() for peer in peers))

    # --- beyond the port ----------------------------------------------------------------

    async def close(self) -> None:
        """Close every room (shutdown)."""
        for room_id in list(self._rooms):
            await self.close_room(room_id)

    def room_ids(self) -> list[str]:
        return list(self._rooms)

    def publication(self, room_id: str, participant_id: str, source: Source) -> Publication:
        """A participant's publication, to subscribe further sinks (the recorder) to it."""
        room = self._rooms.get(room_id)
        publications = room.publications.get(participant_id) if room else None
        if publications is None:
            raise KeyError(f"{participant_id!r} publishes nothing in room {room_id!r}")
        return publications[source]

    def offered_tracks(self, room_id: str, participant_id: str) -> list[dict[str, str]]:
        """The `tracks` list for the participant's latest offer (mid -> whose source)."""
        _, peer = self._find(room_id, participant_id)
        return peer.offered_tracks()

    def peer_connections(self, room_id: str) -> dict[str, RTCPeerConnection]:
        """The server side of each participant's connection (for tests and diagnostics)."""
        room = self._rooms.get(room_id)
        return {pid: peer.pc for pid, peer in room.peers.items()} if room else {}

    def participants(self, room_id: str) -> list[ParticipantInfo]:
        room = self._rooms.get(room_id)
        if room is None:
            return []
        return [
            ParticipantInfo(
                participant_id=peer.participant_id,
                connection_state=peer.pc.connectionState,
                negotiation=peer.negotiation.state,
                offers=peer.negotiation.offers,
                answers=peer.negotiation.answers,
                superseded_offers=peer.negotiation.superseded,
                publications={
                    source: publication.stats
                    for source, publication in room.publications[peer.participant_id].items()
                },
                slots=[
                    SlotInfo(
                        mid=slot.transceiver.mid,
                        publisher=slot.owner[0] if slot.owner else None,
                        source=slot.owner[1] if slot.owner else None,
                        stats=slot.track.stats,
                    )
                    for slot in peer.send_slots
                ],
            )
            for peer in room.peers.values()
        ]

    # --- internals ----------------------------------------------------------------------

    async def _new_peer(self, room: _Room, participant_id: str, events: MediaEvents) -> Peer:
        peer: Peer | None = None
        try:
            peer = Peer(room.id, participant_id, events, self._settings, self._clock())
            await peer.prepare()
        except Exception as exc:
            log.exception("no peer connection for %s in %s", participant_id, room.id)
            if peer is not None:
                await peer.close()
            if not room.peers and self._rooms.get(room.id) is room:
                del self._rooms[room.id]
            reason = "open a network port" if isinstance(exc, OSError) else "set up media"
            raise MediaError(f"The media server could not {reason}; please try again.") from None
        return peer

    def _clock(self) -> Callable[[], float]:
        return self._now or asyncio.get_running_loop().time

    def _find(self, room_id: str, participant_id: str) -> tuple[_Room, Peer]:
        room = self._rooms.get(room_id)
        peer = room.peers.get(participant_id) if room else None
        if room is None or peer is None:
            raise MediaError(
                f"There is no media connection for {participant_id!r} in room {room_id!r}."
            )
        return room, peer

    def _require_current(self, room: _Room, peer: Peer) -> None:
        if room.peers.get(peer.participant_id) is not peer or self._rooms.get(room.id) is not room:
            raise MediaError(f"The media connection of {peer.participant_id!r} was replaced.")

    async def _offer(self, peer: Peer) -> None:
        try:
            await peer.offer_if_needed()
        except Exception:
            # One participant's failed offer must not take the room down with it.
            log.exception("offer to %r failed", peer)


def build_engine(
    settings: Settings, *, on_publication: PublicationHook | None = None
) -> AiortcEngine:
    """The engine as configured; the server's own ICE agent uses no STUN/TURN server.

    Browsers get STUN/TURN from the room service. The server needs none: it is reachable on
    its host addresses, or on `media_announced_address` when behind 1:1 NAT (gathering
    through an unreachable STUN server would delay every offer by its timeout).
    """
    return AiortcEngine(
        ice_servers=[],
        host_addresses=settings.media_host_addresses,
        announced_address=settings.media_announced_address or None,
        on_publication=on_publication,
    )
