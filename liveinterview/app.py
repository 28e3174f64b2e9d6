"""create_app: the only place where the service's parts are wired together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit

from aiohttp import web
from argon2 import PasswordHasher

from liveinterview.clock import Clock, SystemClock
from liveinterview.config import Settings
from liveinterview.domain.interviews import ChangePolicy
from liveinterview.domain.rooms import RoomPolicy
from liveinterview.mail.compose import MailComposer
from liveinterview.mail.transport import Mailer, build_mailer
from liveinterview.media.engine import build_engine
from liveinterview.media.ipc import WorkerConfig
from liveinterview.media.pool import WorkerPool
from liveinterview.media.recording_control import MediaRecordings, repair_unfinished
from liveinterview.media.take_merge import merge_take
from liveinterview.periodic import Periodic
from liveinterview.services.accounts import AccountService
from liveinterview.services.availability import AvailabilityService
from liveinterview.services.booking import BookingService
from liveinterview.services.compose_jobs import ComposeRunner
from liveinterview.services.feeds import FeedService
from liveinterview.services.health import HealthService
from liveinterview.services.interview_links import LinkKeeper
from liveinterview.services.interviews import InterviewService
from liveinterview.services.invitations import Invitations
from liveinterview.services.mail_delivery import MailDelivery
from liveinterview.services.notify import Notifier
from liveinterview.services.oneway import OneWayPolicy, OneWayService
from liveinterview.services.oneway_answers import AnswerPolicy, AnswerService
from liveinterview.services.oneway_mail import OneWayMail
from liveinterview.services.passwords import Passwords
from liveinterview.services.recordings import RecordingControl, RecordingPolicy, RecordingService
from liveinterview.services.reminders import ReminderService
from liveinterview.services.rooms import IceConfig, RoomService
from liveinterview.services.scheduling import Scheduler
from liveinterview.services.staff import StaffService
from liveinterview.storage.db import Database
from liveinterview.web.answer_links import AnswerLinks
from liveinterview.web.client import forwarded_middleware
from liveinterview.web.csrf import csrf_middleware
from liveinterview.web.errors import error_middleware
from liveinterview.web.forms import token_param
from liveinterview.web.keys import (
    ACCOUNTS,
    ANSWER_SOCKET,
    ANSWERS,
    AVAILABILITY,
    BOOKING,
    CLOCK,
    COMPOSER,
    FEEDS,
    HEALTH,
    HUB,
    INTERVIEWS,
    ONEWAY,
    OPEN_SOCKETS,
    RECORDINGS,
    REMINDERS,
    ROOM_SOCKET,
    ROOMS,
    SETTINGS,
    STAFF,
)
from liveinterview.web.links import RouterLinks
from liveinterview.web.middleware import request_log_middleware, security_headers_middleware
from liveinterview.web.oneway_links import OneWayLinks
from liveinterview.web.render import setup_templates
from liveinterview.web.routes import setup_routes
from liveinterview.web.session import session_middleware
from liveinterview.web.sockets import OpenSockets
from signaling.hub import Hub
from signaling.oneway_ws import answer_socket_handler
from signaling.ports import MediaEngine
from signaling.ws import websocket_handler

log = logging.getLogger(__name__)

MAINTENANCE_INTERVAL_SECONDS = 3600.0
MAIL_RETRY_INTERVAL_SECONDS = 30.0
CALENDAR_FEEDS_INTERVAL_SECONDS = 60.0
REMINDER_INTERVAL_SECONDS = 30.0
COMPOSE_INTERVAL_SECONDS = 15.0
CLOSING_INTERVAL_SECONDS = 60.0


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    mailer: Mailer | None = None,
    password_hasher: PasswordHasher | None = None,
    db_schema: str | None = None,
    run_background_jobs: bool = True,
    media_engine: MediaEngine | None = None,
    recording_control: RecordingControl | None = None,
) -> web.Application:
    """Build the application; nothing connects until it starts."""
    if not settings.secret_key:
        raise ValueError("settings.secret_key is empty; call config.ensure_secret_key first")
    clock = clock or SystemClock()
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[
            forwarded_middleware,
            request_log_middleware,
            security_headers_middleware,
            error_middleware,
            csrf_middleware,
            session_middleware,
        ],
    )
    setup_templates(app)
    setup_routes(app)

    db = Database(settings.database_url, schema=db_schema)
    links = RouterLinks(app.router, settings.base_url)
    delivery = MailDelivery(db, mailer or build_mailer(settings), clock)
    notifier = Notifier(MailComposer(settings.mail_from), delivery, clock)
    passwords = Passwords(password_hasher)
    app[SETTINGS] = settings
    app[OPEN_SOCKETS] = OpenSockets()
    app[CLOCK] = clock
    app[HEALTH] = HealthService(db)
    app[ACCOUNTS] = AccountService(
        db=db,
        clock=clock,
        settings=settings,
        passwords=passwords,
        notifier=notifier,
        links=links,
    )
    app[AVAILABILITY] = AvailabilityService(db=db, clock=clock, settings=settings)
    app[STAFF] = StaffService(
        db=db,
        clock=clock,
        settings=settings,
        passwords=passwords,
        notifier=notifier,
        links=links,
    )

    link_keeper = LinkKeeper(settings.secret_key)
    invitations = Invitations(notifier=notifier, links=link_keeper, urls=links, clock=clock)
    scheduler = Scheduler(
        clock=clock,
        links=link_keeper,
        invitations=invitations,
        reminder_offsets=tuple(timedelta(minutes=m) for m in settings.reminder_offsets_minutes),
    )
    app[INTERVIEWS] = InterviewService(
        db=db,
        clock=clock,
        scheduler=scheduler,
        invitations=invitations,
        links=link_keeper,
        base_url=settings.base_url,
        default_auto_admit=settings.room_auto_admit,
    )
    app[BOOKING] = BookingService(
        db=db,
        clock=clock,
        scheduler=scheduler,
        links=link_keeper,
        urls=links,
        policy=ChangePolicy(
            cutoff=timedelta(hours=settings.candidate_change_cutoff_hours),
            max_reschedules=settings.candidate_max_reschedules,
        ),
    )
    app[FEEDS] = FeedService(
        db=db, clock=clock, secret_key=settings.secret_key, links=link_keeper, urls=links
    )
    app[REMINDERS] = reminders = ReminderService(db=db, clock=clock, invitations=invitations)

    rooms = RoomService(
        db=db,
        clock=clock,
        links=link_keeper,
        policy=RoomPolicy(
            opens_before=timedelta(minutes=settings.room_opens_minutes_before),
            closes_after=timedelta(minutes=settings.room_closes_minutes_after),
        ),
        ice=IceConfig(
            stun_urls=settings.stun_urls,
            turn_urls=settings.turn_urls,
            turn_secret=settings.turn_secret,
            turn_ttl=timedelta(hours=settings.turn_ttl_hours),
        ),
    )
    app[ROOMS] = rooms
    media_recordings = MediaRecordings(
        clock=clock, min_free_bytes=settings.recording_min_free_mb * 1024 * 1024
    )
    # The media plane: worker processes owning whole rooms (recording included), or, with
    # media_workers = 0, the engine and recorder inside this process.
    pool: WorkerPool | None = None
    if media_engine is None and settings.media_worker_count > 0:
        pool = WorkerPool(WorkerConfig.from_settings(settings), settings.media_worker_count)
        media_engine = pool
    elif media_engine is None:
        engine = build_engine(settings, on_publication=media_recordings.on_publication)
        media_recordings.bind(engine)
        media_engine = engine
    recordings = RecordingService(
        db=db,
        clock=clock,
        policy=RecordingPolicy(
            root=settings.recordings_root,
            retention=timedelta(days=settings.recording_retention_days),
            review_by_interviewers=settings.review_by_interviewers,
            share_for=timedelta(days=settings.share_link_days),
        ),
        control=recording_control or pool or media_recordings,
        links=link_keeper,
        urls=links,
        notifier=notifier,
    )
    app[RECORDINGS] = recordings
    oneway_retention = timedelta(days=settings.recording_retention_days)
    app[ONEWAY] = oneway = OneWayService(
        db=db,
        clock=clock,
        secret_key=settings.secret_key,
        policy=OneWayPolicy(root=settings.recordings_root, retention=oneway_retention),
        mail=OneWayMail(
            notifier=notifier,
            urls=OneWayLinks(app.router, settings.base_url),
            retention=oneway_retention,
        ),
    )

    app[ANSWERS] = answers = AnswerService(
        db=db,
        clock=clock,
        policy=AnswerPolicy(
            root=settings.recordings_root, retention_days=settings.recording_retention_days
        ),
        control=recording_control or pool or media_recordings,
        merge=merge_take,
        urls=AnswerLinks(app.router, settings.base_url),
        notifier=notifier,
        ice_servers=rooms.ice_servers,
    )

    async def on_room_event(room_id: str, kind: str, details: dict[str, object]) -> None:
        await rooms.record_event(room_id, kind, details)
        await recordings.room_event(room_id, kind, details)

    hub = Hub(media_engine, on_room_event=on_room_event)
    app[HUB] = hub
    recordings.announce_failure = hub.recording_failed

    async def recording_failed(room_id: str, reason: str) -> None:
        owner = answers.recording_failed if answers.owns(room_id) else recordings.failed
        await owner(room_id, reason)

    async def room_lost(room_id: str) -> None:
        await (answers.media_lost if answers.owns(room_id) else hub.media_lost)(room_id)

    media_recordings.on_failure = recording_failed
    if pool is not None:
        pool.on_failure = recording_failed
        pool.on_room_lost = room_lost  # sockets close with 1012: browsers rejoin
    app[COMPOSER] = composer = ComposeRunner(db=db, clock=clock, root=settings.recordings_root)
    closes_after = timedelta(minutes=settings.room_closes_minutes_after)

    async def finish_closed_rooms() -> int:
        return await recordings.finish_closed_rooms(closes_after)

    async def repair_crashed_recordings(_app: web.Application) -> AsyncIterator[None]:
        # Files a killed server left open lack duration and seek index; a remux restores both.
        await asyncio.to_thread(repair_unfinished, settings.recordings_root)
        await answers.discard_unfinished()  # takes a stopped server left recording
        yield
        await media_recordings.close()

    own_origin = "{0.scheme}://{0.netloc}".format(urlsplit(settings.base_url))
    app[ROOM_SOCKET] = websocket_handler(
        hub=hub,
        gate=rooms,
        allowed_origins=lambda: {own_origin},
        token_of=token_param,
        register=app[OPEN_SOCKETS].add,
        unregister=app[OPEN_SOCKETS].discard,
    )
    app[ANSWER_SOCKET] = answer_socket_handler(
        desk=answers,
        media=media_engine,
        allowed_origins=lambda: {own_origin},
        token_of=token_param,
        register=app[OPEN_SOCKETS].add,
        unregister=app[OPEN_SOCKETS].discard,
    )

    async def database(_app: web.Application) -> AsyncIterator[None]:
        yield
        await db.close()

    async def close_sockets(app: web.Application) -> None:
        await app[HUB].close()  # room sockets: GOING_AWAY, and every peer connection closed
        await app[ANSWERS].close()  # a take still recording is discarded, as on a lost link
        await app[OPEN_SOCKETS].close_all()

    app.on_shutdown.append(close_sockets)

    async def calendar_http_client(app: web.Application) -> AsyncIterator[None]:
        async with app[AVAILABILITY].calendars.http_client():
            yield

    app.cleanup_ctx.append(database)
    app.cleanup_ctx.append(repair_crashed_recordings)
    if pool is not None:
        media_workers = pool

        async def media_plane(_app: web.Application) -> AsyncIterator[None]:
            # After the repair (never under a live worker); stopped after the hub closed every
            # room (on_shutdown) and before the database: each worker finishes its recordings.
            await media_workers.launch()
            yield
            await media_workers.close()

        app.cleanup_ctx.append(media_plane)
    app.cleanup_ctx.append(calendar_http_client)  # before the feed job: it uses the client
    if run_background_jobs:
        for job in (
            Periodic("maintenance", app[ACCOUNTS].purge_expired, MAINTENANCE_INTERVAL_SECONDS),
            Periodic("mail-delivery", delivery.deliver, MAIL_RETRY_INTERVAL_SECONDS),
            Periodic(
                "calendar-feeds",
                app[AVAILABILITY].calendars.refresh_due_feeds,
                CALENDAR_FEEDS_INTERVAL_SECONDS,
            ),
            Periodic("reminders", reminders.send_due, REMINDER_INTERVAL_SECONDS),
            Periodic("compose", composer.run_due, COMPOSE_INTERVAL_SECONDS),
            Periodic("recordings-closing", finish_closed_rooms, CLOSING_INTERVAL_SECONDS),
            Periodic("retention", recordings.purge_expired, MAINTENANCE_INTERVAL_SECONDS),
            Periodic("oneway-deadlines", oneway.run_deadlines, REMINDER_INTERVAL_SECONDS),
            Periodic("oneway-retention", oneway.purge_expired, MAINTENANCE_INTERVAL_SECONDS),
        ):
            app.cleanup_ctx.append(job.cleanup_ctx())
    return app


@contextlib.asynccontextmanager
async def started(app: web.Application) -> AsyncIterator[web.Application]:
    """Run an app's startup and cleanup without serving HTTP (for CLI commands)."""
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        yield app
    finally:
        await runner.cleanup()
