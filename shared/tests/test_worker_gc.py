"""The workers collect garbage less often than CPython's default and leave their start-up
objects out of collections (chiiki_shared.gc_tuning.configure_worker_gc, docs/performance.md)."""

import os
import subprocess
import sys

import pytest

from chiiki_shared.gc_tuning import WORKER_GC_THRESHOLD

PROBE = "import gc, {module}; print(gc.get_threshold(), gc.get_freeze_count() > 10_000)"


@pytest.mark.parametrize("module", ["chiiki_stats.worker", "chiiki_ingest.worker"])
def test_a_worker_module_tunes_the_collector(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
        timeout=120,
    )
    assert result.stdout.strip() == f"{WORKER_GC_THRESHOLD} True"
