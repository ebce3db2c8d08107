"""One service shape: no router reaches a repository, every service has the same layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "auth": "chiiki_auth",
    "stats": "chiiki_stats",
    "ingest": "chiiki_ingest",
    "analytics": "chiiki_analytics",
}
LAYERS = ("main.py", "config.py", "repository.py", "models.py", "schemas.py", "tasks.py")


def _package(service: str) -> Path:
    return ROOT / "services" / service / "src" / PACKAGES[service]


def _routers(package: Path) -> list[Path]:
    """``router.py`` and every module of ``routers/`` (stats has both: the app's router and
    one module per route family)."""
    single = [package / "router.py"] if (package / "router.py").exists() else []
    return single + sorted((package / "routers").glob("*.py"))


def _imports_of(path: Path) -> set[str]:
    """Every module a file imports, ``from x import y`` counted as ``x`` and ``x.y``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("service", PACKAGES)
def test_no_router_imports_a_repository(service: str) -> None:
    package = _package(service)
    repository = f"{PACKAGES[service]}.repository"

    def reaches(path: Path) -> bool:
        return any(n == repository or n.startswith(f"{repository}.") for n in _imports_of(path))

    reaching = [path.relative_to(ROOT).as_posix() for path in _routers(package) if reaches(path)]
    assert reaching == []


@pytest.mark.parametrize("service", PACKAGES)
def test_every_service_has_the_same_layers(service: str) -> None:
    package = _package(service)
    missing = [layer for layer in LAYERS if not (package / layer).exists()]
    assert missing == []
    assert _routers(package), "a router.py or a routers/ package"
    assert (package / "service.py").exists() or (package / "services").is_dir()
    assert (package / "worker.py").exists()
    assert (package / "migrations").is_dir()
