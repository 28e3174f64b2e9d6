"""Where a media worker's time goes: py-spy on one worker at the end of a ramp, summarised.

The harness runs `py-spy record --nonblocking --format raw` on the worker of the pool with one
worker (recording off) for a few seconds at the ramp's largest room count, when py-spy is
installed (`pip install -e '.[dev]'`); `summarize` turns the collapsed stacks into shares of
the event-loop thread's samples: by what the sampled frame was doing (self time), and the
relay's main stages (inclusive time).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

SECONDS = 10
RATE = 200  # samples per second

# Self time: the first pattern found in the sampled (innermost) frame names its group.
SELF_GROUPS = (
    ("EpollSelector.select", "waiting for packets (epoll)"),
    ("_SelectorDatagramTransport.sendto", "kernel: UDP send, one sendto per packet"),
    ("pylibsrtp", "SRTP encrypt/decrypt (pylibsrtp)"),
    ("liveinterview/media", "our relay (liveinterview/media)"),
    ("aiortc/", "aiortc: RTP/RTCP in Python"),
    ("aioice/", "aioice: ICE"),
    ("asyncio/", "asyncio event loop"),
    ("bench/", "the benchmark's delay probe"),
)
# Inclusive time: every sample whose stack has the frame counts.
STAGES = (
    ("_DatagramHook._handle_rtp", "direct path: one received RTP packet, its copies sent too"),
    ("_TappedReceiver.handle_rtp_now", "… aiortc's receiver steps as a function, and what follows"),
    ("DirectSend.send", "… send on the direct path (packetize, SRTP, sendto)"),
    ("RTCDtlsTransport._recv_next", "receive through aiortc's task: read, SRTP decrypt, receiver"),
    ("RTCRtpReceiver._handle_rtp_packet", "… aiortc's receiver (stats, NACK, REMB, depayload)"),
    ("RemoteBitrateEstimator.add", "… … REMB estimation (aiortc)"),
    ("RTCRtpReceiver._send_rtcp", "… … RTCP feedback sent by the receiver (REMB, NACK, RR)"),
    ("ReceiverTap._on_packet", "… our tap, reassembly, fan-out (liveinterview/media)"),
    ("TrackRecorder.on_frame", "… … recording (liveinterview/media)"),
    ("RTCRtpSender._run_rtp", "send: aiortc's sender loop (packetize, SRTP, sendto)"),
    ("_FeedingSender._next_encoded_frame", "… our sender feed and forwarding track"),
    ("RTCRtpSender._run_rtcp", "sender reports (RTCP)"),
    ("_ProtocolMeta.__instancecheck__", "isinstance() against a typing.Protocol"),
)


def executable() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return found if Path(found).exists() else None


async def record(pid: int, output: Path, seconds: int = SECONDS) -> str | None:
    """Sample `pid`; None when done, else why there is no profile."""
    spy = executable()
    if spy is None:
        return "py-spy is not installed (`pip install -e '.[dev]'`)"
    process = await asyncio.create_subprocess_exec(
        spy,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(seconds),
        "--rate",
        str(RATE),
        "--nonblocking",
        "--format",
        "raw",
        "--output",
        str(output),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, error = await asyncio.wait_for(process.communicate(), seconds + 30)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        return "py-spy did not finish"
    if process.returncode != 0:
        return f"py-spy failed: {error.decode(errors='replace').strip()[-300:]}"
    return None


def summarize_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"error": "py-spy wrote no profile"}
    return summarize(path.read_text())


def summarize(raw: str) -> dict[str, Any]:
    """Shares (%) of the event-loop thread's samples, from py-spy's collapsed stacks."""
    groups: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        if "concurrent/futures/thread.py" in stack:
            continue  # idle executor threads: not the event loop
        samples = int(count)
        total += samples
        frames = stack.split(";")
        leaf = frames[-1]
        groups[next((name for key, name in SELF_GROUPS if key in leaf), "other")] += samples
        names = {re.sub(r" \(.*$", "", frame) for frame in frames}
        for key, name in STAGES:
            if key in names:
                stages[name] += samples
    if not total:
        return {"samples": 0, "self": {}, "stages": {}}

    def shares(counter: Counter[str]) -> dict[str, float]:
        return {name: count / total * 100 for name, count in counter.most_common()}

    return {
        "samples": total,
        "self": shares(groups),
        "stages": {name: stages[name] / total * 100 for _, name in STAGES if stages[name]},
    }
