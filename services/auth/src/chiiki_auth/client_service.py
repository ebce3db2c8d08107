"""Service accounts: the client-credentials grant and the admin's management of clients.

Client tokens are short-lived (``AUTH_CLIENT_TOKEN_TTL_SECONDS``), come with no refresh token and
create no session rows. Client authentication has its own throttle, per client id: the login
throttles (per account, per IP) never apply to it, and user lockouts never block it.

Revocation and rotation go through the Redis denylist every verifier reads: the client's
current ``secret_id`` (the ``sid`` of its tokens) is denylisted, and a "not before" is set on the
client id, so its older tokens stop working at once in the services and within
``GATEWAY_AUTH_CACHE`` at the gateway.

Admin actions go through ``_admin_action``: a security event and a row of the audit log, in the
action's transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_auth.audit import AUDIT_LOG
from chiiki_auth.client_secrets import hash_client_secret, new_client_secret, secret_matches
from chiiki_auth.config import AuthSettings, BootstrapClient
from chiiki_auth.keys import KeyRing
from chiiki_auth.models import Client
from chiiki_auth.oauth import CLIENT_CREDENTIALS, ClientCredentials, TokenRequest, oauth_error
from chiiki_auth.repository import ClientRepository
from chiiki_auth.throttle import Throttle, Window
from chiiki_auth.tokens import issue_client_token
from chiiki_shared.audit import Actor, Origin
from chiiki_shared.errors import Conflict, NotFound, TooManyRequests
from chiiki_shared.security import SCOPES, Principal, RevocationList, parse_scopes

security_log = structlog.get_logger("chiiki.security")


@dataclass(frozen=True)
class ClientToken:
    access_token: str
    expires_in: int
    scope: str


@dataclass(frozen=True)
class ClientWithSecret:
    """A client and its plaintext secret: answered once, at creation or rotation, never kept."""

    client: Client
    secret: str


def _actor(by: Principal | None) -> uuid.UUID | None:
    """The admin who acted; ``None`` for the command line and bootstrap."""
    return uuid.UUID(by.user_id) if by else None


class ClientService:
    def __init__(
        self,
        *,
        session: AsyncSession,
        settings: AuthSettings,
        keys: KeyRing,
        throttle: Throttle,
        revocations: RevocationList,
    ) -> None:
        self.session = session
        self.settings = settings
        self.keys = keys
        self.throttle = throttle
        self.revocations = revocations
        self.clients = ClientRepository(session)

    # -- the grant ---------------------------------------------------------------------------------

    async def grant(self, request: TokenRequest, *, client_ip: str) -> ClientToken:
        if request.grant_type != CLIENT_CREDENTIALS:
            raise oauth_error(
                "unsupported_grant_type", f"Only grant_type={CLIENT_CREDENTIALS} is supported here"
            )
        if request.credentials is None:
            raise oauth_error("invalid_client", "Client authentication is required")
        client = await self._authenticate(request.credentials, client_ip)
        scopes = self._granted_scopes(client, request.scope)
        now = datetime.now(UTC)
        token = issue_client_token(
            self.keys,
            self.settings,
            client_id=str(client.id),
            secret_id=str(client.secret_id),
            scopes=scopes,
            now=now,
        )
        security_log.info(
            "client_token_issued",
            category="security",
            client_id=str(client.id),
            scope=" ".join(scopes),
            client_ip=client_ip,
        )
        return ClientToken(token, self.settings.client_token_ttl_seconds, " ".join(scopes))

    async def _authenticate(self, credentials: ClientCredentials, client_ip: str) -> Client:
        window = Window(
            self.throttle.key("client-auth", credentials.client_id),
            self.settings.client_max_failures,
            self.settings.client_window_seconds,
        )
        reserved = await self.throttle.reserve([window])
        if isinstance(reserved, int):
            security_log.warning(
                "client_auth_throttled",
                category="security",
                client_id=credentials.client_id[:64],
                client_ip=client_ip,
                retry_after=reserved,
            )
            raise TooManyRequests(
                f"Too many failed client authentications; try again in {reserved} seconds",
                headers={"Retry-After": str(reserved), "Cache-Control": "no-store"},
                extra={"retry_after": reserved},
            )
        client = await self._find(credentials.client_id)
        if client is None:
            reason = "unknown_client"
        elif not secret_matches(client.secret_hash, credentials.client_secret):
            reason = "wrong_secret"
        elif client.is_revoked:
            reason = "client_revoked"
        else:
            reason = None
        if reason or client is None:
            security_log.warning(
                "client_auth_failed",
                category="security",
                reason=reason,
                client_id=credentials.client_id[:64],
                method=credentials.method,
                client_ip=client_ip,
            )
            raise oauth_error("invalid_client", "Client authentication failed")
        await self.throttle.release(reserved)
        return client

    async def _find(self, client_id: str) -> Client | None:
        try:
            return await self.clients.get(uuid.UUID(client_id))
        except ValueError:
            return None

    @staticmethod
    def _granted_scopes(client: Client, requested: str | None) -> list[str]:
        """The requested scopes, or all of the client's when it asks for none (RFC 6749 §3.3)."""
        if requested is None or not requested.strip():
            return sorted(client.scopes)
        scopes = parse_scopes(requested)
        unknown = [scope for scope in scopes if scope not in SCOPES]
        if unknown:
            raise oauth_error("invalid_scope", f"Unknown scopes: {' '.join(unknown)}")
        refused = [scope for scope in scopes if scope not in client.scopes]
        if refused:
            raise oauth_error(
                "invalid_scope", f"Scopes not allowed to this client: {' '.join(refused)}"
            )
        return sorted(scopes)

    # -- management --------------------------------------------------------------------------------

    async def create(
        self,
        *,
        name: str,
        scopes: list[str],
        created_by: uuid.UUID | None,
        client_id: uuid.UUID | None = None,
        secret: str | None = None,
        origin: Origin | None = None,
    ) -> ClientWithSecret:
        secret = secret or new_client_secret()
        client = await self.clients.add(
            client_id=client_id or uuid.uuid4(),
            name=name,
            secret_hash=hash_client_secret(secret),
            scopes=sorted(set(scopes)),
            created_by=created_by,
        )
        if client is None:
            raise Conflict(f"An active client is already named {name!r}", code="client-name-taken")
        await self._admin_action(
            "client_created", client, created_by, origin, after=_client_state(client)
        )
        return ClientWithSecret(client, secret)

    async def page(
        self, *, limit: int, after: tuple[datetime, uuid.UUID] | None
    ) -> tuple[list[Client], bool]:
        return await self.clients.page(limit=limit, after=after)

    async def get(self, client_id: uuid.UUID, *, for_update: bool = False) -> Client:
        client = await self.clients.get(client_id, for_update=for_update)
        if client is None:
            raise NotFound(f"No client has id {client_id}")
        return client

    async def revoke(
        self, client_id: uuid.UUID, *, by: Principal | None, origin: Origin | None = None
    ) -> Client:
        """Revoke the client (again: no change); its tokens stop working."""
        client = await self.get(client_id, for_update=True)
        if client.is_revoked:
            return client
        before = _client_state(client)
        client.revoked_at = datetime.now(UTC)
        await self._end_tokens(client, client.secret_id)
        await self._admin_action(
            "client_revoked", client, _actor(by), origin, before=before, after=_client_state(client)
        )
        return client

    async def rotate_secret(
        self, client_id: uuid.UUID, *, by: Principal | None, origin: Origin | None = None
    ) -> ClientWithSecret:
        """A new secret; the old one and every token issued with it stop working."""
        client = await self.get(client_id, for_update=True)
        if client.is_revoked:
            raise Conflict("A revoked client cannot get a new secret", code="client-revoked")
        old_secret_id = client.secret_id
        secret = new_client_secret()
        client.secret_hash = hash_client_secret(secret)
        client.secret_id = uuid.uuid4()
        client.secret_rotated_at = datetime.now(UTC)
        await self._end_tokens(client, old_secret_id)
        await self._admin_action(
            "client_secret_rotated",
            client,
            _actor(by),
            origin,
            before={"secret_id": str(old_secret_id)},
            after={"secret_id": str(client.secret_id)},
        )
        return ClientWithSecret(client, secret)

    async def ensure_bootstrap(self, declared: BootstrapClient) -> Client | None:
        """Create a client of ``AUTH_BOOTSTRAP_CLIENTS`` unless one has its id; the new client."""
        existing = await self.clients.get(declared.id)
        if existing is not None:
            if existing.is_revoked:
                security_log.warning(
                    "bootstrap_client_revoked", category="security", client_id=str(existing.id)
                )
            return None
        try:
            created = await self.create(
                name=declared.name,
                scopes=declared.scopes,
                created_by=None,
                client_id=declared.id,
                secret=declared.secret.get_secret_value(),
            )
        except Conflict:
            # Another client has the name (made with another id, e.g. before the run folder that
            # held the id was removed): left alone, as the bootstrap admin is; said loudly.
            security_log.error(
                "bootstrap_client_name_taken", category="security", client_name=declared.name
            )
            return None
        return created.client

    async def _end_tokens(self, client: Client, secret_id: uuid.UUID) -> None:
        ttl = self.settings.revocation_ttl_seconds
        await self.revocations.revoke_sessions([str(secret_id)], ttl_seconds=ttl)
        await self.revocations.set_not_before(
            str(client.id), int(datetime.now(UTC).timestamp()), ttl_seconds=ttl
        )

    async def _admin_action(
        self,
        event: str,
        client: Client,
        by: uuid.UUID | None,
        origin: Origin | None,
        *,
        before: dict[str, object] | None = None,
        after: dict[str, object] | None = None,
    ) -> None:
        """Every change to a client goes through here: a security event and an audit row (by the
        admin, or by the auth service itself for the command line and bootstrap)."""
        security_log.info(
            event,
            category="security",
            client_id=str(client.id),
            client_name=client.name,
            by=str(by) if by else None,
        )
        await AUDIT_LOG.record(
            self.session,
            actor=Actor.user(str(by)) if by else Actor("service", "auth"),
            action=AUDIT_ACTIONS[event],
            target_type="service_client",
            target_id=str(client.id),
            before=before,
            after=after,
            origin=origin,
        )


# Audit-log action names of the security events above (never with a secret in before/after).
AUDIT_ACTIONS = {
    "client_created": "service_client.created",
    "client_revoked": "service_client.revoked",
    "client_secret_rotated": "service_client.secret_rotated",
}


def _client_state(client: Client) -> dict[str, object]:
    return {
        "name": client.name,
        "scopes": list(client.scopes),
        "revoked": client.revoked_at is not None,
    }
