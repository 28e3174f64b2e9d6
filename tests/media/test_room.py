"""Real aiortc peers in one room through the engine, on 127.0.0.1 only."""

from __future__ import annotations

import queue
import sys
from dataclasses import dataclass, field

import pytest
from aiortc import rtcrtpreceiver, rtcrtpsender
from aiortc.codecs.base import Encoder

from liveinterview.media import sdp_text
from liveinterview.media.engine import AiortcEngine
from liveinterview.media.publication import Source
from tests.media.clients import LOOPBACK, ClientPeer, PatternTrack, eventually
from tests.media.conftest import MakeClient

pytestmark = pytest.mark.media


@dataclass
class CodecWatch:
    """Every aiortc decoder thread started and every encoder created, and for whom."""

    decoder_queues: list[queue.Queue[object]] = field(default_factory=list)
    encoder_owners: list[object] = field(default_factory=list)


@pytest.fixture
def codec_watch(monkeypatch: pytest.MonkeyPatch) -> CodecWatch:
    """Instrument the only two ways aiortc 1.16 reaches a codec (pinned in test_aiortc_pins).

    Receivers decode in `decoder_worker` threads, started by `receive()`; senders get their
    encoder from `get_encoder(codec)` in `_next_encoded_frame`. Both are looked up as module
    globals at call time, so wrapping them sees every use, by clients and server alike.
    """
    watch = CodecWatch()
    real_worker = rtcrtpreceiver.decoder_worker
    real_get_encoder = rtcrtpsender.get_encoder

    def watching_worker(loop, input_q, output_q, decode_error):  # type: ignore[no-untyped-def]
        watch.decoder_queues.append(input_q)
        real_worker(loop, input_q, output_q, decode_error)

    def watching_get_encoder(codec: object) -> Encoder:
        watch.encoder_owners.append(sys._getframe(1).f_locals.get("self"))
        return real_get_encoder(codec)  # type: ignore[arg-type]

    monkeypatch.setattr(rtcrtpreceiver, "decoder_worker", watching_worker)
    monkeypatch.setattr(rtcrtpsender, "get_encoder", watching_get_encoder)
    return watch


def receiving(client: ClientPeer, publisher: str, minimum: int = 10) -> bool:
    return (
        client.frames_from(publisher, "camera") >= minimum
        and client.frames_from(publisher, "microphone") >= minimum
    )


async def two_in_a_room(clients: MakeClient) -> tuple[ClientPeer, ClientPeer]:
    alice, bob = clients("alice"), clients("user:42")
    await alice.join()
    await bob.join()
    await eventually(lambda: receiving(alice, "user:42") and receiving(bob, "alice"))
    return alice, bob


async def test_two_participants_get_each_others_audio_and_video_through_the_relay(
    engine: AiortcEngine, clients: MakeClient
) -> None:
    alice, _ = await two_in_a_room(clients)

    expected = [
        {"mid": "3", "participant": "user:42", "source": "microphone"},
        {"mid": "4", "participant": "user:42", "source": "camera"},
        {"mid": "5", "participant": "user:42", "source": "screen"},
    ]
    assert engine.offered_tracks("room-1", "alice") == expected
    assert alice.track_maps[-1] == expected  # sent along with the offer that made the slots
    assert alice.track_maps[0] == []  # alone in the room at first: nothing to receive
    for info in engine.participants("room-1"):
        camera = info.publications[Source.CAMERA]
        assert camera.frames > 0
        assert camera.drops == 0
        assert camera.last_keyframe_size == (320, 240)
    await eventually(lambda: any(level > 0.1 for level in alice.levels))  # a -13 dBov tone
    assert alice.states[-1] == "connected"


async def test_the_server_never_decodes_or_encodes_while_forwarding(
    engine: AiortcEngine, clients: MakeClient, codec_watch: CodecWatch
) -> None:
    alice, bob = await two_in_a_room(clients)

    server_receivers, server_senders = [], []
    for pc in engine.peer_connections("room-1").values():
        for transceiver in pc.getTransceivers():
            server_receivers.append(transceiver.receiver)
            server_senders.append(transceiver.sender)
    server_queues = {id(vars(r)["_RTCRtpReceiver__decoder_queue"]) for r in server_receivers}
    client_senders = [t.sender for c in (alice, bob) for t in c.pc.getTransceivers()]

    # The watch works: the clients decode what they receive and encode what they send...
    assert len(codec_watch.decoder_queues) >= 4
    assert sum(owner in client_senders for owner in codec_watch.encoder_owners) >= 4
    # ...while the server, which relayed all of it, started no decoder and made no encoder.
    assert [q for q in codec_watch.decoder_queues if id(q) in server_queues] == []
    assert [o for o in codec_watch.encoder_owners if o in server_senders] == []
    assert all(vars(s)["_RTCRtpSender__encoder"] is None for s in server_senders)


