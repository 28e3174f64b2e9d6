"""Runs the capacity benchmark's processes and measures them; prints one JSON result.

`python -m bench.capacity_harness [--window S] [--warmup S] [--only janus,pool1-off,...]
[--steps 4,8]` (normally started by `bench.capacity.run()`, inside `unshare -rn`).

One configuration after the other gets a fresh server process (Janus; ours as the app runs
it, a `WorkerPool` of 1 and 2 media workers with recording off and on; aiortc's stock relay;
ours in one process, `engine-off`/`engine-on`, only when asked for) and the same
load-generator processes. The server's idle CPU is measured first; then the room count steps
up (rooms are added, the earlier ones keep running) until a step fails the capacity criterion
or the next step would push the machine past its CPU budget. At each step: warm-up, then a
measurement window (CPU of every server process and of the load generators from
/proc/<pid>/stat, the whole machine from /proc/stat, each subscriber's counters, the
engine-side delays from the workers), then one late joiner. At the end of the one-worker
ramp (recording off) the worker is profiled with py-spy, and the REMB pacing fix is measured
before/after on the same rooms. After the ramps, the paired windows (`Harness.paired`): rounds
of a fresh server of every configuration at one room count, a minute apart, which the CPU
targets are judged on (`--rounds 0` leaves them out, `--no-ramps` runs only them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import capacity_janus, capacity_profile, forwarding_clip
from bench.forwarding_harness import Child, machine_cpu, percentile, process_cpu, start

ROOT = Path(__file__).resolve().parents[1]
LOAD_GENERATORS = 4
STEPS = (2, 4, 6, 8, 10, 12, 16, 20, 24, 28, 32)
RELAY_STEPS = (1, 2, 3)
MIN_FPS = 29.0
MAX_GAP_P99_MS = 100.0
MACHINE_BUDGET_PCT = 70.0
LATE_TIMEOUT = 5.0
REPLY_LIMIT = 1 << 26
RETRIES = 2  # a failed step is measured again while other work kept the machine over budget
BASELINE_SECONDS = 6.0
IDLE_SECONDS = 3.0  # each server's CPU with no room, before its ramp
PROFILE_CONFIG = "pool1-off"  # its worker is profiled at the end of its ramp
# The comparisons the targets are judged on (Janus, recording off/on, 1/2 workers, the direct
# path's before/after): rounds of a fresh server of each of these, one after the other (the
# order rotated each round), at one room count. Two ramps run minutes apart on 2 cores differ
# by as much as the targets' margins; windows a minute apart share the machine's state.
PAIRED = ("janus", "pool1-off", "pool1-on", "pool2-off", "pool2-on", "pool1-off-aiortc")
PAIRED_ROOMS = 6
PAIRED_ROUNDS = 3
PAIRED_WARMUP = 5.0  # six rooms opened at once: handshakes and first keyframes settle first
PAIRED_WINDOW = 12.0
PAIRED_KEYS = (
    "server_cpu_pct",
    "server_per_process_pct",
    "generators_cpu_pct",
    "harness_cpu_pct",
    "machine_busy_pct",
    "load_average",
    "fps_min",
    "gap_p99_worst_ms",
    "video_loss_pct",
    "passed",
    "failures",
)
REMB_KEYS = (
    "server_cpu_pct",
    "generators_cpu_pct",
    "machine_busy_pct",
    "fps_min",
    "gap_p99_worst_ms",
    "passed",
)


@dataclass
class Config:
    name: str  # engine-off, engine-on, pool2-off, ..., relay, janus
    system: str  # engine | pool | relay | janus
    workers: int = 1
    record: bool = False
    steps: tuple[int, ...] = STEPS
    direct: bool = True  # ours: the direct path (False: aiortc's receive and send tasks)


def configs(pool: bool, only: set[str] | None = None) -> list[Config]:
    """Janus first; then ours as the app runs it, a pool of 1 and 2 workers, recording off
    and on, and 1 worker forwarding through aiortc's tasks instead of the direct path (the
    before of that change); the stock relay last. Ours in one process with no pool
    (`engine-off`, `engine-on`, `engine-off-aiortc`) only when asked for by `--only`, or when
    there is no pool."""
    found = [Config("janus", "janus")]
    engine = [
        Config("engine-off", "engine"),
        Config("engine-on", "engine", record=True),
        Config("engine-off-aiortc", "engine", direct=False),
    ]
    if pool:
        found += [
            Config(f"pool{workers}-{'on' if record else 'off'}", "pool", workers, record)
            for workers in (1, 2)
            for record in (False, True)
        ]
        found.append(Config("pool1-off-aiortc", "pool", 1, direct=False))  # the before
    found.append(Config("relay", "relay", steps=RELAY_STEPS))
    if only is None:
        return found if pool else [found[0], *engine, found[-1]]
    return [c for c in [*found, *engine] if c.name in only or c.system in only]


def pool_available() -> bool:
    return (ROOT / "liveinterview" / "media" / "pool.py").exists()


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_of(pids: list[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        try:
            found[pid] = process_cpu(pid)
        except OSError:
            continue
    return found


@dataclass
class Server:
    config: Config
    child: Child | None = None
    janus: capacity_janus.JanusServer | None = None
    pids: list[int] = field(default_factory=list)

    def target(self) -> dict[str, Any]:
        if self.janus is not None:
            return {"target": "janus", "url": self.janus.url}
        assert self.child is not None
        return {"target": "wire", "port": self.child.first["port"]}

    async def refresh_pids(self) -> list[int]:
        if self.janus is not None:
            self.pids = [self.janus.pid]
        else:
            assert self.child is not None
            self.pids = (await self.child.call({"cmd": "pids"}))["pids"]
        return self.pids

    async def delays(self) -> dict[str, Any]:
        if self.child is None or self.config.system not in ("engine", "pool"):
            return {}
        return await self.child.call({"cmd": "delays"})

    async def stop(self) -> None:
        if self.child is not None:
            await self.child.stop()
        if self.janus is not None:
            await self.janus.stop()


class Harness:
    def __init__(self, tmp: Path, clip_path: Path, window: float, warmup: float) -> None:
        self.tmp = tmp
        self.clip_path = clip_path
        self.window = window
        self.warmup = warmup
        self.generators: list[Child] = []

    async def start_generators(self) -> None:
        self.generators = list(
            await asyncio.gather(
                *(
                    start(
                        f"load generator {i}",
                        "bench.capacity_load",
                        str(self.clip_path),
                        limit=REPLY_LIMIT,
                    )
                    for i in range(LOAD_GENERATORS)
                )
            )
        )

    async def start_server(self, config: Config) -> Server:
        server = Server(config)
        if config.system == "janus":
            folder = self.tmp / "janus"
            folder.mkdir(exist_ok=True)
            server.janus = capacity_janus.JanusServer(folder)
            await server.janus.start()
        else:
            args = [config.system if config.system != "pool" else "pool"]
            if config.system == "pool":
                args += ["--workers", str(config.workers)]
            if config.record:
                args += ["--record", str(self.recordings(config))]
            if not config.direct:
                args.append("--aiortc-path")
            server.child = await start(
                config.name, "bench.capacity_server", *args, limit=REPLY_LIMIT
            )
        await server.refresh_pids()
        return server

    def recordings(self, config: Config) -> Path:
        return self.tmp / f"recordings-{config.name}"

    async def sample(self, server: Server) -> dict[str, Any]:
        marks = await asyncio.gather(*(g.call({"cmd": "mark"}) for g in self.generators))
        pids = await server.refresh_pids()
        return {
            "t": time.monotonic(),
            "marks": marks,
            "server": cpu_of(pids),
            "generators": [process_cpu(g.pid) for g in self.generators],
            "harness": time.process_time(),
            "machine": machine_cpu(),
        }

    async def baseline(self) -> dict[str, Any]:
        reply = await self.generators[0].call({"cmd": "baseline", "seconds": BASELINE_SECONDS})
        return {
            "video_delay_ms": reply.get("video_delay_ms", []),
            "audio_delay_ms": reply.get("audio_delay_ms", []),
            "frames": reply.get("frames", 0),
        }

    async def ramp(self, config: Config) -> dict[str, Any]:
        """Step the room count up for one configuration; returns its steps and why it stopped."""
        print(f"  {config.name}…", file=sys.stderr, flush=True)
        server = await self.start_server(config)
        idle = await self.idle(server)
        profile: dict[str, Any] | None = None
        remb: list[dict[str, Any]] = []
        steps: list[dict[str, Any]] = []
        stopped = f"the largest step ({config.steps[-1]} rooms) passed"
        rooms: list[str] = []
        try:
            for index, count in enumerate(config.steps):
                new = [f"{config.name}-r{i}" for i in range(len(rooms), count)]
                opened = await self.open_rooms(server, new, len(rooms))
                rooms += new
                if not opened["ok"]:
                    stopped = f"{count} rooms could not be opened: {opened['error']}"
                    steps.append({"rooms": count, "failed": opened["error"]})
                    break
                print(f"    {count} rooms…", file=sys.stderr, flush=True)
                step = await self.measure(server, count, opened["seconds"])
                retries: list[dict[str, Any]] = []
                while not step["passed"] and len(retries) < RETRIES and self.crowded(step):
                    print(f"    {count} rooms again (machine busy)…", file=sys.stderr, flush=True)
                    retries.append(_brief(step))
                    step = await self.measure(server, count, opened["seconds"])
                step["retried"] = retries
                step["late"] = await self.late_join(server, rooms[0])
                steps.append(step)
                if not step["passed"]:
                    stopped = f"{count} rooms failed: {'; '.join(step['failures'])}"
                    break
                if index + 1 < len(config.steps):
                    following = config.steps[index + 1]
                    predicted = self.predict(step, count, following)
                    if predicted > MACHINE_BUDGET_PCT:
                        stopped = (
                            f"{following} rooms would take the machine to about "
                            f"{predicted:.0f} % busy (budget {MACHINE_BUDGET_PCT:.0f} %)"
                        )
                        break
            if config.name == PROFILE_CONFIG and steps and "failed" not in steps[-1]:
                profile = await self.profile(server, steps[-1]["rooms"])
                remb = await self.remb_before_after(server, steps[-1]["rooms"])
        finally:
            await asyncio.gather(*(g.call({"cmd": "leave"}) for g in self.generators))
            await asyncio.sleep(1.0)
            rss = sum(rss_mb(pid) for pid in server.pids)
            await server.stop()
        return {
            "config": config.__dict__,
            "idle": idle,
            "steps": steps,
            "stopped": stopped,
            "rss_end_mb": rss,
            "profile": profile,
            "remb_before_after": remb,
        }

    async def paired(self, chosen: list[Config], rounds: int) -> list[dict[str, Any]]:
        """`rounds` rounds of a fresh server of every configuration in `PAIRED` that was
        chosen, one after the other, the order rotated by one each round: idle CPU, then
        `PAIRED_ROOMS` rooms opened at once and one window. Within a round the systems are
        measured a minute apart, so their ratios are not at the mercy of what the machine did
        between two long ramps."""
        found = {c.name: c for c in chosen}
        names = [name for name in PAIRED if name in found]
        if len(names) < 2 or rounds < 1:
            return []
        print(
            f"  paired windows: {rounds} rounds of {', '.join(names)} at {PAIRED_ROOMS} rooms…",
            file=sys.stderr,
            flush=True,
        )
        windows = []
        for round_ in range(rounds):
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                print(f"    round {round_ + 1}: {name}…", file=sys.stderr, flush=True)
                window: dict[str, Any] = {"config": name, "round": round_, "rooms": PAIRED_ROOMS}
                server = await self.start_server(found[name])
                try:
                    window["idle_cpu_pct"] = (await self.idle(server))["server_cpu_pct"]
                    rooms = [f"p{round_}-{name}-r{i}" for i in range(PAIRED_ROOMS)]
                    opened = await self.open_rooms(server, rooms, 0)
                    if not opened["ok"]:
                        windows.append(window | {"failed": opened["error"]})
                        continue
                    step = await self.measure(
                        server, PAIRED_ROOMS, opened["seconds"], PAIRED_WARMUP, PAIRED_WINDOW
                    )
                    windows.append(window | {key: step[key] for key in PAIRED_KEYS})
                finally:
                    await asyncio.gather(*(g.call({"cmd": "leave"}) for g in self.generators))
                    await asyncio.sleep(1.0)
                    await server.stop()
        return windows

    async def remb_before_after(self, server: Server, rooms: int) -> list[dict[str, Any]]:
        """The REMB pacing fix, before and after, on the same open rooms: windows alternate
        between the worker sending every REMB aiortc makes (SIGUSR1 toggles it, see
        `bench/capacity_worker.py`) and the real pacing."""
        assert server.child is not None
        workers = [pid for pid in await server.refresh_pids() if pid != server.child.pid]
        if len(workers) != 1:
            return []
        print(f"    REMB pacing before/after at {rooms} rooms…", file=sys.stderr, flush=True)
        windows = []
        unpaced = False
        for want in (True, False, True, False):
            if want != unpaced:
                os.kill(workers[0], signal.SIGUSR1)
                unpaced = want
            await asyncio.sleep(2.0)
            before = await self.sample(server)
            await asyncio.sleep(self.window)
            after = await self.sample(server)
            step = summarize(before, after, rooms)
            windows.append(
                {"remb": "unpaced (before)" if unpaced else "paced (after)"}
                | {key: step[key] for key in REMB_KEYS}
            )
        return windows

    async def profile(self, server: Server, rooms: int) -> dict[str, Any]:
        """py-spy on the (one) media worker, rooms still open: where its time goes."""
        assert server.child is not None
        workers = [pid for pid in await server.refresh_pids() if pid != server.child.pid]
        if not workers:
            return {"rooms": rooms, "error": "no media worker process found"}
        print(f"    profiling the worker at {rooms} rooms…", file=sys.stderr, flush=True)
        output = self.tmp / f"profile-{workers[0]}.txt"
        error = await capacity_profile.record(workers[0], output)
        if error is not None:
            return {"rooms": rooms, "error": error}
        summary = await asyncio.to_thread(capacity_profile.summarize_file, output)
        return {"rooms": rooms, "seconds": capacity_profile.SECONDS, **summary}

    async def idle(self, server: Server) -> dict[str, Any]:
        """The server's CPU and memory with no room open (0 on the plot's x axis)."""
        await asyncio.sleep(1.0)
        before = await self.sample(server)
        await asyncio.sleep(IDLE_SECONDS)
        after = await self.sample(server)
        wall = after["t"] - before["t"]
        cpu = sum(
            after["server"][pid] - before["server"][pid]
            for pid in after["server"]
            if pid in before["server"]
        )
        return {
            "rooms": 0,
            "server_cpu_pct": cpu / wall * 100,
            "rss_mb": sum(rss_mb(pid) for pid in server.pids),
        }

    async def open_rooms(self, server: Server, names: list[str], first: int) -> dict[str, Any]:
        began = time.monotonic()
        batches: dict[int, list[str]] = {}
        for offset, name in enumerate(names):
            batches.setdefault((first + offset) % len(self.generators), []).append(name)
        replies = await asyncio.gather(
            *(
                self.generators[g].call({"cmd": "rooms", "rooms": batch, **server.target()})
                for g, batch in batches.items()
            )
        )
        errors = [r["error"] for r in replies if not r["ok"]]
        if errors:
            return {"ok": False, "error": errors[0]}
        return {"ok": True, "seconds": time.monotonic() - began}

    async def late_join(self, server: Server, room: str) -> dict[str, Any]:
        await asyncio.sleep(1.0)  # past the engine's keyframe request spacing (0.5 s)
        return await self.generators[0].call(
            {"cmd": "late_join", "room": room, "timeout": LATE_TIMEOUT, **server.target()}
        )

    def crowded(self, step: dict[str, Any]) -> bool:
        """Was the machine over budget while our own processes were within it?"""
        ours = step["server_cpu_pct"] + step["generators_cpu_pct"] + step["harness_cpu_pct"]
        ours_pct = ours / (os.cpu_count() or 1)
        return bool(
            step["machine_busy_pct"] > MACHINE_BUDGET_PCT and ours_pct <= MACHINE_BUDGET_PCT
        )

    def predict(self, step: dict[str, Any], count: int, following: int) -> float:
        """% of the machine the benchmark's own processes would use at `following` rooms.

        Our processes only: other work on a shared machine is reported, not budgeted for.
        """
        ours = step["server_cpu_pct"] + step["generators_cpu_pct"] + step["harness_cpu_pct"]
        return float(ours / count * following / (os.cpu_count() or 1))

    async def measure(
        self,
        server: Server,
        count: int,
        open_seconds: float,
        warmup: float | None = None,
        window: float | None = None,
    ) -> dict[str, Any]:
        await asyncio.sleep(self.warmup if warmup is None else warmup)
        await server.delays()  # drop what came before the window
        before = await self.sample(server)
        await asyncio.sleep(self.window if window is None else window)
        after = await self.sample(server)
        engine_delays = await server.delays()
        step = summarize(before, after, count)
        step["open_s"] = open_seconds
        step["rss_mb"] = sum(rss_mb(pid) for pid in server.pids)
        step["engine_delays"] = engine_delays
        return step


def _brief(step: dict[str, Any]) -> dict[str, Any]:
    """What a discarded measurement showed."""
    keys = ("machine_busy_pct", "server_cpu_pct", "fps_min", "gap_p99_worst_ms", "failures")
    return {key: step[key] for key in keys}


def summarize(before: dict[str, Any], after: dict[str, Any], rooms: int) -> dict[str, Any]:
    wall = after["t"] - before["t"]
    server_pids = [pid for pid in after["server"] if pid in before["server"]]
    per_process = {
        pid: (after["server"][pid] - before["server"][pid]) / wall * 100 for pid in server_pids
    }
    generators = [
        (a - b) / wall * 100 for a, b in zip(after["generators"], before["generators"], strict=True)
    ]
    busy = after["machine"][0] - before["machine"][0]
    total = after["machine"][1] - before["machine"][1]
    subscribers: list[dict[str, Any]] = []
    gaps_all: list[float] = []
    video_delays: list[float] = []
    audio_delays: list[float] = []
    errors: set[str] = set()
    for index, (mark_before, mark_after) in enumerate(
        zip(before["marks"], after["marks"], strict=True)
    ):
        span = mark_after["t"] - mark_before["t"]
        for pid, end in mark_after["participants"].items():
            start_ = mark_before["participants"].get(pid)
            if start_ is None:
                continue
            gaps = end["gaps_ms"]
            gaps_all += gaps
            video_delays += end["video_delay_ms"]
            audio_delays += end["audio_delay_ms"]
            errors.update(end["errors"])

            def delta(key: str, end: dict[str, Any] = end, start_: dict[str, Any] = start_) -> int:
                return int(end[key] - start_[key])

            video_expected = delta("video_expected")
            audio_expected = delta("audio_expected")
            subscribers.append(
                {
                    "fps": delta("frames") / span,
                    "kbps": delta("video_bytes") * 8 / span / 1000,
                    "audio_pps": delta("audio_packets") / span,
                    "video_lost": max(0, video_expected - delta("video_packets")),
                    "video_expected": video_expected,
                    "audio_lost": max(0, audio_expected - delta("audio_packets")),
                    "audio_expected": audio_expected,
                    "incomplete": delta("incomplete"),
                    "gap_p99_ms": percentile(gaps, 0.99),
                    "gap_max_ms": max(gaps, default=None),
                    "sent_fps": delta("sent_frames") / span,
                    "retransmissions": delta("retransmissions"),
                    "restarts": delta("restarts"),
                    "video_delay_p95_ms": percentile(end["video_delay_ms"], 0.95),
                    "generator": index,
                    "id": pid,
                }
            )
    server_pct = sum(per_process.values())
    generators_pct = sum(generators)
    failures = []
    if not subscribers:
        failures.append("no subscriber was measured")
    slow = [s for s in subscribers if s["fps"] < MIN_FPS]
    if slow:
        failures.append(
            f"{len(slow)} of {len(subscribers)} subscribers under {MIN_FPS:.0f} fps "
            f"(slowest {min(s['fps'] for s in slow):.1f})"
        )
    gappy = [s for s in subscribers if s["gap_p99_ms"] is None or s["gap_p99_ms"] >= MAX_GAP_P99_MS]
    if gappy:
        worst = max((s["gap_p99_ms"] or 0.0) for s in gappy)
        failures.append(
            f"{len(gappy)} subscribers with a p99 inter-frame gap ≥ {MAX_GAP_P99_MS:.0f} ms "
            f"(worst {worst:.0f} ms)"
        )
    video_expected = sum(s["video_expected"] for s in subscribers)
    audio_expected = sum(s["audio_expected"] for s in subscribers)
    return {
        "rooms": rooms,
        "subscribers": len(subscribers),
        "window_s": wall,
        "server_cpu_pct": server_pct,
        "server_processes": len(per_process),
        "server_busiest_process_pct": max(per_process.values(), default=0.0),
        "server_per_process_pct": sorted(per_process.values(), reverse=True),
        "generators_cpu_pct": generators_pct,
        "generators_busiest_pct": max(generators, default=0.0),
        "harness_cpu_pct": (after["harness"] - before["harness"]) / wall * 100,
        "machine_busy_pct": busy / total * 100 if total else 0.0,
        "load_average": os.getloadavg()[0],
        "fps_min": min((s["fps"] for s in subscribers), default=0.0),
        "fps_mean": sum(s["fps"] for s in subscribers) / max(1, len(subscribers)),
        "sent_fps_mean": sum(s["sent_fps"] for s in subscribers) / max(1, len(subscribers)),
        "kbps_mean": sum(s["kbps"] for s in subscribers) / max(1, len(subscribers)),
        "audio_pps_mean": sum(s["audio_pps"] for s in subscribers) / max(1, len(subscribers)),
        "video_loss_pct": (
            sum(s["video_lost"] for s in subscribers) / video_expected * 100
            if video_expected
            else None
        ),
        "audio_loss_pct": (
            sum(s["audio_lost"] for s in subscribers) / audio_expected * 100
            if audio_expected
            else None
        ),
        "frames_lost": sum(s["incomplete"] for s in subscribers),
        "retransmissions": sum(s["retransmissions"] for s in subscribers),
        "keyframe_restarts": sum(s["restarts"] for s in subscribers),
        "per_subscriber": [
            {k: s[k] for k in ("id", "generator", "fps", "gap_p99_ms", "video_delay_p95_ms")}
            for s in subscribers
        ],
        "gap_p99_worst_ms": max((s["gap_p99_ms"] or 0.0 for s in subscribers), default=None),
        "gap_p99_all_ms": percentile(gaps_all, 0.99),
        "gap_max_ms": max(gaps_all, default=None),
        "video_delay_ms": video_delays,
        "audio_delay_ms": audio_delays,
        "passed": not failures,
        "failures": failures,
        "errors": sorted(errors)[:5],
    }


def compose(recordings: Path, output: Path) -> dict[str, Any]:
    """Time `python -m liveinterview.media.compose` on the longest-running recorded room."""
    import subprocess

    rooms = sorted(p for p in recordings.iterdir() if p.is_dir()) if recordings.exists() else []
    if not rooms:
        return {"error": "no recording was made"}
    room = rooms[0]  # the first room opened: it ran for the whole ramp
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "liveinterview.media.compose",
            "--input",
            str(room),
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    wall = time.monotonic() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    duration = None
    for line in done.stdout.splitlines():
        if line.startswith("done "):
            duration = float(line.split()[1])
    tracks = sorted(p.name for p in room.glob("*.webm"))
    return {
        "room": room.name,
        "tracks": tracks,
        "track_mb": sum(p.stat().st_size for p in room.glob("*.webm")) / 1e6,
        "exit": done.returncode,
        "stderr": done.stderr.strip().splitlines()[-3:],
        "duration_s": duration,
        "wall_s": wall,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "max_rss_mb": after.ru_maxrss / 1024,
        "output_mb": output.stat().st_size / 1e6 if output.exists() else None,
    }


async def measure(
    window: float,
    warmup: float,
    only: set[str] | None,
    max_rooms: int,
    steps: tuple[int, ...] = (),
    rounds: int = PAIRED_ROUNDS,
    ramps: bool = True,
) -> dict[str, Any]:
    began = time.monotonic()
    machine_before = machine_cpu()
    janus_missing = capacity_janus.available()
    pool = pool_available()
    chosen = configs(pool, only)
    if janus_missing:
        chosen = [c for c in chosen if c.system != "janus"]
    for config in chosen:
        config.steps = steps or (
            tuple(n for n in config.steps if n <= max_rooms) or config.steps[:1]
        )
    with tempfile.TemporaryDirectory(prefix="bench-capacity-") as tmp_name:
        tmp = Path(tmp_name)
        clip_path = tmp / "clip.webm"
        forwarding_clip.make(clip_path)
        clip = forwarding_clip.load(clip_path)
        harness = Harness(tmp, clip_path, window, warmup)
        await harness.start_generators()
        try:
            baseline = await harness.baseline()
            results = [await harness.ramp(config) for config in chosen] if ramps else []
            paired = await harness.paired(chosen, rounds)
        finally:
            for child in harness.generators:
                await child.stop()
        composed: dict[str, Any] = {"error": "no configuration recorded"}
        recorded = [c for c in chosen if c.record]
        if recorded:
            print("  composing a recording…", file=sys.stderr, flush=True)
            composed = compose(harness.recordings(recorded[0]), tmp / "review.mp4")
    busy, total = (a - b for a, b in zip(machine_cpu(), machine_before, strict=True))
    return {
        "setup": {
            "cpus": os.cpu_count(),
            "load_generators": LOAD_GENERATORS,
            "window_s": window,
            "warmup_s": warmup,
            "min_fps": MIN_FPS,
            "max_gap_p99_ms": MAX_GAP_P99_MS,
            "budget_pct": MACHINE_BUDGET_PCT,
            "clip_video_kbps": clip.video_kbps,
            "clip_audio_kbps": clip.audio_kbps,
            "clip_frames": len(clip.video),
            "janus": None if janus_missing else capacity_janus.version(),
            "janus_missing": janus_missing,
            "pool": pool,
            "total_s": time.monotonic() - began,
            "machine_busy_pct_whole_run": busy / total * 100 if total else 0.0,
            "paired_rooms": PAIRED_ROOMS,
            "paired_rounds": rounds,
            "paired_warmup_s": PAIRED_WARMUP,
            "paired_window_s": PAIRED_WINDOW,
        },
        "baseline": baseline,
        "configs": results,
        "paired": paired,
        "compose": composed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--only", default="", help="configurations or systems, comma-separated")
    parser.add_argument("--max-rooms", type=int, default=STEPS[-1])
    parser.add_argument("--steps", default="", help="room counts, comma-separated (profiling)")
    parser.add_argument("--rounds", type=int, default=PAIRED_ROUNDS, help="paired rounds (0: none)")
    parser.add_argument("--no-ramps", action="store_true", help="only the paired rounds")
    args = parser.parse_args()
    only = {name for name in args.only.split(",") if name} or None
    steps = tuple(int(n) for n in args.steps.split(",") if n)
    result = asyncio.run(
        measure(
            args.window, args.warmup, only, args.max_rooms, steps, args.rounds, not args.no_ramps
        )
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
