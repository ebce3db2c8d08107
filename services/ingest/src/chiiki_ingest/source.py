"""Reading a table from e-Stat page by page, keeping each raw page as it arrived.

The e-Stat client parses every page into typed cells; a ``BodyRecorder`` transport under it keeps
the bytes of the last answer so the run can store them. A run resumes from its stored pages: the
next page starts at the last stored page's NEXT_KEY, and stored pages are parsed again instead of
being fetched again.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from chiiki_ingest.cells import parse_page
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.estat import Dimension, EStatClient, EStatError, StatsDataPage
from chiiki_ingest.estat.client import Guard, RetryHook

# Stored pages are read back only to resume, roll back or compare with the previous version: level
# 1 compresses SSDSE-A's 20.5 MB of pages in 0.05 s against level 6's 0.13 s, into 1.52 MB
# instead of 1.30 MB (docs/performance.md); decompressing takes the same time.
GZIP_LEVEL = 1


class SourceProblem(Exception):
    """The source answered, but not with a table this run can use."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class BodyRecorder(httpx.AsyncBaseTransport):
    """An HTTP transport that remembers the (decoded) body of the last response."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.last: bytes | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.last = None
        response = await self._inner.handle_async_request(request)
        # Read here, inside the client's error handling: a broken body fails the attempt the same
        # way, and the client's own read then returns the cached content.
        self.last = await response.aread()
        return response

    def take(self) -> bytes:
        if self.last is None:
            raise RuntimeError("no response body was recorded")
        body, self.last = self.last, None
        return body

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass(frozen=True)
class FetchedPage:
    """A page from the source with its raw body, ready to be stored."""

    index: int
    start_position: int
    page: StatsDataPage
    body: bytes
    # Sends the next page's request now (once the caller has kept this one); a no-op for the last.
    read_ahead: Callable[[], None] = field(default=lambda: None, compare=False, repr=False)

    def compressed(self) -> bytes:
        return gzip.compress(self.body, compresslevel=GZIP_LEVEL, mtime=0)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def client_for(
    settings: IngestSettings,
    recorder: BodyRecorder,
    on_retry: RetryHook | None = None,
    guard: Guard | None = None,
) -> EStatClient:
    return EStatClient(
        settings.estat_api_base_url,
        settings.estat_app_id.get_secret_value(),
        timeout=settings.estat_timeout_seconds,
        max_attempts=settings.estat_max_attempts,
        max_retry_seconds=settings.estat_max_retry_seconds,
        page_size=settings.page_size,
        transport=recorder,
        on_retry=on_retry,
        guard=guard,
    )


async def fetch_pages(
    settings: IngestSettings,
    stats_data_id: str,
    filters: dict[str, Any],
    *,
    start_index: int = 0,
    start_position: int = 1,
    dimensions: tuple[Dimension, ...] = (),
    on_retry: RetryHook | None = None,
    guard: Guard | None = None,
) -> AsyncGenerator[FetchedPage, None]:
    """Pages from ``start_position`` on; ``dimensions`` come from page 0 when resuming."""
    recorder = BodyRecorder()
    index, position = start_index, start_position
    async with client_for(settings, recorder, on_retry, guard) as client:
        while True:
            page = await client.get_stats_data(
                stats_data_id,
                filters=filters or None,
                start_position=position,
                meta=not dimensions,
                known_dimensions=dimensions,
            )
            body = recorder.take()
            if page.status == 1 or not page.cell_count:
                if index == 0:
                    raise SourceProblem(
                        "no-data", f"e-Stat has no data for {stats_data_id} (STATUS {page.status})"
                    )
                raise SourceProblem(
                    "source-changed",
                    f"page {index + 1} at position {position} came back empty: the table changed"
                    " while it was being read",
                )
            if not page.dimensions:
                raise SourceProblem("no-metadata", "the first page carries no CLASS_INF")
            dimensions, next_key = page.dimensions, page.next_key
            ahead = _read_ahead(settings, client, stats_data_id, filters, position, next_key)
            yield FetchedPage(index, position, page, body, ahead)
            # Let go of this page before the next one is parsed: one page in memory, not two.
            del page, body
            if next_key is None:
                return
            if next_key <= position:
                raise EStatError(f"NEXT_KEY {next_key} does not advance past {position}")
            index, position = index + 1, next_key


def _read_ahead(
    settings: IngestSettings,
    client: EStatClient,
    stats_data_id: str,
    filters: dict[str, Any],
    position: int,
    next_key: int | None,
) -> Callable[[], None]:
    if not settings.read_ahead or next_key is None or next_key <= position:
        return lambda: None
    return lambda: client.read_ahead_stats_data(
        stats_data_id, filters=filters or None, start_position=next_key, meta=False
    )


def stored_page(body_gzip: bytes, dimensions: tuple[Dimension, ...] = ()) -> StatsDataPage:
    return parse_page(gzip.decompress(body_gzip), dimensions)
