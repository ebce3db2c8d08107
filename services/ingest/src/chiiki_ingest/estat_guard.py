"""What surrounds every e-Stat request of this service: the platform-wide concurrency limit and
the request metrics, both kept in Redis so they hold across every worker and API process.

Keys (under the platform's prefix and the service name, e.g. ``chiiki:ingest:``):

- ``estat:slots``: the semaphore's sorted set of holders (``chiiki_shared.semaphore``);
- ``estat:responses``: hash ``endpoint|http_status|estat_status`` -> responses;
- ``estat:latency``: hash ``endpoint|le`` -> requests whose time fell in that bucket (not
  cumulative; the collector sums them up), plus ``endpoint|sum`` (seconds) per endpoint;
- ``estat:retries``: hash ``endpoint|reason`` -> retries.

The hashes only grow (HINCRBY), so they are counters for as long as Redis keeps them; should
Redis lose them, Prometheus sees an ordinary counter reset.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from chiiki_ingest.config import IngestSettings
from chiiki_ingest.estat.client import Guard
from chiiki_shared.semaphore import RedisSemaphore

logger = structlog.get_logger("chiiki_ingest.estat_guard")

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
INF = "+Inf"
SEP = "|"


def key(settings: IngestSettings, name: str) -> str:
    return f"{settings.redis_key_prefix}{settings.service_name}:estat:{name}"


def bucket_of(seconds: float) -> str:
    """The label of the smallest bucket holding ``seconds``."""
    for bound in LATENCY_BUCKETS:
        if seconds <= bound:
            return str(bound)
    return INF


class RedisRequestMetrics:
    """A ``RequestObserver`` counting into Redis. Redis trouble never fails a request."""

    def __init__(self, redis: Redis, settings: IngestSettings) -> None:
        self.redis = redis
        self.responses = key(settings, "responses")
        self.latency = key(settings, "latency")
        self.retries = key(settings, "retries")

    async def response(
        self, endpoint: str, http_status: str, estat_status: str, seconds: float
    ) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hincrby(self.responses, SEP.join((endpoint, http_status, estat_status)), 1)
        pipe.hincrby(self.latency, SEP.join((endpoint, bucket_of(seconds))), 1)
        pipe.hincrbyfloat(self.latency, SEP.join((endpoint, "sum")), seconds)
        await self._run(pipe)

    async def retry(self, endpoint: str, reason: str) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.hincrby(self.retries, SEP.join((endpoint, reason)), 1)
        await self._run(pipe)

    async def _run(self, pipe: Pipeline) -> None:
        try:
            await pipe.execute()
        except RedisError as error:
            logger.warning("ingest.estat_metrics_not_recorded", error=type(error).__name__)


def guard(redis: Redis, settings: IngestSettings) -> Guard:
    limiter = RedisSemaphore(
        redis,
        key(settings, "slots"),
        settings.estat_max_concurrent_requests,
        settings.estat_slot_lease_seconds,
    )
    return Guard(limiter, RedisRequestMetrics(redis, settings), settings.estat_slot_wait_seconds)


@dataclass
class RequestCounts:
    """The hashes read back, for the API's collector."""

    # (endpoint, http_status, estat_status) -> responses
    responses: dict[tuple[str, str, str], int] = field(default_factory=dict)
    # endpoint -> bucket label -> requests in that bucket (not cumulative)
    latency: dict[str, dict[str, int]] = field(default_factory=dict)
    latency_sum: dict[str, float] = field(default_factory=dict)
    # (endpoint, reason) -> retries
    retries: dict[tuple[str, str], int] = field(default_factory=dict)


async def read_counts(redis: Redis, settings: IngestSettings) -> RequestCounts:
    pipe = redis.pipeline(transaction=True)
    for name in ("responses", "latency", "retries"):
        pipe.hgetall(key(settings, name))
    responses, latency, retries = await pipe.execute()
    counts = RequestCounts()
    for name, value in _decoded(responses):
        endpoint, http_status, estat_status = name.split(SEP)
        counts.responses[(endpoint, http_status, estat_status)] = int(value)
    for name, value in _decoded(latency):
        endpoint, bucket = name.split(SEP)
        if bucket == "sum":
            counts.latency_sum[endpoint] = float(value)
        else:
            counts.latency.setdefault(endpoint, {})[bucket] = int(value)
    for name, value in _decoded(retries):
        endpoint, reason = name.split(SEP)
        counts.retries[(endpoint, reason)] = int(value)
    return counts


def _decoded(mapping: dict[bytes, bytes]) -> list[tuple[str, str]]:
    return sorted((k.decode(), v.decode()) for k, v in mapping.items())


def cumulative(buckets: dict[str, int]) -> list[tuple[str, int]]:
    """Prometheus's cumulative ``le`` buckets from the per-bucket counts."""
    total, out = 0, []
    for label in [str(bound) for bound in LATENCY_BUCKETS] + [INF]:
        total += buckets.get(label, 0)
        out.append((label, total))
    return out
