"""Runs the forwarding benchmark's processes and measures them; prints one JSON result.

`python -m bench.forwarding_harness [--window S] [--warmup S] [--subscribers 1,2,4,6]
[--late-joiners K]` (normally started by `bench_forwarding.run()`, inside `unshare -rn`).

Processes: server A (our engine), server B (aiortc's stock relay), and two load generators
(one for the publisher, one for the subscribers). Both servers stay up for the whole run and
take turns: for each subscriber count, A then B gets a fresh room with one publisher and N
subscribers; the other server has no connection meanwhile (its idle CPU is recorded). CPU
is user + system time of each process (all threads) from /proc/<pid>/stat, taken together
with the load generators' counters at the start and end of each measurement window.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import forwarding_clip

ROOT = Path(__file__).resolve().parents[1]
SERVERS = ("engine", "relay")
TICKS = os.sysconf("SC_CLK_TCK")
REPLY_TIMEOUT = 60.0  # seconds for a child's answer (a join waits at most 20 s for video)


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of the process (all its threads) so far."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15)


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, all cores, from /proc/stat."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(share * len(ordered) + 0.999999) - 1))]


class ScenarioFailed(Exception):
    pass


@dataclass
class Child:
    name: str
    process: asyncio.subprocess.Process
    first: dict[str, Any]

    @property
    def pid(self) -> int:
        return self.process.pid

    async def call(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin
        assert self.process.stdout
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        await self.process.stdin.drain()
        async with asyncio.timeout(REPLY_TIMEOUT):
            line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} exited (code {await self.process.wait()})")
        reply: dict[str, Any] = json.loads(line)
        return reply

    async def stop(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def start(name: str, module: str, *args: str, limit: int = 1 << 16) -> Child:
    """`limit`: the longest reply line the child may send, in bytes."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *args,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=limit,
    )
    assert process.stdout
    async with asyncio.timeout(REPLY_TIMEOUT):
        line = await process.stdout.readline()
    if not line:
        raise RuntimeError(f"{name} did not start (code {await process.wait()})")
    return Child(name, process, json.loads(line))


