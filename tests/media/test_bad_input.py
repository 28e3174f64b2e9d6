"""Bad SDP and candidates get a precise MediaError, and the room goes on."""

from __future__ import annotations

import re

import pytest

from liveinterview.media.engine import AiortcEngine
from signaling.ports import MediaError
from tests.media.clients import LOOPBACK, ClientPeer, eventually
from tests.media.conftest import MakeClient
from tests.media.test_room import two_in_a_room

pytestmark = pytest.mark.media


async def still_flowing(alice: ClientPeer, bob: ClientPeer) -> None:
    """Both directions keep carrying video."""
    seen = alice.frames_from("user:42", "camera"), bob.frames_from("alice", "camera")
    await eventually(
        lambda: (
            alice.frames_from("user:42", "camera") > seen[0] + 5
            and bob.frames_from("alice", "camera") > seen[1] + 5
        )
    )


def without_vp8(answer: str) -> str:
    return re.sub(r"VP8/90000", "H264/90000", answer)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("hello", "The answer is not SDP: it must start with v=0."),
        ("v=0\r\nm=video x\r\n", "The answer is not valid SDP"),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "The answer has 0 media sections"),
    ],
)
async def test_an_answer_that_is_not_usable_sdp_is_refused_precisely(
    engine: AiortcEngine, clients: MakeClient, answer: str, message: str
) -> None:
    alice, bob = await two_in_a_room(clients)
    alice.answering = False
    await engine.disconnect("room-1", "nobody")  # unknown: nothing happens
    carol = clients("carol")
    await carol.join()  # alice now has an offer waiting
    await eventually(lambda: bool(alice.unanswered))

    with pytest.raises(MediaError) as refused:
        await engine.accept_answer("room-1", "alice", answer)
    assert refused.value.message.startswith(message)
    await still_flowing(alice, bob)
    alice.answering = True
    await eventually(lambda: alice.frames_from("carol", "camera") >= 3)


async def test_an_answer_without_a_usable_codec_or_out_of_turn_is_refused(
    engine: AiortcEngine, clients: MakeClient
) -> None:
    alice, bob = await two_in_a_room(clients)

    with pytest.raises(MediaError, match="No offer is waiting for an answer from alice"):
        await engine.accept_answer("room-1", "alice", alice.answers[-1])

    alice.answering = False
    carol = clients("carol")
    await carol.join()
    await eventually(lambda: bool(alice.unanswered))
    good = await _answer_without_sending(alice, alice.unanswered.popleft())
    with pytest.raises(MediaError, match=r"accepts no codec we offered: we offered VP8/90000"):
        await engine.accept_answer("room-1", "alice", without_vp8(good))
    with pytest.raises(MediaError, match="sendonly where we offered sendonly"):
        await engine.accept_answer("room-1", "alice", good.replace("a=recvonly", "a=sendonly"))
    await still_flowing(alice, bob)

    await engine.accept_answer("room-1", "alice", good)  # the right answer still works
    await eventually(lambda: alice.frames_from("carol", "camera") >= 3)


async def _answer_without_sending(client: ClientPeer, offer: str) -> str:
    """What the client would answer, without giving it to the engine."""
    engine = client.engine

    class Capture:
        answer = ""

        async def accept_answer(self, room_id: str, participant_id: str, sdp: str) -> None:
            self.answer = sdp

    capture = Capture()
    client.engine = capture  # type: ignore[assignment]
    try:
        await client._answer(offer)
    finally:
        client.engine = engine
    return capture.answer


async def test_ice_candidates_for_unknown_participants_or_sections_are_refused(
    engine: AiortcEngine, clients: MakeClient
) -> None:
    alice, bob = await two_in_a_room(clients)
    good = f"candidate:1 1 udp 2130706431 {LOOPBACK} 40000 typ host"

    cases = [
        ("nobody", good, "0", None, "There is no media connection for 'nobody'"),
        ("alice", good, "17", None, "Unknown sdpMid '17': the offer's mids are 0, 1, 2, 3, 4, 5"),
        ("alice", good, None, 6, "Unknown sdpMLineIndex 6: the offer has 6 media sections"),
        ("alice", good, None, None, "An ICE candidate needs sdpMid or sdpMLineIndex"),
        ("alice", "candidate:x y", "0", None, "The ICE candidate does not parse"),
        ("alice", "candidate:1 1 udp p 1.2.3.4 9 typ host", "0", None, "The ICE candidate does"),
        ("alice", "candidate:1 1 udp 1 example.com 9 typ host", "0", None, "The ICE candidate's"),
        ("alice", "candidate:1 1 udp 1 10.1.1.1 9 typ weird", "0", None, "Unknown ICE candidate"),
    ]
    for participant, candidate, mid, index, message in cases:
        with pytest.raises(MediaError) as refused:
            await engine.add_ice_candidate("room-1", participant, candidate, mid, index)
        assert refused.value.message.startswith(message), refused.value.message

    await engine.add_ice_candidate("room-1", "alice", good, "4", None)  # any section: bundled
    mdns = "candidate:2 1 udp 2130706431 0b1c2d3e-aaaa.local 50000 typ host"
    await engine.add_ice_candidate("room-1", "alice", mdns, "0", None)  # skipped, no error
    tcp = f"candidate:3 1 tcp 1518280447 {LOOPBACK} 9 typ host tcptype active"
    await engine.add_ice_candidate("room-1", "alice", tcp, "0", None)  # skipped, no error
    await engine.add_ice_candidate("room-1", "alice", "", "0", 0)  # end of candidates
    await engine.add_ice_candidate("room-1", "alice", "", None, None)  # also without a section
    with pytest.raises(MediaError, match="There is no media connection"):
        await engine.accept_answer("other-room", "alice", alice.answers[-1])
    await still_flowing(alice, bob)
