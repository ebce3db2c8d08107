"""The web process does not load the numerical libraries until a request needs them: idle, they
would hold most of its memory (issue 15; measured in docs/performance.md, "Idle memory")."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "numpy", "scipy", "sklearn")
ALLOWED: set[str] = set()


def test_the_app_imports_no_heavy_numerical_library() -> None:
    probe = (
        "import sys, chiiki_stats.main; "
        f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    # argv built here from fixed parts
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = {name for name in done.stdout.strip().split(",") if name}
    assert loaded - ALLOWED == set()
