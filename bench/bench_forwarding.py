"""Server CPU per forwarded video stream: our packet-forwarding engine vs aiortc's MediaRelay.

Run `python -m bench.bench_forwarding`; `run()` returns the rows for `make bench`.
Issue 4's requirement: server CPU per forwarded 1 Mbit/s video stream at least 5× lower than
aiortc's `MediaRelay` (which re-encodes for every subscriber) on the same load.

Server A is `liveinterview.media.engine.AiortcEngine` driven through its `MediaEngine`
methods; server B is a stock-aiortc relay (`bench/forwarding_server.py`). Each runs in its
own process; two load-generator processes (`bench/forwarding_load.py`) play one publisher
sending a pre-encoded 640x480 30 fps VP8 clip at ~1 Mbit/s plus Opus, and N subscribers that
count complete frames without decoding. `bench/forwarding_harness.py` runs the scenarios,
inside `unshare -rn` (a network namespace with only loopback) when the system allows it.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from liveinterview.media.engine import MAX_PARTICIPANTS

ROOT = Path(__file__).resolve().parents[1]
# One publisher and N subscribers, up to the engine's room limit (a seventh participant is
# refused), so the largest point is a full room of six.
SUBSCRIBERS = (1, 2, 4, MAX_PARTICIPANTS - 1)
WINDOW = 20.0  # seconds measured per scenario
WARMUP = 3.0  # seconds after every subscriber has video, before measuring
LATE_JOINERS = 5
TARGET_RATIO = 5.0
LATE_TARGET_MS = 1000.0  # issue 4: "a late joiner sees video within a second"
LABELS = {"engine": "A: our engine (forwarding)", "relay": "B: aiortc MediaRelay + re-encode"}


def namespace_available() -> bool:
    """Can we run the harness in a fresh network namespace (only loopback) as this user?"""
    if not (shutil.which("unshare") and shutil.which("ip")):
        return False
    probe = subprocess.run(
        ["unshare", "-rn", "sh", "-c", "ip link set lo up"], capture_output=True, timeout=10
    )
    return probe.returncode == 0


def run(
    subscribers: tuple[int, ...] = SUBSCRIBERS,
    window: float = WINDOW,
    warmup: float = WARMUP,
    late_joiners: int = LATE_JOINERS,
    namespace: bool = True,
) -> list[dict[str, Any]]:
    """Rows of kind setup, load (one per server and subscriber count), cost, late."""
    command = [
        sys.executable,
        "-m",
        "bench.forwarding_harness",
        f"--window={window}",
        f"--warmup={warmup}",
        f"--subscribers={','.join(str(n) for n in subscribers)}",
        f"--late-joiners={late_joiners}",
    ]
    isolated = namespace and namespace_available()
    if isolated:
        command = ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *command]
    finished = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, timeout=900)
    if finished.returncode != 0:
        raise RuntimeError(f"the forwarding harness failed (exit {finished.returncode})")
    result = json.loads(finished.stdout)
    setup = {"kind": "setup", "network_namespace": isolated, **result["setup"]}
    load = [
        {"kind": "load", "label": LABELS[r["server"]], **r}
        for r in result["load"]
        if "failed" not in r
    ]
    failed = [{"kind": "failed", **r} for r in result["load"] if "failed" in r]
    return [setup, *load, *failed, *_costs(load), *_late(result["late"])]


def _costs(load: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Least-squares line of server CPU against subscribers: slope = cost per forwarded stream."""
    rows = []
    for server, label in LABELS.items():
        points = [(r["subscribers"], r["server_cpu_pct"]) for r in load if r["server"] == server]
        if len(points) < 2:
            continue
        slope, intercept = statistics.linear_regression(*zip(*points, strict=True))
        rows.append(
            {
                "kind": "cost",
                "server": server,
                "label": label,
                "per_stream_pct": slope,
                "fixed_pct": intercept,
            }
        )
    return rows


