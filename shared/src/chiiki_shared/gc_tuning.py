"""The cyclic garbage collector tuned for processes that build hundreds of thousands of objects
per task or request (e-Stat pages in the workers, municipal cross-sections in stats).

``freeze_startup_objects`` leaves what start-up loaded (modules, reference data: objects that live
as long as the process) out of every later collection, so a full pass no longer walks them all
again; forked children keep sharing their pages too. Measured in docs/performance.md (workers)
and docs/performance-stats.md (stats' web processes).
"""

from __future__ import annotations

import gc

# A worker parses and writes hundreds of thousands of cells at once. CPython's default first
# generation (700 new container objects) runs the collector so often over them that it took a
# third to a half of parsing an e-Stat page (100,000 cells: 0.69-0.92 s, 0.48-0.52 s with this;
# docs/performance.md). Cyclic garbage is rare there; the worker's peak RSS did not change.
WORKER_GC_THRESHOLD = (20_000, 10, 10)


def freeze_startup_objects() -> None:
    """Collect what start-up left behind, then move every live object to the permanent
    generation."""
    gc.collect()
    gc.freeze()


def configure_worker_gc() -> None:
    """A worker collects less often and never walks its start-up objects again."""
    gc.set_threshold(*WORKER_GC_THRESHOLD)
    freeze_startup_objects()
