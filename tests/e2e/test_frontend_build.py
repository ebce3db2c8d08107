"""`make up` builds the dashboard when its build is missing or stale, installs the pinned npm
dependencies when they are missing or older than the lock file, reuses both otherwise, and stops
with npm's own words when a step fails.

The app here is a small one made by the test (a build script and one local dependency, so npm
works offline), run by the real npm."""

import json
import os
from pathlib import Path

import pytest

from chiiki_devstack import frontend
from chiiki_devstack.config import StackSettings
from chiiki_devstack.stack import StackFailed

pytestmark = pytest.mark.e2e

BUILD_SCRIPT = """
import fs from "node:fs";
const source = fs.readFileSync("src/main.js", "utf8");
if (source.includes("BROKEN")) {
  console.error("src/main.js: Unexpected token BROKEN");
  process.exit(1);
}
fs.mkdirSync("dist/assets", { recursive: true });
fs.writeFileSync("dist/index.html", "<p>" + source.trim() + "</p>");
fs.appendFileSync("builds.log", "built\\n");
"""
PACKAGE = {
    "name": "fixture-app",
    "version": "1.0.0",
    "private": True,
    "scripts": {"build": "node build.mjs"},
    "dependencies": {"fixture-lib": "file:lib"},
}
LOCK = {
    "name": "fixture-app",
    "version": "1.0.0",
    "lockfileVersion": 3,
    "requires": True,
    "packages": {
        "": {
            "name": "fixture-app",
            "version": "1.0.0",
            "dependencies": {"fixture-lib": "file:lib"},
        },
        "lib": {"name": "fixture-lib", "version": "1.0.0"},
        "node_modules/fixture-lib": {"resolved": "lib", "link": True},
    },
}


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "frontend"
    (root / "src").mkdir(parents=True)
    (root / "lib").mkdir()
    (root / "package.json").write_text(json.dumps(PACKAGE))
    (root / "package-lock.json").write_text(json.dumps(LOCK))
    (root / "lib" / "package.json").write_text('{"name": "fixture-lib", "version": "1.0.0"}')
    (root / "build.mjs").write_text(BUILD_SCRIPT)
    (root / "src" / "main.js").write_text("first version\n")
    return root


def settings_for(app: Path, dist: Path | None = None) -> StackSettings:
    return StackSettings(RUN_DIR=app.parent / "run", FRONTEND_DIST=str(dist or app / "dist"))


def builds(app: Path) -> int:
    log = app / "builds.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def installed_at(app: Path) -> int:
    return (app / "node_modules" / ".package-lock.json").stat().st_mtime_ns


def made_newer(path: Path, than: Path) -> None:
    """``path`` modified after ``than`` (mtimes, not waiting for the clock)."""
    later = than.stat().st_mtime + 10
    os.utime(path, (later, later))


def test_a_missing_build_is_made_once_then_reused(app: Path) -> None:
    settings = settings_for(app)
    assert frontend.ensure_built(settings, app).startswith("built frontend/dist")
    assert (app / "dist" / "index.html").read_text() == "<p>first version</p>"
    assert (app / "node_modules" / "fixture-lib").resolve() == (app / "lib").resolve()
    assert builds(app) == 1
    installed = installed_at(app)

    assert frontend.ensure_built(settings, app) == "reused the build in frontend/dist (up to date)"
    assert (builds(app), installed_at(app)) == (1, installed)
    log = (settings.log_dir / "frontend-build.log").read_text()
    assert f"npm --prefix {app} ci" in log
    assert f"npm --prefix {app} run build" in log


def test_a_changed_source_is_rebuilt_with_the_installed_dependencies(app: Path) -> None:
    settings = settings_for(app)
    frontend.ensure_built(settings, app)
    installed = installed_at(app)
    (app / "src" / "main.js").write_text("second version\n")
    made_newer(app / "src" / "main.js", than=app / "dist" / "index.html")

    assert frontend.ensure_built(settings, app).startswith("built")
    assert (app / "dist" / "index.html").read_text() == "<p>second version</p>"
    assert (builds(app), installed_at(app)) == (2, installed)


def test_a_newer_lock_file_reinstalls_before_building(app: Path) -> None:
    settings = settings_for(app)
    frontend.ensure_built(settings, app)
    installed = installed_at(app)
    made_newer(app / "package-lock.json", than=app / "node_modules" / ".package-lock.json")
    made_newer(app / "package-lock.json", than=app / "dist" / "index.html")

    assert frontend.ensure_built(settings, app).startswith("built")
    assert installed_at(app) != installed
    assert builds(app) == 2


def test_a_failed_build_stops_make_up_with_npms_words(app: Path) -> None:
    (app / "src" / "main.js").write_text("BROKEN\n")
    with pytest.raises(frontend.FrontendBuildFailed) as failed:
        frontend.ensure_built(settings_for(app), app)
    message = str(failed.value)
    assert message.startswith(
        "building the dashboard failed: `npm --prefix frontend run build` exited with 1"
    )
    assert "src/main.js: Unexpected token BROKEN" in message
    # make up prints a StackFailed as `error: ...` and exits 1, before starting anything.
    assert isinstance(failed.value, StackFailed)
    assert not (app / "dist").exists()


def test_another_frontend_dist_is_served_as_it_is(app: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "prebuilt"
    said = frontend.ensure_built(settings_for(app, dist=elsewhere), app)
    assert said == f"serving FRONTEND_DIST={elsewhere} as it is"
    assert builds(app) == 0


def test_a_checkout_without_the_app_builds_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "frontend"
    empty.mkdir()
    said = frontend.ensure_built(settings_for(empty), empty)
    assert said == "no frontend/ app: the gateway answers / with frontend-not-built"
    assert list(empty.iterdir()) == []
