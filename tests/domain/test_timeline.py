from __future__ import annotations

from datetime import UTC, datetime, timedelta

from liveinterview.domain.timeline import video_offsets

T0 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_events_land_at_their_time_minus_the_paused_stretches() -> None:
    events = [
        (at(-5), "joined"),  # before the recording started
        (at(10), "chat"),
        (at(20), "paused"),
        (at(25), "note"),  # during the pause: where the video continues
        (at(30), "resumed"),
        (at(40), "chat"),
        (at(50), "paused"),
        (at(55), "chat"),  # in a pause that never ended
        (at(70), "left"),  # after the stop
    ]
    assert video_offsets(events, started_at=T0, stopped_at=at(60)) == [
        None, 10.0, 20.0, 20.0, 20.0, 30.0, 40.0, 40.0, None,
    ]  # fmt: skip


def test_without_pauses_offsets_are_plain_differences() -> None:
    events = [(at(1.5), "joined"), (at(2), "muted")]
    assert video_offsets(events, started_at=T0, stopped_at=None) == [1.5, 2.0]
