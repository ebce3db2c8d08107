"""Errors the e-Stat client raises. None of them ever carries the application id.

EStatError
├── EStatAuthError       STATUS 100, or the firewall's HTTP 403 answer; never retried
├── EStatRequestError    STATUS 101-199: the request is wrong (unknown id, bad parameter)
├── EStatServerError     STATUS 200 and above
├── EStatHTTPError       an HTTP error status that retrying cannot fix (e.g. 404, 501)
└── EStatUnavailable     timeouts, connection failures, 429/5xx or broken bodies, after retries
"""

from __future__ import annotations


class EStatError(Exception):
    """Base class; `endpoint` names the API function (getStatsData, ...) and `start_position`
    the page of getStatsData that failed."""

    def __init__(self, message: str, *, endpoint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.start_position: int | None = None


class EStatAuthError(EStatError):
    def __init__(
        self, message: str, *, endpoint: str | None = None, http_status: int = 200
    ) -> None:
        super().__init__(message, endpoint=endpoint)
        self.status = 100
        self.http_status = http_status


class EStatStatusError(EStatError):
    """An error RESULT.STATUS with e-Stat's ERROR_MSG."""

    def __init__(self, status: int, message: str, *, endpoint: str | None = None) -> None:
        super().__init__(f"e-Stat STATUS {status}: {message}", endpoint=endpoint)
        self.status = status
        self.error_msg = message


class EStatRequestError(EStatStatusError):
    pass


class EStatServerError(EStatStatusError):
    pass


class EStatHTTPError(EStatError):
    def __init__(self, http_status: int, detail: str, *, endpoint: str | None = None) -> None:
        super().__init__(f"HTTP {http_status}: {detail}", endpoint=endpoint)
        self.http_status = http_status


class EStatUnavailable(EStatError):
    """Retries exhausted; `attempts` made and the last failure, described without any URL."""

    def __init__(self, message: str, *, endpoint: str | None = None, attempts: int = 0) -> None:
        super().__init__(message, endpoint=endpoint)
        self.attempts = attempts
