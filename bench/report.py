"""Markdown pieces for docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{platform.platform()}; {cpu}; {os.cpu_count()} CPUs; Python {platform.python_version()}"
    )


def revision() -> str:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        )
        head = result.stdout.strip() or "uncommitted"
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return f"{head}+dirty" if dirty else head
    except OSError:
        return "unknown"


def header(command: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "# Benchmarks\n\n"
        f"Written by `{command}` on {now}, revision {revision()}.\n\n"
        f"Machine: {machine()}.\n\n"
        "Every number below comes from that one run; nothing is copied from earlier runs.\n"
    )


def table(rows: Sequence[dict[str, object]], columns: Sequence[tuple[str, str]]) -> str:
    """Columns are (key, heading); numbers are right-aligned."""
    head = "| " + " | ".join(h for _, h in columns) + " |"
    align = (
        "|"
        + "|".join(
            "---:" if rows and isinstance(rows[0][k], (int, float)) else "---" for k, _ in columns
        )
        + "|"
    )
    body = ["| " + " | ".join(_cell(row[k]) for k, _ in columns) + " |" for row in rows]
    return "\n".join([head, align, *body])


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
