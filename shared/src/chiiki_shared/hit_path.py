"""Cache hits answered before routing: one Redis round trip and no dependency solving.

``CachedHits`` is pure ASGI middleware for a service whose cached answers (``cache.
cached_response``) are reads open to ``security.ReadAccess`` and depend only on the path, the
query string and the data versions the process holds. It remembers, per ``(path, query string)``,
the digest, route and ``Cache-Control`` of each 200 it saw ``cached_response`` send, together
with the versions object the request started with (``generation``: compared by identity, so the
service replaces that object when, and only when, its versions change).

The next ``GET`` of that URL, while the versions are the same object, is answered here: the
token's principal from the guard's verified-token cache, then one ``MGET`` of its revocation keys
and the cache entry, and the same answer ``cached_response`` gives (``304`` on ``If-None-Match``,
``ETag``, ``Cache-Control``, ``X-Cache: HIT``, the gzip variant and ``Vary``). The middleware
outside it (request id, access log and metrics, input checks) runs as for any request; the
route's path is put in the scope for the metrics' label.

Anything else goes to the app, which answers exactly as without this layer: no token where one is
needed, a token not verified in the last seconds, one refused by the revocation list (or a list
not loaded), a client token without the read scope, a missing entry, a Redis error, other
methods and versions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chiiki_shared.cache import (
    CACHE_HEADER,
    Rendered,
    entry_response,
    etag_of,
    if_none_match_covers,
    not_modified,
    query_cache,
)
from chiiki_shared.runtime import Runtime
from chiiki_shared.security import Principal, guard_of, refusal

Generation = Callable[[Runtime], object]
MAX_KNOWN = 4096
_CACHE_HEADER = CACHE_HEADER.lower().encode()
_ASKED = frozenset({b"authorization", b"if-none-match", b"accept-encoding"})


class AppAnswers(Exception):
    """This request is the app's to answer: nothing was sent."""


@dataclass(frozen=True, slots=True)
class Known:
    """What answered a URL: the entry's digest, under the versions object ``generation``."""

    generation: object
    digest: str
    cache_control: str
    route: Any


@dataclass(slots=True)
class Asked:
    """The request headers the answer depends on."""

    authorization: str | None = None
    if_none_match: str | None = None
    gzip: bool = False


def asked(scope: Scope) -> Asked:
    """As Starlette's ``request.headers.get`` reads them: the first of each name."""
    found = Asked()
    seen: set[bytes] = set()
    for name, value in scope["headers"]:
        if name in seen or name not in _ASKED:
            continue
        seen.add(name)
        if name == b"authorization":
            found.authorization = value.decode("latin-1")
        elif name == b"if-none-match":
            found.if_none_match = value.decode("latin-1")
        else:
            found.gzip = b"gzip" in value
    return found


class CachedHits:
    def __init__(
        self, app: ASGIApp, *, generation: Generation, gzip_minimum_size: int | None
    ) -> None:
        self.app = app
        self.generation = generation
        self.gzip_minimum_size = gzip_minimum_size
        self.known: dict[tuple[str, bytes], Known] = {}
        self.answered = 0  # hits answered here, not by the app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        runtime: Runtime = scope["app"].state.runtime
        url = (scope["path"], scope["query_string"])
        generation = self.generation(runtime)
        known = self.known.get(url)
        if known is not None and known.generation is generation:
            try:
                await self._answer(runtime, known, scope, receive, send)
                return
            except AppAnswers:
                pass
        await self.app(scope, receive, self._recorder(url, generation, scope, send))

    async def _answer(
        self, runtime: Runtime, known: Known, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Send the hit, or raise ``AppAnswers`` having sent nothing."""
        headers = asked(scope)
        principal = _principal(runtime, headers.authorization)
        etag = etag_of(known.digest)
        if if_none_match_covers(headers.if_none_match, etag):
            if principal is not None:  # revocation read as the app would, the entry with it
                await _read(runtime, principal, known.digest)
            response = not_modified(etag, known.cache_control)
        else:
            response = entry_response(
                await _read(runtime, principal, known.digest),
                etag=etag,
                cache_control=known.cache_control,
                status="HIT",
                gzip_accepted=headers.gzip,
                gzip_minimum_size=self.gzip_minimum_size,
            )
        scope["route"] = known.route
        self.answered += 1
        await response(scope, receive, send)

    def _recorder(
        self, url: tuple[str, bytes], generation: object, scope: Scope, send: Send
    ) -> Send:
        async def record(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                self._remember(url, generation, scope, message["headers"])
            await send(message)

        return record

    def _remember(
        self, url: tuple[str, bytes], generation: object, scope: Scope, headers: list[Any]
    ) -> None:
        values = dict(headers)
        etag = values.get(b"etag", b"").decode("latin-1")
        route = scope.get("route")
        if values.get(_CACHE_HEADER) not in (b"HIT", b"MISS") or route is None:
            return
        if not (etag.startswith('W/"') and etag.endswith('"')):
            return
        if len(self.known) >= MAX_KNOWN:
            self.known.clear()
        cache_control = values.get(b"cache-control", b"").decode("latin-1")
        self.known[url] = Known(generation, etag[3:-1], cache_control, route)


def _principal(runtime: Runtime, authorization: str | None) -> Principal | None:
    """The caller as ``read_principal`` finds it before revocation: ``None`` when anonymous
    reads are open and no token is sent."""
    if authorization is None:
        if runtime.settings.anonymous_read:
            return None
        raise AppAnswers
    scheme, _, token = authorization.partition(" ")
    principal = guard_of(runtime).verified.get(token.strip())
    if scheme.lower() != "bearer" or principal is None:
        raise AppAnswers
    if principal.is_client and not principal.allows(f"{runtime.settings.service_name}:read"):
        raise AppAnswers
    return principal


async def _read(runtime: Runtime, principal: Principal | None, digest: str) -> Rendered:
    """The entry, in the same round trip as the token's revocation keys; ``AppAnswers`` when
    it is missing, the token refused, the list not loaded or Redis failing."""
    cache = query_cache(runtime)
    if not cache.available:
        raise AppAnswers
    keys = [cache.key_of(digest)]
    if principal is not None:
        keys = [*guard_of(runtime).revocations.keys_of(principal), *keys]
    try:
        values = await runtime.redis.mget(keys)
    except (RedisError, OSError) as exc:
        cache.failed("get", exc)
        raise AppAnswers from exc
    if principal is not None:
        revoked, not_before, loaded = values[0], values[1], values[2]
        if loaded is None or refusal(principal, revoked, not_before) is not None:
            raise AppAnswers
    data = values[-1]
    if not (isinstance(data, bytes) and data):
        raise AppAnswers
    return Rendered.unpack(data)
