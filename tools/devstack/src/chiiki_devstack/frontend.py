"""Build the dashboard (frontend/) the gateway serves, or reuse a build that is up to date."""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chiiki_devstack.config import REPO_ROOT, StackSettings
from chiiki_devstack.stack import StackFailed

FRONTEND_DIR = REPO_ROOT / "frontend"
# What Vite builds from; a build older than any of these is rebuilt. Test artefacts, caches and
# node_modules are left out on purpose: they change without changing the app.
SOURCES = ("package.json", "package-lock.json", "index.html", "src", "public")
SOURCE_GLOBS = ("vite.config.*", "tsconfig*.json", "env.d.ts")
# The lock file npm writes into node_modules at each install: older than package-lock.json
# means the installed dependencies are not the pinned ones.
INSTALLED_LOCK = Path("node_modules") / ".package-lock.json"
# Enough of a failed command's output to see why.
OUTPUT_TAIL_LINES = 40


class FrontendBuildFailed(StackFailed):
    pass


def is_app(frontend: Path = FRONTEND_DIR) -> bool:
    return (frontend / "package.json").exists()


def builds_here(settings: StackSettings, frontend: Path = FRONTEND_DIR) -> bool:
    """Whether the gateway serves this checkout's own build (the default FRONTEND_DIST), which
    make up then keeps up to date; any other FRONTEND_DIST is served as it is."""
    return settings.frontend_dist.resolve() == (frontend / "dist").resolve()


def newest_source(frontend: Path) -> float:
    paths = [frontend / name for name in SOURCES]
    paths += [path for pattern in SOURCE_GLOBS for path in frontend.glob(pattern)]
    newest = 0.0
    for path in paths:
        if path.is_dir():
            newest = max([newest, *(p.stat().st_mtime for p in path.rglob("*") if p.is_file())])
        elif path.exists():
            newest = max(newest, path.stat().st_mtime)
    return newest


def needs_build(frontend: Path, dist: Path) -> bool:
    index = dist / "index.html"
    return not index.exists() or newest_source(frontend) > index.stat().st_mtime


def needs_install(frontend: Path) -> bool:
    installed = frontend / INSTALLED_LOCK
    lock = frontend / "package-lock.json"
    return not installed.exists() or (
        lock.exists() and lock.stat().st_mtime > installed.stat().st_mtime
    )


def ensure_built(settings: StackSettings, frontend: Path = FRONTEND_DIR) -> str:
    """Install and build when needed; what was done, for make up to say. Raises
    FrontendBuildFailed with npm's own words when a step fails."""
    if not is_app(frontend):
        return "no frontend/ app: the gateway answers / with frontend-not-built"
    if not builds_here(settings, frontend):
        return f"serving FRONTEND_DIST={settings.frontend_dist} as it is"
    log = settings.log_dir / "frontend-build.log"
    with _build_lock(frontend):
        if not needs_build(frontend, frontend / "dist"):
            return "reused the build in frontend/dist (up to date)"
        if needs_install(frontend):
            _npm(["ci"], frontend, log)
        _npm(["run", "build"], frontend, log)
    return f"built frontend/dist (log: {log})"


def _npm(args: list[str], frontend: Path, log: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise FrontendBuildFailed(
            "the dashboard needs building and npm is missing: apt-get install nodejs npm"
        )
    command = [npm, "--prefix", str(frontend), *args]
    result = subprocess.run(  # noqa: S603 - our npm, fixed arguments
        command, capture_output=True, text=True, cwd=frontend
    )
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as out:
        out.write(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-OUTPUT_TAIL_LINES:])
        raise FrontendBuildFailed(
            f"building the dashboard failed: `npm --prefix frontend {' '.join(args)}` exited "
            f"with {result.returncode} (full output in {log}):\n{tail}"
        )


@contextmanager
def _build_lock(frontend: Path) -> Iterator[None]:
    """One build of a checkout at a time: make up and test runs may start together."""
    digest = hashlib.sha256(str(frontend.resolve()).encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"chiiki-frontend-build-{digest}.lock"
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
