"""Capacity: 2-person rooms per machine, our server next to Janus and aiortc's stock relay.

Run `python -m bench.capacity` (or `make bench`, which adds it to docs/benchmarks.md and
draws docs/capacity.png). `bench/capacity_harness.py` does the measuring (inside
`unshare -rn`); this module turns its JSON into tables, the targets' verdicts and the plot.

Issue 6: capacity = the largest number of 2-person rooms at which every subscriber still gets
≥ 29 fps with a p99 inter-frame gap under 100 ms. Targets: server CPU per room within 2× of
Janus' in the same run; capacity linear in worker processes; recording adds under 20 % to
the per-room cost; relay delay p95 under 20 ms (video) and 5 ms (audio); a late joiner sees
video within 500 ms.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import capacity_janus, report
from bench.bench_forwarding import namespace_available
from bench.capacity_harness import (
    IDLE_SECONDS,
    MACHINE_BUDGET_PCT,
    MAX_GAP_P99_MS,
    MIN_FPS,
    PAIRED,
)
from bench.capacity_plot import Series, line_chart

ROOT = Path(__file__).resolve().parents[1]
PLOT = ROOT / "docs" / "capacity.png"
TARGET_JANUS_RATIO = 2.0
TARGET_RECORDING = 0.20
TARGET_VIDEO_P95_MS = 20.0
TARGET_AUDIO_P95_MS = 5.0
TARGET_LATE_MS = 500.0
TARGET_LINEAR = 1.8  # two workers must carry at least 1.8× the rooms of one
DELAY_BUCKETS_MS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
COMMAND = "unshare -rn sh -c 'ip link set lo up && exec .venv/bin/python -m bench.capacity_harness'"


def run(window: float = 10.0, warmup: float = 3.0, namespace: bool = True) -> dict[str, Any]:
    """The harness' JSON result, with `setup.network_namespace` added.

    Debian's Janus is installed first when it is missing (outside the namespace: it needs
    the network); the harness runs without Janus, and says so, if that fails."""
    capacity_janus.install()
    command = [
        sys.executable,
        "-m",
        "bench.capacity_harness",
        f"--window={window}",
        f"--warmup={warmup}",
    ]
    isolated = namespace and namespace_available()
    if isolated:
        command = ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *command]
    finished = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, timeout=3600)
    if finished.returncode != 0:
        raise RuntimeError(f"the capacity harness failed (exit {finished.returncode})")
    result: dict[str, Any] = json.loads(finished.stdout)
    result["setup"]["network_namespace"] = isolated
    return result


# --- analysis ----------------------------------------------------------------------------------


def label(config: dict[str, Any]) -> str:
    system = config["system"]
    if system == "janus":
        return "Janus VideoRoom"
    if system == "relay":
        return "aiortc MediaRelay"
    recording = "rec on" if config["record"] else "rec off"
    if not config.get("direct", True):
        recording += ", aiortc's tasks (before)"
    if system == "engine":
        return f"ours in-process, {recording}"
    workers = config["workers"]
    return f"ours {workers} worker{'s' if workers > 1 else ''}, {recording}"


def steps(result: dict[str, Any], name: str) -> list[dict[str, Any]]:
    for entry in result["configs"]:
        if entry["config"]["name"] == name:
            return [s for s in entry["steps"] if "failed" not in s]
    return []


def fit(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """(slope, intercept) of a least-squares line, or None with fewer than two points."""
    if len({x for x, _ in points}) < 2:
        return None
    slope, intercept = statistics.linear_regression(*zip(*points, strict=True))
    return slope, intercept


def cpu_points(entry: dict[str, Any]) -> list[tuple[float, float]]:
    """(rooms, server CPU %) of every measured step, with the idle server at 0 rooms."""
    idle = entry.get("idle")
    points = [(0.0, float(idle["server_cpu_pct"]))] if idle else []
    measured = [s for s in entry["steps"] if "failed" not in s]
    return points + [(float(s["rooms"]), float(s["server_cpu_pct"])) for s in measured]


def per_room(entry: dict[str, Any]) -> tuple[float, float] | None:
    """Server CPU (all processes, % of one core) per room: slope and intercept."""
    return fit(cpu_points(entry))


def capacity(entry: dict[str, Any]) -> dict[str, Any]:
    """The largest passing step; whether a failure or the budget ended the ramp."""
    measured = [s for s in entry["steps"] if "failed" not in s]
    passed = [s["rooms"] for s in measured if s["passed"]]
    failed = [s["rooms"] for s in entry["steps"] if "failed" in s or not s["passed"]]
    rooms = max(passed, default=0)
    bounded = not failed  # the ramp stopped before anything failed: a lower bound
    busiest = fit([(s["rooms"], s["server_busiest_process_pct"]) for s in measured])
    saturation = None
    if busiest is not None and busiest[0] > 0:
        saturation = (100.0 - busiest[1]) / busiest[0]
    return {
        "rooms": rooms,
        "text": f"≥ {rooms}" if bounded else str(rooms),
        "bounded": bounded,
        "saturation": saturation,
    }


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": ordered[-1]}


def baseline_ms(result: dict[str, Any], kind: str) -> float:
    values = result["baseline"].get(f"{kind}_delay_ms") or [0.0]
    return float(statistics.median(values))


def late_ms(step: dict[str, Any]) -> float | None:
    late = step.get("late") or {}
    if late.get("first_keyframe") is None:
        return None
    return float((late["first_keyframe"] - late["connect"]) * 1000)


def _f(value: float | None, digits: int = 1, suffix: str = "") -> str:
    return "–" if value is None else f"{value:.{digits}f}{suffix}"


# --- tables ------------------------------------------------------------------------------------


def summary_rows(result: dict[str, Any]) -> list[dict[str, object]]:
    janus = next((e for e in result["configs"] if e["config"]["system"] == "janus"), None)
    janus_fit = per_room(janus) if janus else None
    rows: list[dict[str, object]] = []
    for entry in result["configs"]:
        fitted = per_room(entry)
        cap = capacity(entry)
        measured = [s for s in entry["steps"] if "failed" not in s]
        last = measured[-1] if measured else None
        ratio = (
            f"{fitted[0] / janus_fit[0]:.1f}×"
            if fitted and janus_fit and janus_fit[0] > 0 and entry is not janus
            else "–"
        )
        rows.append(
            {
                "system": label(entry["config"]),
                "per_room": _f(fitted and fitted[0], 2),
                "fixed": _f(fitted and fitted[1], 1),
                "ratio": ratio,
                "capacity": cap["text"],
                "saturation": _f(cap["saturation"], 0),
                "rss": _f(last and last["rss_mb"], 0),
                "rss_rooms": last["rooms"] if last else "–",
                "stopped": entry["stopped"],
            }
        )
    return rows


SUMMARY_COLUMNS = [
    ("system", "server"),
    ("per_room", "**CPU per room**, % of a core (slope)"),
    ("fixed", "fixed part (intercept)"),
    ("ratio", "÷ Janus"),
    ("capacity", "**capacity**, rooms"),
    ("saturation", "rooms at which the busiest server process would reach 100 % (projected)"),
    ("rss", "RSS MB, all server processes"),
    ("rss_rooms", "… at rooms"),
    ("stopped", "the ramp stopped because"),
]


def step_rows(result: dict[str, Any]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    video_base, audio_base = baseline_ms(result, "video"), baseline_ms(result, "audio")
    for entry in result["configs"]:
        for step in entry["steps"]:
            if "failed" in step:
                rows.append(
                    {
                        "system": label(entry["config"]),
                        "rooms": step["rooms"],
                        "cpu": "–",
                        "busiest": "–",
                        "per_room": "–",
                        "rss": "–",
                        "fps": "could not open",
                        "kbps": "–",
                        "loss": "–",
                        "gaps": "–",
                        "video_delay": "–",
                        "audio_delay": "–",
                        "late": "–",
                        "generators": "–",
                        "machine": "–",
                        "ok": "no",
                    }
                )
                continue
            video = percentiles(step["video_delay_ms"])
            audio = percentiles(step["audio_delay_ms"])
            retried = len(step.get("retried", []))
            rows.append(
                {
                    "system": label(entry["config"]),
                    "rooms": step["rooms"],
                    "cpu": _f(step["server_cpu_pct"], 1),
                    "busiest": (
                        _f(step["server_busiest_process_pct"], 1) + f" ({step['server_processes']})"
                    ),
                    "per_room": _f(step["server_cpu_pct"] / step["rooms"], 2),
                    "rss": _f(step["rss_mb"], 0),
                    "fps": f"{step['fps_min']:.1f} / {step['fps_mean']:.1f}",
                    "kbps": f"{step['kbps_mean']:.0f} / {step['audio_pps_mean']:.0f}",
                    "loss": (
                        f"{_f(step['video_loss_pct'], 2)} / {_f(step['audio_loss_pct'], 2)}"
                        f" / {step['frames_lost']} / {step.get('retransmissions', '–')}"
                    ),
                    "gaps": f"{_f(step['gap_p99_worst_ms'], 0)} / {_f(step['gap_max_ms'], 0)}",
                    "video_delay": _delay_cell(video, video_base),
                    "audio_delay": _delay_cell(audio, audio_base),
                    "late": _f(late_ms(step), 0),
                    "generators": (
                        f"{step['generators_cpu_pct']:.0f} "
                        f"(max {step['generators_busiest_pct']:.0f})"
                    ),
                    "machine": f"{step['machine_busy_pct']:.0f}",
                    "ok": ("yes" if step["passed"] else "**no**")
                    + (f" ({retried} retried)" if retried else ""),
                }
            )
    return rows


def _delay_cell(found: dict[str, float | None], base: float) -> str:
    if found["p50"] is None:
        return "–"
    p50, p95 = found["p50"], found["p95"]
    assert p95 is not None
    return f"{p50 - base:.1f} / {p95 - base:.1f}"


STEP_COLUMNS = [
    ("system", "server"),
    ("rooms", "rooms"),
    ("cpu", "server CPU %"),
    ("busiest", "busiest process % (processes)"),
    ("per_room", "÷ rooms"),
    ("rss", "RSS MB"),
    ("fps", "fps slowest / mean"),
    ("kbps", "video kbit/s / Opus pkt/s"),
    ("loss", "loss % video / audio / frames lost / NACKed"),
    ("gaps", "gap ms: worst p99 / max"),
    ("video_delay", "added delay video ms p50 / p95"),
    ("audio_delay", "added delay audio ms p50 / p95"),
    ("late", "late joiner ms"),
    ("generators", "load generators CPU %"),
    ("machine", "machine busy %"),
    ("ok", "≥ 29 fps, p99 gap < 100 ms"),
]


def histogram_rows(result: dict[str, Any]) -> list[dict[str, object]]:
    """Per system and kind, at its largest passing step: share of packets per delay bucket."""
    rows: list[dict[str, object]] = []
    bases = {kind: baseline_ms(result, kind) for kind in ("video", "audio")}
    edges = (0.0, *DELAY_BUCKETS_MS)

    def row(what: str, rooms: object, values: list[float], base: float) -> dict[str, object]:
        added = [v - base for v in values]
        cells: dict[str, object] = {"what": what, "rooms": rooms, "n": len(added)}
        for low, high in zip(edges, (*DELAY_BUCKETS_MS, float("inf")), strict=True):
            inside = sum(
                1 for v in added if (low <= v < high) or (low == 0.0 and v < 0.0 and v < high)
            )
            cells[f"b{low:g}"] = f"{inside / len(added) * 100:.1f}" if added else "–"
        found = percentiles(added)
        cells["p95"] = _f(found["p95"], 1)
        cells["p99"] = _f(found["p99"], 1)
        cells["max"] = _f(found["max"], 1)
        return cells

    for kind in ("video", "audio"):
        rows.append(
            row(f"no server (baseline), {kind}", "–", result["baseline"][f"{kind}_delay_ms"], 0.0)
        )
    for entry in result["configs"]:
        passed = [s for s in entry["steps"] if "failed" not in s and s["passed"]]
        if not passed:
            continue
        step = passed[-1]
        for kind in ("video", "audio"):
            values = step[f"{kind}_delay_ms"]
            if values:
                rows.append(
                    row(f"{label(entry['config'])}, {kind}", step["rooms"], values, bases[kind])
                )
        inside = step.get("engine_delays") or {}
        for kind in ("video", "audio"):
            values = inside.get(f"sent_{kind}_ms") or []
            if values:
                rows.append(
                    row(
                        f"{label(entry['config'])}, {kind}, inside the engine "
                        "(frame complete → last packet sent)",
                        step["rooms"],
                        values,
                        0.0,
                    )
                )
    return rows


def histogram_columns() -> list[tuple[str, str]]:
    edges = (0.0, *DELAY_BUCKETS_MS)
    columns = [("what", "delay of"), ("rooms", "rooms"), ("n", "samples")]
    for low, high in zip(edges, (*DELAY_BUCKETS_MS, None), strict=True):
        heading = (
            f"< {high:g} ms %"
            if low == 0.0
            else (f"{low:g}–{high:g} ms %" if high is not None else f"≥ {low:g} ms %")
        )
        columns.append((f"b{low:g}", heading))
    columns += [("p95", "p95 ms"), ("p99", "p99 ms"), ("max", "max ms")]
    return columns


# --- targets -----------------------------------------------------------------------------------


def _ours(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Our server as it runs now (the *before* configuration is not held to the targets)."""
    return [
        e
        for e in result["configs"]
        if e["config"]["system"] in ("engine", "pool") and e["config"].get("direct", True)
    ]


