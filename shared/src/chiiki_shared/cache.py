"""Query results cached in Redis, and conditional requests, for every service that serves data.

A result's key is a hash of the route, its normalised parameters, the versions of the data it
reads (stats: the datasets and the reference data; analytics: the data version) and the
service's representation version. A new dataset version
therefore changes the key: the new data is served at once and nothing is flushed (old entries
expire by TTL). The same hash is the ``ETag``, so ``If-None-Match`` is answered with a 304 before
any query runs. When Redis fails, results are computed from Postgres and Redis is left alone for
a few seconds instead of being waited on by every request.
"""

from __future__ import annotations

import gzip
import hashlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
import structlog
from fastapi import Request, Response
from pydantic import Field
from redis.asyncio import Redis
from redis.exceptions import RedisError

from chiiki_shared.runtime import Runtime
from chiiki_shared.settings import ServiceSettings

logger = structlog.get_logger(__name__)

CACHE_HEADER = "X-Cache"
# zlib's default. Against level 9: 2-3.5 times less CPU per large uncached answer (83 -> 24 ms
# for the 4.6 MB municipal population cross-section), 1-11% more bytes (performance-stats.md).
GZIP_LEVEL = 6
RUNTIME_KEY = "query_cache"


class CachedServiceSettings(ServiceSettings):
    """Settings of a service whose data responses are cached (``<SERVICE>_CACHE_*``)."""

    # Results stay in Redis this long; a new data version changes the keys, so the TTL only
    # bounds memory, never staleness.
    cache_ttl_seconds: int = Field(default=3600, ge=1)
    # After a Redis error, requests skip Redis this long instead of waiting on it every time.
    cache_retry_after_seconds: float = Field(default=5.0, ge=0)
    # Sent with every data response: clients keep the body and revalidate it with If-None-Match
    # each time (no-cache), so a new version shows at once. Default: "public, no-cache" when
    # anonymous reads are open, else "private, no-cache" (shared caches must not serve answers
    # given to a token).
    cache_control: str | None = None

    @property
    def response_cache_control(self) -> str:
        if self.cache_control:
            return self.cache_control
        return "public, no-cache" if self.anonymous_read else "private, no-cache"


@dataclass(frozen=True)
class Rendered:
    body: bytes
    media_type: str
    headers: Mapping[str, str] = field(default_factory=dict)
    # The body gzipped once, stored beside it, so a hit is not compressed again each time.
    gzipped: bytes | None = None

    def pack(self) -> bytes:
        meta: dict[str, Any] = {"media_type": self.media_type, "headers": dict(self.headers)}
        if self.gzipped is not None:
            meta["gzipped"] = len(self.gzipped)
        return orjson.dumps(meta) + b"\n" + self.body + (self.gzipped or b"")

    @classmethod
    def unpack(cls, data: bytes) -> Rendered:
        head, _, rest = data.partition(b"\n")
        meta = orjson.loads(head)
        size = meta.get("gzipped")
        if size is None:
            return cls(rest, meta["media_type"], meta["headers"])
        cut = len(rest) - size
        return cls(rest[:cut], meta["media_type"], meta["headers"], rest[cut:])

    def with_gzip(self, minimum_size: int | None) -> Rendered:
        """This answer with its gzipped body when it is at least ``minimum_size`` bytes."""
        if minimum_size is None or self.gzipped is not None or len(self.body) < minimum_size:
            return self
        return replace(self, gzipped=gzip.compress(self.body, compresslevel=GZIP_LEVEL, mtime=0))


class QueryCache:
    def __init__(
        self, redis: Redis, *, key: Callable[..., str], ttl_seconds: int, retry_after: float
    ) -> None:
        self._redis = redis
        self._key = key
        self._ttl = ttl_seconds
        self._retry_after = retry_after
        self._skip_until = 0.0

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._skip_until

    def key_of(self, digest: str) -> str:
        """The Redis key of the entry ``digest``."""
        return self._key("q", digest)

    def failed(self, operation: str, exc: Exception) -> None:
        """Skip Redis for a while after ``exc``."""
        self._skip_until = time.monotonic() + self._retry_after
        logger.warning("cache_unavailable", operation=operation, error=type(exc).__name__)

    async def get(self, digest: str) -> Rendered | None:
        if not self.available:
            return None
        try:
            data = await self._redis.get(self.key_of(digest))
        except (RedisError, OSError) as exc:
            self.failed("get", exc)
            return None
        return Rendered.unpack(data) if isinstance(data, bytes) and data else None

    async def set(self, digest: str, rendered: Rendered) -> None:
        if not self.available:
            return
        try:
            await self._redis.set(self.key_of(digest), rendered.pack(), ex=self._ttl)
        except (RedisError, OSError) as exc:
            self.failed("set", exc)


