"""The capacity benchmark's pure pieces (the benchmark itself never runs in the tests)."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from bench import capacity, capacity_profile
from bench.capacity_plot import Series, line_chart
from bench.capacity_worker import DelayFiles


def _step(rooms: int, cpu: float, passed: bool = True) -> dict[str, Any]:
    return {
        "rooms": rooms,
        "server_cpu_pct": cpu,
        "server_busiest_process_pct": cpu,
        "passed": passed,
    }


def _entry(steps: list[dict[str, Any]], idle: float | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"config": {"name": "x", "system": "pool"}, "steps": steps}
    if idle is not None:
        entry["idle"] = {"rooms": 0, "server_cpu_pct": idle}
    return entry


def test_cpu_per_room_is_the_slope_through_the_idle_server_and_every_step() -> None:
    entry = _entry([_step(2, 5.0), _step(4, 9.0)], idle=1.0)
    slope, intercept = capacity.per_room(entry) or (0.0, 0.0)
    assert slope == pytest.approx(2.0)
    assert intercept == pytest.approx(1.0)


def test_one_step_and_the_idle_server_are_enough_for_a_slope() -> None:
    assert capacity.per_room(_entry([_step(1, 70.0)], idle=2.0)) == pytest.approx((68.0, 2.0))
    assert capacity.per_room(_entry([_step(1, 70.0)])) is None


@pytest.mark.parametrize(
    ("steps", "rooms", "text"),
    [
        ([_step(2, 10), _step(4, 20), _step(6, 30, passed=False)], 4, "4"),
        ([_step(2, 10), _step(4, 20)], 4, "≥ 4"),  # the budget ended the ramp: a lower bound
        ([_step(2, 10, passed=False)], 0, "0"),
        ([{"rooms": 2, "failed": "no answer"}], 0, "0"),
    ],
)
def test_capacity_is_the_largest_passing_step(
    steps: list[dict[str, Any]], rooms: int, text: str
) -> None:
    found = capacity.capacity(_entry(steps))
    assert (found["rooms"], found["text"]) == (rooms, text)


def test_saturation_is_where_the_busiest_process_line_reaches_a_whole_core() -> None:
    found = capacity.capacity(_entry([_step(2, 20.0), _step(4, 40.0)]))
    assert found["saturation"] == pytest.approx(10.0)


def test_percentiles_by_nearest_rank() -> None:
    found = capacity.percentiles([float(v) for v in range(1, 101)])
    assert (found["p50"], found["p95"], found["max"]) == (51.0, 96.0, 100.0)
    assert capacity.percentiles([])["p95"] is None


def test_delay_files_yield_each_complete_line_once(tmp_path: Path) -> None:
    path = tmp_path / "worker-1.jsonl"
    path.write_text(json.dumps({"sent_video_ms": [1.0, 2.0]}) + "\n" + '{"sent_vid')
    files = DelayFiles(tmp_path)
    assert files.drain() == {"sent_video_ms": [1.0, 2.0]}
    with path.open("a") as handle:
        handle.write('eo_ms": [3.0]}\n')
    assert files.drain() == {"sent_video_ms": [3.0]}
    assert files.drain() == {}


def test_the_plot_is_a_png(tmp_path: Path) -> None:
    path = tmp_path / "plot.png"
    line_chart(
        path,
        [Series("a", [(0, 1.0), (2, 5.0)]), Series("b", [(0, 0.5), (4, 3.0)], dashed=True)],
        title="t",
        x_label="x",
        y_label="y",
    )
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert zlib.crc32(data[12:29]) == int.from_bytes(data[29:33], "big")  # IHDR intact


def test_a_profile_is_summarised_per_group_and_stage_without_idle_threads() -> None:
    raw = "\n".join(
        [
            "<module> (w.py:1);EpollSelector.select (selectors.py:468) 2",
            "<module> (w.py:1);RTCRtpSender._run_rtp (aiortc/rtcrtpsender.py:397);"
            "_SelectorDatagramTransport.sendto (asyncio/selector_events.py:1196) 5",
            "<module> (w.py:1);RTCDtlsTransport._recv_next (aiortc/rtcdtlstransport.py:645);"
            "ReceiverTap._on_packet (liveinterview/media/receiver_tap.py:129) 3",
            "_bootstrap (threading.py:1);_worker (concurrent/futures/thread.py:81) 90",
        ]
    )
    found = capacity_profile.summarize(raw)
    assert found["samples"] == 10
    assert found["self"] == {
        "kernel: UDP send, one sendto per packet": 50.0,
        "our relay (liveinterview/media)": 30.0,
        "waiting for packets (epoll)": 20.0,
    }
    assert found["stages"]["send: aiortc's sender loop (packetize, SRTP, sendto)"] == 50.0
    assert found["stages"]["… our tap, reassembly, fan-out (liveinterview/media)"] == 30.0


def _window(config: str, round_: int, cpu: float, idle: float = 0.0, **more: Any) -> dict[str, Any]:
    return {
        "config": config,
        "round": round_,
        "rooms": 6,
        "server_cpu_pct": cpu,
        "idle_cpu_pct": idle,
        "server_per_process_pct": more.pop("processes", [cpu]),
        "fps_min": 30.0,
        "gap_p99_worst_ms": 40.0,
        "passed": True,
        **more,
    }


def test_paired_costs_subtract_the_idle_server_and_compare_within_each_round() -> None:
    result = {
        "paired": [
            _window("janus", 0, 13.0, idle=1.0),  # 2.0 per room
            _window("pool1-off", 0, 24.5, idle=0.5),  # 4.0: 2.0× Janus
            _window("janus", 1, 19.0, idle=1.0),  # 3.0 (the machine got slower…)
            _window("pool1-off", 1, 30.5, idle=0.5),  # 5.0 (…for both): 1.67×
            _window("pool1-off", 2, 12.0),  # no Janus in round 3: not paired
            {"config": "janus", "round": 2, "rooms": 6, "failed": "could not open"},
        ]
    }
    ratios = capacity.per_round(result, capacity.janus_ratio, "pool1-off", "janus")
    assert ratios == pytest.approx([2.0, 5 / 3])
    rows = {
        row["target"]: row for row in capacity.targets(result | {"configs": [], "baseline": {}})
    }
    janus_row = rows["CPU per room within 2× of Janus' (ours 1 worker, rec off)"]
    assert janus_row["measured"].startswith("1.83× (1.67× … 2.00×, 2 rounds)")
    assert janus_row["verdict"] == "met (mean; 2 of 2 rounds)"
    assert capacity.per_round({}, capacity.paired_cost, "janus") == []  # an older run's JSON


def test_recording_scaling_and_the_direct_path_are_judged_per_round() -> None:
    result = {
        "configs": [],
        "baseline": {},
        "paired": [
            _window("pool1-off", 0, 24.0, processes=[23.0, 1.0]),
            _window("pool1-on", 0, 30.0),  # +25 %
            _window("pool2-off", 0, 26.0, processes=[12.0, 12.0, 2.0]),  # 23 / 12 = 1.92×
            _window("pool1-off-aiortc", 0, 30.0),  # the before: 24 / 30 − 1 = −20 %
            _window("pool1-off", 1, 24.0, processes=[23.0, 1.0]),
            _window("pool1-on", 1, 27.6),  # +15 %
            _window("pool2-off", 1, 30.0, processes=[15.0, 13.0, 2.0]),  # 23 / 15 = 1.53×
        ],
    }
    rows = {row["target"]: row for row in capacity.targets(result)}
    recording = rows["recording adds < 20% per room (ours 1 worker)"]
    assert recording["measured"].startswith("+20 % (+15 % … +25 %, 2 rounds)")
    assert recording["verdict"] == "**missed** (mean; 1 of 2 rounds)"  # 20 % is not under 20 %
    scaling = rows["capacity grows linearly with workers (2 workers ≥ 1.8× 1)"]
    assert "1.73× (1.53× … 1.92×, 2 rounds)" in scaling["measured"]
    assert scaling["verdict"] == "**missed** (mean; 1 of 2 rounds) (projected)"
    path = next(r for t, r in rows.items() if t.startswith("the profile's biggest item"))
    assert path["measured"].endswith("−20 %".replace("−", "-") + " (1 round)")
    table = capacity.paired_section(
        result | {"setup": {"paired_rounds": 2, "paired_rooms": 6, "warmup_s": 3, "window_s": 12}}
    )
    assert "| ours 2 workers, rec off | 4.33 / 5.00 | 4.67 |" in table
