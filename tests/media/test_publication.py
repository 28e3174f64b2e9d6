"""The fan-out: publications, keyframe gating and requests, without any network."""

from __future__ import annotations

import pytest

from liveinterview.media.forwarding_track import ForwardingTrack, TimestampRebaser
from liveinterview.media.packets import EncodedFrame, ReceivedRtp, SenderReport
from liveinterview.media.publication import Publication, Source

pytestmark = pytest.mark.media

KEY = bytes([0x50, 0x01, 0x00, 0x9D, 0x01, 0x2A, 0x40, 0x01, 0xF0, 0x00]) + b"k" * 10
DELTA = bytes([0x51, 0x01, 0x00]) + b"d" * 10


class Upstream:
    def __init__(self, can_send: bool = True) -> None:
        self.can_send = can_send
        self.requests = 0

    def request_keyframe(self) -> bool:
        self.requests += self.can_send
        return self.can_send


class RecordingSink:
    def __init__(self) -> None:
        self.frames: list[EncodedFrame] = []
        self.reports: list[SenderReport] = []
        self.discontinuities = 0
        self.ended = False

    def on_frame(self, frame: EncodedFrame) -> None:
        self.frames.append(frame)

    def on_discontinuity(self) -> None:
        self.discontinuities += 1

    def on_sender_report(self, report: SenderReport) -> None:
        self.reports.append(report)

    def on_end(self) -> None:
        self.ended = True


class BrokenSink(RecordingSink):
    def on_frame(self, frame: EncodedFrame) -> None:
        raise OSError("disk full")


def video(seq: int, key: bool = False, ssrc: int = 7, arrival: float = 0.0) -> ReceivedRtp:
    data = KEY if key else DELTA
    return ReceivedRtp(ssrc, seq, seq * 3000, True, b"\x10" + data, data, None, arrival)


def audio(seq: int, level: int | None) -> ReceivedRtp:
    extension = None if level is None else (True, level)
    return ReceivedRtp(9, seq, seq * 960, True, b"opus", b"opus", extension, 0.0)


def camera(upstream: Upstream | None = None) -> Publication:
    publication = Publication("alice", Source.CAMERA, now=lambda: 0.0)
    if upstream is not None:
        publication.bind(upstream)
    return publication


async def test_a_new_subscriber_waits_for_a_keyframe_and_asks_for_one_once() -> None:
    upstream = Upstream()
    publication = camera(upstream)
    track = ForwardingTrack("video")
    track.attach(publication)
    for seq in range(1, 11):
        publication.on_rtp(video(seq))
    assert track.stats.skipped_waiting_keyframe == 10
    assert upstream.requests == 1  # ten wishes, one PLI within the interval

    publication.on_rtp(video(11, key=True))
    publication.on_rtp(video(12))
    first = await track.next_outgoing()
    second = await track.next_outgoing()
    assert (first.keyframe, second.keyframe) == (True, False)
    assert track.stats.first_out_keyframe is True
    assert (first.timestamp, second.timestamp) == (0, 3000)  # the track's own timeline
    assert first.data == KEY
    publication.close()


async def test_sinks_wait_again_after_the_publisher_restarts() -> None:
    upstream = Upstream()
    publication = camera(upstream)
    track = ForwardingTrack("video")
    track.attach(publication)
    publication.on_rtp(video(1, key=True))
    assert (await track.next_outgoing()).timestamp == 0
    publication.on_rtp(video(2))  # queued, then made useless by the restart
    publication.on_rtp(video(50, ssrc=8))  # a new SSRC: the stream starts over
    assert publication.stats.restarts == 1
    publication.on_rtp(video(51, key=True, ssrc=8, arrival=1.0))
    outgoing = await track.next_outgoing()
    assert outgoing.keyframe  # the delta queued before the restart was dropped
    assert outgoing.timestamp == 90000  # one second later on the same outgoing timeline
    publication.close()


async def test_a_failing_sink_is_dropped_and_the_others_go_on() -> None:
    publication = camera(Upstream())
    broken, healthy = BrokenSink(), RecordingSink()
    publication.subscribe(broken)
    publication.subscribe(healthy)
    publication.on_rtp(video(1, key=True))
    publication.on_rtp(video(2))
    assert publication.sinks == (healthy,)
    assert len(healthy.frames) == 2
    publication.close()


async def test_recorder_like_sinks_get_rtp_timestamps_keyframe_flags_and_sender_reports() -> None:
    publication = camera(Upstream())
    sink = RecordingSink()
    publication.subscribe(sink)
    publication.on_rtp(video(1, key=True))
    publication.on_sender_report(SenderReport(7, 0xE000_0000_0000_0000, 3000, 0.0))
    publication.on_rtp(video(2))
    assert [(f.rtp_timestamp, f.keyframe) for f in sink.frames] == [(3000, True), (6000, False)]
    assert sink.reports[0].rtp_timestamp == 3000
    assert publication.last_sender_report == sink.reports[0]
    publication.close()
    assert sink.ended
    assert publication.sinks == ()


async def test_keyframe_requests_wait_until_the_publisher_has_sent_something() -> None:
    upstream = Upstream(can_send=False)  # no packet seen yet: no SSRC to ask
    publication = camera(upstream)
    publication.request_keyframe()
    assert upstream.requests == 0
    upstream.can_send = True
    publication.on_rtp(video(1))  # first packet: the pending wish goes out now
    assert upstream.requests == 1
    publication.close()


async def test_audio_is_forwarded_packet_by_packet_with_its_level() -> None:
    publication = Publication("alice", Source.MICROPHONE)
    track = ForwardingTrack("audio")
    track.attach(publication)
    for seq, level in [(1, 30), (2, None), (3, 127)]:
        publication.on_rtp(audio(seq, level))
    outgoing = [await track.next_outgoing() for _ in range(3)]
    assert [o.audio_level for o in outgoing] == [30, None, 127]
    assert [o.timestamp for o in outgoing] == [0, 960, 1920]
    publication.request_keyframe()  # meaningless for audio, and harmless
    publication.close()


async def test_an_overflowing_video_queue_is_emptied_and_waits_for_a_keyframe() -> None:
    publication = camera(Upstream())
    track = ForwardingTrack("video")
    track.attach(publication)
    publication.on_rtp(video(1, key=True))
    for seq in range(2, 40):  # nobody reads: the sender is stuck
        publication.on_rtp(video(seq))
    assert track.stats.overflows == 1
    publication.on_rtp(video(40, key=True))
    assert (await track.next_outgoing()).keyframe
    publication.close()


def test_rebased_timestamps_stay_continuous_when_the_source_changes() -> None:
    rebaser = TimestampRebaser(90000)
    first, second = object(), object()
    assert rebaser.rebase((first, 1), 1_000_000, arrival=10.0) == 0
    assert rebaser.rebase((first, 1), 1_003_000, arrival=10.033) == 3000
    # Another publisher half a second later, with its own random timestamp origin.
    assert rebaser.rebase((second, 2), 77, arrival=10.533) == 3000 + 45000
    assert rebaser.rebase((second, 2), 3077, arrival=10.566) == 51000
