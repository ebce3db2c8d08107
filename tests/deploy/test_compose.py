"""The compose stack (deploy/compose) against the Compose specification and the local runner:
the same processes and queues, each container only its own service's secrets, one beat."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

import pytest
import yaml

from chiiki_devstack.config import StackSettings
from chiiki_devstack.processes import ProcessTable
from chiiki_devstack.stack import PRIVATE_SETTINGS, Stack

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "deploy" / "compose" / "compose.yaml"
COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text())
SERVICES = ("auth", "stats", "ingest", "analytics")


@cache
def devstack_processes() -> dict[str, list[str]]:
    with tempfile.TemporaryDirectory() as run_dir:
        stack = Stack(StackSettings(RUN_DIR=run_dir), ProcessTable(Path(run_dir), Path(run_dir)))
        return {spec.name: list(spec.argv[1:]) for spec in stack.process_specs({})}


def test_the_file_follows_the_compose_specification() -> None:
    checker = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_same_processes_run_as_with_make_up() -> None:
    names = set(COMPOSE["services"])
    for name, argv in devstack_processes().items():
        role, _, service = name.partition("-")
        compose_name = service if role == "api" else name
        assert compose_name in names, name
        command = COMPOSE["services"][compose_name].get("command", [])
        if role == "api":
            assert command[:2] == ["uvicorn", argv[0]]
        elif role == "worker":
            assert command[1:6] == argv[:5]  # -A chiiki_<service>.worker worker -Q <queue>
        elif role == "beat":
            assert command[1:4] == argv[:3]


def test_exactly_one_beat_and_workers_scale() -> None:
    beats = [n for n, s in COMPOSE["services"].items() if "beat" in s.get("command", [])]
    assert beats == ["beat"]
    assert COMPOSE["services"]["beat"].get("deploy", {}).get("replicas", 1) == 1
    for service in SERVICES:
        worker = COMPOSE["services"][f"worker-{service}"]
        # `--scale` needs no fixed name or host port.
        assert "container_name" not in worker
        assert "ports" not in worker
        assert worker["stop_grace_period"]
        assert "inspect ping" in " ".join(worker["healthcheck"]["test"])


@pytest.mark.parametrize("service", SERVICES)
def test_each_container_gets_only_its_own_services_secrets(service: str) -> None:
    foreign = {n for owner, names in PRIVATE_SETTINGS.items() if owner != service for n in names}
    passwords = {f"{s.upper()}_DB_PASSWORD" for s in SERVICES if s != service}
    for name in (service, f"worker-{service}", f"{service}-migrate"):
        environment = COMPOSE["services"][name]["environment"]
        assert not (foreign | passwords) & set(environment), name
        assert f"{service.upper()}_DB_PASSWORD" in environment
        assert "@" not in environment["DATABASE_URL"]  # no login: the service uses its role
    for name in PRIVATE_SETTINGS.get(service, ()):
        assert name in COMPOSE["services"][service]["environment"]


def test_only_provisioning_has_the_administrative_url() -> None:
    with_admin = [
        name
        for name, spec in COMPOSE["services"].items()
        if "${POSTGRES_PASSWORD}" in str(spec.get("environment", {}).get("DATABASE_URL", ""))
    ]
    assert with_admin == ["provision"]


def test_start_order_waits_on_health_and_migrations() -> None:
    services = COMPOSE["services"]
    for service in SERVICES:
        depends = services[service]["depends_on"]
        assert depends[f"{service}-migrate"] == {"condition": "service_completed_successfully"}
        assert depends["redis"] == {"condition": "service_healthy"}
        assert services[f"{service}-migrate"]["command"][-2:] == ["upgrade", service]
        assert services[f"{service}-migrate"]["depends_on"]["provision"] == {
            "condition": "service_completed_successfully"
        }
        assert services["gateway"]["depends_on"][service] == {"condition": "service_healthy"}
        assert services[service]["healthcheck"]["test"][-1].endswith("/readyz', timeout=2)")
    assert services["gateway"]["ports"] == [
        "${GATEWAY_HTTP_PORT:-80}:8080",
        "${GATEWAY_HTTPS_PORT:-443}:8443",
    ]
    assert services["flower"]["profiles"] == ["monitoring"]
    assert set(COMPOSE["volumes"]) == {"postgres-data", "redis-data", "gateway-config"}


def test_every_setting_compose_reads_is_in_the_env_example() -> None:
    used = set(re.findall(r"\$\{([A-Z_]+)", COMPOSE_FILE.read_text()))
    example = (ROOT / "deploy" / "compose" / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    assert used == listed


def test_redis_persists_with_aof() -> None:
    """The revocation list and queued tasks survive a Redis restart (docs/reliability.md)."""
    command = COMPOSE["services"]["redis"]["command"]
    flags = dict(zip(command[1::2], command[2::2], strict=False))
    assert flags["--appendonly"] == "yes"
    assert flags["--appendfsync"] == "everysec"
    assert "redis-data:/data" in COMPOSE["services"]["redis"]["volumes"]


def test_every_chiiki_container_builds_its_roles_image() -> None:
    for name, spec in COMPOSE["services"].items():
        image = spec.get("image", "")
        if image.startswith("chiiki-"):
            role = image.removeprefix("chiiki-").removesuffix(":dev")
            assert spec["build"]["target"] == role, name
            assert spec["build"]["dockerfile"] == "deploy/Dockerfile", name


def test_the_gateway_renderer_gets_real_settings_and_existing_upstreams() -> None:
    stack_settings = {field.alias for field in StackSettings.model_fields.values()}
    env = COMPOSE["services"]["gateway-config"]["environment"]
    assert set(env) <= stack_settings, set(env) - stack_settings
    for service in SERVICES:
        host, port = env[f"{service.upper()}_UPSTREAM"].split(":")
        assert host in COMPOSE["services"]
        command = COMPOSE["services"][host]["command"]
        assert command[command.index("--port") + 1] == port
    assert COMPOSE["services"]["gateway"]["ports"][0].endswith(f":{env['GATEWAY_PORT']}")