class Harness:
    def __init__(self, servers: dict[str, Child], publisher: Child, subscribers: Child) -> None:
        self.servers = servers
        self.publisher = publisher
        self.subscribers = subscribers

    async def sample(self) -> dict[str, Any]:
        """The load generators' counters, then every process's CPU, at (nearly) one instant."""
        pub, subs = await asyncio.gather(
            self.publisher.call({"cmd": "mark"}), self.subscribers.call({"cmd": "mark"})
        )
        cpu = {name: process_cpu(child.pid) for name, child in self.servers.items()}
        cpu["publisher"] = process_cpu(self.publisher.pid)
        cpu["subscribers"] = process_cpu(self.subscribers.pid)
        cpu["harness"] = time.process_time()
        return {
            "t": time.monotonic(),
            "pub": pub,
            "subs": subs,
            "cpu": cpu,
            "machine": machine_cpu(),
        }

    async def scenario(
        self, server: str, subscribers: int, warmup: float, window: float, late_joiners: int
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        port = self.servers[server].first["port"]
        room = f"{server}-{subscribers}"
        try:
            joined = await self.publisher.call(
                {
                    "cmd": "join",
                    "port": port,
                    "room": room,
                    "participants": ["publisher"],
                    "publish": True,
                }
            )
            if not joined["ok"]:
                raise ScenarioFailed(f"the publisher could not join: {joined['error']}")
            await asyncio.sleep(0.5)  # the stock relay needs the publisher's tracks first
            names = [f"subscriber-{i}" for i in range(1, subscribers + 1)]
            joined = await self.subscribers.call(
                {
                    "cmd": "join",
                    "port": port,
                    "room": room,
                    "participants": names,
                    "publish": False,
                    "wait_video": True,
                }
            )
            if not joined["ok"]:
                raise ScenarioFailed(f"subscribers got no video: {joined['error']}")
            await asyncio.sleep(warmup)
            before = await self.sample()
            await asyncio.sleep(window)
            after = await self.sample()
            trials = [
                await self.late_join(server, port, room, k) for k in range(1, late_joiners + 1)
            ]
        finally:
            await self.subscribers.call({"cmd": "leave"})
            await self.publisher.call({"cmd": "leave"})
            await asyncio.sleep(1.0)  # let the server close the room before the next one
        return self.summarize(server, subscribers, joined["seconds"], before, after), trials

    async def late_join(self, server: str, port: int, room: str, k: int) -> dict[str, Any]:
        await asyncio.sleep(1.0)  # past the engine's keyframe request spacing (0.5 s)
        trial = await self.subscribers.call(
            {
                "cmd": "late_join",
                "port": port,
                "room": room,
                "participant": f"late-{k}",
                "timeout": 5.0,
            }
        )
        requests = (await self.publisher.call({"cmd": "mark"}))["participants"]["publisher"][
            "keyframe_requests"
        ]
        connect = trial["client"]["connect"]
        later = [t for t in requests if t >= connect]
        trial["publisher_keyframe_request"] = later[0] if later else None
        trial["server_name"] = server
        return trial

    def summarize(
        self,
        server: str,
        subscribers: int,
        join_seconds: float,
        before: dict[str, Any],
        after: dict[str, Any],
    ) -> dict[str, Any]:
        wall = after["t"] - before["t"]

        def cpu_pct(name: str) -> float:
            return (after["cpu"][name] - before["cpu"][name]) / wall * 100

        busy = after["machine"][0] - before["machine"][0]
        total = after["machine"][1] - before["machine"][1]
        span = after["subs"]["t"] - before["subs"]["t"]
        per_subscriber = []
        gaps: list[float] = []
        for pid, end in after["subs"]["participants"].items():
            start = before["subs"]["participants"][pid]
            per_subscriber.append(
                {
                    "fps": (end["frames"] - start["frames"]) / span,
                    "kbps": (end["video_bytes"] - start["video_bytes"]) * 8 / span / 1000,
                    "audio_pps": (end["audio_packets"] - start["audio_packets"]) / span,
                    "incomplete": end["incomplete"] - start["incomplete"],
                    "keyframes": end["keyframes"] - start["keyframes"],
                    "errors": end["errors"],
                }
            )
            gaps += end["gaps_ms"]
        pub_start = before["pub"]["participants"]["publisher"]
        pub_end = after["pub"]["participants"]["publisher"]
        pub_span = after["pub"]["t"] - before["pub"]["t"]
        other = next(name for name in SERVERS if name != server)
        server_pct = cpu_pct(server)
        return {
            "server": server,
            "subscribers": subscribers,
            "window_s": wall,
            "server_cpu_pct": server_pct,
            "other_server_idle_cpu_pct": cpu_pct(other),
            "publisher_gen_cpu_pct": cpu_pct("publisher"),
            "subscriber_gen_cpu_pct": cpu_pct("subscribers"),
            "harness_cpu_pct": cpu_pct("harness"),
            "machine_busy_pct": busy / total * 100 if total else 0.0,
            "machine_busy_cores_pct": busy / wall * 100,
            "fps_min": min(s["fps"] for s in per_subscriber),
            "fps_mean": sum(s["fps"] for s in per_subscriber) / subscribers,
            "kbps_mean": sum(s["kbps"] for s in per_subscriber) / subscribers,
            "audio_pps_mean": sum(s["audio_pps"] for s in per_subscriber) / subscribers,
            "incomplete": sum(s["incomplete"] for s in per_subscriber),
            "keyframes_per_subscriber": sum(s["keyframes"] for s in per_subscriber) / subscribers,
            "gap_p99_ms": percentile(gaps, 0.99),
            "gap_max_ms": max(gaps) if gaps else None,
            "sent_fps": (pub_end["sent_frames"] - pub_start["sent_frames"]) / pub_span,
            "sent_audio_pps": (pub_end["sent_audio"] - pub_start["sent_audio"]) / pub_span,
            "publisher_keyframes_on_request": pub_end["restarts"] - pub_start["restarts"],
            "join_s": join_seconds,
            "errors": sorted({e for s in per_subscriber for e in s["errors"]}),
        }


async def measure(
    subscriber_counts: list[int], warmup: float, window: float, late_joiners: int
) -> dict[str, Any]:
    began = time.monotonic()
    machine_before = machine_cpu()
    with tempfile.TemporaryDirectory(prefix="bench-forwarding-") as tmp:
        clip_path = Path(tmp) / "clip.webm"
        clip_began = time.monotonic()
        forwarding_clip.make(clip_path)
        clip = forwarding_clip.load(clip_path)
        clip_seconds = time.monotonic() - clip_began
        children = await asyncio.gather(
            start("server A (engine)", "bench.forwarding_server", "engine"),
            start("server B (relay)", "bench.forwarding_server", "relay"),
            start("load generator (publisher)", "bench.forwarding_load", str(clip_path)),
            start("load generator (subscribers)", "bench.forwarding_load", str(clip_path)),
        )
        engine, relay, publisher, subscribers = children
        harness = Harness({"engine": engine, "relay": relay}, publisher, subscribers)
        rows: list[dict[str, Any]] = []
        trials: list[dict[str, Any]] = []
        try:
            for count in subscriber_counts:
                for server in SERVERS:  # interleaved, so drifting machine load hits both
                    print(f"  {server}, {count} subscriber(s)…", file=sys.stderr, flush=True)
                    late = late_joiners if count == subscriber_counts[0] else 0
                    try:
                        row, late_trials = await harness.scenario(
                            server, count, warmup, window, late
                        )
                    except ScenarioFailed as exc:
                        rows.append({"server": server, "subscribers": count, "failed": str(exc)})
                        continue
                    rows.append(row)
                    trials += late_trials
        finally:
            for child in children:
                await child.stop()
    busy, total = (a - b for a, b in zip(machine_cpu(), machine_before, strict=True))
    return {
        "setup": {
            "clip_video_kbps": clip.video_kbps,
            "clip_audio_kbps": clip.audio_kbps,
            "clip_frames": len(clip.video),
            "clip_keyframes": clip.keyframes,
            "clip_keyframe_bytes": clip.keyframe_bytes,
            "clip_seconds_to_make": clip_seconds,
            "warmup_s": warmup,
            "window_s": window,
            "total_s": time.monotonic() - began,
            "machine_busy_pct_whole_run": busy / total * 100 if total else 0.0,
            "cpus": os.cpu_count(),
        },
        "load": rows,
        "late": trials,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--subscribers", default="1,2,4,6")
    parser.add_argument("--late-joiners", type=int, default=5)
    args = parser.parse_args()
    counts = [int(n) for n in args.subscribers.split(",")]
    result = asyncio.run(measure(counts, args.warmup, args.window, args.late_joiners))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
