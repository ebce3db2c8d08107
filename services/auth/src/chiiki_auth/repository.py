"""Every SQL statement of the auth service. Repositories flush; the request commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_auth.models import ROLE_ADMIN, Client, RefreshToken, Session, User, UserSettings


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _live(now: datetime, idle_seconds: int) -> tuple[ColumnElement[bool], ...]:
    """A session is live until it is revoked, reaches its lifetime or stays unrefreshed for the
    idle limit (``last_used_at`` is when its newest refresh token was issued)."""
    return (
        Session.revoked_at.is_(None),
        Session.expires_at > now,
        Session.last_used_at > now - timedelta(seconds=idle_seconds),
    )


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
        query = select(User).where(User.id == user_id)
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def get_by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email))

    async def add(
        self, *, email: str, display_name: str, password_hash: str, role: str
    ) -> User | None:
        """The new user, or ``None`` when the email is taken (also under concurrent inserts)."""
        user_id = await self.session.scalar(
            insert(User)
            .values(
                id=uuid.uuid4(),
                email=email,
                display_name=display_name,
                password_hash=password_hash,
                role=role,
            )
            .on_conflict_do_nothing(index_elements=[User.email])
            .returning(User.id)
        )
        return None if user_id is None else await self.get(user_id)

    async def page(
        self,
        *,
        search: str | None,
        role: str | None,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> tuple[list[User], bool]:
        """Up to ``limit`` users oldest first, matching ``search`` (part of an email or name)
        and ``role``, after the user ``after`` names (creation time and id); more follow?"""
        query = select(User) if role is None else select(User).where(User.role == role)
        if search:
            pattern = f"%{_escape_like(search)}%"
            query = query.where(
                or_(
                    User.email.ilike(pattern, escape="\\"),
                    User.display_name.ilike(pattern, escape="\\"),
                )
            )
        if after is not None:
            query = query.where(tuple_(User.created_at, User.id) > tuple_(*after))
        query = query.order_by(User.created_at, User.id).limit(limit + 1)
        rows = (await self.session.scalars(query)).all()
        return list(rows[:limit]), len(rows) > limit

    async def tokens_not_before_since(self, cutoff: datetime) -> list[tuple[uuid.UUID, datetime]]:
        """Users whose tokens before some moment after ``cutoff`` are refused, with that moment."""
        query = select(User.id, User.tokens_not_before).where(User.tokens_not_before > cutoff)
        rows = await self.session.execute(query)
        return [(row[0], row[1]) for row in rows if row[1] is not None]

    async def lock_active_admins(self) -> list[User]:
        """Every enabled admin, locked until the transaction ends (the last-admin rule)."""
        query = (
            select(User)
            .where(User.role == ROLE_ADMIN, User.disabled_at.is_(None))
            .order_by(User.id)
            .with_for_update()
        )
        return list((await self.session.scalars(query)).all())


class SessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(
        self,
        *,
        user_id: uuid.UUID,
        now: datetime,
        expires_at: datetime,
        user_agent: str | None,
        client_ip: str,
    ) -> Session:
        login = Session(
            id=uuid.uuid4(),
            user_id=user_id,
            created_at=now,
            last_used_at=now,
            expires_at=expires_at,
            user_agent=user_agent,
            client_ip=client_ip,
        )
        self.session.add(login)
        await self.session.flush()
        return login

    async def get(self, session_id: uuid.UUID) -> Session | None:
        return await self.session.get(Session, session_id)

    async def live(self, user_id: uuid.UUID, *, now: datetime, idle_seconds: int) -> list[Session]:
        """The user's sessions that can still be refreshed, most recently used first."""
        query = (
            select(Session)
            .where(Session.user_id == user_id, *_live(now, idle_seconds))
            .order_by(Session.last_used_at.desc(), Session.id)
        )
        return list((await self.session.scalars(query)).all())

    async def endable_ids(
        self,
        user_id: uuid.UUID,
        *,
        now: datetime,
        idle_seconds: int,
        token_seconds: int,
        session_id: uuid.UUID | None = None,
    ) -> list[uuid.UUID]:
        """The user's sessions worth ending: live ones, and unrevoked ones whose last access
        token (issued at ``last_used_at``) may still be valid for ``token_seconds``."""
        query = select(Session.id).where(
            Session.user_id == user_id,
            Session.revoked_at.is_(None),
            or_(
                and_(*_live(now, idle_seconds)),
                Session.last_used_at > now - timedelta(seconds=token_seconds),
            ),
        )
        if session_id is not None:
            query = query.where(Session.id == session_id)
        return list((await self.session.scalars(query)).all())

    async def purge(self, *, ended_before: datetime, idle_seconds: int) -> tuple[int, int]:
        """Delete sessions that ended (revoked, expired or idle) before ``ended_before``, and
        their refresh tokens; (sessions, refresh tokens) deleted."""
        ended = select(Session.id).where(
            or_(
                Session.revoked_at < ended_before,
                Session.expires_at < ended_before,
                Session.last_used_at < ended_before - timedelta(seconds=idle_seconds),
            )
        )
        tokens = await self.session.execute(
            delete(RefreshToken).where(RefreshToken.session_id.in_(ended))
        )
        sessions = await self.session.execute(delete(Session).where(Session.id.in_(ended)))
        return sessions.rowcount, tokens.rowcount  # type: ignore[attr-defined]

    async def active_ids(self, user_id: uuid.UUID, now: datetime) -> list[uuid.UUID]:
        query = select(Session.id).where(
            Session.user_id == user_id, Session.revoked_at.is_(None), Session.expires_at > now
        )
        return list((await self.session.scalars(query)).all())

    async def revoke(self, session_ids: Sequence[uuid.UUID], *, reason: str, now: datetime) -> None:
        if not session_ids:
            return
        await self.session.execute(
            update(Session)
            .where(Session.id.in_(session_ids), Session.revoked_at.is_(None))
            .values(revoked_at=now, revoke_reason=reason)
            .execution_options(synchronize_session=False)
        )

    async def revoked_since(self, cutoff: datetime) -> list[tuple[uuid.UUID, datetime]]:
        """Sessions revoked after ``cutoff``, with the moment they were."""
        query = select(Session.id, Session.revoked_at).where(Session.revoked_at > cutoff)
        rows = await self.session.execute(query)
        return [(row[0], row[1]) for row in rows if row[1] is not None]

    async def touch(
        self, session_id: uuid.UUID, now: datetime, *, user_agent: str | None, client_ip: str
    ) -> None:
        await self.session.execute(
            update(Session)
            .where(Session.id == session_id)
            .values(last_used_at=now, user_agent=user_agent, client_ip=client_ip)
            .execution_options(synchronize_session=False)
        )


class RefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, *, session_id: uuid.UUID, token_hash: str, issued_at: datetime) -> None:
        self.session.add(
            RefreshToken(
                id=uuid.uuid4(), session_id=session_id, token_hash=token_hash, issued_at=issued_at
            )
        )
        await self.session.flush()

    async def claim(self, token_hash: str, now: datetime) -> RefreshToken | None:
        """Mark the token used, atomically: of two requests racing with it, one wins."""
        return await self.session.scalar(
            update(RefreshToken)
            .where(RefreshToken.token_hash == token_hash, RefreshToken.used_at.is_(None))
            .values(used_at=now)
            .returning(RefreshToken)
            .execution_options(synchronize_session=False)
        )

    async def find(self, token_hash: str) -> RefreshToken | None:
        return await self.session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash)
        )


class SettingsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> UserSettings | None:
        return await self.session.get(UserSettings, user_id)

    async def replace(
        self, user_id: uuid.UUID, document: dict[str, Any], *, expected_version: int
    ) -> UserSettings | None:
        """Store ``document`` as the next version if ``expected_version`` is still current."""
        if expected_version == 0:
            statement: Any = (
                insert(UserSettings)
                .values(user_id=user_id, document=document, version=1)
                .on_conflict_do_nothing(index_elements=[UserSettings.user_id])
            )
        else:
            statement = (
                update(UserSettings)
                .where(UserSettings.user_id == user_id, UserSettings.version == expected_version)
                .values(document=document, version=UserSettings.version + 1, updated_at=func.now())
                .execution_options(synchronize_session=False)
            )
        stored: UserSettings | None = await self.session.scalar(statement.returning(UserSettings))
        if stored is not None:
            await self.session.refresh(stored)
        return stored


class ClientRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, client_id: uuid.UUID, *, for_update: bool = False) -> Client | None:
        query = select(Client).where(Client.id == client_id)
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def add(
        self,
        *,
        client_id: uuid.UUID,
        name: str,
        secret_hash: str,
        scopes: list[str],
        created_by: uuid.UUID | None,
    ) -> Client | None:
        """The new client, or ``None`` when its id or an active client's name is taken."""
        inserted = await self.session.scalar(
            insert(Client)
            .values(
                id=client_id,
                name=name,
                secret_hash=secret_hash,
                secret_id=uuid.uuid4(),
                scopes=scopes,
                created_by=created_by,
            )
            .on_conflict_do_nothing()
            .returning(Client.id)
        )
        return None if inserted is None else await self.get(inserted)

    async def page(
        self, *, limit: int, after: tuple[datetime, uuid.UUID] | None
    ) -> tuple[list[Client], bool]:
        """Up to ``limit`` clients oldest first, after the one ``after`` names; more follow?"""
        query = select(Client)
        if after is not None:
            query = query.where(tuple_(Client.created_at, Client.id) > tuple_(*after))
        query = query.order_by(Client.created_at, Client.id).limit(limit + 1)
        rows = (await self.session.scalars(query)).all()
        return list(rows[:limit]), len(rows) > limit
