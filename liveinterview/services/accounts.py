"""Signing in and out, sessions, passwords and password resets for staff."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from liveinterview.clock import Clock
from liveinterview.config import Settings
from liveinterview.domain.accounts import StaffMember, check_new_password, normalize_email
from liveinterview.domain.errors import Gone, InvalidInput, NotFound, Throttled
from liveinterview.domain.throttle import ThrottlePolicy
from liveinterview.domain.tokens import TokenPurpose, check_usable, hash_token, new_token
from liveinterview.services.links import Links
from liveinterview.services.notify import Notifier
from liveinterview.services.passwords import Passwords
from liveinterview.services.work import Work, unit_of_work
from liveinterview.storage import accounts as repo
from liveinterview.storage import audit
from liveinterview.storage.db import Database

log = logging.getLogger(__name__)

RESET_EMAIL_INTERVAL = timedelta(minutes=1)
WRONG_CREDENTIALS = "The email address or password is not correct."


@dataclass(frozen=True)
class Client:
    """Who is asking: the network address and browser, for throttling and the audit log."""

    address: str
    user_agent: str = ""


@dataclass(frozen=True)
class SignedIn:
    user: StaffMember
    session_token: str


async def open_session(
    work: Work, *, user_id: int, client: Client, now: datetime, lifetime: timedelta
) -> str:
    """Create a session row and return the raw token for the cookie."""
    token = new_token()
    await repo.create_session(
        work.conn,
        token_hash=hash_token(token),
        user_id=user_id,
        created_at=now,
        expires_at=now + lifetime,
        address=client.address,
        user_agent=client.user_agent,
    )
    return token


async def use_token(work: Work, token: str, purpose: TokenPurpose, now: datetime) -> int | None:
    """Consume a single-use token inside `work`; return its user id. Raises NotFound/Gone."""
    found = await repo.find_token(work.conn, hash_token(token), purpose)
    check_usable(
        found=found is not None,
        expires_at=found.expires_at if found else None,
        used_at=found.used_at if found else None,
        now=now,
    )
    assert found is not None
    if not await repo.mark_token_used(work.conn, found.id, now):
        raise Gone("This link has already been used.")
    return found.user_id


class AccountService:
    """Staff sign-in, sessions and password changes."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        settings: Settings,
        passwords: Passwords,
        notifier: Notifier,
        links: Links,
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.passwords = passwords
        self.notifier = notifier
        self.links = links
        window = timedelta(minutes=settings.signin_window_minutes)
        self.account_throttle = ThrottlePolicy(window, settings.signin_max_failures_account)
        self.address_throttle = ThrottlePolicy(window, settings.signin_max_failures_address)

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(hours=self.settings.session_hours)

    async def sign_in(self, email_raw: str, password: str, client: Client) -> SignedIn:
        email = email_raw.strip().lower()
        if not email or not password:
            raise InvalidInput(
                "Enter your email address and password.",
                {"email": "Required."} if not email else {"password": "Required."},
            )
        now = self.clock.now()
        since = now - self.account_throttle.window
        async with self.db.read() as conn:
            by_account = await repo.failures_since(conn, email=email, since=since)
            by_address = await repo.failures_since(conn, address=client.address, since=since)
            user = await repo.find_by_email(conn, email)
            stored = await repo.password_hash(conn, user.id) if user else None
        wait = max(
            self.account_throttle.retry_after(by_account, now),
            self.address_throttle.retry_after(by_address, now),
        )
        if wait:
            log.warning("sign-in throttled", extra={"email": email, "address": client.address})
            raise Throttled(
                "Too many failed sign-in attempts. "
                f"Try again in {_minutes(wait)}, or reset your password.",
                wait,
            )
        # Argon2 runs outside any transaction: it takes tens of milliseconds.
        correct = await self.passwords.verify(stored, password)
        async with unit_of_work(self.db) as work:
            if not correct or user is None:
                await repo.record_failure(work.conn, email=email, address=client.address, at=now)
                await audit.record(
                    work.conn,
                    at=now,
                    actor_id=user.id if user else None,
                    action="signin.failed",
                    subject=email,
                    address=client.address,
                )
                signed_in: SignedIn | None = None
            elif not user.is_active:
                signed_in = None
            else:
                if stored and self.passwords.needs_rehash(stored):
                    rehashed = await self.passwords.hash(password)
                    await repo.set_password_hash(work.conn, user.id, rehashed)
                await repo.clear_failures(work.conn, email)
                token = await open_session(
                    work,
                    user_id=user.id,
                    client=client,
                    now=now,
                    lifetime=self.session_lifetime,
                )
                await audit.record(
                    work.conn, at=now, actor_id=user.id, action="signin", address=client.address
                )
                signed_in = SignedIn(user, token)
        if signed_in is None:
            if correct and user is not None and not user.is_active:
                raise InvalidInput(
                    "This account has been deactivated. Ask an administrator if that is a mistake."
                )
            raise InvalidInput(WRONG_CREDENTIALS)
        return signed_in

    async def user_for_session(self, token: str) -> StaffMember | None:
        if not token:
            return None
        async with self.db.read() as conn:
            user_id = await repo.session_user_id(conn, hash_token(token), self.clock.now())
            return await repo.get_user(conn, user_id) if user_id is not None else None

    async def sign_out(self, token: str) -> None:
        async with unit_of_work(self.db) as work:
            await repo.delete_session(work.conn, hash_token(token))

    async def change_password(
        self,
        user: StaffMember,
        current: str,
        new: str,
        confirm: str,
        *,
        keep_session: str,
    ) -> None:
        """Change a signed-in user's password and end their other sessions."""
        check_new_password(new, confirm, email=user.email)
        async with self.db.read() as conn:
            stored = await repo.password_hash(conn, user.id)
        if not await self.passwords.verify(stored, current):
            raise InvalidInput("Your current password is not correct.", {"current": "Not correct."})
        new_hash = await self.passwords.hash(new)
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            await repo.set_password_hash(work.conn, user.id, new_hash)
            await repo.delete_sessions_of(work.conn, user.id, except_hash=hash_token(keep_session))
            await audit.record(work.conn, at=now, actor_id=user.id, action="password.changed")
            await self._password_changed_email(work, user)

    async def request_reset(self, email_raw: str, client: Client) -> None:
        """Email a reset link if the account exists; the answer never reveals whether it does."""
        email = normalize_email(email_raw)
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            user = await repo.find_by_email(work.conn, email)
            if user is None or not user.is_active or not user.has_password:
                log.info("password reset asked for an unknown or inactive account")
                return
            latest = await repo.latest_token_at(
                work.conn, user_id=user.id, purpose=TokenPurpose.RESET
            )
            if latest is not None and now - latest < RESET_EMAIL_INTERVAL:
                log.info("password reset asked again within a minute; not sent again")
                return
            await repo.expire_tokens(work.conn, purpose=TokenPurpose.RESET, user_id=user.id, at=now)
            token = new_token()
            await repo.create_token(
                work.conn,
                token_hash=hash_token(token),
                purpose=TokenPurpose.RESET,
                user_id=user.id,
                created_by=None,
                created_at=now,
                expires_at=now + timedelta(minutes=self.settings.reset_minutes),
            )
            await audit.record(
                work.conn,
                at=now,
                actor_id=user.id,
                action="password.reset_requested",
                address=client.address,
            )
            link = self.links.reset_password(token)
            await self.notifier.queue(
                work,
                "password_reset",
                to=(user.name, user.email),
                subject="Reset your LiveInterview password",
                context={
                    "link": link,
                    "valid_minutes": self.settings.reset_minutes,
                    "address": client.address,
                },
            )

    async def reset_link_user(self, token: str) -> StaffMember:
        """The account a reset link belongs to, or NotFound/Gone."""
        return await self._link_user(token, TokenPurpose.RESET)

    async def reset_password(
        self, token: str, password: str, confirm: str, client: Client
    ) -> SignedIn:
        user = await self.reset_link_user(token)
        check_new_password(password, confirm, email=user.email)
        new_hash = await self.passwords.hash(password)
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            await use_token(work, token, TokenPurpose.RESET, now)
            await repo.set_password_hash(work.conn, user.id, new_hash)
            ended = await repo.delete_sessions_of(work.conn, user.id)
            await repo.clear_failures(work.conn, user.email)
            session = await open_session(
                work, user_id=user.id, client=client, now=now, lifetime=self.session_lifetime
            )
            await audit.record(
                work.conn,
                at=now,
                actor_id=user.id,
                action="password.reset",
                address=client.address,
                details={"sessions_ended": ended},
            )
            await self._password_changed_email(work, user)
        return SignedIn(user, session)

    async def _link_user(self, token: str, purpose: TokenPurpose) -> StaffMember:
        now = self.clock.now()
        async with self.db.read() as conn:
            found = await repo.find_token(conn, hash_token(token), purpose)
            check_usable(
                found=found is not None,
                expires_at=found.expires_at if found else None,
                used_at=found.used_at if found else None,
                now=now,
            )
            assert found is not None
            assert found.user_id is not None
            user = await repo.get_user(conn, found.user_id)
        if user is None:
            raise NotFound("This link is not valid.")
        if not user.is_active:
            raise Gone("This account has been deactivated.")
        return user

    async def _password_changed_email(self, work: Work, user: StaffMember) -> None:
        await self.notifier.queue(
            work,
            "password_changed",
            to=(user.name, user.email),
            subject="Your LiveInterview password was changed",
            context={"signin_link": self.links.signin()},
        )

    async def purge_expired(self) -> int:
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            return await repo.delete_expired(
                work.conn, now, failures_before=now - self.account_throttle.window * 4
            )


def _minutes(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
