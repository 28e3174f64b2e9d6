"""Typed keys for the objects shared through the aiohttp Application."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from liveinterview.clock import Clock
from liveinterview.config import Settings
from liveinterview.domain.accounts import StaffMember
from liveinterview.services.accounts import AccountService
from liveinterview.services.availability import AvailabilityService
from liveinterview.services.booking import BookingService
from liveinterview.services.compose_jobs import ComposeRunner
from liveinterview.services.feeds import FeedService
from liveinterview.services.health import HealthService
from liveinterview.services.interviews import InterviewService
from liveinterview.services.oneway import OneWayService
from liveinterview.services.oneway_answers import AnswerService
from liveinterview.services.recordings import RecordingService
from liveinterview.services.reminders import ReminderService
from liveinterview.services.rooms import RoomService
from liveinterview.services.staff import StaffService
from liveinterview.web.sockets import OpenSockets
from signaling.hub import Hub

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
ACCOUNTS = web.AppKey("accounts", AccountService)
STAFF = web.AppKey("staff", StaffService)
HEALTH = web.AppKey("health", HealthService)
AVAILABILITY = web.AppKey("availability", AvailabilityService)
OPEN_SOCKETS = web.AppKey("open_sockets", OpenSockets)
INTERVIEWS = web.AppKey("interviews", InterviewService)
ONEWAY = web.AppKey("oneway", OneWayService)
BOOKING = web.AppKey("booking", BookingService)
REMINDERS = web.AppKey("reminders", ReminderService)
FEEDS = web.AppKey("feeds", FeedService)
ROOMS = web.AppKey("rooms", RoomService)
RECORDINGS = web.AppKey("recordings", RecordingService)
COMPOSER = web.AppKey("composer", ComposeRunner)
HUB = web.AppKey("hub", Hub)
ROOM_SOCKET = web.AppKey[Callable[[web.Request], Awaitable[web.StreamResponse]]]("room_socket")
ANSWERS = web.AppKey("answers", AnswerService)
ANSWER_SOCKET = web.AppKey[Callable[[web.Request], Awaitable[web.StreamResponse]]]("answer_socket")

USER = web.RequestKey[StaffMember | None]("user")
CSRF_NONCE = web.RequestKey("csrf_nonce", str)
ERROR_REASON = web.RequestKey("error_reason", str)
