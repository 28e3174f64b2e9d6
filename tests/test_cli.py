"""The `liveinterview` command, run as a real process on loopback."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LIVEINTERVIEW_")}
    clean.update(
        {
            "LIVEINTERVIEW_DATA_DIR": str(tmp_path / "var"),
            "LIVEINTERVIEW_PORT": str(free_port()),
            "LIVEINTERVIEW_LOG_FORMAT": "text",
        }
    )
    return clean


def run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "liveinterview", *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("command", ["serve", "migrate", "create-user", "demo"])
def test_every_command_has_help(command: str, env: dict[str, str]) -> None:
    result = run([command, "--help"], env)
    assert result.returncode == 0
    assert f"usage: liveinterview {command}" in result.stdout


def test_top_level_help_lists_the_commands(env: dict[str, str]) -> None:
    result = run(["--help"], env)
    assert result.returncode == 0
    for command in ("serve", "migrate", "create-user", "demo"):
        assert command in result.stdout


def test_bad_configuration_stops_with_the_variable_named(env: dict[str, str]) -> None:
    result = run(["migrate"], {**env, "LIVEINTERVIEW_PORT": "eighty"})
    assert result.returncode == 2
    assert "configuration error: LIVEINTERVIEW_PORT: expected a whole number, got 'eighty'" in (
        result.stderr
    )


def test_serve_refuses_an_unmigrated_database(env: dict[str, str]) -> None:
    result = run(["serve"], env)
    assert result.returncode == 2
    assert "run `liveinterview migrate`" in result.stderr


def test_create_user_then_demo(env: dict[str, str]) -> None:
    assert run(["migrate"], env).returncode == 0
    created = run(
        [
            "create-user",
            "--email",
            "ada@example.com",
            "--name",
            "Ada",
            "--role",
            "admin",
            "--password-stdin",
        ],
        env,
        stdin="correct horse battery\n",
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "created Ada <ada@example.com> with roles admin"
    duplicate = run(
        [
            "create-user",
            "--email",
            "ada@example.com",
            "--name",
            "Ada",
            "--role",
            "admin",
            "--password-stdin",
        ],
        env,
        stdin="correct horse battery\n",
    )
    assert duplicate.returncode == 2
    assert "ada@example.com already has an account" in duplicate.stderr
    weak = run(
        [
            "create-user",
            "--email",
            "bob@example.com",
            "--name",
            "Bob",
            "--role",
            "recruiter",
            "--password-stdin",
        ],
        env,
        stdin="short\n",
    )
    assert weak.returncode == 2
    assert "Use at least 10 characters." in weak.stderr
    demo = run(["demo", "--password", "demo password 123"], env)
    assert demo.returncode == 0, demo.stderr
    assert "created  recruiter@demo.liveinterview.test" in demo.stdout
    assert "Interview request created for candidate@demo.liveinterview.test." in demo.stdout
    assert re.search(
        r"booking link \(from the outbox\): http://127\.0\.0\.1:\d+/book/", demo.stdout
    )
    assert "Demo call booked for" in demo.stdout
    assert re.search(r"candidate \(Dana Demo\): http://127\.0\.0\.1:\d+/join/", demo.stdout)
    assert re.search(
        r"candidate \(Olive One-Way\): http://127\.0\.0\.1:\d+/answer/[A-Za-z0-9_-]+", demo.stdout
    )
    assert re.search(r"interviewer \(Ivan\): +http://127\.0\.0\.1:\d+/join/", demo.stdout)


@pytest.fixture
def served(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], str]]:
    assert run(["migrate"], env).returncode == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "liveinterview", "serve"],
        env=env,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    output = ""
    deadline = time.monotonic() + 30
    while "Restart the server for a new link." not in output and time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        output += line
    try:
        yield process, output
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_serve_prints_a_working_one_time_setup_link_and_stops_cleanly(
    served: tuple[subprocess.Popen[str], str], env: dict[str, str]
) -> None:
    process, output = served
    port = env["LIVEINTERVIEW_PORT"]
    assert f"LiveInterview is serving on http://127.0.0.1:{port}" in output
    match = re.search(r"(http://127\.0\.0\.1:\d+/setup/[A-Za-z0-9_-]+)", output)
    assert match, output
    assert "valid for 60 minutes, single use" in output
    with urllib.request.urlopen(match.group(1), timeout=10) as response:  # noqa: S310
        assert response.status == 200
        assert "Create the first administrator" in response.read().decode()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
        assert response.status == 200
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