def _entry(result: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((e for e in result["configs"] if e["config"]["name"] == name), None)


# --- paired windows: what the CPU targets are judged on ---------------------------------------


def paired_rounds(result: dict[str, Any]) -> dict[int, dict[str, dict[str, Any]]]:
    """round → configuration → its window (windows whose rooms did not open left out)."""
    rounds: dict[int, dict[str, dict[str, Any]]] = {}
    for window in result.get("paired") or []:
        if "failed" not in window:
            rounds.setdefault(int(window["round"]), {})[window["config"]] = window
    return rounds


def paired_cost(window: dict[str, Any]) -> float:
    """CPU per room in one window: (server CPU − the same server's idle CPU) / rooms."""
    idle = float(window.get("idle_cpu_pct", 0.0))
    return (float(window["server_cpu_pct"]) - idle) / int(window["rooms"])


def paired_busiest(window: dict[str, Any]) -> float:
    """The busiest server process' CPU per room (for a pool, its busiest worker)."""
    return float(max(window["server_per_process_pct"], default=0.0)) / int(window["rooms"])


def janus_ratio(ours: dict[str, Any], janus: dict[str, Any]) -> float:
    return paired_cost(ours) / paired_cost(janus)


def per_round(result: dict[str, Any], value: Callable[..., float], *names: str) -> list[float]:
    """`value(window of names[0], window of names[1], …)` for every round that measured all
    of `names`, in round order."""
    found = paired_rounds(result)
    return [
        value(*(found[r][name] for name in names))
        for r in sorted(found)
        if all(name in found[r] for name in names)
    ]


def spread(values: list[float], digits: int = 2, suffix: str = "", sign: bool = False) -> str:
    """'mean (lowest … highest, n rounds)'."""
    if not values:
        return "–"
    form = f"{{:{'+' if sign else ''}.{digits}f}}{suffix}"
    mean, low, high = statistics.mean(values), min(values), max(values)
    if len(values) == 1:
        return f"{form.format(mean)} (1 round)"
    return f"{form.format(mean)} ({form.format(low)} … {form.format(high)}, {len(values)} rounds)"


def _rounds_text(values: list[float], ok: Callable[[float], bool]) -> str:
    return f"{sum(1 for v in values if ok(v))} of {len(values)} rounds"


def _slope_text(result: dict[str, Any], *names: str) -> str:
    """The ramps' slopes of `names`, for reference next to the paired numbers."""
    found = []
    for name in names:
        entry = _entry(result, name)
        fitted = per_room(entry) if entry else None
        if fitted:
            found.append(f"{fitted[0]:.2f}")
    return f"; the ramps' slopes: {' vs '.join(found)}" if len(found) == len(names) else ""


def targets(result: dict[str, Any]) -> list[dict[str, object]]:
    """The issue's targets. CPU comparisons come from the paired windows (per round, then the
    mean and the range over rounds); delay and the late joiner from every step of the ramps."""
    rows: list[dict[str, object]] = []

    def verdict(values: list[float], ok: Callable[[float], bool]) -> str:
        if not values:
            return "not measured"
        text = "met" if ok(statistics.mean(values)) else "**missed**"
        return f"{text} (mean; {_rounds_text(values, ok)})"

    def janus_ok(ratio: float) -> bool:
        return ratio <= TARGET_JANUS_RATIO

    for name in ("pool1-off", "pool2-off"):
        ratios = per_round(result, janus_ratio, name, "janus")
        costs = per_round(result, paired_cost, name)
        janus = per_round(result, paired_cost, "janus")
        entry = _entry(result, name)
        config = entry["config"] if entry else _config_of(name)
        rows.append(
            {
                "target": f"CPU per room within {TARGET_JANUS_RATIO:.0f}× of Janus' "
                f"({label(config)})",
                "measured": (
                    f"{spread(ratios, 2, '×')}; per room {spread(costs)} vs Janus "
                    f"{spread(janus)} % of a core" + _slope_text(result, name, "janus")
                    if ratios
                    else "–"
                ),
                "verdict": verdict(ratios, janus_ok),
            }
        )

    changes = per_round(
        result, lambda after, before: paired_cost(after) / paired_cost(before) - 1,
        "pool1-off", "pool1-off-aiortc",
    )  # fmt: skip
    if changes:
        rows.append(
            {
                "target": "the profile's biggest item fixed: the direct path vs aiortc's receive "
                "and send tasks (1 worker, rec off), server CPU per room",
                "measured": (
                    f"{spread(per_round(result, paired_cost, 'pool1-off-aiortc'))} → "
                    f"{spread(per_round(result, paired_cost, 'pool1-off'))} % of a core: "
                    f"{spread([c * 100 for c in changes], 0, ' %', sign=True)}"
                ),
                "verdict": "before → after",
            }
        )

    growth = per_round(
        result, lambda one, two: paired_busiest(one) / paired_busiest(two),
        "pool1-off", "pool2-off",
    )  # fmt: skip
    one, two = _entry(result, "pool1-off"), _entry(result, "pool2-off")
    ramps = ""
    if one and two:
        c1, c2 = capacity(one), capacity(two)
        ramps = f"; the ramps reached {c1['text']} vs {c2['text']} rooms" + (
            " (stopped by the machine budget, not by the server)"
            if c1["bounded"] and c2["bounded"]
            else ""
        )
    rows.append(
        {
            "target": f"capacity grows linearly with workers (2 workers ≥ {TARGET_LINEAR}× 1)",
            "measured": (
                "projected from the busiest server process' CPU per room (where it would "
                f"reach a whole core): 2 workers carry {spread(growth, 2, '×')} the rooms of 1"
                + ramps
                if growth
                else "not measured: no paired windows of 1 and 2 workers" + ramps
            ),
            "verdict": verdict(growth, lambda g: g >= TARGET_LINEAR)
            + (" (projected)" if growth else ""),
        }
    )

    for off_name, on_name in (("pool1-off", "pool1-on"), ("pool2-off", "pool2-on")):
        extra = per_round(
            result, lambda off, on: paired_cost(on) / paired_cost(off) - 1, off_name, on_name
        )
        if not extra:
            continue
        workers = off_name[4]
        rows.append(
            {
                "target": f"recording adds < {TARGET_RECORDING:.0%} per room (ours {workers} "
                f"worker{'s' if workers != '1' else ''})",
                "measured": (
                    f"{spread([e * 100 for e in extra], 0, ' %', sign=True)}; per room "
                    f"{spread(per_round(result, paired_cost, off_name))} → "
                    f"{spread(per_round(result, paired_cost, on_name))} % of a core"
                    + _slope_text(result, off_name, on_name)
                ),
                "verdict": verdict(extra, lambda e: e < TARGET_RECORDING),
            }
        )

    for kind, limit in (("video", TARGET_VIDEO_P95_MS), ("audio", TARGET_AUDIO_P95_MS)):
        base = baseline_ms(result, kind)
        worst: tuple[float, str, int] | None = None
        worst_inside: tuple[float, str, int] | None = None
        for entry in _ours(result):
            for step in entry["steps"]:
                if "failed" in step or not step["passed"] or not step[f"{kind}_delay_ms"]:
                    continue
                p95 = percentiles(step[f"{kind}_delay_ms"])["p95"]
                assert p95 is not None
                if worst is None or p95 - base > worst[0]:
                    worst = (p95 - base, label(entry["config"]), step["rooms"])
                inside = percentiles((step.get("engine_delays") or {}).get(f"sent_{kind}_ms", []))
                if inside["p95"] is not None and (
                    worst_inside is None or inside["p95"] > worst_inside[0]
                ):
                    worst_inside = (inside["p95"], label(entry["config"]), step["rooms"])
        rows.append(
            {
                "target": f"added relay delay p95 < {limit:.0f} ms, {kind}",
                "measured": (
                    f"worst p95 over every passing step of ours: {worst[0]:.1f} ms "
                    f"({worst[1]}, {worst[2]} rooms; end to end minus the {base:.2f} ms "
                    "no-server baseline)"
                    + (
                        f"; inside the engine (frame complete → last packet sent) worst p95 "
                        f"{worst_inside[0]:.1f} ms ({worst_inside[1]}, {worst_inside[2]} rooms)"
                        if worst_inside
                        else ""
                    )
                    if worst
                    else "–"
                ),
                "verdict": _verdict(None if worst is None else worst[0] < limit),
            }
        )

    late = [
        (late_ms(s), label(e["config"]), s["rooms"])
        for e in _ours(result)
        for s in e["steps"]
        if "failed" not in s
    ]
    seen = [t for t in late if t[0] is not None]
    worst_late = max(seen, default=None, key=lambda t: t[0] or 0.0)
    rows.append(
        {
            "target": f"a late joiner sees video within {TARGET_LATE_MS:.0f} ms",
            "measured": (
                f"{sum(1 for t in seen if (t[0] or 0) <= TARGET_LATE_MS)} of {len(late)} late "
                f"joiners; median {statistics.median(t[0] or 0.0 for t in seen):.0f} ms, worst "
                f"{worst_late[0]:.0f} ms ({worst_late[1]}, {worst_late[2]} rooms)"
                if seen and worst_late
                else "–"
            ),
            "verdict": _verdict(
                None
                if not late
                else len(seen) == len(late) and all((t[0] or 0) <= TARGET_LATE_MS for t in seen)
            ),
        }
    )
    return rows


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("met" if ok else "**missed**")


TARGET_COLUMNS = [("target", "target"), ("measured", "measured in this run"), ("verdict", "")]


def paired_rows(result: dict[str, Any]) -> list[dict[str, object]]:
    """One row per configuration of the paired windows: CPU per room in each round."""
    found = paired_rounds(result)
    rounds = sorted(found)
    names = [n for n in PAIRED if any(n in found[r] for r in rounds)]
    failed = [w for w in result.get("paired") or [] if "failed" in w]
    rows: list[dict[str, object]] = []
    for name in names:
        windows = [found[r].get(name) for r in rounds]
        seen = [w for w in windows if w is not None]
        costs = [paired_cost(w) for w in seen]
        ratios = per_round(result, janus_ratio, name, "janus")
        entry = _entry(result, name)
        config = entry["config"] if entry else _config_of(name)
        rows.append(
            {
                "system": label(config),
                "rounds": " / ".join(
                    "–" if w is None else f"{paired_cost(w):.2f}" for w in windows
                ),
                "mean": f"{statistics.mean(costs):.2f}",
                "range": f"{(max(costs) - min(costs)) / statistics.mean(costs):.0%}"
                if len(costs) > 1 and statistics.mean(costs) > 0
                else "–",
                "ratio": "–" if name == "janus" or not ratios else spread(ratios, 2, "×"),
                "idle": f"{statistics.mean(w.get('idle_cpu_pct', 0.0) for w in seen):.1f}",
                "busiest": " / ".join(
                    f"{max(w['server_per_process_pct'], default=0.0):.1f}" for w in seen
                ),
                "fps": f"{min(w['fps_min'] for w in seen):.1f}",
                "gap": _f(max((w["gap_p99_worst_ms"] or 0.0) for w in seen), 0),
                "ok": f"{sum(1 for w in seen if w['passed'])} of {len(seen)}"
                + (
                    f" ({sum(1 for w in failed if w['config'] == name)} not opened)"
                    if any(w["config"] == name for w in failed)
                    else ""
                ),
            }
        )
    return rows


def _config_of(name: str) -> dict[str, Any]:
    """A configuration's description from its name, for runs without its ramp."""
    if name == "janus":
        return {"system": "janus"}
    workers, _, rest = name.removeprefix("pool").partition("-")
    return {
        "system": "pool",
        "workers": int(workers),
        "record": rest.startswith("on"),
        "direct": not rest.endswith("aiortc"),
    }


PAIRED_COLUMNS = [
    ("system", "server"),
    ("rounds", "**CPU per room**, % of a core, round 1 / 2 / …"),
    ("mean", "mean"),
    ("range", "(highest − lowest) ÷ mean"),
    ("ratio", "÷ Janus, per round: mean (range)"),
    ("idle", "idle CPU %"),
    ("busiest", "busiest process CPU %, per round"),
    ("fps", "fps slowest"),
    ("gap", "gap p99 worst ms"),
    ("ok", "windows ≥ 29 fps, p99 gap < 100 ms"),
]


def paired_section(result: dict[str, Any]) -> str:
    rows = paired_rows(result)
    if not rows:
        return "No paired windows in this run."
    setup = result["setup"]
    return "\n".join(
        [
            f"Paired windows (what the CPU targets are judged on): {setup.get('paired_rounds')} "
            "rounds; in each, a fresh server of every configuration below, one after the "
            f"other (the order rotated by one each round), idle for {IDLE_SECONDS:.0f} s, then "
            f"{setup.get('paired_rooms')} rooms opened at once, "
            f"{setup.get('paired_warmup_s', setup['warmup_s']):.0f} s warm-up and one "
            f"{setup.get('paired_window_s', setup['window_s']):.0f} s window. *CPU per room* "
            "= (server CPU − the same server's idle CPU) ÷ rooms; ratios are taken within "
            "a round, then averaged.",
            "",
            report.table(rows, PAIRED_COLUMNS),
        ]
    )


# --- where the time goes ----------------------------------------------------------------------


READING = (
    "Reading it: a worker's time goes per packet. On aiortc's own path (the *before* "
    "configuration) every received RTP packet went through aioice's queue and a task step of "
    "aiortc's DTLS transport, four awaited coroutines and aiortc's receiver; then, for each "
    "subscriber, an `asyncio.Event`, a task step of aiortc's sender loop, one `RtpPacket` "
    "object per packet with its header extensions serialized one by one, the wall clock read "
    "twice through `datetime`, and four more awaited coroutines down to the socket. The "
    "direct path (`liveinterview/media/datagram_tap.py` and `direct_send.py`, "
    "docs/media.md) does the same work in the socket's callback: decryption, parsing and "
    "aiortc's receiver steps as a plain function, then the forwarded copies packetized and "
    "sent before the callback returns, one header serialized by aiortc per frame. What "
    "remains is spread thin: aiortc's REMB estimator and statistics per received packet, "
    "SRTP both ways, RTP parsing, our reassembly and fan-out (which now includes the work "
    "moved out of aiortc's loops), and the kernel's work per `sendto` (on loopback it also "
    "carries the receiving side's kernel work; Janus pays the same). Fixed before that: (1) "
    "while aiortc's delay-based estimator detects overuse (on a busy machine, jitter is "
    "enough) it produces a new REMB estimate for every RTP packet, and its receiver sent each "
    "one as an SRTCP packet; `receiver_tap.RembPacer` now sends one at most every 200 ms "
    "unless the estimate falls by 3 % or more (libwebrtc's spacing), so publishers still slow "
    "down at once. (2) `sender_feed` checked every frame's track with `isinstance` against a "
    "runtime-checkable `Protocol`; the answer is now kept per sender."
)


def profile_section(result: dict[str, Any]) -> str:
    """py-spy's view of the one-worker pool at its largest step, and the REMB fix's A/B."""
    entry = next((e for e in result["configs"] if e.get("profile")), None)
    if entry is None:
        return "No worker was profiled in this run."
    found = entry["profile"]
    name = label(entry["config"])
    if "error" in found or not found.get("samples"):
        return f"The worker of *{name}* was not profiled: {found.get('error', 'no samples')}."
    lines = [
        f"Where the time goes: `py-spy record --nonblocking` on the media worker of *{name}* "
        f"for {found['seconds']} s at {found['rooms']} rooms, right after its ramp (rooms "
        f"still open; {found['samples']} samples of the event-loop thread: py-spy leaves out "
        "most samples in which it was idle, and idle executor threads are left out too). What "
        "each sample was doing (innermost frame), then the relay's stages (a sample counts "
        "for every stage on its stack):",
        "",
        report.table(
            [{"what": k, "share": f"{v:.1f}"} for k, v in found["self"].items()],
            [("what", "self time"), ("share", "% of samples")],
        ),
        "",
        report.table(
            [{"what": k, "share": f"{v:.1f}"} for k, v in found["stages"].items()],
            [("what", "stage (inclusive)"), ("share", "% of samples")],
        ),
    ]
    lines += ["", READING]
    windows = entry.get("remb_before_after") or []
    if windows:
        lines += [
            "",
            "The fix, before and after, on the same open rooms: windows alternate between "
            "the worker sending every REMB aiortc's estimator produces (before) and "
            "`receiver_tap.RembPacer` (after):",
            "",
            report.table(
                [
                    {
                        "remb": w["remb"],
                        "cpu": f"{w['server_cpu_pct']:.1f}",
                        "generators": f"{w['generators_cpu_pct']:.1f}",
                        "machine": f"{w['machine_busy_pct']:.0f}",
                        "fps": f"{w['fps_min']:.1f}",
                        "gap": _f(w["gap_p99_worst_ms"], 0),
                    }
                    for w in windows
                ],
                [
                    ("remb", "REMB"),
                    ("cpu", "server CPU %"),
                    ("generators", "load generators CPU %"),
                    ("machine", "machine busy %"),
                    ("fps", "fps slowest"),
                    ("gap", "gap p99 worst ms"),
                ],
            ),
        ]
    return "\n".join(lines)


# --- plot and text -----------------------------------------------------------------------------


def plot(result: dict[str, Any], path: Path = PLOT) -> None:
    series = []
    for entry in result["configs"]:
        points = cpu_points(entry)
        if points:
            series.append(
                Series(
                    label(entry["config"])
                    .replace("in-process", "1 process")
                    .replace("rec off, aiortc's tasks (before)", "before"),  # fits the legend
                    points,
                    dashed=bool(entry["config"]["record"]),
                )
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    line_chart(
        path,
        series,
        title="Server CPU (all server processes) vs 2-person rooms, one run",
        x_label="rooms (2 participants, each 1 Mbit/s VP8 + Opus)",
        y_label="percent of one core",
    )


def compose_text(result: dict[str, Any]) -> str:
    found = result.get("compose") or {}
    if "error" in found:
        return f"Composition was not measured: {found['error']}."
    duration, wall = found.get("duration_s"), found.get("wall_s")
    if not duration or not wall or found.get("exit") != 0:
        return f"Composition failed: exit {found.get('exit')}, {found.get('stderr')}."
    return (
        f"Composition (issue 5): `python -m liveinterview.media.compose` on the recording of "
        f"room `{found['room']}` made during this run ({len(found['tracks'])} track files, "
        f"{found['track_mb']:.1f} MB: two 640×480 cameras and two microphones) wrote a "
        f"{duration:.1f} s review MP4 ({found['output_mb']:.1f} MB) in {wall:.1f} s wall time: "
        f"**{duration / wall:.1f}× real time**, {found['cpu_s']:.1f} CPU-seconds "
        f"({found['cpu_s'] / duration:.2f} core-seconds per second of interview), peak RSS "
        f"{found['max_rss_mb']:.0f} MB. Run after the ramps, with nothing else of the "
        "benchmark running."
    )


def setup_text(result: dict[str, Any]) -> str:
    setup = result["setup"]
    janus = (
        f"Janus {setup['janus']} (Debian's package)"
        if setup.get("janus")
        else f"Janus not run: {setup.get('janus_missing')}"
    )
    pool = (
        "our server as the app runs it: a `WorkerPool` of 1 and 2 media worker processes "
        "(the front process counted too)"
        if setup.get("pool")
        else "no worker pool in this revision: our engine as one process"
    )
    return (
        f"Clip: {setup['clip_frames']} frames of 640×480 VP8 at 30 fps, "
        f"{setup['clip_video_kbps']:.0f} kbit/s + {setup['clip_audio_kbps']:.0f} kbit/s Opus. "
        f"{setup['load_generators']} load-generator processes, {setup['warmup_s']:.0f} s "
        f"warm-up and {setup['window_s']:.0f} s measured per step; network namespace with "
        f"only loopback: {'yes' if setup.get('network_namespace') else 'no'}. Systems: "
        f"{janus}; {pool}; aiortc's `MediaRelay`. Whole run {setup['total_s'] / 60:.1f} min, "
        f"the machine {setup['machine_busy_pct_whole_run']:.0f} % busy over it (other work "
        "included). Baseline (publisher straight to subscriber in one load-generator "
        f"process, no server): video {baseline_ms(result, 'video'):.2f} ms, audio "
        f"{baseline_ms(result, 'audio'):.2f} ms median, subtracted from every *added delay*."
    )


def introduction(result: dict[str, Any]) -> str:
    setup = result["setup"]
    return (
        "Issue 6: how many 2-person interviews one machine carries, our server next to "
        "Janus' VideoRoom and aiortc's stock `MediaRelay`, one run, the same load generator. "
        "Every participant is an aiortc client in a load-generator process that publishes a "
        "pre-encoded 640×480 30 fps VP8 clip at ~1 Mbit/s plus Opus (paced by its own clock, "
        "back to its keyframe on a PLI) and receives the other participant without decoding "
        "(RTP reassembled into frames and counted); each system gets a fresh server process. "
        "The room count steps up (rooms stay open) until a step fails or the next step would "
        f"take the benchmark's own processes (servers, load generators) over "
        f"{MACHINE_BUDGET_PCT:.0f} % of the machine: on {setup['cpus']} CPUs the load "
        "generator itself costs about as much as our server per room, so the budget, not the "
        "server, often ends the ramp (*≥ N* in the capacity column). A step passes when every "
        f"subscriber got ≥ {MIN_FPS:.0f} fps and a p99 inter-frame gap under "
        f"{MAX_GAP_P99_MS:.0f} ms; a step that failed while *other* work kept the machine over "
        "budget is measured again (at most twice). *Server CPU* is user + system time of "
        "every server process (for our pool the front and every worker; Janus' threads), "
        "from /proc, in % of one core; *CPU per room* is the slope of a least-squares line "
        "through the idle server (0 rooms, measured before the ramp) and every step, so fixed "
        "costs count against neither system. The ramps run one after the other, and on 2 "
        "CPUs the load generators share the cores with the server: a slope from one ramp can "
        "differ by a third from the same configuration's in the next run, enough to flip a "
        "verdict near its limit (docs/media.md, *Measuring on this machine*). So the ramps "
        "give capacity, delay, the late joiner and the plot, and the CPU targets are judged "
        "on *paired windows*: rounds in which every configuration gets a fresh server at the "
        "same room count a minute apart, compared within each round. After each step a "
        "late joiner (receive only) enters the first room: milliseconds from its `connect` "
        "to its first complete keyframe. Delay: the publisher notes when it hands each clip "
        "frame and Opus packet to aiortc, the subscriber when the frame completes (one "
        "monotonic clock on this machine), matched by CRC-32 of the frame; the no-server "
        "baseline is subtracted. Inside our engine the bench also probes each media worker "
        "(`bench/capacity_worker.py` runs the real worker with a few functions wrapped; no "
        "change to the engine): from the receiver completing a frame to its last packet handed "
        "to the socket."
    )


def markdown(result: dict[str, Any], plot_name: str = "capacity.png") -> str:
    return "\n".join(
        [
            report.table(summary_rows(result), SUMMARY_COLUMNS),
            "",
            f"![Server CPU versus rooms]({plot_name})",
            "",
            "Targets (CPU: from the paired windows below; delay and late joiner: from every "
            "step of the ramps):",
            "",
            report.table(targets(result), TARGET_COLUMNS),
            "",
            paired_section(result),
            "",
            "Every step (rooms stay open as the count grows; *added delay* is end to end minus "
            "the no-server baseline, so it is what the server adds; Janus and our engine "
            "forward the publisher's bytes, so each frame is recognised, the stock relay "
            "re-encodes, so its delay cannot be measured this way):",
            "",
            report.table(step_rows(result), STEP_COLUMNS),
            "",
            "Delay histograms at each system's largest passing step (share of frames / Opus "
            "packets per bucket of added delay):",
            "",
            report.table(histogram_rows(result), histogram_columns()),
            "",
            profile_section(result),
            "",
            compose_text(result),
            "",
            setup_text(result),
        ]
    )


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", type=Path, help="render a result saved with --save; no run")
    parser.add_argument("--save", type=Path, help="also write the harness' JSON here")
    parser.add_argument("--plot", type=Path, default=PLOT)
    args = parser.parse_args()
    result = json.loads(args.load.read_text()) if args.load else run()
    if args.save:
        args.save.write_text(json.dumps(result))
    plot(result, args.plot)
    print(markdown(result, args.plot.name))


if __name__ == "__main__":
    main()
