"""A media worker with the capacity benchmark's delay probe: `WorkerPool(worker_module=...)`.

`python -m bench.capacity_worker --worker ID --channel-fd FD` is `liveinterview.media.worker`
with `bench.capacity_server.DelayProbe` installed in the worker process (where the engine
runs); every half second the samples gathered since are appended as one JSON line to
`$LIVEINTERVIEW_BENCH_DELAYS/worker-<pid>.jsonl`. The bench's server reads the files
(`DelayFiles`) when the harness asks for the delays of a window.

With `LIVEINTERVIEW_BENCH_REMB=unpaced` the worker starts sending every REMB aiortc produces,
as before `receiver_tap.RembPacer` existed; SIGUSR1 switches between that and the real
pacing: the harness' before/after comparison of that fix (docs/benchmarks.md).

With `LIVEINTERVIEW_BENCH_PATH=aiortc` the worker's engine forwards through aiortc's receive and
send tasks (`AiortcEngine(direct_path=False)`), as before the direct path existed: the
harness' *before* configuration.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

DELAYS_ENV = "LIVEINTERVIEW_BENCH_DELAYS"
REMB_ENV = "LIVEINTERVIEW_BENCH_REMB"
PATH_ENV = "LIVEINTERVIEW_BENCH_PATH"
FLUSH_SECONDS = 0.5


class DelayFiles:
    """The samples the workers appended under `folder` since the last `drain`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._offsets: dict[Path, int] = {}

    def drain(self) -> dict[str, list[float]]:
        merged: dict[str, list[float]] = {}
        for path in sorted(self.folder.glob("worker-*.jsonl")):
            with path.open("rb") as handle:
                handle.seek(self._offsets.get(path, 0))
                data = handle.read()
            complete = data[: data.rfind(b"\n") + 1]  # a line being written waits its turn
            self._offsets[path] = self._offsets.get(path, 0) + len(complete)
            for line in complete.splitlines():
                for key, values in json.loads(line).items():
                    merged.setdefault(key, []).extend(values)
        return merged


async def _flush_forever(drain: Any, path: Path) -> None:
    while True:
        await asyncio.sleep(FLUSH_SECONDS)
        samples = drain()
        if any(samples.values()):
            with path.open("a") as handle:
                handle.write(json.dumps(samples) + "\n")


def unpaced_rembs(start: bool) -> None:
    """Every REMB aiortc produces goes out while on, as before `RembPacer`; SIGUSR1 toggles."""
    from liveinterview.media.receiver_tap import RembPacer

    unpaced = [start]
    allow = RembPacer.allow

    def maybe_allow(self: RembPacer, bitrate: int) -> bool:
        return True if unpaced[0] else allow(self, bitrate)

    def toggle(signum: int, frame: object) -> None:
        unpaced[0] = not unpaced[0]

    RembPacer.allow = maybe_allow  # type: ignore[method-assign]
    signal.signal(signal.SIGUSR1, toggle)


def aiortc_path() -> None:
    """Every engine made in this process forwards through aiortc's tasks (no direct path)."""
    from liveinterview.media.engine import AiortcEngine

    init = AiortcEngine.__init__

    def without_direct_path(self: AiortcEngine, **kwargs: Any) -> None:
        init(self, **{**kwargs, "direct_path": False})

    AiortcEngine.__init__ = without_direct_path  # type: ignore[method-assign]


def main() -> int:
    from bench.capacity_server import DelayProbe
    from liveinterview.media import worker

    probe = DelayProbe()
    probe.install()
    unpaced_rembs(os.environ.get(REMB_ENV) == "unpaced")
    if os.environ.get(PATH_ENV) == "aiortc":
        aiortc_path()
    path = Path(os.environ[DELAYS_ENV]) / f"worker-{os.getpid()}.jsonl"
    serve = worker.serve

    async def serve_and_flush(worker_id: str, channel_fd: int) -> None:
        flushing = asyncio.ensure_future(_flush_forever(probe.drain, path))
        try:
            await serve(worker_id, channel_fd)
        finally:
            flushing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flushing

    worker.serve = serve_and_flush  # main() looks it up here
    return worker.main()


if __name__ == "__main__":
    sys.exit(main())
