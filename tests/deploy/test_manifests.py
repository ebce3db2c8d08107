"""The deployment files agree with the code: every service, worker and the one beat are deployed
hardened and probed. (No cluster or Docker engine runs here, so the files are checked as data.)"""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SERVICES = ("auth", "stats", "ingest", "analytics")


def k8s_documents() -> list[dict]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    documents = []
    for name in kustomization["resources"]:
        documents += [doc for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]
    for component in kustomization.get("components", []):
        component_dir = K8S / component
        for name in yaml.safe_load((component_dir / "kustomization.yaml").read_text())["resources"]:
            documents += list(yaml.safe_load_all((component_dir / name).read_text()))
    return documents


DOCUMENTS = k8s_documents()
DEPLOYMENTS = {doc["metadata"]["name"]: doc for doc in DOCUMENTS if doc["kind"] == "Deployment"}
STATEFUL_SETS = {doc["metadata"]["name"]: doc for doc in DOCUMENTS if doc["kind"] == "StatefulSet"}


def pod_specs() -> list[tuple[str, dict]]:
    workloads = {**DEPLOYMENTS, **STATEFUL_SETS}
    specs = [(name, doc["spec"]["template"]["spec"]) for name, doc in workloads.items()]
    jobs = [doc for doc in DOCUMENTS if doc["kind"] == "Job"]
    return specs + [(doc["metadata"]["name"], doc["spec"]["template"]["spec"]) for doc in jobs]


def test_every_service_has_an_api_and_a_worker_and_there_is_one_beat() -> None:
    expected = {f"{s}-api" for s in SERVICES} | {f"{s}-worker" for s in SERVICES}
    assert set(DEPLOYMENTS) == expected | {"ingest-beat", "gateway"}
    beat = DEPLOYMENTS["ingest-beat"]["spec"]
    assert beat["replicas"] == 1
    assert beat["strategy"] == {"type": "Recreate"}


@pytest.mark.parametrize(("name", "spec"), pod_specs())
def test_pods_run_unprivileged_with_limits(name: str, spec: dict) -> None:
    assert spec["securityContext"]["runAsNonRoot"] is True
    for container in spec.get("initContainers", []) + spec["containers"]:
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True, name
        assert security["allowPrivilegeEscalation"] is False, name
        assert security["capabilities"]["drop"] == ["ALL"], name
        assert {"cpu", "memory"} <= container["resources"]["limits"].keys(), name


@pytest.mark.parametrize("service", SERVICES)
def test_apis_are_probed_and_run_their_own_app(service: str) -> None:
    [container] = DEPLOYMENTS[f"{service}-api"]["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert f"chiiki_{service}.main:app" in container["command"]
    # Forwarded client addresses are believed only from the configured proxies (the gateway).
    assert container["command"][-2:] == ["--forwarded-allow-ips", "$(TRUSTED_PROXIES)"]
    [worker] = DEPLOYMENTS[f"{service}-worker"]["spec"]["template"]["spec"]["containers"]
    assert worker["command"][:6] == [
        "celery",
        "-A",
        f"chiiki_{service}.worker",
        "worker",
        "-Q",
        service,
    ]


def test_services_select_existing_pods() -> None:
    for service in (doc for doc in DOCUMENTS if doc["kind"] == "Service"):
        selector = service["spec"]["selector"].items()
        matches = [
            name
            for name, deployment in {**DEPLOYMENTS, **STATEFUL_SETS}.items()
            if selector <= deployment["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matches) == 1, service["metadata"]["name"]


def test_network_policies_deny_by_default() -> None:
    policies = {doc["metadata"]["name"]: doc for doc in DOCUMENTS if doc["kind"] == "NetworkPolicy"}
    assert policies["default-deny"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }


def test_redis_persists_with_aof() -> None:
    """The revocation list and queued tasks survive a Redis restart (docs/reliability.md)."""
    compose = yaml.safe_load((ROOT / "deploy" / "compose" / "compose.yaml").read_text())
    [k8s_redis] = STATEFUL_SETS["redis"]["spec"]["template"]["spec"]["containers"]
    for command in (compose["services"]["redis"]["command"], k8s_redis["command"]):
        options = dict(zip(command[1::2], command[2::2], strict=False))
        assert options["--appendonly"] == "yes"
        assert options["--appendfsync"] == "everysec"
    assert "redis-data:/data" in compose["services"]["redis"]["volumes"]
    [mount] = k8s_redis["volumeMounts"]
    assert mount["mountPath"] == "/data"
    claims = STATEFUL_SETS["redis"]["spec"]["volumeClaimTemplates"]
    assert [claim["metadata"]["name"] for claim in claims] == [mount["name"]]


def test_compose_runs_the_same_processes() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose" / "compose.yaml").read_text())
    names = set(compose["services"])
    assert {*SERVICES, *(f"worker-{s}" for s in SERVICES), "beat", "gateway", "migrate"} <= names
    for service in SERVICES:
        assert f"chiiki_{service}.main:app" in compose["services"][service]["command"]


def test_services_and_gateway_name_their_trusted_proxies() -> None:
    [config] = [doc for doc in DOCUMENTS if doc["kind"] == "ConfigMap"]
    assert config["data"]["TRUSTED_PROXIES"]
    [render] = DEPLOYMENTS["gateway"]["spec"]["template"]["spec"]["initContainers"]
    assert "GATEWAY_TRUSTED_PROXIES" in {item["name"] for item in render["env"]}