async def test_offers_carry_only_loopback_candidates_audio_levels_and_a_start_bitrate(
    engine: AiortcEngine, clients: MakeClient
) -> None:
    alice, bob = await two_in_a_room(clients)
    for sdp in [*alice.offers, *bob.offers, *alice.answers, *bob.answers]:
        assert set(sdp_text.candidate_addresses(sdp)) == {LOOPBACK}
        assert set(sdp_text.connection_addresses(sdp)) <= {LOOPBACK, "0.0.0.0"}  # noqa: S104
    for offer in alice.offers:
        assert "urn:ietf:params:rtp-hdrext:ssrc-audio-level" in offer
        assert "x-google-start-bitrate=1000" in offer
        assert "H264" not in offer  # forwarding cannot transcode: everyone sends VP8


async def test_a_late_joiner_gets_a_keyframe_requested_from_the_publisher(
    engine: AiortcEngine, clients: MakeClient
) -> None:
    alice, _ = await two_in_a_room(clients)
    requests_before = alice.keyframe_requests  # PLIs that reached alice's camera sender

    carol = clients("carol")
    await carol.join()
    await eventually(lambda: carol.frames_from("alice", "camera") >= 3)

    # aiortc's encoder makes a keyframe only every 3000 frames unless asked: carol's video
    # came because the relay asked alice for one, and it started with that keyframe.
    assert alice.keyframe_requests > requests_before
    carol_info = next(p for p in engine.participants("room-1") if p.participant_id == "carol")
    slot = next(s for s in carol_info.slots if (s.publisher, s.source) == ("alice", "camera"))
    assert slot.stats.first_out_keyframe is True
    await eventually(lambda: receiving(carol, "user:42", 3) and receiving(alice, "carol", 3))


async def test_a_participant_leaving_is_removed_from_the_others_by_renegotiation(
    engine: AiortcEngine, clients: MakeClient
) -> None:
    alice, _ = await two_in_a_room(clients)
    offers_before = len(alice.offers)

    await engine.disconnect("room-1", "user:42")

    await eventually(lambda: len(alice.offers) > offers_before and not alice.unanswered)
    assert engine.offered_tracks("room-1", "alice") == []
    directions = sdp_text.directions(alice.offers[-1])
    assert [directions[mid] for mid in ("3", "4", "5")] == ["inactive"] * 3
    assert [p.participant_id for p in engine.participants("room-1")] == ["alice"]

    # The freed slots are reused by the next arrival: the offer does not grow.
    dave = clients("dave")
    await dave.join()
    await eventually(lambda: receiving(alice, "dave", 3))
    assert len(sdp_text.directions(alice.offers[-1])) == 6
    assert engine.offered_tracks("room-1", "alice")[1] == {
        "mid": "4",
        "participant": "dave",
        "source": "camera",
    }


async def test_reconnecting_with_the_same_id_replaces_the_connection_without_ghosts(
    engine: AiortcEngine, clients: MakeClient
) -> None:
    alice, bob = await two_in_a_room(clients)
    offers_to_alice = len(alice.offers)
    frames_before = alice.frames_from("user:42", "camera")

    bob_again = clients("user:42")  # the same participant, a new connection (reload)
    await bob_again.join()
    await eventually(
        lambda: (
            alice.frames_from("user:42", "camera") > frames_before + 10
            and receiving(bob_again, "alice", 5)
        )
    )

    assert [p.participant_id for p in engine.participants("room-1")] == ["alice", "user:42"]
    owners = [(t["participant"], t["source"]) for t in engine.offered_tracks("room-1", "alice")]
    assert owners == [("user:42", s) for s in ("microphone", "camera", "screen")]
    assert len(alice.offers) == offers_to_alice  # alice's slots simply carry the new stream
    bob_info = next(p for p in engine.participants("room-1") if p.participant_id == "user:42")
    assert bob_info.publications[Source.CAMERA].restarts == 1
    await eventually(lambda: bob.pc.connectionState in ("closed", "failed"), within=40)


async def test_screen_sharing_fills_the_third_slot_without_renegotiation(
    engine: AiortcEngine, clients: MakeClient
) -> None:
    alice, bob = await two_in_a_room(clients)
    offers = (len(alice.offers), len(bob.offers))

    screen = PatternTrack(width=640, height=360, fps=10)
    bob.local["screen"] = screen
    bob.slots["screen"].sender.replaceTrack(screen)

    await eventually(lambda: alice.frames_from("user:42", "screen") >= 5)
    assert (len(alice.offers), len(bob.offers)) == offers
    bob_info = next(p for p in engine.participants("room-1") if p.participant_id == "user:42")
    assert bob_info.publications[Source.SCREEN].last_keyframe_size == (640, 360)
