"""When and how long the client waits before asking e-Stat again.

Exponential backoff with full jitter (a uniform wait between 0 and the exponential ceiling), except
that a Retry-After from the server is honoured as given. Retrying stops after `max_attempts`, or
before a wait that would carry the whole call past `max_retry_seconds`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)


class Retryable(Exception):
    """A failed attempt worth repeating; `summary` describes it without any URL, `reason` is a
    short label for metrics (``http_503``, ``timeout``, ``connection``, ``invalid_body``,
    ``no_slot``)."""

    def __init__(self, summary: str, *, reason: str, retry_after: float | None = None) -> None:
        super().__init__(summary)
        self.summary = summary
        self.reason = reason
        self.retry_after = retry_after


class _WaitHonouringRetryAfter:
    def __init__(self, initial: float, ceiling: float) -> None:
        self._jitter = wait_random_exponential(multiplier=initial, max=ceiling)

    def __call__(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, Retryable) and error.retry_after is not None:
            return error.retry_after
        return float(self._jitter(state))


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    max_retry_seconds: float
    backoff_initial: float
    backoff_max: float

    def retrying(
        self, before_sleep: Callable[[RetryCallState], Awaitable[None]] | None = None
    ) -> AsyncRetrying:
        return AsyncRetrying(
            before_sleep=before_sleep,
            stop=stop_after_attempt(self.max_attempts) | stop_before_delay(self.max_retry_seconds),
            wait=_WaitHonouringRetryAfter(self.backoff_initial, self.backoff_max),
            retry=retry_if_exception_type(Retryable),
            reraise=True,
        )


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds from now: either delta-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
