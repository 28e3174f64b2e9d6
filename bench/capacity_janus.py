"""Janus Gateway's VideoRoom for the capacity benchmark: start it, and talk to it over HTTP.

`JanusServer` writes a configuration that loads only the VideoRoom plugin and the HTTP
transport (on 127.0.0.1), compiles `capacity_loopback_only.c` into the temporary directory and
starts Debian's `janus` with it in `LD_PRELOAD`: Janus 1.1 skips loopback interfaces when it
gathers ICE candidates, whatever its configuration says, and the shim makes 127.0.0.1 look
like an ordinary interface, so every candidate is on loopback.

`JanusSession` / `JanusHandle` are a minimal client of Janus' HTTP API (aiohttp; one session
per participant, its events by long poll): enough for `create`, publisher `join` +
`publish` with an SDP offer, and subscriber `join` + `start` with an SDP answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import aiohttp

JANUS = "janus"
SHIM = Path(__file__).with_name("capacity_loopback_only.c")
KEPT_PLUGINS = {"libjanus_videoroom.so"}
KEPT_TRANSPORTS = {"libjanus_http.so"}
REQUEST_TIMEOUT = 20.0


def available() -> str | None:
    """None when Janus and gcc are installed, else why the Janus runs are skipped."""
    missing = [tool for tool in (JANUS, "gcc") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not installed (`apt-get install janus gcc`)"
    if _library_dir() is None:
        return "Janus' plugin folder was not found"
    return None


def install() -> str | None:
    """Install Debian's `janus` (and gcc for the shim) when missing; returns `available()`.

    Needs the network and root (or sudo), so it runs before the harness enters its network
    namespace. A failure is not fatal: the run goes on without Janus and says why.
    """
    if available() is None:
        return None
    prefix = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if prefix is None or shutil.which("apt-get") is None:
        return available()
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", JANUS, "gcc"],
    ):
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            subprocess.run(
                [*prefix, *command], env=env, capture_output=True, timeout=600, check=False
            )
        if available() is None:
            break
    return available()


def version() -> str:
    done = subprocess.run([JANUS, "--version"], capture_output=True, text=True, timeout=20)
    for line in done.stdout.splitlines():
        if line.startswith("Janus version:"):
            return line.split("(", 1)[-1].rstrip(")")
    return "unknown"


def _library_dir() -> Path | None:
    for candidate in Path("/usr/lib").glob("*/janus"):
        if (candidate / "plugins" / "libjanus_videoroom.so").exists():
            return candidate
    return None


def _disabled(folder: Path, kept: set[str]) -> str:
    names = sorted(p.name for p in folder.glob("*.so") if p.name not in kept)
    return ",".join(names)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def write_config(folder: Path, http_port: int) -> Path:
    """janus.jcfg and the two plugin configurations in `folder`; returns the main file."""
    lib = _library_dir()
    assert lib is not None
    (folder / "janus.jcfg").write_text(
        f"""general: {{
    configs_folder = "{folder}"
    plugins_folder = "{lib / "plugins"}"
    transports_folder = "{lib / "transports"}"
    events_folder = "{lib / "events"}"
    loggers_folder = "{lib / "loggers"}"
    debug_level = 3
    debug_colors = false
    server_name = "liveinterview-bench"
    session_timeout = 0
    interface = "127.0.0.1"
}}
certificates: {{
}}
media: {{
    rtp_port_range = "20000-60000"
}}
nat: {{
    nice_debug = false
    ignore_mdns = true
    ice_enforce_list = "127.0.0.1"
}}
plugins: {{
    disable = "{_disabled(lib / "plugins", KEPT_PLUGINS)}"
}}
transports: {{
    disable = "{_disabled(lib / "transports", KEPT_TRANSPORTS)}"
}}
loggers: {{
    disable = "{_disabled(lib / "loggers", set())}"
}}
events: {{
    broadcast = false
}}
"""
    )
    (folder / "janus.transport.http.jcfg").write_text(
        f"""general: {{
    json = "compact"
    base_path = "/janus"
    http = true
    port = {http_port}
    ip = "127.0.0.1"
    https = false
}}
admin: {{
    admin_http = false
    admin_https = false
}}
cors: {{
}}
"""
    )
    (folder / "janus.plugin.videoroom.jcfg").write_text("general: {\n}\n")
    return folder / "janus.jcfg"


class JanusServer:
    """Debian's Janus, configured for loopback only, as a child process."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.process: asyncio.subprocess.Process | None = None
        self.log = folder / "janus.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/janus"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def compile_shim(self) -> Path:
        shim = self.folder / "loopback_only.so"
        compiled = subprocess.run(
            ["gcc", "-shared", "-fPIC", "-O2", "-o", str(shim), str(SHIM)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if compiled.returncode != 0:
            raise RuntimeError(f"the getifaddrs shim did not compile: {compiled.stderr}")
        return shim

    async def start(self) -> None:
        shim = await asyncio.to_thread(self.compile_shim)
        config = write_config(self.folder, self.port)
        env = dict(os.environ, LD_PRELOAD=str(shim))
        with self.log.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                JANUS,
                "-C",
                str(config),
                "-F",
                str(self.folder),
                "--disable-colors",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                preexec_fn=_die_with_parent,
            )
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                if self.process.returncode is not None:
                    break
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.post(self.url, json={"janus": "info", "transaction": "i"}):
                        return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"Janus did not answer on {self.url}; see {self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the harness dies, so no Janus is left behind."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


# --- the client --------------------------------------------------------------------------


class JanusError(Exception):
    pass


_transactions = itertools.count(1)


def _transaction() -> str:
    return f"t{next(_transactions)}"


class JanusSession:
    """One Janus session over HTTP; asynchronous replies and events arrive by long poll."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self._http = http
        self._url = url
        self._session_url = ""
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._handles: dict[int, JanusHandle] = {}
        self._poll: asyncio.Task[None] | None = None

    async def create(self) -> None:
        data = await self._post(self._url, {"janus": "create"})
        self._session_url = f"{self._url}/{data['data']['id']}"
        self._poll = asyncio.ensure_future(self._long_poll())

    async def attach(self) -> JanusHandle:
        data = await self._post(
            self._session_url, {"janus": "attach", "plugin": "janus.plugin.videoroom"}
        )
        handle_id = int(data["data"]["id"])
        handle = JanusHandle(self, f"{self._session_url}/{handle_id}")
        self._handles[handle_id] = handle
        return handle

    async def destroy(self) -> None:
        if self._poll is not None:
            self._poll.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poll
        if self._session_url:
            with contextlib.suppress(Exception):
                await self._post(self._session_url, {"janus": "destroy"})

    async def _post(self, url: str, message: dict[str, Any]) -> dict[str, Any]:
        message = {**message, "transaction": _transaction()}
        async with self._http.post(url, json=message) as response:
            data: dict[str, Any] = await response.json(content_type=None)
        if data.get("janus") == "error":
            raise JanusError(data.get("error", {}).get("reason", str(data)))
        return data

    async def request(self, url: str, body: dict[str, Any], jsep: Any = None) -> dict[str, Any]:
        """A plugin message; waits for its event when Janus answers `ack` first."""
        transaction = _transaction()
        message: dict[str, Any] = {"janus": "message", "body": body, "transaction": transaction}
        if jsep is not None:
            message["jsep"] = jsep
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[transaction] = future
        try:
            async with self._http.post(url, json=message) as response:
                data: dict[str, Any] = await response.json(content_type=None)
            if data.get("janus") == "ack":
                data = await asyncio.wait_for(future, REQUEST_TIMEOUT)
        finally:
            self._pending.pop(transaction, None)
        if data.get("janus") == "error":
            raise JanusError(data.get("error", {}).get("reason", str(data)))
        plugin = data.get("plugindata", {}).get("data", {})
        if "error" in plugin:
            raise JanusError(f"{plugin.get('error_code')}: {plugin['error']}")
        return data

    async def _long_poll(self) -> None:
        while True:
            try:
                async with self._http.get(self._session_url, params={"maxev": "10"}) as response:
                    events = await response.json(content_type=None)
            except (aiohttp.ClientError, TimeoutError):
                await asyncio.sleep(0.2)
                continue
            for event in events if isinstance(events, list) else [events]:
                self._dispatch(event)

    def _dispatch(self, event: dict[str, Any]) -> None:
        future = self._pending.get(event.get("transaction", ""))
        if future is not None and not future.done() and event.get("janus") != "ack":
            future.set_result(event)
            return
        handle = self._handles.get(int(event.get("sender", 0) or 0))
        if handle is not None:
            handle.events.append(event)
            if event.get("janus") == "trickle" and handle.on_trickle is not None:
                handle.on_trickle(event.get("candidate", {}))


class JanusHandle:
    """A VideoRoom plugin handle."""

    def __init__(self, session: JanusSession, url: str) -> None:
        self.session = session
        self.url = url
        self.events: list[dict[str, Any]] = []
        self.on_trickle: Any = None

    async def request(self, body: dict[str, Any], jsep: Any = None) -> dict[str, Any]:
        return await self.session.request(self.url, body, jsep)

    async def create_room(self, room: int, publishers: int) -> None:
        await self.request(
            {
                "request": "create",
                "room": room,
                "publishers": publishers,
                "audiocodec": "opus",
                "videocodec": "vp8",
                "bitrate": 0,
                "fir_freq": 0,
                "notify_joining": False,
                "permanent": False,
            }
        )

    async def join_publisher(self, room: int, display: str) -> int:
        """Join as a publisher; returns this feed's id."""
        reply = await self.request(
            {"request": "join", "ptype": "publisher", "room": room, "display": display}
        )
        return int(reply["plugindata"]["data"]["id"])

    async def publish(self, offer_sdp: str) -> str:
        reply = await self.request(
            {"request": "publish", "audio": True, "video": True},
            {"type": "offer", "sdp": offer_sdp},
        )
        return str(reply["jsep"]["sdp"])

    async def join_subscriber(self, room: int, feeds: list[int]) -> str:
        """Subscribe to the feeds; returns Janus' SDP offer."""
        reply = await self.request(
            {
                "request": "join",
                "ptype": "subscriber",
                "room": room,
                "streams": [{"feed": feed} for feed in feeds],
            }
        )
        return str(reply["jsep"]["sdp"])

    async def start(self, answer_sdp: str) -> None:
        await self.request({"request": "start"}, {"type": "answer", "sdp": answer_sdp})
