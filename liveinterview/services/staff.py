"""Administering staff: the first admin, invitations, roles and deactivation."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from liveinterview.clock import Clock
from liveinterview.config import Settings
from liveinterview.domain.accounts import (
    Permission,
    Role,
    StaffMember,
    check_new_password,
    normalize_email,
    normalize_name,
    parse_roles,
    require,
)
from liveinterview.domain.errors import Conflict, Gone, InvalidInput, NotFound
from liveinterview.domain.tokens import TokenPurpose, check_usable, hash_token, new_token
from liveinterview.services.accounts import Client, SignedIn, open_session, use_token
from liveinterview.services.links import Links
from liveinterview.services.notify import Notifier
from liveinterview.services.passwords import Passwords
from liveinterview.services.work import Work, unit_of_work
from liveinterview.storage import accounts as repo
from liveinterview.storage import audit
from liveinterview.storage.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SetupLink:
    url: str
    valid_minutes: int


class StaffService:
    """Who works here and what they may do."""

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

    @property
    def _session_lifetime(self) -> timedelta:
        return timedelta(hours=self.settings.session_hours)

    # --- the first administrator ------------------------------------------------------------

    async def issue_setup_link(self) -> SetupLink | None:
        """A fresh one-time link to create the first admin; None once an admin exists."""
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            if await repo.count_active_admins(work.conn):
                return None
            await repo.expire_tokens(work.conn, purpose=TokenPurpose.SETUP, user_id=None, at=now)
            token = new_token()
            await repo.create_token(
                work.conn,
                token_hash=hash_token(token),
                purpose=TokenPurpose.SETUP,
                user_id=None,
                created_by=None,
                created_at=now,
                expires_at=now + timedelta(minutes=self.settings.setup_minutes),
            )
        return SetupLink(self.links.setup(token), self.settings.setup_minutes)

    async def check_setup_link(self, token: str) -> None:
        now = self.clock.now()
        async with self.db.read() as conn:
            found = await repo.find_token(conn, hash_token(token), TokenPurpose.SETUP)
            check_usable(
                found=found is not None,
                expires_at=found.expires_at if found else None,
                used_at=found.used_at if found else None,
                now=now,
            )
            if await repo.count_active_admins(conn):
                raise Gone("An administrator already exists. Sign in instead.")

    async def complete_setup(
        self,
        token: str,
        *,
        email: str,
        name: str,
        password: str,
        confirm: str,
        client: Client,
    ) -> SignedIn:
        await self.check_setup_link(token)
        email, name = _checked_identity(email, name)
        check_new_password(password, confirm, email=email)
        password_hash = await self.passwords.hash(password)
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            await use_token(work, token, TokenPurpose.SETUP, now)
            if await repo.count_active_admins(work.conn):
                raise Gone("An administrator already exists. Sign in instead.")
            if await repo.find_by_email(work.conn, email):
                raise Conflict(f"{email} already has an account.")
            user_id = await repo.create_user(
                work.conn,
                email=email,
                name=name,
                roles=frozenset({Role.ADMIN}),
                created_at=now,
                password_hash=password_hash,
            )
            session = await open_session(
                work, user_id=user_id, client=client, now=now, lifetime=self._session_lifetime
            )
            await audit.record(
                work.conn,
                at=now,
                actor_id=user_id,
                action="staff.first_admin",
                subject=email,
                address=client.address,
            )
            user = await repo.get_user(work.conn, user_id)
        assert user is not None
        return SignedIn(user, session)

    async def create_user(
        self, *, email: str, name: str, roles: Collection[str], password: str
    ) -> StaffMember:
        """Create an account with a password directly (the `create-user` command)."""
        email, name = _checked_identity(email, name)
        role_set = parse_roles(roles)
        check_new_password(password, password, email=email)
        password_hash = await self.passwords.hash(password)
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            if await repo.find_by_email(work.conn, email):
                raise Conflict(f"{email} already has an account.")
            user_id = await repo.create_user(
                work.conn,
                email=email,
                name=name,
                roles=role_set,
                created_at=now,
                password_hash=password_hash,
            )
            await audit.record(
                work.conn, at=now, actor_id=None, action="staff.created_cli", subject=email
            )
            user = await repo.get_user(work.conn, user_id)
        assert user is not None
        return user

    # --- invitations ------------------------------------------------------------------------

    async def list_staff(self, actor: StaffMember) -> list[StaffMember]:
        require(actor.roles, Permission.MANAGE_STAFF)
        async with self.db.read() as conn:
            return await repo.list_users(conn)

    async def invite(
        self, actor: StaffMember, *, email: str, name: str, roles: Collection[str], client: Client
    ) -> StaffMember:
        require(actor.roles, Permission.MANAGE_STAFF)
        email, name = _checked_identity(email, name)
        role_set = parse_roles(roles)
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            if await repo.find_by_email(work.conn, email):
                raise InvalidInput(
                    f"{email} already has an account.", {"email": "Already has an account."}
                )
            user_id = await repo.create_user(
                work.conn, email=email, name=name, roles=role_set, created_at=now
            )
            await audit.record(
                work.conn,
                at=now,
                actor_id=actor.id,
                action="staff.invited",
                subject=email,
                address=client.address,
                details={"roles": sorted(r.value for r in role_set)},
            )
            user = await repo.get_user(work.conn, user_id)
            assert user is not None
            await self._send_invite(work, actor, user)
        return user

    async def resend_invite(self, actor: StaffMember, user_id: int, client: Client) -> StaffMember:
        require(actor.roles, Permission.MANAGE_STAFF)
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            user = await self._get(work, user_id)
            if user.has_password:
                raise Conflict(f"{user.name} has already accepted the invitation.")
            if not user.is_active:
                raise Conflict(f"{user.name} is deactivated; reactivate the account first.")
            await repo.expire_tokens(
                work.conn, purpose=TokenPurpose.INVITE, user_id=user.id, at=now
            )
            await audit.record(
                work.conn,
                at=now,
                actor_id=actor.id,
                action="staff.invite_resent",
                subject=user.email,
                address=client.address,
            )
            await self._send_invite(work, actor, user)
        return user

    async def _send_invite(self, work: Work, actor: StaffMember, user: StaffMember) -> None:
        now = self.clock.now()
        token = new_token()
        await repo.create_token(
            work.conn,
            token_hash=hash_token(token),
            purpose=TokenPurpose.INVITE,
            user_id=user.id,
            created_by=actor.id,
            created_at=now,
            expires_at=now + timedelta(hours=self.settings.invite_hours),
        )
        link = self.links.accept_invite(token)
        await self.notifier.queue(
            work,
            "staff_invite",
            to=(user.name, user.email),
            subject=f"{actor.name} invited you to LiveInterview",
            context={
                "inviter": actor.name,
                "link": link,
                "roles": sorted(r.value for r in user.roles),
                "valid_hours": self.settings.invite_hours,
            },
        )

    async def invite_link_user(self, token: str) -> StaffMember:
        """The account an invitation link belongs to, or NotFound/Gone."""
        now = self.clock.now()
        async with self.db.read() as conn:
            found = await repo.find_token(conn, hash_token(token), TokenPurpose.INVITE)
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
            raise Gone("This invitation was withdrawn.")
        if user.has_password:
            raise Gone("This invitation has already been accepted. Sign in instead.")
        return user

    async def accept_invite(
        self, token: str, *, password: str, confirm: str, client: Client
    ) -> SignedIn:
        user = await self.invite_link_user(token)
        check_new_password(password, confirm, email=user.email)
        password_hash = await self.passwords.hash(password)
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            await use_token(work, token, TokenPurpose.INVITE, now)
            await repo.set_password_hash(work.conn, user.id, password_hash)
            session = await open_session(
                work, user_id=user.id, client=client, now=now, lifetime=self._session_lifetime
            )
            await audit.record(
                work.conn,
                at=now,
                actor_id=user.id,
                action="staff.invite_accepted",
                address=client.address,
            )
        return SignedIn(user, session)

    # --- roles and deactivation -------------------------------------------------------------

    async def set_roles(
        self, actor: StaffMember, user_id: int, roles: Collection[str], client: Client
    ) -> StaffMember:
        require(actor.roles, Permission.MANAGE_STAFF)
        role_set = parse_roles(roles)
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            user = await self._get(work, user_id)
            losing_admin = Role.ADMIN in user.roles and Role.ADMIN not in role_set
            if losing_admin and user.is_active and await repo.count_active_admins(work.conn) <= 1:
                raise Conflict("There must always be at least one active administrator.")
            await repo.set_roles(work.conn, user.id, role_set)
            await audit.record(
                work.conn,
                at=now,
                actor_id=actor.id,
                action="staff.roles_changed",
                subject=user.email,
                address=client.address,
                details={"roles": sorted(r.value for r in role_set)},
            )
            updated = await repo.get_user(work.conn, user.id)
        assert updated is not None
        return updated

    async def deactivate(self, actor: StaffMember, user_id: int, client: Client) -> StaffMember:
        """Block the account and end every one of its sessions at once."""
        require(actor.roles, Permission.MANAGE_STAFF)
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            user = await self._get(work, user_id)
            if user.id == actor.id:
                raise Conflict("You cannot deactivate your own account.")
            if not user.is_active:
                return user
            if Role.ADMIN in user.roles and await repo.count_active_admins(work.conn) <= 1:
                raise Conflict("There must always be at least one active administrator.")
            await repo.set_active(work.conn, user.id, active=False, at=now)
            ended = await repo.delete_sessions_of(work.conn, user.id)
            for purpose in (TokenPurpose.INVITE, TokenPurpose.RESET):
                await repo.expire_tokens(work.conn, purpose=purpose, user_id=user.id, at=now)
            await audit.record(
                work.conn,
                at=now,
                actor_id=actor.id,
                action="staff.deactivated",
                subject=user.email,
                address=client.address,
                details={"sessions_ended": ended},
            )
            updated = await repo.get_user(work.conn, user.id)
        assert updated is not None
        log.info("staff deactivated", extra={"user_id": user.id, "sessions_ended": ended})
        return updated

    async def reactivate(self, actor: StaffMember, user_id: int, client: Client) -> StaffMember:
        require(actor.roles, Permission.MANAGE_STAFF)
        now = self.clock.now()
        async with unit_of_work(self.db) as work:
            user = await self._get(work, user_id)
            if not user.is_active:
                await repo.set_active(work.conn, user.id, active=True, at=None)
                await audit.record(
                    work.conn,
                    at=now,
                    actor_id=actor.id,
                    action="staff.reactivated",
                    subject=user.email,
                    address=client.address,
                )
            updated = await repo.get_user(work.conn, user.id)
        assert updated is not None
        return updated

    async def _get(self, work: Work, user_id: int) -> StaffMember:
        user = await repo.get_user(work.conn, user_id)
        if user is None:
            raise NotFound("There is no such staff member.")
        return user


def _checked_identity(email: str, name: str) -> tuple[str, str]:
    """Validate both fields, reporting every problem at once."""
    problems: dict[str, str] = {}
    clean_email = clean_name = ""
    try:
        clean_email = normalize_email(email)
    except InvalidInput as exc:
        problems.update(exc.fields)
    try:
        clean_name = normalize_name(name)
    except InvalidInput as exc:
        problems.update(exc.fields)
    if problems:
        raise InvalidInput("Please correct the marked fields.", problems)
    return clean_email, clean_name
