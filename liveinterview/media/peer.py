"""One participant's single peer connection to the server, and its slots.

Transceivers, in the order the browser expects them (docs/signaling.md):
* three receive slots (mids 0, 1, 2): the participant's microphone, camera and screen share;
  the browser fills them with `replaceTrack`, so screen sharing needs no renegotiation;
* send slots: three per other participant (their microphone, camera, screen), each carrying a
  `ForwardingTrack`. A slot freed by someone leaving goes inactive and is reused for the next
  arrival, so the SDP stays bounded by the room size however often people come and go.

Every receiver is tapped (no decoder) and every sender fed (no encoder) from the start.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.rtcrtpparameters import RTCRtpCodecCapability
from aiortc.sdp import candidate_from_sdp

from liveinterview.media import answer_check, datagram_tap, sdp_text
from liveinterview.media.forwarding_track import ForwardingTrack
from liveinterview.media.ice_hosts import HostAddressPolicy
from liveinterview.media.levels import LevelMeter
from liveinterview.media.negotiation import Negotiation, NegotiationState
from liveinterview.media.outbox import EventOutbox
from liveinterview.media.publication import Publication, Source
from liveinterview.media.receiver_tap import AiortcInternalsChanged, ReceiverTap, tap_receiver
from liveinterview.media.sender_feed import feed_sender
from signaling.ports import MediaError, MediaEvents

log = logging.getLogger(__name__)

# Forwarding cannot transcode, so everyone must send what everyone can receive.
FORWARDED_CODECS = {"audio": ("audio/opus",), "video": ("video/vp8", "video/rtx")}


def _codec_preferences(kind: str) -> list[RTCRtpCodecCapability]:
    capabilities = RTCRtpSender.getCapabilities(kind).codecs
    return [c for c in capabilities if c.mimeType.lower() in FORWARDED_CODECS[kind]]


@dataclass
class SendSlot:
    transceiver: RTCRtpTransceiver
    track: ForwardingTrack
    owner: tuple[str, Source] | None = None  # (publisher id, source) while assigned


@dataclass(frozen=True)
class PeerSettings:
    ice_servers: tuple[RTCIceServer, ...]
    hosts: HostAddressPolicy
    answer_timeout: float
    start_bitrate_kbps: int | None
    level_interval: float
    direct_path: bool = True  # forward in the socket's callback (datagram_tap, direct_send)


class Peer:
    def __init__(
        self,
        room_id: str,
        participant_id: str,
        events: MediaEvents,
        settings: PeerSettings,
        now: Callable[[], float],
    ) -> None:
        self.room_id = room_id
        self.participant_id = participant_id
        self.settings = settings
        self.now = now
        self.pc = RTCPeerConnection(
            RTCConfiguration(
                iceServers=list(settings.ice_servers), bundlePolicy=RTCBundlePolicy.MAX_BUNDLE
            )
        )
        self.negotiation = Negotiation(answer_timeout=settings.answer_timeout)
        self.outbox = EventOutbox(events, f"{participant_id} in {room_id}")
        self.meter = LevelMeter()
        self.receive_slots: dict[Source, ReceiverTap] = {}
        for source in Source:
            transceiver = self.pc.addTransceiver(source.kind, direction="recvonly")
            transceiver.setCodecPreferences(_codec_preferences(source.kind))
            self.receive_slots[source] = tap_receiver(transceiver.receiver)
        self.send_slots: list[SendSlot] = []
        self.closed = False
        self._publications: Mapping[Source, Publication] = {}
        self.pc.on("connectionstatechange", self._on_connection_state)
        self._levels = asyncio.ensure_future(self._report_levels())

    def __repr__(self) -> str:
        return f"<Peer {self.participant_id} in {self.room_id}>"

    async def prepare(self) -> None:
        """Gather ICE candidates under the host-address policy (before the first offer)."""
        await self.settings.hosts.gather(self.pc)

    # --- publishing and subscribing -----------------------------------------------------

    def publish(self, publications: Mapping[Source, Publication]) -> None:
        """Feed this connection's receive slots into the participant's publications."""
        self._publications = publications
        for source, tap in self.receive_slots.items():
            publication = publications[source]
            tap.attach(publication)
            publication.bind(tap)
        publications[Source.MICROPHONE].subscribe(self.meter)

    def subscribe(
        self,
        publisher_id: str,
        publications: Mapping[Source, Publication],
        sources: tuple[Source, ...] = tuple(Source),
    ) -> None:
        """Give this participant a send slot for each of another participant's sources."""
        for source in sources:
            slot = next(
                (s for s in self.send_slots if s.owner is None and s.track.kind == source.kind),
                None,
            )
            if slot is None:
                track = ForwardingTrack(source.kind)
                transceiver = self.pc.addTransceiver(track, direction="sendonly")
                transceiver.setCodecPreferences(_codec_preferences(source.kind))
                feed_sender(transceiver.sender, direct=self.settings.direct_path)
                slot = SendSlot(transceiver, track)
                self.send_slots.append(slot)
            else:
                slot.transceiver.direction = "sendonly"
            slot.owner = (publisher_id, source)
            sender = slot.transceiver.sender
            sender._stream_id, sender._track_id = sdp_text.msid_for(publisher_id, source)
            slot.track.attach(publications[source])

    def unsubscribe(self, publisher_id: str) -> bool:
        """Free the slots carrying `publisher_id`; whether any were (then renegotiate)."""
        freed = False
        for slot in self._slots_of(publisher_id):
            slot.track.detach()
            slot.owner = None
            slot.transceiver.direction = "inactive"
            slot.transceiver.sender._stream_id = f"free-{uuid.uuid4().hex[:8]}"
            slot.transceiver.sender._track_id = slot.track.id
            freed = True
        return freed

    def _slots_of(self, publisher_id: str) -> Iterator[SendSlot]:
        return (s for s in self.send_slots if s.owner is not None and s.owner[0] == publisher_id)

    def offered_tracks(self) -> list[dict[str, str]]:
        """The `tracks` list of the last offer: which send slot (mid) carries whose source."""
        return [
            {"mid": slot.transceiver.mid, "participant": slot.owner[0], "source": slot.owner[1]}
            for slot in self.send_slots
            if slot.owner is not None and slot.transceiver.mid is not None
        ]

    # --- negotiation (the engine holds the room's lock) ---------------------------------

    async def offer_if_needed(self) -> bool:
        """Make and send an offer if the negotiation state allows one now."""
        if self.closed or self.pc.signalingState == "closed":
            return False  # left, or aiortc closed it itself when the DTLS session ended
        if not self.negotiation.should_offer(self.now()):
            return False
        await self.pc.setLocalDescription(await self.pc.createOffer())
        sdp = self.pc.localDescription.sdp
        if self.settings.start_bitrate_kbps:
            sdp = sdp_text.with_start_bitrate(sdp, self.settings.start_bitrate_kbps)
        sdp = self.settings.hosts.rewrite(sdp)
        self.negotiation.offered(self.now())
        # The slot map is taken with the offer: later changes belong to the next offer.
        self.outbox.offer(sdp, self.offered_tracks())
        return True

    async def accept_answer(self, sdp: str) -> bool:
        """Apply the answer; returns whether changes wait for another offer."""
        if self.negotiation.state is not NegotiationState.OFFERED:
            raise MediaError(
                f"No offer is waiting for an answer from {self.participant_id} "
                f"(negotiation is {self.negotiation.state})."
            )
        sdp = sdp_text.without_unreachable_candidates(sdp)
        answer_check.check_answer(self.pc.localDescription.sdp, sdp)
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        except Exception as exc:  # aiortc's own checks; the answer was already checked
            raise MediaError(f"The answer was refused: {exc or type(exc).__name__}.") from None
        return self.negotiation.answered()

    async def add_ice_candidate(self, candidate: str, mid: str | None, index: int | None) -> None:
        mids = [t.mid for t in self.pc.getTransceivers() if t.mid is not None]  # m-line order
        if not mids:
            raise MediaError("No offer was made yet, so there is nothing to add candidates to.")
        is_end = not candidate.strip().removeprefix("a=").removeprefix("candidate:")
        if mid is None and index is None and not is_end:
            # Only the end-of-candidates marker may name no section (docs/signaling.md).
            raise MediaError("An ICE candidate needs sdpMid or sdpMLineIndex.")
        if mid is not None and mid not in mids:
            raise MediaError(f"Unknown sdpMid {mid!r}: the offer's mids are {', '.join(mids)}.")
        if mid is None and index is not None and not 0 <= index < len(mids):
            raise MediaError(
                f"Unknown sdpMLineIndex {index}: the offer has {len(mids)} media sections."
            )
        text = candidate.strip().removeprefix("a=").removeprefix("candidate:")
        if not text:
            await self.pc.addIceCandidate(None)  # end of candidates
            return
        try:
            parsed = candidate_from_sdp(text)
        except Exception:  # untrusted text: assert, ValueError, IndexError...
            raise MediaError(f"The ICE candidate does not parse: {candidate[:120]!r}.") from None
        if sdp_text.is_unreachable_candidate(text):
            log.debug("ICE candidate skipped for %r: %s", self, text)
            return
        try:
            ipaddress.ip_address(parsed.ip)
        except ValueError:
            raise MediaError(
                f"The ICE candidate's address {parsed.ip[:60]!r} is not an IP address."
            ) from None
        if parsed.type not in ("host", "srflx", "prflx", "relay"):
            raise MediaError(f"Unknown ICE candidate type {parsed.type[:20]!r}.")
        # Everything is bundled on the first transport, whichever section the browser named.
        parsed.sdpMid = mids[0]
        parsed.sdpMLineIndex = 0
        await self.pc.addIceCandidate(parsed)

    # --- events, levels, close ----------------------------------------------------------

    def _on_connection_state(self) -> None:
        if self.pc.connectionState == "connected" and self.settings.direct_path:
            try:
                datagram_tap.install(self.pc)
            except AiortcInternalsChanged as exc:
                log.warning("receiving through aiortc's task for %r: %s", self, exc)
        self.outbox.connection_state(self.pc.connectionState)

    async def _report_levels(self) -> None:
        while True:
            await asyncio.sleep(self.settings.level_interval)
            level = self.meter.take()
            if level is not None:
                self.outbox.audio_level(level)

    def detach(self) -> None:
        """Stop feeding publications and being fed (the connection is replaced or leaves)."""
        self.closed = True
        self.negotiation.close()
        for source, tap in self.receive_slots.items():
            tap.detach()
            publication = self._publications.get(source)
            if publication is not None:
                publication.unbind(tap)
        microphone = self._publications.get(Source.MICROPHONE)
        if microphone is not None:
            microphone.unsubscribe(self.meter)
        for slot in self.send_slots:
            slot.track.detach()

    async def close(self) -> None:
        self.detach()
        self._levels.cancel()
        try:
            await self.pc.close()
        except Exception:
            log.exception("closing the peer connection of %r failed", self)
        for slot in self.send_slots:
            slot.track.stop()
        await self.outbox.close()
