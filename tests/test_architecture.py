"""The layering of DESIGN.md §2, checked on the source, and no circular imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("liveinterview", "signaling")
STDLIB = sys.stdlib_module_names


def modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).with_suffix("")
            parts = list(relative.parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


def imports_of(path: Path) -> set[str]:
    """Absolute names of every module imported anywhere in the file (also inside functions)."""
    found: set[str] = set()
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                found.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                found.add(node.module)
    return found


def top(name: str) -> str:
    return name.split(".")[0]


def under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


# (layer, rule description, predicate on an imported module name that must be False)
RULES: list[tuple[str, str, object]] = [
    (
        "liveinterview.domain",
        "domain imports only the standard library and itself",
        lambda n: top(n) not in STDLIB and not under(n, "liveinterview.domain"),
    ),
    (
        "liveinterview.storage",
        "storage never imports web, services or media",
        lambda n: any(
            under(n, f"liveinterview.{p}") for p in ("web", "services", "media", "app", "cli")
        ),
    ),
    (
        "liveinterview.web",
        "web never imports SQLAlchemy, aiortc, av or storage",
        lambda n: (
            top(n) in {"sqlalchemy", "aiortc", "av", "alembic", "asyncpg", "aiosqlite"}
            or under(n, "liveinterview.storage")
        ),
    ),
    (
        "liveinterview.services",
        "services never import web or media",
        lambda n: under(n, "liveinterview.web") or under(n, "liveinterview.media"),
    ),
    (
        "liveinterview.calendar",
        "calendar never imports storage, web or media",
        lambda n: any(under(n, f"liveinterview.{p}") for p in ("storage", "web", "media")),
    ),
    (
        "signaling",
        "signaling never imports liveinterview",
        lambda n: top(n) == "liveinterview",
    ),
]


def test_only_media_imports_aiortc_or_av() -> None:
    offenders = [
        f"{module} imports {name}"
        for module, path in modules()
        if not under(module, "liveinterview.media")
        for name in imports_of(path)
        if top(name) in {"aiortc", "av"}
    ]
    assert offenders == []


@pytest.mark.parametrize(("layer", "rule", "forbidden"), RULES, ids=[r[1] for r in RULES])
def test_layer_imports_follow_the_design(layer: str, rule: str, forbidden: object) -> None:
    assert callable(forbidden)
    offenders = [
        f"{module} imports {name}"
        for module, path in modules()
        if under(module, layer)
        for name in sorted(imports_of(path))
        if forbidden(name)
    ]
    assert offenders == [], rule


def test_the_import_checker_sees_violations(tmp_path: Path) -> None:
    """Guard against a checker that passes because it reads nothing."""
    names = imports_of(ROOT / "liveinterview" / "app.py")
    assert "liveinterview.storage.db" in names
    assert "aiohttp" in names
    assert len(list(modules())) > 30


def test_no_module_has_a_circular_import() -> None:
    # Each module is imported first thing in a clean state of our packages: a cycle shows up
    # as an ImportError for a partially initialised module. Third-party modules stay cached,
    # which keeps this to one interpreter start.
    names = [
        name
        for name, _ in modules()
        if not name.endswith(("migrations.env", "__main__"))  # these run when imported
    ]
    script = f"""
import importlib, sys
failures = []
for name in {names!r}:
    for loaded in [m for m in sys.modules if m.split('.')[0] in {PACKAGES!r}]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failures.append(f"{{name}}: {{exc!r}}")
print("\\n".join(failures))
sys.exit(1 if failures else 0)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
