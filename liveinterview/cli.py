"""`liveinterview serve | migrate | create-user | demo`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Sequence

from aiohttp import web

from liveinterview.app import create_app, started
from liveinterview.config import Settings, SettingsError, ensure_secret_key, load_settings
from liveinterview.domain.errors import DomainError
from liveinterview.logs import configure_logging
from liveinterview.services.staff import SetupLink
from liveinterview.storage import migrate as migrations
from liveinterview.storage.db import Database
from liveinterview.web.keys import STAFF

log = logging.getLogger("liveinterview")


def _settings() -> Settings:
    try:
        settings = ensure_secret_key(load_settings())
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


async def _migrate(settings: Settings, revision: str, down: bool) -> str | None:
    db = Database(settings.database_url)
    try:
        if down:
            await migrations.downgrade(db, revision)
        else:
            await migrations.upgrade(db, revision)
        return await migrations.current_revision(db)
    finally:
        await db.close()


async def _check_schema(settings: Settings) -> None:
    db = Database(settings.database_url)
    try:
        current = await migrations.current_revision(db)
    finally:
        await db.close()
    head = migrations.head_revision()
    if current != head:
        print(
            f"the database is at revision {current or 'none'} but this code needs {head}: "
            "run `liveinterview migrate` (make run does it for you)",
            file=sys.stderr,
        )
        raise SystemExit(2)


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings()
    configure_logging(settings.log_level, "text")
    revision = asyncio.run(_migrate(settings, args.revision, args.down))
    print(f"database at revision {revision or 'base (empty)'}: {_safe_url(settings)}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings()
    if args.host:
        settings = settings.replace(host=args.host)
    if args.port:
        settings = settings.replace(port=args.port)
    configure_logging(settings.log_level, settings.log_format)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    asyncio.run(_check_schema(settings))
    app = create_app(settings)

    setup_links: list[SetupLink | None] = []

    async def issue_setup_link(app: web.Application) -> None:
        setup_links.append(await app[STAFF].issue_setup_link())

    def announce(_aiohttp_message: str) -> None:
        # run_app calls this once the socket listens, so the printed link works at once.
        print(f"\nLiveInterview is serving on {settings.base_url}", file=sys.stderr)
        link = setup_links[0] if setup_links else None
        if link is not None:
            print(
                "\nNo administrator exists yet. Create the first one here "
                f"(valid for {link.valid_minutes} minutes, single use):\n\n    {link.url}\n\n"
                "Restart the server for a new link.\n",
                file=sys.stderr,
                flush=True,
            )

    app.on_startup.append(issue_setup_link)
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        access_log=None,
        shutdown_timeout=10.0,
        print=announce,
        handle_signals=True,
    )
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    settings = _settings()
    configure_logging("WARNING", "text")
    asyncio.run(_check_schema(settings))
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            print("the passwords do not match", file=sys.stderr)
            return 2

    async def create() -> str:
        # No call runs here: the media plane stays in this process and idle (no workers).
        async with started(create_app(settings.replace(media_workers=0))) as app:
            user = await app[STAFF].create_user(
                email=args.email, name=args.name, roles=args.role, password=password
            )
        return f"created {user.name} <{user.email}> with roles {', '.join(sorted(user.roles))}"

    try:
        print(asyncio.run(create()))
    except DomainError as exc:
        print(f"not created: {exc.message}", file=sys.stderr)
        return 2
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    settings = _settings()
    configure_logging("WARNING", "text")
    asyncio.run(_migrate(settings, "head", down=False))
    from liveinterview.demo import seed_demo

    for line in asyncio.run(seed_demo(settings, password=args.password)):
        print(line)
    return 0


def _safe_url(settings: Settings) -> str:
    url = settings.database_url
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://…@{rest.split('@', 1)[1]}"
    return url


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="liveinterview",
        description="LiveInterview: self-hosted live video job interviews. "
        "Configuration comes from LIVEINTERVIEW_* environment variables (see README).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="serve the web app (run `migrate` first)")
    serve.add_argument("--host", help="listen address (default: LIVEINTERVIEW_HOST)")
    serve.add_argument("--port", type=int, help="listen port (default: LIVEINTERVIEW_PORT)")
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="bring the database schema up to date")
    migrate.add_argument("--revision", default="head", help="target revision (default: head)")
    migrate.add_argument(
        "--down", action="store_true", help="downgrade to --revision (e.g. base) instead"
    )
    migrate.set_defaults(func=cmd_migrate)

    create = sub.add_parser("create-user", help="create a staff account with a password")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument(
        "--role",
        action="append",
        required=True,
        choices=["admin", "recruiter", "interviewer"],
        help="repeat for several roles",
    )
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create.set_defaults(func=cmd_create_user)

    demo = sub.add_parser(
        "demo", help="migrate and fill the database with demo staff you can sign in as"
    )
    demo.add_argument(
        "--password",
        help="password for the demo accounts (default: a random one, printed once)",
    )
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