def _late(trials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for trial in trials:
        client, server = trial["client"], trial["server"] or {}
        start = client["connect"]

        def ms(t: float | None, since: float = start) -> float | None:
            return None if t is None else (t - since) * 1000

        rows.append(
            {
                "kind": "late",
                "server": trial["server_name"],
                "label": LABELS[trial["server_name"]],
                "first_keyframe_ms": ms(trial["first_keyframe"]),
                "first_frame_was_keyframe": trial["first_frame_keyframe"],
                "offer_ms": ms(server.get("offer")),
                "answer_applied_ms": ms(server.get("answer_applied")),
                "connected_ms": ms(server.get("connected")),
                "keyframe_request_ms": ms(trial["publisher_keyframe_request"]),
                "server_first_keyframe_ms": ms(server.get("first_keyframe_out")),
                "server_first_out_was_keyframe": server.get("first_out_was_keyframe"),
                "server_connect_ms": ms(server.get("connect")),
                "errors": trial["errors"],
            }
        )
    return rows


# --- tables (also used by bench/__main__.py) -------------------------------------------------


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def comparison(rows: list[dict[str, Any]]) -> list[dict[str, object]]:
    """Server CPU side by side per subscriber count, the fitted slope and intercept; B ÷ A."""
    load = {(r["server"], r["subscribers"]): r for r in rows if r["kind"] == "load"}
    costs = {r["server"]: r for r in rows if r["kind"] == "cost"}
    table: list[dict[str, object]] = []
    counts = sorted({n for _, n in load})
    for n in counts:
        a, b = load.get(("engine", n)), load.get(("relay", n))
        table.append(
            {
                "what": f"{n} subscriber{'s' if n > 1 else ''}: server CPU, % of one core",
                "a": _fmt(a and a["server_cpu_pct"], 2),
                "b": _fmt(b and b["server_cpu_pct"], 2),
                "ratio": _ratio(a and a["server_cpu_pct"], b and b["server_cpu_pct"]),
            }
        )
    a_cost, b_cost = costs.get("engine"), costs.get("relay")
    for key, what in (
        ("per_stream_pct", "**per forwarded stream** (slope of a least-squares line)"),
        ("fixed_pct", "fixed part (intercept: the publisher's ingest)"),
    ):
        table.append(
            {
                "what": what,
                "a": _fmt(a_cost and a_cost[key], 2),
                "b": _fmt(b_cost and b_cost[key], 2),
                "ratio": _ratio(a_cost and a_cost[key], b_cost and b_cost[key]),
            }
        )
    return table


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or a <= 0:
        return "–"
    return f"{b / a:.1f}×"


def verdict(rows: list[dict[str, Any]]) -> str:
    costs = {r["server"]: r["per_stream_pct"] for r in rows if r["kind"] == "cost"}
    if "engine" not in costs or "relay" not in costs or costs["engine"] <= 0:
        return "The ratio could not be computed (a server's slope is missing or not positive)."
    ratio = costs["relay"] / costs["engine"]
    outcome = "met" if ratio >= TARGET_RATIO else "**missed**"
    return (
        f"Per forwarded stream the engine costs {costs['engine']:.2f} % of a core and the stock "
        f"relay {costs['relay']:.2f} %: {ratio:.1f}× less; target ≥ {TARGET_RATIO:.0f}×, "
        f"{outcome}."
    )


COMPARISON_COLUMNS = [
    ("what", "measured"),
    ("a", LABELS["engine"]),
    ("b", LABELS["relay"]),
    ("ratio", "B ÷ A"),
]


def delivery(rows: list[dict[str, Any]]) -> list[dict[str, object]]:
    return [
        {
            "server": r["label"],
            "subscribers": r["subscribers"],
            "cpu": round(r["server_cpu_pct"], 2),
            "per_subscriber": round(r["server_cpu_pct"] / r["subscribers"], 2),
            "fps": f"{r['fps_min']:.1f} / {r['sent_fps']:.1f}",
            "kbps": round(r["kbps_mean"]),
            "audio": round(r["audio_pps_mean"]),
            "gaps": f"{_fmt(r['gap_p99_ms'], 0)} / {_fmt(r['gap_max_ms'], 0)}",
            "incomplete": r["incomplete"],
            "load_generator": round(r["publisher_gen_cpu_pct"] + r["subscriber_gen_cpu_pct"], 1),
            "machine": round(r["machine_busy_pct"], 0),
        }
        for r in rows
        if r["kind"] == "load"
    ]


DELIVERY_COLUMNS = [
    ("server", "server"),
    ("subscribers", "subscribers"),
    ("cpu", "server CPU %"),
    ("per_subscriber", "÷ subscribers"),
    ("fps", "fps received (slowest) / sent"),
    ("kbps", "video kbit/s received"),
    ("audio", "Opus packets/s"),
    ("gaps", "inter-frame gap p99 / max ms"),
    ("incomplete", "frames lost"),
    ("load_generator", "load generator CPU %"),
    ("machine", "machine busy % (both CPUs)"),
]


def late_joiners(rows: list[dict[str, Any]]) -> list[dict[str, object]]:
    table: list[dict[str, object]] = []
    for server, label in LABELS.items():
        trials = [r for r in rows if r["kind"] == "late" and r["server"] == server]
        if not trials:
            continue
        seen = [r["first_keyframe_ms"] for r in trials if r["first_keyframe_ms"] is not None]

        def median(key: str, trials: list[dict[str, Any]] = trials) -> str:
            values = [r[key] for r in trials if r[key] is not None]
            return _fmt(statistics.median(values), 0) if values else "–"

        table.append(
            {
                "server": label,
                "trials": len(trials),
                "within": f"{sum(v <= LATE_TARGET_MS for v in seen)} of {len(trials)}",
                "client": f"{median('first_keyframe_ms')} / {_fmt(max(seen, default=None), 0)}",
                "server_out": median("server_first_keyframe_ms"),
                "offer": median("offer_ms"),
                "answer": median("answer_applied_ms"),
                "connected": median("connected_ms"),
                "pli": median("keyframe_request_ms"),
            }
        )
    return table


LATE_COLUMNS = [
    ("server", "server"),
    ("trials", "late joiners"),
    ("within", "video within 1 s"),
    ("client", "client: first complete keyframe, median / max ms"),
    ("server_out", "server: first keyframe sent, median ms"),
    ("offer", "server sent the offer, median ms"),
    ("answer", "answer applied, median ms"),
    ("connected", "ICE + DTLS connected, median ms"),
    ("pli", "keyframe request reached the publisher, median ms"),
]


def setup_note(rows: list[dict[str, Any]]) -> str:
    setup = next(r for r in rows if r["kind"] == "setup")
    load = [r for r in rows if r["kind"] == "load"]
    generator = [r["publisher_gen_cpu_pct"] + r["subscriber_gen_cpu_pct"] for r in load]
    idle = max((r["other_server_idle_cpu_pct"] for r in load), default=0.0)
    ours = [
        r["server_cpu_pct"] + r["publisher_gen_cpu_pct"] + r["subscriber_gen_cpu_pct"] for r in load
    ]
    busy = [r["machine_busy_pct"] for r in load]
    ours_share = max(ours, default=0) / setup["cpus"]
    errors = sorted({e for r in load for e in r["errors"]})
    errors += [
        f"{LABELS[r['server']]} with {r['subscribers']} subscribers failed: {r['failed']}"
        for r in rows
        if r["kind"] == "failed"
    ]
    return (
        f"Clip: {setup['clip_frames']} frames, {setup['clip_video_kbps']:.0f} kbit/s VP8 "
        f"(one {setup['clip_keyframe_bytes'] / 1000:.1f} kB keyframe, resent when a PLI "
        f"arrives) + {setup['clip_audio_kbps']:.0f} kbit/s Opus. "
        f"{setup['warmup_s']:.0f} s warm-up, {setup['window_s']:.0f} s measured per scenario; "
        f"whole run {setup['total_s']:.0f} s; network namespace with only loopback: "
        f"{'yes' if setup['network_namespace'] else 'no'}. Load generator (two processes, "
        f"publisher + subscribers): {min(generator, default=0):.1f}–"
        f"{max(generator, default=0):.1f} % of a core; the idle server meanwhile: at most "
        f"{idle:.2f} %. Benchmark processes together: up to {ours_share:.0f} % "
        f"of the {setup['cpus']}-CPU machine; the whole machine (other work included) was "
        f"{min(busy, default=0):.0f}–{max(busy, default=0):.0f} % busy in the windows, "
        f"{setup['machine_busy_pct_whole_run']:.0f} % over the run."
        + (f" Errors: {'; '.join(errors)}." if errors else "")
    )


def markdown(rows: list[dict[str, Any]]) -> str:
    from bench import report

    return "\n".join(
        [
            report.table(comparison(rows), COMPARISON_COLUMNS),
            "",
            verdict(rows),
            "",
            report.table(delivery(rows), DELIVERY_COLUMNS),
            "",
            report.table(late_joiners(rows), LATE_COLUMNS),
            "",
            setup_note(rows),
        ]
    )


def main() -> None:
    rows = run()
    print("Server CPU per forwarded 1 Mbit/s VP8 stream (+ Opus), one run, same load generator\n")
    print(markdown(rows))


if __name__ == "__main__":
    main()
