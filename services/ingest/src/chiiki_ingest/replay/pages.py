"""VALUE texts of pages already rendered, so a page asked for again is served from memory.

e-Stat has its answers ready; the replay renders each row in Python (0.12-0.16 s of CPU for a
100,000-row page), which on a shared machine is time the client under test seems to spend. The
rest of a body (RESULT with its DATE, PARAMETER, CLASS_INF) is still built per request. A
table's pages live on the `Table` itself, so a changed table file (a new `Table`) or one evicted
from the store takes its pages with it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# Key: the filter (dimension -> wanted codes), the page's first row and its size.
PageKey = tuple[tuple[tuple[str, frozenset[str]], ...], int, int]

MAX_CHARS = 40_000_000  # per table: four 100,000-row pages of SSDSE-A (9.5 MB each)


def page_key(wanted: dict[str, set[str]], start: int, page_size: int) -> PageKey:
    return tuple(sorted((k, frozenset(v)) for k, v in wanted.items())), start, page_size


@dataclass
class RenderedPages:
    """A least-recently-used map of page -> its VALUE chunks, bounded by characters."""

    max_chars: int = MAX_CHARS
    _pages: OrderedDict[PageKey, tuple[str, ...]] = field(default_factory=OrderedDict)
    _chars: int = 0
    # Pages are rendered in the server's worker threads (see app._threaded).
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: PageKey, render: Callable[[], Sequence[str]]) -> tuple[str, ...]:
        with self._lock:
            chunks = self._pages.get(key)
            if chunks is not None:
                self._pages.move_to_end(key)
                return chunks
        chunks = tuple(render())  # outside the lock: two first requests may both render
        with self._lock:
            if key not in self._pages:
                self._pages[key] = chunks
                self._chars += sum(map(len, chunks))
            while len(self._pages) > 1 and self._chars > self.max_chars:
                _, dropped = self._pages.popitem(last=False)
                self._chars -= sum(map(len, dropped))
        return chunks

    def __len__(self) -> int:
        return len(self._pages)
