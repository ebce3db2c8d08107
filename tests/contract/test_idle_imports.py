"""No web process loads the numerical libraries until a request needs them: idle, they would hold
most of its memory (issue 15; measured in docs/performance.md, "Idle memory")."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pandas", "numpy", "scipy", "sklearn")


@pytest.mark.parametrize(
    ("app_module", "allowed"),
    [
        ("chiiki_auth.main", set()),
        ("chiiki_stats.main", set()),
        ("chiiki_ingest.main", set()),
        # numpy (about 10 MB) stays: the forecast documents and series types use it at import.
        ("chiiki_analytics.main", {"numpy"}),
    ],
)
def test_the_app_imports_no_heavy_numerical_library(app_module: str, allowed: set[str]) -> None:
    probe = (
        f"import sys, {app_module}; "
        f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    # argv built here from fixed parts
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = {name for name in done.stdout.strip().split(",") if name}
    assert loaded - allowed == set()
