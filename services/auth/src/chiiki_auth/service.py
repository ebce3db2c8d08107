"""The rules of the auth service: accounts, logins, sessions, tokens, settings and roles.

No HTTP and no commit here: the request owns the transaction. Expected failures are ``ApiError``s.
Security events go to the ``chiiki.security`` logger with ``category="security"``; they name users,
sessions and client addresses, never passwords or tokens.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_auth.audit import AUDIT_LOG
from chiiki_auth.config import AuthSettings
from chiiki_auth.keys import KeyRing
from chiiki_auth.models import ROLE_ADMIN, ROLE_USER, Session, User, UserSettings
from chiiki_auth.passwords import PasswordProblem, Passwords, password_problem
from chiiki_auth.repository import (
    RefreshTokenRepository,
    SessionRepository,
    SettingsRepository,
    UserRepository,
)
from chiiki_auth.throttle import Throttle, Window
from chiiki_auth.tokens import TokenPair, hash_refresh_token, issue_access_token, new_refresh_token
from chiiki_shared.audit import Actor, Origin
from chiiki_shared.errors import (
    ApiError,
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    UnprocessableInput,
)
from chiiki_shared.security import Principal, RevocationList, bearer_challenge

security_log = structlog.get_logger("chiiki.security")


def utcnow() -> datetime:
    return datetime.now(UTC)


def normalise_login_email(email: str) -> str:
    """How a login compares emails: the stored form is lowercase (see schemas.normalise_email)."""
    return email.strip().lower()


def invalid_credentials() -> Unauthorized:
    # One answer for unknown email, wrong password and disabled account: no enumeration.
    detail = "The email or password is incorrect"
    return Unauthorized(
        detail,
        code="invalid-credentials",
        title="Login failed",
        headers=bearer_challenge(description=detail),
    )


def invalid_refresh_token(
    detail: str = "The refresh token is invalid or has expired",
) -> Unauthorized:
    return Unauthorized(
        detail,
        code="invalid-refresh-token",
        title="Invalid refresh token",
        # A token was sent and it is not valid: RFC 6750's invalid_token, as for access tokens.
        headers=bearer_challenge("invalid_token", detail),
    )


def too_many_attempts(wait: int, what: str = "failed attempts") -> TooManyRequests:
    return TooManyRequests(
        f"Too many {what}; try again in {wait} seconds",
        headers={"Retry-After": str(wait)},
        extra={"retry_after": wait},
    )


def weak_password(problem: PasswordProblem, field: str) -> UnprocessableInput:
    return UnprocessableInput(
        problem.message,
        code="weak-password",
        title="Password refused",
        extra={
            "rule": problem.rule,
            "errors": [{"field": field, "message": problem.message, "type": "weak_password"}],
        },
    )


async def purge_ended_sessions(session: AsyncSession, settings: AuthSettings) -> dict[str, int]:
    """Delete sessions that ended more than ``AUTH_SESSION_RETENTION_DAYS`` ago, with their
    refresh tokens. Spent tokens of live sessions stay: reuse detection needs them."""
    ended_before = utcnow() - timedelta(days=settings.session_retention_days)
    sessions, tokens = await SessionRepository(session).purge(
        ended_before=ended_before, idle_seconds=settings.refresh_token_idle_seconds
    )
    return {"sessions": sessions, "refresh_tokens": tokens}


@dataclass(frozen=True)
class RefreshReused:
    """A refresh token was presented again: its family is revoked and the caller gets a 401."""

    error: ApiError


@dataclass(frozen=True)
class SettingsDocument:
    settings: dict[str, Any]
    version: int
    updated_at: datetime | None


class AuthService:
    def __init__(
        self,
        *,
        session: AsyncSession,
        settings: AuthSettings,
        keys: KeyRing,
        passwords: Passwords,
        throttle: Throttle,
        revocations: RevocationList,
    ) -> None:
        self.settings = settings
        self.keys = keys
        self.passwords = passwords
        self.throttle = throttle
        self.revocations = revocations
        self.session = session
        self.users = UserRepository(session)
        self.sessions = SessionRepository(session)
        self.refresh_tokens = RefreshTokenRepository(session)
        self.user_settings = SettingsRepository(session)

    # -- accounts ----------------------------------------------------------------------------------

    async def register(
        self, *, email: str, password: str, display_name: str, client_ip: str
    ) -> User:
        window = Window(
            self.throttle.key("register-ip", client_ip),
            self.settings.register_ip_max,
            self.settings.register_ip_window_seconds,
        )
        reserved = await self.throttle.reserve([window])
        if isinstance(reserved, int):
            security_log.warning(
                "register_throttled", category="security", client_ip=client_ip, retry_after=reserved
            )
            raise too_many_attempts(reserved, "registrations from this address")
        problem = password_problem(password, email=email)
        if problem:
            raise weak_password(problem, "body.password")
        user = await self.users.add(
            email=email,
            display_name=display_name,
            password_hash=await self.passwords.hash(password),
            role=ROLE_USER,
        )
        if user is None:
            raise Conflict("An account with this email already exists", code="email-taken")
        security_log.info(
            "user_registered", category="security", user_id=str(user.id), client_ip=client_ip
        )
        return user

    async def ensure_admin(self, *, email: str, password: str) -> User | None:
        """Create ``email`` as an admin unless an account has it; the new user, else ``None``."""
        if await self.users.get_by_email(email) is not None:
            return None
        problem = password_problem(password, email=email)
        if problem:
            raise ValueError(f"BOOTSTRAP_ADMIN_PASSWORD is refused: {problem.message}")
        user = await self.users.add(
            email=email,
            display_name="Administrator",
            password_hash=await self.passwords.hash(password),
            role=ROLE_ADMIN,
        )
        if user is not None:
            security_log.info("bootstrap_admin_created", category="security", user_id=str(user.id))
        return user

    # -- logins and sessions -----------------------------------------------------------------------

    async def login(
        self, *, email: str, password: str, client_ip: str, user_agent: str | None = None
    ) -> TokenPair:
        email = normalise_login_email(email)
        reserved = await self.throttle.reserve(
            [self._account_window(email), self._ip_window(client_ip)]
        )
        if isinstance(reserved, int):
            security_log.warning(
                "login_throttled", category="security", client_ip=client_ip, retry_after=reserved
            )
            raise too_many_attempts(reserved)
        async with self.throttle.attempt(reserved, failure=Unauthorized):
            user = await self._check_credentials(email, password, client_ip)
        if self.passwords.needs_rehash(user.password_hash):
            user.password_hash = await self.passwords.hash(password)
            security_log.info("password_rehashed", category="security", user_id=str(user.id))
        pair = await self._start_session(user, client_ip=client_ip, user_agent=user_agent)
        security_log.info(
            "login_succeeded",
            category="security",
            user_id=str(user.id),
            session_id=pair.session_id,
            client_ip=client_ip,
        )
        return pair

    async def _check_credentials(self, email: str, password: str, client_ip: str) -> User:
        """The account these credentials open, else 401 ``invalid-credentials``."""
        user = await self.users.get_by_email(email)
        if user is None:
            await self.passwords.verify_dummy(password)
            reason = "unknown_email"
        elif not await self.passwords.verify(user.password_hash, password):
            reason = "wrong_password"
        elif user.is_disabled:
            reason = "account_disabled"
        else:
            return user
        security_log.warning(
            "login_failed",
            category="security",
            reason=reason,
            user_id=str(user.id) if user else None,
            client_ip=client_ip,
        )
        raise invalid_credentials()

    async def refresh(
        self, refresh_token: str, *, client_ip: str, user_agent: str | None = None
    ) -> TokenPair | RefreshReused:
        # Fails closed (503) while the revocation list cannot be read: the new access token
        # could not be revoked, and the services could not check it.
        await self.revocations.ensure_available()
        now = utcnow()
        token_hash = hash_refresh_token(refresh_token)
        token = await self.refresh_tokens.claim(token_hash, now)
        if token is None:
            used = await self.refresh_tokens.find(token_hash)
            if used is None:
                raise invalid_refresh_token()
            return await self._reuse_detected(used.session_id, now)
        login = await self.sessions.get(token.session_id)
        user = await self.users.get(login.user_id) if login else None
        if login is None or user is None or login.revoked_at is not None:
            raise invalid_refresh_token("The session of this refresh token has ended")
        if now >= login.expires_at:
            raise invalid_refresh_token("The session has reached its maximum lifetime")
        if now >= token.issued_at + timedelta(seconds=self.settings.refresh_token_idle_seconds):
            raise invalid_refresh_token("The session was idle for too long")
        if user.is_disabled:
            raise invalid_refresh_token("The account is disabled")
        await self.sessions.touch(login.id, now, user_agent=user_agent, client_ip=client_ip)
        return await self._issue(user, login, now)

    async def logout(self, principal: Principal) -> None:
        await self._revoke([uuid.UUID(principal.session_id)], reason="logout")
        security_log.info(
            "logout",
            category="security",
            user_id=principal.user_id,
            session_id=principal.session_id,
        )

    async def live_sessions(self, principal: Principal) -> list[Session]:
        return await self.sessions.live(
            uuid.UUID(principal.user_id),
            now=utcnow(),
            idle_seconds=self.settings.refresh_token_idle_seconds,
        )

    async def end_session(self, principal: Principal, session_id: uuid.UUID) -> None:
        """End one of the caller's live sessions; anyone else's, or an unknown one, is 404 alike,
        so the answer reveals nothing about other users' sessions."""
        if not await self._endable(principal, session_id):
            raise NotFound(
                f"You have no active session with id {session_id}",
                code="session-not-found",
                title="Session not found",
            )
        await self._revoke([session_id], reason="ended_by_user")
        security_log.info(
            "session_ended",
            category="security",
            user_id=principal.user_id,
            session_id=str(session_id),
            by_session_id=principal.session_id,
        )

    async def end_other_sessions(self, principal: Principal) -> int:
        """Log out everywhere else: every live session of the caller but this one ends."""
        others = [sid for sid in await self._endable(principal) if str(sid) != principal.session_id]
        await self._revoke(others, reason="logout_everywhere")
        security_log.info(
            "other_sessions_ended",
            category="security",
            user_id=principal.user_id,
            session_id=principal.session_id,
            ended=len(others),
        )
        return len(others)

    async def _endable(
        self, principal: Principal, session_id: uuid.UUID | None = None
    ) -> list[uuid.UUID]:
        return await self.sessions.endable_ids(
            uuid.UUID(principal.user_id),
            now=utcnow(),
            idle_seconds=self.settings.refresh_token_idle_seconds,
            token_seconds=self.settings.revocation_ttl_seconds,
            session_id=session_id,
        )

    async def _reuse_detected(self, session_id: uuid.UUID, now: datetime) -> RefreshReused:
        login = await self.sessions.get(session_id)
        if login is not None and login.revoked_at is None:
            await self._revoke([login.id], reason="refresh_reuse")
        security_log.warning(
            "refresh_token_reused",
            category="security",
            user_id=str(login.user_id) if login else None,
            session_id=str(session_id),
        )
        return RefreshReused(
            invalid_refresh_token("The refresh token was already used; the session is revoked")
        )

    async def _start_session(
        self, user: User, *, client_ip: str, user_agent: str | None
    ) -> TokenPair:
        now = utcnow()
        expires_at = now + timedelta(seconds=self.settings.refresh_token_ttl_seconds)
        login = await self.sessions.create(
            user_id=user.id,
            now=now,
            expires_at=expires_at,
            user_agent=user_agent,
            client_ip=client_ip,
        )
        return await self._issue(user, login, now)

    async def _issue(self, user: User, login: Session, now: datetime) -> TokenPair:
        refresh_token = new_refresh_token()
        await self.refresh_tokens.add(
            session_id=login.id, token_hash=hash_refresh_token(refresh_token), issued_at=now
        )
        access_token = issue_access_token(
            self.keys,
            self.settings,
            user_id=str(user.id),
            role=user.role,
            session_id=str(login.id),
            now=now,
        )
        refresh_left = (login.expires_at - now).total_seconds()
        return TokenPair(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_in=self.settings.access_token_ttl_seconds,
            refresh_expires_in=max(0, math.floor(refresh_left)),
            session_id=str(login.id),
        )

    async def _revoke(self, session_ids: list[uuid.UUID], *, reason: str) -> None:
        await self.sessions.revoke(session_ids, reason=reason, now=utcnow())
        await self.revocations.revoke_sessions(
            [str(sid) for sid in session_ids], ttl_seconds=self.settings.revocation_ttl_seconds
        )

    async def _end_all_sessions(self, user: User, *, reason: str) -> None:
        """Revoke every session of ``user`` and refuse every token issued before this second."""
        now = utcnow()
        await self._revoke(await self.sessions.active_ids(user.id, now), reason=reason)
        user.tokens_not_before = now  # durable: the denylist is rebuilt from it (revocations.py)
        await self.revocations.set_not_before(
            str(user.id), int(now.timestamp()), ttl_seconds=self.settings.revocation_ttl_seconds
        )

    def _account_window(self, email: str) -> Window:
        return Window(
            self.throttle.key("login-account", email),
            self.settings.login_account_max_failures,
            self.settings.login_account_window_seconds,
        )

    def _ip_window(self, client_ip: str) -> Window:
        return Window(
            self.throttle.key("login-ip", client_ip),
            self.settings.login_ip_max_failures,
            self.settings.login_ip_window_seconds,
        )

    # -- the signed-in user ------------------------------------------------------------------------

    async def me(self, principal: Principal) -> User:
        user = await self.users.get(uuid.UUID(principal.user_id))
        if user is None:
            raise NotFound("This account no longer exists")
        return user

    async def update_me(self, principal: Principal, *, display_name: str | None) -> User:
        user = await self.me(principal)
        if display_name is not None:
            user.display_name = display_name
        return user

    async def change_password(
        self,
        principal: Principal,
        *,
        current: str,
        new: str,
        client_ip: str,
        user_agent: str | None = None,
    ) -> TokenPair:
        user = await self.me(principal)
        reserved = await self.throttle.reserve([self._account_window(user.email)])
        if isinstance(reserved, int):
            raise too_many_attempts(reserved)
        async with self.throttle.attempt(reserved, failure=Forbidden):
            if not await self.passwords.verify(user.password_hash, current):
                security_log.warning(
                    "password_change_failed",
                    category="security",
                    user_id=str(user.id),
                    client_ip=client_ip,
                )
                raise Forbidden("The current password is incorrect", code="wrong-password")
        problem = password_problem(new, email=user.email)
        if problem:
            raise weak_password(problem, "body.new_password")
        user.password_hash = await self.passwords.hash(new)
        user.password_changed_at = utcnow()
        await self._end_all_sessions(user, reason="password_change")
        security_log.info(
            "password_changed", category="security", user_id=str(user.id), client_ip=client_ip
        )
        return await self._start_session(user, client_ip=client_ip, user_agent=user_agent)

    async def get_settings(self, principal: Principal) -> SettingsDocument:
        stored = await self.user_settings.get(uuid.UUID(principal.user_id))
        if stored is None:
            return SettingsDocument({}, 0, None)
        return SettingsDocument(stored.document, stored.version, stored.updated_at)

    async def put_settings(
        self, principal: Principal, *, document: dict[str, Any], version: int
    ) -> SettingsDocument:
        size = len(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode())
        if size > self.settings.settings_max_bytes:
            raise ApiError(
                f"The settings document has {size} bytes; at most "
                f"{self.settings.settings_max_bytes} are kept",
                status=413,
                code="settings-too-large",
                title="Settings too large",
                extra={"max_bytes": self.settings.settings_max_bytes},
            )
        user_id = uuid.UUID(principal.user_id)
        stored: UserSettings | None = await self.user_settings.replace(
            user_id, document, expected_version=version
        )
        if stored is None:
            current = await self.user_settings.get(user_id)
            current_version = current.version if current else 0
            raise Conflict(
                f"The settings changed since version {version}; the current version is "
                f"{current_version}",
                code="stale-version",
                extra={"current_version": current_version},
            )
        return SettingsDocument(stored.document, stored.version, stored.updated_at)

    # -- administration ----------------------------------------------------------------------------

    async def list_users(
        self,
        *,
        search: str | None,
        role: str | None,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> tuple[list[User], bool]:
        return await self.users.page(search=search, role=role, limit=limit, after=after)

    async def update_user(
        self,
        admin: Principal,
        user_id: uuid.UUID,
        *,
        role: str | None,
        disabled: bool | None,
        origin: Origin,
    ) -> User:
        """Change a user's role and/or disable or enable them; each change is one audit row."""
        admins = await self.users.lock_active_admins()
        user = await self.users.get(user_id, for_update=True)
        if user is None:
            raise NotFound(f"No user has id {user_id}")
        loses_admin = (
            user.role == ROLE_ADMIN
            and not user.is_disabled
            and (role == ROLE_USER or disabled is True)
        )
        if loses_admin and all(other.id == user.id for other in admins):
            raise Conflict("The last admin cannot be demoted or disabled", code="last-admin")
        audit = partial(self._audit, admin, origin, user)
        end_sessions = False
        if role is not None and role != user.role:
            security_log.info(
                "role_changed",
                category="security",
                user_id=str(user.id),
                by=admin.user_id,
                old_role=user.role,
                new_role=role,
            )
            await audit("user.role_changed", {"role": user.role}, {"role": role})
            user.role = role
            end_sessions = True
        if disabled is True and not user.is_disabled:
            user.disabled_at = utcnow()
            security_log.info(
                "user_disabled", category="security", user_id=str(user.id), by=admin.user_id
            )
            await audit("user.disabled", {"disabled": False}, {"disabled": True})
            end_sessions = True
        elif disabled is False and user.is_disabled:
            user.disabled_at = None
            security_log.info(
                "user_enabled", category="security", user_id=str(user.id), by=admin.user_id
            )
            await audit("user.enabled", {"disabled": True}, {"disabled": False})
        if end_sessions:
            await self._end_all_sessions(user, reason="account_changed")
        return user

    async def _audit(
        self,
        admin: Principal,
        origin: Origin,
        user: User,
        action: str,
        before: dict[str, Any],
        after: dict[str, Any],
    ) -> None:
        await AUDIT_LOG.record(
            self.session,
            actor=Actor.user(admin.user_id),
            action=action,
            target_type="user",
            target_id=str(user.id),
            before=before,
            after=after,
            origin=origin,
        )