def query_cache(runtime: Runtime) -> QueryCache:
    """The process's cache, made on first use from the service's ``CachedServiceSettings``."""
    cache = runtime.extras.get(RUNTIME_KEY)
    if cache is None:
        settings = runtime.settings
        if not isinstance(settings, CachedServiceSettings):
            raise TypeError("the query cache needs CachedServiceSettings")
        cache = QueryCache(
            runtime.redis,
            key=runtime.redis_key,
            ttl_seconds=settings.cache_ttl_seconds,
            retry_after=settings.cache_retry_after_seconds,
        )
        runtime.extras[RUNTIME_KEY] = cache
    if not isinstance(cache, QueryCache):
        raise TypeError(f"runtime.extras[{RUNTIME_KEY!r}] is not a QueryCache")
    return cache


def digest_of(
    route: str,
    params: Mapping[str, Any],
    versions: Mapping[str, str],
    *,
    reference: str = "",
    representation: str,
) -> str:
    """The key and ETag of a response. ``representation`` is the service's shape version: bump
    it when a response's shape changes, so cached bodies of the old shape are not served."""
    material = orjson.dumps(
        {
            "route": route,
            "params": params,
            "versions": versions,
            "reference": reference,
            "representation": representation,
        },
        option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
        default=str,
    )
    return hashlib.sha256(material).hexdigest()[:40]


def etag_matches(request: Request, etag: str) -> bool:
    return if_none_match_covers(request.headers.get("if-none-match"), etag)


def if_none_match_covers(header: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` value names ``etag`` (weakly compared) or is ``*``."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def accepts_gzip(request: Request) -> bool:
    """As Starlette's GZipMiddleware decides it."""
    return "gzip" in request.headers.get("accept-encoding", "")


async def cached_response(
    request: Request,
    cache: QueryCache,
    *,
    digest: str,
    cache_control: str,
    produce: Callable[[], Awaitable[Rendered]],
    gzip_minimum_size: int | None = None,
) -> Response:
    """A 304 when the client has this representation, else the cached or freshly made body.

    With ``gzip_minimum_size`` (the size from which the app's GZipMiddleware compresses), a body
    that large is gzipped once, when made, and kept in the cache beside the plain one: a client
    that accepts gzip gets those bytes, which the middleware passes through as they are."""
    etag = etag_of(digest)
    if etag_matches(request, etag):
        return not_modified(etag, cache_control)
    rendered = await cache.get(digest)
    status = "HIT"
    if rendered is None:
        rendered = (await produce()).with_gzip(gzip_minimum_size)
        status = "MISS" if cache.available else "BYPASS"
        await cache.set(digest, rendered)
    return entry_response(
        rendered,
        etag=etag,
        cache_control=cache_control,
        status=status,
        gzip_accepted=accepts_gzip(request),
        gzip_minimum_size=gzip_minimum_size,
    )


def etag_of(digest: str) -> str:
    return f'W/"{digest}"'


def not_modified(etag: str, cache_control: str) -> Response:
    return Response(status_code=304, headers={"ETag": etag, "Cache-Control": cache_control})


def entry_response(
    rendered: Rendered,
    *,
    etag: str,
    cache_control: str,
    status: str,
    gzip_accepted: bool,
    gzip_minimum_size: int | None,
) -> Response:
    """A cached or fresh entry as ``cached_response`` sends it (``X-Cache: status``)."""
    headers = {"ETag": etag, "Cache-Control": cache_control, **rendered.headers}
    headers[CACHE_HEADER] = status
    body = rendered.body
    if rendered.gzipped is not None and gzip_minimum_size is not None:
        # Both variants say so, whether or not a middleware runs after this.
        headers["Vary"] = "Accept-Encoding"
        if gzip_accepted:
            body = rendered.gzipped
            headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=rendered.media_type, headers=headers)
