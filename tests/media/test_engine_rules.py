"""Engine rules: room size, negotiation turns, reconnects and races, extra sinks."""

from __future__ import annotations

import asyncio

import pytest

from liveinterview.media import sdp_text
from liveinterview.media.engine import AiortcEngine
from liveinterview.media.negotiation import NegotiationState
from liveinterview.media.packets import EncodedFrame, SenderReport
from liveinterview.media.publication import Source
from signaling.ports import MediaError
from tests.media.clients import LOOPBACK, ClientPeer, eventually
from tests.media.conftest import MakeClient
from tests.media.test_room import two_in_a_room

pytestmark = pytest.mark.media


class Recorder:
    """A MediaEvents double for participants who never answer."""

    def __init__(self) -> None:
        self.offers: list[str] = []
        self.states: list[str] = []

    async def offer(self, sdp: str, tracks: list[dict[str, str]]) -> None:
        self.offers.append(sdp)

    async def connection_state(self, state: str) -> None:
        self.states.append(state)

    async def audio_level(self, level: float) -> None:
        pass


async def test_a_seventh_participant_is_refused(engine: AiortcEngine) -> None:
    for number in range(6):
        await engine.connect("full", f"p{number}", Recorder())
    with pytest.raises(MediaError, match="already has 6 media connections"):
        await engine.connect("full", "p6", Recorder())
    await engine.connect("full", "p0", Recorder())  # a reconnect of someone inside is fine
    assert len(engine.participants("full")) == 6
    await engine.close_room("full")
    assert engine.participants("full") == []


async def test_a_change_during_an_unanswered_offer_waits_for_the_answer() -> None:
    engine = AiortcEngine(ice_servers=[], host_addresses=[LOOPBACK], answer_timeout=60)
    quiet = Recorder()
    await engine.connect("r", "quiet", quiet)
    await engine.connect("r", "other", Recorder())
    await eventually(lambda: len(quiet.offers) == 1)
    info = engine.participants("r")[0]
    assert (info.negotiation, info.offers) == (NegotiationState.OFFERED, 1)
    await engine.close()


async def test_a_client_that_never_answers_gets_a_fresh_offer_on_the_next_change(
    clients: MakeClient,
) -> None:
    engine = AiortcEngine(ice_servers=[], host_addresses=[LOOPBACK], answer_timeout=0)
    slow = ClientPeer(engine, "r", "slow", answering=False)
    try:
        await slow.join()
        await engine.connect("r", "other", Recorder())
        await eventually(lambda: len(slow.offers) == 2)  # the first offer was superseded
        info = next(p for p in engine.participants("r") if p.participant_id == "slow")
        assert info.superseded_offers == 1

        with pytest.raises(MediaError, match="has 3 media sections but the offer has 6"):
            await slow.answer_next()  # a late answer to the superseded offer
        await slow.answer_next()  # the answer to the current offer is taken
        info = next(p for p in engine.participants("r") if p.participant_id == "slow")
        assert info.negotiation is NegotiationState.STABLE
    finally:
        await slow.close()
        await engine.close()


async def test_joining_while_the_last_one_leaves_lands_in_a_live_room(engine: AiortcEngine) -> None:
    await engine.connect("r", "first", Recorder())
    await asyncio.gather(engine.disconnect("r", "first"), engine.connect("r", "second", Recorder()))
    assert [p.participant_id for p in engine.participants("r")] == ["second"]
    await engine.disconnect("r", "second")
    assert engine.room_ids() == []
    await engine.close_room("r")  # already gone: nothing to do


class RecordingSink:
    """What the recorder will be: a sink on a publication, writing what it gets."""

    def __init__(self) -> None:
        self.frames: list[EncodedFrame] = []
        self.reports: list[SenderReport] = []

    def on_frame(self, frame: EncodedFrame) -> None:
        self.frames.append(frame)

    def on_discontinuity(self) -> None:
        pass

    def on_sender_report(self, report: SenderReport) -> None:
        self.reports.append(report)

    def on_end(self) -> None:
        pass


async def test_a_recorder_can_subscribe_to_the_same_encoded_frames(
    engine: AiortcEngine, clients: MakeClient
) -> None:
    await two_in_a_room(clients)
    sink = RecordingSink()
    engine.publication("room-1", "alice", Source.CAMERA).subscribe(sink)
    await eventually(lambda: len(sink.frames) >= 10 and len(sink.reports) >= 1)
    assert all(frame.ssrc == sink.reports[0].ssrc for frame in sink.frames)
    timestamps = [frame.timestamp for frame in sink.frames]
    assert timestamps == sorted(timestamps)
    with pytest.raises(KeyError):
        engine.publication("room-1", "nobody", Source.CAMERA)


async def test_behind_1_to_1_nat_the_offer_announces_the_public_address() -> None:
    engine = AiortcEngine(
        ice_servers=[], host_addresses=[LOOPBACK], announced_address="203.0.113.10"
    )
    events = Recorder()
    try:
        await engine.connect("r", "alice", events)
        await eventually(lambda: len(events.offers) == 1)
        assert set(sdp_text.candidate_addresses(events.offers[0])) == {"203.0.113.10"}
        assert set(sdp_text.connection_addresses(events.offers[0])) == {"203.0.113.10"}
    finally:
        await engine.close()


async def test_an_unusable_host_address_is_a_media_error_and_leaves_no_room() -> None:
    engine = AiortcEngine(ice_servers=[], host_addresses=["192.0.2.1"])  # not ours: cannot bind
    with pytest.raises(MediaError, match="could not open a network port"):
        await engine.connect("r", "alice", Recorder())
    assert engine.room_ids() == []
