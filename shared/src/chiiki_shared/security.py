"""Access tokens as every service checks them: the one place that knows the token contract.

The contract
------------
Access tokens are JWTs signed by the auth service with ES256 (ECDSA P-256 / SHA-256, the only
algorithm accepted), typed ``at+jwt`` in their header (RFC 9068) and naming their key with ``kid``.
Every claim below is required:

``iss`` (``JWT_ISSUER``), ``aud`` (``JWT_AUDIENCE``), ``sub``, ``exp``, ``iat``, ``nbf``,
``jti`` and ``sid``. Two kinds of token carry them:

- user tokens (a login): ``sub`` is the user id, ``sid`` the session (the refresh-token family the
  token was issued in), and ``role`` (``user`` or ``admin``) is required too. A role implies its
  scopes (``ROLE_SCOPES``); the token carries no ``scope`` claim.
- client tokens (the OAuth 2.0 client-credentials grant, for service accounts): ``sub`` and
  ``client_id`` are the client id (RFC 9068 §2.2), ``sid`` names the client's current secret (so
  revoking the client or rotating its secret ends its tokens through the same denylist as a
  session), ``scope`` lists what the token may do (space-separated, from ``SCOPES``), and there
  is no ``role``.

Identity comes from the token alone: headers such as ``X-User-Id`` (set by the gateway for logs)
are never trusted here.

Public keys come from the auth service's JWKS (``AUTH_INTERNAL_URL`` + ``JWKS_PATH``), cached
and fetched again when a token names a ``kid`` not seen yet (at most once every few seconds), so a
rotated key is picked up without a restart.

Revocation lives in Redis under ``REDIS_KEY_PREFIX``; it is the one piece of auth state that other
services read, on purpose, and only the auth service writes it:

- ``<prefix>auth:revoked-session:<sid>``: the session ended (logout, refresh-token reuse, password
  change...); every token carrying that ``sid`` is refused. Kept as long as an access token lives.
- ``<prefix>auth:not-before:<user id>``: Unix seconds; the user's tokens issued (``iat``) before
  that second are refused (password change, account disabled, role change). Same lifetime.
- ``<prefix>auth:revocations-loaded``: present once the auth service has written every revocation
  still in force from its database (where each one is recorded first). Redis restarted empty
  lacks it: until auth has rebuilt the list (at once when it checks a token itself, else within
  ``AUTH_REVOCATION_WATCH_SECONDS``), a missing marker refuses tokens with 503, never lets a
  revoked one through.

Using it in a service
---------------------
::

    from chiiki_shared.security import AdminUser, CurrentUser, ReadAccess

    @router.get("/api/population/{code}")
    async def population(code: str, reader: ReadAccess) -> ...:  # None when anonymous
        ...

    @router.post("/api/ingest/runs")
    async def start_run(admin: AdminUser) -> ...:  # 403 for role "user"
        ...

``ReadAccess`` lets anonymous callers through only when ``ANONYMOUS_READ`` is on; use it on GET
routes of statistics only.

Scopes: a client token passes ``CurrentUser``, ``ReadAccess`` and ``AdminUser`` only when it holds
the scope of the route, ``<service>:read`` for GET/HEAD and ``<service>:write`` for anything else
(``service_name`` of the app's settings: ``stats``, ``analytics``, ``ingest``; the auth service has
no scope, so client tokens reach none of its routes). ``require_scope("stats:read")`` names one
explicitly. User tokens are checked by role as before.

Failures are problem documents: 401 ``authentication-required`` or ``invalid-token`` with
``WWW-Authenticate: Bearer ...``, 403 ``forbidden`` or ``insufficient-scope``, and 503
``dependency-unavailable`` (``dependency``: ``auth`` or ``redis``) when the keys or the revocation
list cannot be read (fail closed).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

import httpx
import jwt
import structlog
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from redis.asyncio import Redis
from redis.exceptions import RedisError

from chiiki_shared.errors import DependencyUnavailable, Forbidden, Unauthorized
from chiiki_shared.settings import ServiceSettings

ALGORITHM = "ES256"
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a secret
ROLES = ("user", "admin")
CLIENT_ROLE = "client"  # the role a client token's Principal reports (never a claim)
REQUIRED_CLAIMS = ("iss", "aud", "sub", "exp", "iat", "nbf", "jti", "sid")
# The closed set of scopes a client may hold: each service's reads and writes.
SCOPES = (
    "stats:read",
    "stats:write",
    "analytics:read",
    "analytics:write",
    "ingest:read",
    "ingest:write",
)
# What a user token may do, by role: the routes CurrentUser/ReadAccess (user) and AdminUser
# (admin) open to them today.
ROLE_SCOPES = {
    "user": frozenset({"stats:read", "analytics:read", "analytics:write"}),
    "admin": frozenset(SCOPES),
}
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
JWKS_PATH = "/api/auth/.well-known/jwks.json"
TOKEN_URL = "/api/auth/login"  # noqa: S105 - a path, not a secret
REALM = "chiiki"
MAX_TOKEN_LENGTH = 4096
GUARD_EXTRA = "token_guard"
# A verified token's signature is not checked again for this long (revocation still is, always).
VERIFIED_TTL_SECONDS = 5.0
VERIFIED_MAX_ENTRIES = 4096

logger = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a verified access token speaks for."""

    user_id: str  # the client id for client tokens
    role: str  # CLIENT_ROLE for client tokens
    session_id: str  # the client's current secret for client tokens
    token_id: str
    issued_at: int
    expires_at: int
    client_id: str | None = None
    client_scopes: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_client(self) -> bool:
        return self.client_id is not None

    @property
    def scopes(self) -> frozenset[str]:
        """What this token may do: a client's granted scopes, or those its user's role implies."""
        if self.is_client:
            return self.client_scopes
        return ROLE_SCOPES.get(self.role, frozenset())

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


# -- errors ----------------------------------------------------------------------------------------


def bearer_challenge(error: str | None = None, description: str | None = None) -> dict[str, str]:
    """The ``WWW-Authenticate`` header of RFC 6750 (descriptions are plain ASCII, no quotes)."""
    parts = [f'realm="{REALM}"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append(f'error_description="{description}"')
    return {"WWW-Authenticate": "Bearer " + ", ".join(parts)}


def authentication_required() -> Unauthorized:
    detail = "An access token is required (Authorization: Bearer <token>)"
    return Unauthorized(
        detail, code="authentication-required", headers=bearer_challenge(description=detail)
    )


def invalid_token(detail: str) -> Unauthorized:
    return Unauthorized(
        detail,
        code="invalid-token",
        title="Invalid access token",
        headers=bearer_challenge("invalid_token", detail),
    )


def admin_required() -> Forbidden:
    detail = "This action needs the admin role"
    return Forbidden(detail, headers=bearer_challenge("insufficient_scope", detail))


def scope_required(scope: str | None) -> Forbidden:
    if scope:
        detail = f"This action needs the {scope} scope"
    else:
        detail = "This action is for users, not for client tokens"
    return Forbidden(
        detail,
        code="insufficient-scope",
        headers=bearer_challenge("insufficient_scope", detail),
        extra={"required_scope": scope} if scope else None,
    )


# -- keys ------------------------------------------------------------------------------------------


class KeySource(Protocol):
    """Finds the public key a token's ``kid`` names; ``None`` when there is no such key."""

    async def get(self, kid: str) -> Any | None: ...


def keys_from_jwks(document: Mapping[str, Any]) -> dict[str, Any]:
    """The ES256 verification keys of a JWKS document, by ``kid``; other keys are skipped."""
    found: dict[str, Any] = {}
    for jwk in document.get("keys", []):
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
            continue
        if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
            continue
        if jwk.get("alg", ALGORITHM) != ALGORITHM or jwk.get("use", "sig") != "sig":
            continue
        try:
            found[jwk["kid"]] = jwt.PyJWK(jwk, algorithm=ALGORITHM).key
        except jwt.PyJWTError:
            logger.warning("jwks_key_skipped", kid=jwk["kid"])
    return found


class JwksClient:
    """The auth service's JWKS over HTTP, cached for ``max_age`` seconds.

    A ``kid`` not in the cache triggers a new fetch, at most once every ``min_refetch_seconds``,
    so tokens with made-up key ids cannot flood the auth service. When a fetch fails the cached
    keys keep working; with none cached, verification answers 503. ``clock`` (seconds, monotonic)
    is a parameter so tests can step time instead of sleeping through the refetch interval.
    """

    def __init__(
        self,
        url: str,
        *,
        max_age: float = 300.0,
        min_refetch_seconds: float = 5.0,
        timeout: float = 2.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._clock = clock
        self.max_age = max_age
        self.min_refetch_seconds = min_refetch_seconds
        self.timeout = timeout
        self._transport = transport
        self._keys: dict[str, Any] = {}
        self._fetched_at = -math.inf
        self._attempted_at = -math.inf
        self._lock = asyncio.Lock()

    async def get(self, kid: str) -> Any | None:
        if self._should_fetch(kid):
            async with self._lock:
                if self._should_fetch(kid):  # another request may have fetched meanwhile
                    await self._fetch()
        elif kid not in self._keys and self._lock.locked():
            # A fetch is under way (a cold process's first requests arrive together): its keys
            # may include this kid, so wait for it rather than refuse the token.
            async with self._lock:
                pass
        return self._keys.get(kid)

    async def warm(self) -> bool:
        """Fetch the keys now (at start-up), so the first request does not wait for them. A
        failure is only logged and does not count against the refetch limit."""
        async with self._lock:
            try:
                await self._fetch()
            except DependencyUnavailable:
                self._attempted_at = -math.inf
                return False
        return bool(self._keys)

    def _should_fetch(self, kid: str) -> bool:
        now = self._clock()
        if now - self._attempted_at < self.min_refetch_seconds:
            return False
        return kid not in self._keys or now - self._fetched_at >= self.max_age

    async def _fetch(self) -> None:
        self._attempted_at = self._clock()
        try:
            async with httpx.AsyncClient(transport=self._transport, timeout=self.timeout) as http:
                response = await http.get(self.url)
                response.raise_for_status()
                keys = keys_from_jwks(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("jwks_fetch_failed", url=self.url, error=type(exc).__name__)
            if not self._keys:
                raise DependencyUnavailable(
                    "auth", "The signing keys cannot be fetched from the auth service right now"
                ) from exc
            return
        self._keys = keys
        self._fetched_at = self._clock()


# -- verification ----------------------------------------------------------------------------------


class AccessTokenVerifier:
    """Checks signature (ES256 only), header ``typ`` and ``kid``, and every required claim."""

    def __init__(self, keys: KeySource, *, issuer: str, audience: str, leeway: int = 10) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway

    async def verify(self, token: str) -> Principal:
        if len(token) > MAX_TOKEN_LENGTH:
            raise invalid_token("The access token is too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise invalid_token("The access token is malformed") from None
        if header.get("alg") != ALGORITHM:
            raise invalid_token(f"The access token must be signed with {ALGORITHM}")
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in (
            ACCESS_TOKEN_TYPE,
            f"application/{ACCESS_TOKEN_TYPE}",
        ):
            raise invalid_token("The token is not an access token")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise invalid_token("The access token names no signing key")
        key = await self.keys.get(kid)
        if key is None:
            raise invalid_token("The access token is signed with an unknown key")
        claims = self._decode(token, key)
        return _principal(claims)

    def _decode(self, token: str, key: Any) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            detail = "The access token has expired"
        except jwt.ImmatureSignatureError:
            detail = "The access token is not valid yet"
        except jwt.InvalidAudienceError:
            detail = "The access token is meant for another audience"
        except jwt.InvalidIssuerError:
            detail = "The access token comes from an unknown issuer"
        except jwt.MissingRequiredClaimError as exc:
            detail = f"The access token lacks the {exc.claim} claim"
        except jwt.InvalidSignatureError:
            detail = "The access token signature does not verify"
        except jwt.PyJWTError:  # every other failure is an invalid token, never a 500
            detail = "The access token is invalid"
        raise invalid_token(detail)


def _principal(claims: dict[str, Any]) -> Principal:
    texts = [claims.get(name) for name in ("sub", "sid", "jti")]
    if not all(isinstance(value, str) and 0 < len(value) <= 128 for value in texts):
        raise invalid_token("The access token has malformed sub, sid or jti claims")
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int | float) or not isinstance(exp, int | float):
        raise invalid_token("The access token has malformed time claims")
    base = {
        "user_id": claims["sub"],
        "session_id": claims["sid"],
        "token_id": claims["jti"],
        "issued_at": int(iat),
        "expires_at": int(exp),
    }
    if "client_id" in claims:
        return Principal(role=CLIENT_ROLE, **base, **_client_claims(claims))
    if claims.get("role") not in ROLES:
        raise invalid_token("The access token has an unknown role")
    return Principal(role=claims["role"], **base)


def _client_claims(claims: dict[str, Any]) -> dict[str, Any]:
    """A client token: ``client_id`` equal to ``sub``, scopes from the closed set, no role."""
    if claims["client_id"] != claims["sub"]:
        raise invalid_token("The access token's client_id and sub differ")
    if "role" in claims:
        raise invalid_token("A client token carries no role")
    scope = claims.get("scope")
    if not isinstance(scope, str):
        raise invalid_token("The access token lacks the scope claim")
    scopes = frozenset(scope.split())
    if not scopes or not scopes <= set(SCOPES):
        raise invalid_token("The access token has an unknown scope")
    return {"client_id": claims["client_id"], "client_scopes": scopes}


def parse_scopes(text: str) -> list[str]:
    """The scopes of a space-separated ``scope`` parameter, in order, without repeats."""
    return list(dict.fromkeys(text.split()))


# -- revocation ------------------------------------------------------------------------------------


def revoked_session_key(prefix: str, session_id: str) -> str:
    return f"{prefix}auth:revoked-session:{session_id}"


def not_before_key(prefix: str, user_id: str) -> str:
    return f"{prefix}auth:not-before:{user_id}"


def revocations_loaded_key(prefix: str) -> str:
    return f"{prefix}auth:revocations-loaded"


Reload = Callable[[], Awaitable[None]]


def refusal(principal: Principal, revoked: object, not_before: bytes | str | None) -> str | None:
    """Why a token is refused, given its revocation keys' values (``RevocationList.keys_of``);
    ``None`` when it is not."""
    if revoked is not None:
        return "The session of this access token has ended"
    if not_before is not None and principal.issued_at < int(not_before):
        return "The access token was issued before the account's sessions were ended"
    return None


class RevocationList:
    """The Redis keys that end sessions and users' older tokens before they expire.

    ``reload`` (the auth service's) rebuilds the list from the database when its marker is
    missing; without one, a missing marker answers 503 until the auth service has rebuilt it.
    """

    def __init__(self, redis: Redis, prefix: str, *, reload: Reload | None = None) -> None:
        self.redis = redis
        self.prefix = prefix
        self.reload = reload

    @property
    def loaded_key(self) -> str:
        return revocations_loaded_key(self.prefix)

    def keys_of(self, principal: Principal) -> tuple[str, str, str]:
        """The keys ``reason_refused`` reads, in the order ``refusal`` takes their values."""
        return (
            revoked_session_key(self.prefix, principal.session_id),
            not_before_key(self.prefix, principal.user_id),
            self.loaded_key,
        )

    async def reason_refused(self, principal: Principal) -> str | None:
        keys = self.keys_of(principal)
        revoked, not_before, loaded = await self._read(keys)
        if loaded is None and self.reload is not None:
            await self.reload()
            revoked, not_before, loaded = await self._read(keys)
        if loaded is None:
            raise DependencyUnavailable(
                "redis", "The token revocation list is being rebuilt; try again shortly"
            )
        return refusal(principal, revoked, not_before)

    async def ensure_available(self) -> None:
        """503 unless the list can be read and is complete (tokens issued now can be revoked)."""
        if await self._read((self.loaded_key,)) == [None] and self.reload is not None:
            await self.reload()

    async def _read(self, keys: tuple[str, ...]) -> list[bytes | None]:
        try:
            values = await self.redis.mget(keys)
            return [value.encode() if isinstance(value, str) else value for value in values]
        except (RedisError, OSError) as exc:
            raise DependencyUnavailable(
                "redis", "Token revocations cannot be checked right now"
            ) from exc

    async def revoke_sessions(self, session_ids: Iterable[str], *, ttl_seconds: int) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for session_id in session_ids:
                pipe.set(revoked_session_key(self.prefix, session_id), b"1", ex=ttl_seconds)
            await pipe.execute()

    async def set_not_before(self, user_id: str, at: int, *, ttl_seconds: int) -> None:
        await self.redis.set(not_before_key(self.prefix, user_id), str(at), ex=ttl_seconds)


class VerifiedTokens:
    """Tokens whose signature and claims verified lately, so a client's next requests skip the
    ECDSA check: each for ``ttl_seconds`` at most and never past its ``exp`` (plus leeway), and
    at most ``max_entries`` of them (the oldest go first). Revocation is not cached here."""

    def __init__(
        self,
        *,
        ttl_seconds: float = VERIFIED_TTL_SECONDS,
        max_entries: int = VERIFIED_MAX_ENTRIES,
        leeway: int = 10,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.leeway = leeway
        self._clock = clock
        self._wall_clock = wall_clock
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        until, principal = entry
        if self._clock() >= until or self._wall_clock() >= principal.expires_at + self.leeway:
            del self._entries[token]
            return None
        return principal

    def put(self, token: str, principal: Principal) -> None:
        if self.ttl_seconds <= 0:
            return
        self._entries.pop(token, None)
        while len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[token] = (self._clock() + self.ttl_seconds, principal)

    def __len__(self) -> int:
        return len(self._entries)


class TokenGuard:
    """What a bearer token is checked against: the verifier (its answers kept a few seconds in
    ``verified``), then the revocation list, read for every request."""

    def __init__(
        self,
        verifier: AccessTokenVerifier,
        revocations: RevocationList,
        verified: VerifiedTokens | None = None,
    ) -> None:
        self.verifier = verifier
        self.revocations = revocations
        self.verified = verified or VerifiedTokens(leeway=verifier.leeway)

    @classmethod
    def for_settings(
        cls, settings: ServiceSettings, redis: Redis, keys: KeySource | None = None
    ) -> TokenGuard:
        source = keys or JwksClient(settings.auth_internal_url.rstrip("/") + JWKS_PATH)
        verifier = AccessTokenVerifier(
            source,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            leeway=settings.jwt_leeway_seconds,
        )
        return cls(verifier, RevocationList(redis, settings.redis_key_prefix))

    async def authenticate(self, token: str) -> Principal:
        principal = self.verified.get(token)
        if principal is None:
            principal = await self.verifier.verify(token)
            self.verified.put(token, principal)
        reason = await self.revocations.reason_refused(principal)
        if reason:
            raise invalid_token(reason)
        return principal


# -- FastAPI dependencies --------------------------------------------------------------------------

# Declares the OAuth2 password flow in each service's OpenAPI, so Swagger's "Authorize" logs in
# through the auth service; it only reads the header (None when absent or not Bearer).
bearer_scheme = OAuth2PasswordBearer(
    tokenUrl=TOKEN_URL,
    auto_error=False,
    scheme_name="chiiki",
    description="Log in with your email as username; the access token is sent as a Bearer token.",
)


def get_token_guard(request: Request) -> TokenGuard:
    """The app's guard, built on first use from its runtime (the auth service installs its own)."""
    return guard_of(request.app.state.runtime)


def guard_of(runtime: Any) -> TokenGuard:
    guard = runtime.extras.get(GUARD_EXTRA)
    if not isinstance(guard, TokenGuard):
        guard = TokenGuard.for_settings(runtime.settings, runtime.redis)
        runtime.extras[GUARD_EXTRA] = guard
    return guard


async def warm_token_guard(runtime: Any) -> None:
    """A start-up hook: build the guard and fetch the JWKS before the first request needs them."""
    keys = guard_of(runtime).verifier.keys
    if isinstance(keys, JwksClient):
        await keys.warm()


def route_scope(request: Request) -> str | None:
    """The scope a client token needs here: ``<service>:read`` or ``:write`` by method; ``None``
    in a service without scopes (auth)."""
    action = "read" if request.method in SAFE_METHODS else "write"
    scope = f"{request.app.state.runtime.settings.service_name}:{action}"
    return scope if scope in SCOPES else None


def check_client_scope(principal: Principal, scope: str | None) -> None:
    """Client tokens must hold ``scope``; user tokens are left to their role."""
    if principal.is_client and (scope is None or not principal.allows(scope)):
        raise scope_required(scope)


async def _authenticated(request: Request, token: str | None) -> Principal:
    if token is None:
        raise authentication_required()
    return await get_token_guard(request).authenticate(token)


async def current_principal(
    request: Request, token: Annotated[str | None, Depends(bearer_scheme)]
) -> Principal:
    principal = await _authenticated(request, token)
    check_client_scope(principal, route_scope(request))
    return principal


async def admin_principal(
    request: Request, token: Annotated[str | None, Depends(bearer_scheme)]
) -> Principal:
    """Admins, and client tokens holding the route's scope (a scope is a client's admin right
    over exactly that part of one service)."""
    principal = await _authenticated(request, token)
    if principal.is_client:
        check_client_scope(principal, route_scope(request))
    elif not principal.is_admin:
        raise admin_required()
    return principal


async def read_principal(
    request: Request, token: Annotated[str | None, Depends(bearer_scheme)]
) -> Principal | None:
    """Anonymous callers get ``None`` when ``ANONYMOUS_READ`` is on; a token is always checked."""
    if token is None and request.app.state.runtime.settings.anonymous_read:
        return None
    return await current_principal(request, token)


def require_scope(scope: str) -> Any:
    """A dependency: the caller's principal, refused unless it may do ``scope`` (a client token
    holding it, or a user whose role implies it)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    async def dependency(
        request: Request, token: Annotated[str | None, Depends(bearer_scheme)]
    ) -> Principal:
        principal = await _authenticated(request, token)
        if not principal.allows(scope):
            raise scope_required(scope)
        return principal

    return Depends(dependency)


CurrentUser = Annotated[Principal, Depends(current_principal)]
AdminUser = Annotated[Principal, Depends(admin_principal)]
ReadAccess = Annotated[Principal | None, Depends(read_principal)]
