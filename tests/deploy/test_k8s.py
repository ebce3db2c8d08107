"""The Kubernetes manifests as the cluster would get them (each kustomization rendered by the
pinned kubectl, kustomize built in), checked against the schemas, the rules of issue 13 and the
local runner, so the two cannot drift apart. No cluster runs here: everything is static."""

from __future__ import annotations

import copy
import itertools
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from chiiki_devstack.config import StackSettings
from chiiki_devstack.processes import ProcessTable
from chiiki_devstack.stack import PRIVATE_SETTINGS, Stack
from chiiki_shared import schema_jobs

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUSTOMIZATIONS = ("base", "overlays/dev", "overlays/prod")
SERVICES = ("auth", "stats", "ingest", "analytics")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")


def tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


@cache
def render(kustomization: str) -> tuple[dict, ...]:
    result = subprocess.run(
        [tool("kubectl"), "kustomize", str(K8S / kustomization)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def by_kind(kustomization: str, kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in render(kustomization) if d["kind"] == kind}


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def workloads(kustomization: str) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for kind in WORKLOAD_KINDS:
        found.update(by_kind(kustomization, kind))
    return found


def containers(spec: dict) -> list[dict]:
    return spec.get("initContainers", []) + spec["containers"]


def secret_names(spec: dict) -> set[str]:
    """Every Secret a pod reads, through envFrom or single variables."""
    names = set()
    for container in containers(spec):
        names |= {e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e}
        for variable in container.get("env", []):
            reference = variable.get("valueFrom", {}).get("secretKeyRef")
            if reference:
                names.add(reference["name"])
    return names


def secret_keys(kustomization: str = "overlays/prod") -> dict[str, set[str]]:
    """The keys of each Secret, as the ExternalSecrets fill them."""
    return {
        doc["spec"]["target"]["name"]: {item["secretKey"] for item in doc["spec"]["data"]}
        for doc in by_kind(kustomization, "ExternalSecret").values()
    }


def service_secret_settings(service: str) -> set[str]:
    """The environment names of a service's secret settings (its SecretStr fields)."""
    settings_class = schema_jobs.service_settings_class(service)
    prefix = settings_class.model_config.get("env_prefix", "")
    return {
        (field.alias or f"{prefix}{name}").upper()
        for name, field in settings_class.model_fields.items()
        if "SecretStr" in str(field.annotation)
    }


def all_setting_names() -> set[str]:
    names = set()
    for service in SERVICES:
        settings_class = schema_jobs.service_settings_class(service)
        prefix = settings_class.model_config.get("env_prefix", "")
        for name, field in settings_class.model_fields.items():
            names.add((field.alias or f"{prefix}{name}").upper())
    return names


@cache
def devstack_processes() -> dict[str, list[str]]:
    """What `make up` runs: process name -> argv without the executable."""
    with tempfile.TemporaryDirectory() as run_dir:
        stack = Stack(StackSettings(RUN_DIR=run_dir), ProcessTable(Path(run_dir), Path(run_dir)))
        return {spec.name: list(spec.argv[1:]) for spec in stack.process_specs({})}


def options(argv: list[str]) -> dict[str, str]:
    return {flag: value for flag, value in itertools.pairwise(argv) if flag[:2] == "--"}


# -- rendering and schemas --------------------------------------------------------------------

# Kinds of the operators the overlays use; their CRD schemas are not available offline, so their
# documents are checked by the tests below instead of a schema.
CUSTOM_KINDS = {
    "Cluster": "postgresql.cnpg.io/v1",
    "ScheduledBackup": "postgresql.cnpg.io/v1",
    "ScaledObject": "keda.sh/v1alpha1",
    "TriggerAuthentication": "keda.sh/v1alpha1",
    "ExternalSecret": "external-secrets.io/v1",
    "SecretStore": "external-secrets.io/v1",
}
# The oldest Kubernetes release the manifests must work on.
KUBERNETES_VERSION = "1.33.0"


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_resource_is_valid_for_the_pinned_kubernetes(kustomization: str) -> None:
    custom = []
    for doc in render(kustomization):
        if doc["kind"] in CUSTOM_KINDS:
            assert doc["apiVersion"] == CUSTOM_KINDS[doc["kind"]], doc["metadata"]["name"]
            custom.append(doc["kind"])
            continue
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    expected = {"base": set(), "overlays/dev": set(), "overlays/prod": set(CUSTOM_KINDS)}
    assert set(custom) == expected[kustomization]


def test_a_wrong_field_fails_the_schema_check() -> None:
    """The check above can fail: an unknown field in a container is refused."""
    deployment = copy.deepcopy(by_kind("base", "Deployment")["auth-api"])
    pod_spec(deployment)["containers"][0]["livenessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_every_namespaced_resource_is_in_the_chiiki_namespace() -> None:
    for kustomization in KUSTOMIZATIONS:
        for doc in render(kustomization):
            if doc["kind"] != "Namespace":
                assert doc["metadata"]["namespace"] == "chiiki", doc["metadata"]["name"]


# -- in lockstep with the local runner --------------------------------------------------------


def test_the_same_processes_run_as_with_make_up() -> None:
    expected = set()
    for name in devstack_processes():
        role, _, service = name.partition("-")
        expected.add({"api": f"{service}-api", "worker": f"{service}-worker"}.get(role, name))
    expected = {"ingest-beat" if name == "beat" else name for name in expected}
    for kustomization in KUSTOMIZATIONS:
        assert set(by_kind(kustomization, "Deployment")) == expected


@pytest.mark.parametrize("service", SERVICES)
def test_apis_run_their_app_as_make_up_does(service: str) -> None:
    local = devstack_processes()[f"api-{service}"]
    [base] = pod_spec(by_kind("base", "Deployment")[f"{service}-api"])["containers"]
    assert base["image"] == f"chiiki-{service}"  # the service's own image
    for kustomization in KUSTOMIZATIONS:
        [api] = pod_spec(by_kind(kustomization, "Deployment")[f"{service}-api"])["containers"]
        assert api["command"][:2] == ["uvicorn", local[0]]
        assert api["command"][-2:] == ["--forwarded-allow-ips", "$(TRUSTED_PROXIES)"]
        kept = ("--timeout-graceful-shutdown", "--no-access-log")
        assert [o for o in api["command"] if o in kept] == [o for o in local if o in kept]
        assert (
            options(api["command"])["--timeout-graceful-shutdown"]
            == options(local)["--timeout-graceful-shutdown"]
        )
        assert {port["containerPort"] for port in api["ports"]} == {8000}


@pytest.mark.parametrize("service", SERVICES)
def test_workers_consume_the_same_queue_as_make_up(service: str) -> None:
    local = devstack_processes()[f"worker-{service}"]
    for kustomization in KUSTOMIZATIONS:
        [worker] = pod_spec(by_kind(kustomization, "Deployment")[f"{service}-worker"])["containers"]
        assert worker["command"][0] == "celery"
        assert worker["command"][1:6] == local[:5]  # -A chiiki_<service>.worker worker -Q <queue>
        for flag in ("--without-gossip", "--without-mingle"):
            assert flag in worker["command"]


def test_beat_is_the_one_make_up_runs_exactly_once() -> None:
    local = devstack_processes()["beat"]
    for kustomization in KUSTOMIZATIONS:
        beat = by_kind(kustomization, "Deployment")["ingest-beat"]
        assert beat["spec"]["replicas"] == 1
        assert beat["spec"]["strategy"] == {"type": "Recreate"}
        [container] = pod_spec(beat)["containers"]
        assert container["command"][1:4] == local[:3]
        targets = {
            doc["spec"]["scaleTargetRef"]["name"]
            for kind in ("HorizontalPodAutoscaler", "ScaledObject")
            for doc in by_kind(kustomization, kind).values()
        }
        assert "ingest-beat" not in targets


def test_settings_make_up_sets_are_configured() -> None:
    """What the local runner sets for the services exists in the cluster's config or secrets."""
    config = by_kind("overlays/prod", "ConfigMap")["chiiki-config"]["data"]
    secrets = secret_keys()
    provided = set(config) | set().union(*secrets.values())
    made_by_devstack = {"ENVIRONMENT", "DATABASE_URL", "REDIS_URL"}
    made_by_devstack |= {"AUTH_INTERNAL_URL", "STATS_INTERNAL_URL", "TRUSTED_PROXIES"}
    made_by_devstack |= {name for names in PRIVATE_SETTINGS.values() for name in names}
    assert made_by_devstack <= provided
    assert config["STATS_INTERNAL_URL"] == "http://stats:8000"
    assert config["AUTH_INTERNAL_URL"] == "http://auth:8000"


def test_every_configured_name_is_a_real_setting() -> None:
    config = by_kind("overlays/prod", "ConfigMap")["chiiki-config"]["data"]
    names = set(config) | set().union(
        *(keys for n, keys in secret_keys().items() if n != "keda-redis")
    )
    assert names <= all_setting_names(), names - all_setting_names()


def test_the_config_map_holds_no_credentials() -> None:
    config = by_kind("overlays/prod", "ConfigMap")["chiiki-config"]["data"]
    secret = set().union(*(service_secret_settings(s) for s in SERVICES))
    assert not secret & set(config)
    assert "@" not in config["DATABASE_URL"]  # no user or password in the URL


# -- secrets: each pod its own ----------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_secret_holds_its_secrets_and_no_other_services(service: str) -> None:
    keys = secret_keys()[f"{service}-secrets"]
    assert service_secret_settings(service) <= keys
    others = set().union(*(service_secret_settings(s) for s in SERVICES if s != service))
    shared = {"METRICS_TOKEN"}
    assert not (others - shared) & keys
    foreign = {
        name for owner, names in PRIVATE_SETTINGS.items() if owner != service for name in names
    }
    assert not foreign & keys
    assert "DATABASE_URL" not in keys  # the administrative URL is the provisioning job's only


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_each_pod_reads_only_its_own_secret(kustomization: str) -> None:
    for name, workload in workloads(kustomization).items():
        owner = workload["metadata"]["labels"]["app.kubernetes.io/name"]
        expected = {
            "gateway": set(),
            "migrate": {"migrate-secrets"},
            "postgres": {"postgres-admin"},
            "redis": set(),
        }.get(owner, {f"{owner}-secrets"})
        assert secret_names(pod_spec(workload)) == expected, name


def test_the_analytics_pods_never_see_the_admin_password() -> None:
    for workload in workloads("overlays/prod").values():
        if workload["metadata"]["labels"]["app.kubernetes.io/name"] == "analytics":
            for secret in secret_names(pod_spec(workload)):
                assert "BOOTSTRAP_ADMIN_PASSWORD" not in secret_keys()[secret]
                assert "AUTH_SIGNING_KEYS" not in secret_keys()[secret]


def test_no_secret_is_committed_with_a_value() -> None:
    for kustomization in KUSTOMIZATIONS:
        assert not by_kind(kustomization, "Secret")
    committed = [p for p in K8S.rglob("*.yaml") if "kind: Secret\n" in p.read_text()]
    assert committed == []


def test_the_provisioning_secret_has_the_admin_url_and_every_role_password() -> None:
    expected = {"DATABASE_URL"} | {f"{s.upper()}_DB_PASSWORD" for s in SERVICES}
    assert secret_keys()["migrate-secrets"] == expected


# -- hardening, probes, resources ----------------------------------------------------------------


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_pods_run_unprivileged_with_requests_and_limits(kustomization: str) -> None:
    for name, workload in workloads(kustomization).items():
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is False, name
        for container in containers(spec):
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"] == {"drop": ["ALL"]}, name
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= container["resources"][bound].keys(), (name, bound)


@pytest.mark.parametrize("service", SERVICES)
def test_apis_have_startup_liveness_and_readiness_probes(service: str) -> None:
    for kustomization in KUSTOMIZATIONS:
        [api] = pod_spec(by_kind(kustomization, "Deployment")[f"{service}-api"])["containers"]
        assert api["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert api["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"


@pytest.mark.parametrize("service", SERVICES)
def test_workers_get_time_for_a_warm_shutdown(service: str) -> None:
    """SIGTERM (Kubernetes' stop signal) is Celery's warm shutdown; the grace period is how long
    the running task may take, at least a minute, longer than the API's."""
    deployments = by_kind("base", "Deployment")
    worker = pod_spec(deployments[f"{service}-worker"])
    assert worker["terminationGracePeriodSeconds"] >= 60
    api = pod_spec(deployments[f"{service}-api"])
    assert worker["terminationGracePeriodSeconds"] > api["terminationGracePeriodSeconds"]
    [container] = worker["containers"]
    assert "preStop" not in container.get("lifecycle", {})  # nothing delays or replaces SIGTERM
    assert container["livenessProbe"]["exec"]["command"][3:5] == ["inspect", "ping"]
    # The probe pings this pod's own worker by its node name.
    assert container["command"][6:8] == ["-n", f"{service}@$(POD_NAME)"]
    assert container["livenessProbe"]["exec"]["command"][5:7] == ["-d", f"{service}@$(POD_NAME)"]


def test_services_select_exactly_one_workload() -> None:
    for kustomization in KUSTOMIZATIONS:
        for service in by_kind(kustomization, "Service").values():
            selector = service["spec"]["selector"].items()
            matches = [
                name
                for name, workload in workloads(kustomization).items()
                if workload["kind"] != "Job"
                and selector <= workload["spec"]["template"]["metadata"]["labels"].items()
            ]
            assert len(matches) == 1, (kustomization, service["metadata"]["name"], matches)


# -- scaling and disruptions --------------------------------------------------------------------


def autoscaled(kustomization: str) -> dict[str, dict]:
    """Each autoscaled Deployment's HPA or ScaledObject, by Deployment name."""
    found: dict[str, dict] = {}
    for kind in ("HorizontalPodAutoscaler", "ScaledObject"):
        for doc in by_kind(kustomization, kind).values():
            target = doc["spec"]["scaleTargetRef"]["name"]
            assert target not in found, f"{target} has two autoscalers"
            found[target] = doc
    return found


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_apis_and_gateway_scale_on_cpu_and_scale_down_slowly(kustomization: str) -> None:
    scalers = autoscaled(kustomization)
    least = 1 if kustomization == "overlays/dev" else 2
    for name in [f"{s}-api" for s in SERVICES] + ["gateway"]:
        hpa = scalers[name]
        assert hpa["kind"] == "HorizontalPodAutoscaler"
        assert hpa["spec"]["minReplicas"] == least
        assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
        [metric] = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
        assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] >= 300


@pytest.mark.parametrize("service", SERVICES)
def test_workers_scale_on_cpu_except_on_queue_length_in_prod(service: str) -> None:
    for kustomization in ("base", "overlays/dev"):
        assert autoscaled(kustomization)[f"{service}-worker"]["kind"] == "HorizontalPodAutoscaler"
    scaled = autoscaled("overlays/prod")[f"{service}-worker"]
    assert scaled["kind"] == "ScaledObject"
    [trigger] = scaled["spec"]["triggers"]
    assert trigger["type"] == "redis"
    prefix = by_kind("overlays/prod", "ConfigMap")["chiiki-config"]["data"]["REDIS_KEY_PREFIX"]
    assert trigger["metadata"]["listName"] == f"{prefix}{service}"  # Celery's list for the queue
    auth = by_kind("overlays/prod", "TriggerAuthentication")[trigger["authenticationRef"]["name"]]
    assert {ref["name"] for ref in auth["spec"]["secretTargetRef"]} == {"keda-redis"}
    assert "keda-redis" in secret_keys()
    assert 1 <= scaled["spec"]["minReplicaCount"] < scaled["spec"]["maxReplicaCount"]
    behaviour = scaled["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
    assert behaviour["scaleDown"]["stabilizationWindowSeconds"] >= 300


@pytest.mark.parametrize("kustomization", ["base", "overlays/prod"])
def test_disruption_budgets_keep_every_scaled_deployment_serving(kustomization: str) -> None:
    budgets = by_kind(kustomization, "PodDisruptionBudget").values()
    deployments = by_kind(kustomization, "Deployment")
    covered = set()
    for budget in budgets:
        selector = budget["spec"]["selector"]["matchLabels"].items()
        [name] = [
            n
            for n, d in deployments.items()
            if selector <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        covered.add(name)
        if name.endswith("-api") or name == "gateway":
            assert budget["spec"]["minAvailable"] == 1
            assert autoscaled(kustomization)[name]["spec"]["minReplicas"] >= 2
        else:
            assert budget["spec"]["maxUnavailable"] == 1
    assert covered == set(deployments) - {"ingest-beat"}


def test_scaled_pods_spread_across_nodes_and_zones() -> None:
    for name, deployment in by_kind("overlays/prod", "Deployment").items():
        if name == "ingest-beat":
            continue
        spread = pod_spec(deployment)["topologySpreadConstraints"]
        assert {c["topologyKey"] for c in spread} == {
            "kubernetes.io/hostname",
            "topology.kubernetes.io/zone",
        }, name
        labels = deployment["spec"]["template"]["metadata"]["labels"].items()
        for constraint in spread:
            assert constraint["labelSelector"]["matchLabels"].items() <= labels, name


# -- migrations ---------------------------------------------------------------------------------


def test_one_migration_job_per_schema_after_provisioning_before_the_rollout() -> None:
    jobs = by_kind("overlays/prod", "Job")
    assert set(jobs) == {"chiiki-provision"} | {f"{s}-migrate" for s in SERVICES}
    provision = jobs["chiiki-provision"]
    [container] = pod_spec(provision)["containers"]
    assert container["command"] == ["python", "-m", "chiiki_shared.schema_jobs", "provision"]
    assert container["image"].endswith("/migrate:0.1.0")
    wave = int(provision["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
    for service in SERVICES:
        job = jobs[f"{service}-migrate"]
        [container] = pod_spec(job)["containers"]
        assert container["command"] == [
            "python",
            "-m",
            "chiiki_shared.schema_jobs",
            "upgrade",
            service,
        ]
        assert container["image"].endswith(f"/{service}:0.1.0")  # the schema's own image
        annotations = job["metadata"]["annotations"]
        assert annotations["argocd.argoproj.io/hook"] == "PreSync"
        assert int(annotations["argocd.argoproj.io/sync-wave"]) > wave
        assert pod_spec(job)["restartPolicy"] == "Never"


# -- network ------------------------------------------------------------------------------------


def selects(selector: dict, labels: dict) -> bool:
    if not selector:
        return True
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        if (
            expression["operator"] != "In"
            or labels.get(expression["key"]) not in expression["values"]
        ):
            return False
    return True


def egress_ports(kustomization: str, labels: dict) -> set[int]:
    """Ports a pod with these labels may reach, whatever the destination."""
    ports = set()
    for policy in by_kind(kustomization, "NetworkPolicy").values():
        if selects(policy["spec"]["podSelector"], labels):
            for rule in policy["spec"].get("egress", []):
                ports |= {port["port"] for port in rule.get("ports", [])}
    return ports


def ingress_peers(kustomization: str, labels: dict) -> list[dict]:
    peers = []
    for policy in by_kind(kustomization, "NetworkPolicy").values():
        if selects(policy["spec"]["podSelector"], labels):
            for rule in policy["spec"].get("ingress", []):
                peers += rule["from"]
    return peers


@pytest.mark.parametrize("kustomization", ["overlays/dev", "overlays/prod"])
def test_network_is_denied_by_default_then_opened_per_flow(kustomization: str) -> None:
    policies = by_kind(kustomization, "NetworkPolicy")
    assert policies["default-deny"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }
    for policy in policies.values():
        for rule in policy["spec"].get("egress", []) + policy["spec"].get("ingress", []):
            assert rule.get("ports"), policy["metadata"]["name"]  # never every port
    for name, workload in workloads(kustomization).items():
        labels = workload["spec"]["template"]["metadata"]["labels"]
        ports = egress_ports(kustomization, labels)
        owner = labels["app.kubernetes.io/name"]
        if owner == "ingest":
            assert 443 in ports, name
        else:
            assert 443 not in ports, name  # only ingest goes out, to e-Stat
        if owner == "gateway":
            assert ports == {53, 8000}
        elif owner in SERVICES:
            assert {5432, 6379, 8000} <= ports, name


@pytest.mark.parametrize("service", SERVICES)
def test_service_apis_admit_the_gateway_and_their_callers_only(service: str) -> None:
    labels = {"app.kubernetes.io/name": service, "app.kubernetes.io/component": "api"}
    labels["app.kubernetes.io/part-of"] = "chiiki"
    peers = ingress_peers("overlays/prod", labels)
    monitoring = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    }
    assert monitoring in peers  # Prometheus scrapes /metrics
    peers.remove(monitoring)
    callers = {peer["podSelector"]["matchLabels"].get("app.kubernetes.io/name") for peer in peers}
    expected = {"auth": {None}, "stats": {"gateway", "analytics"}}.get(service, {"gateway"})
    assert callers == expected
    if service == "auth":  # every Chiiki pod fetches its keys or a token
        assert peers == [{"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "chiiki"}}}]


def test_estat_egress_is_public_https_only() -> None:
    policy = by_kind("overlays/prod", "NetworkPolicy")["ingest-to-estat"]
    [rule] = policy["spec"]["egress"]
    assert rule["ports"] == [{"port": 443}]
    [peer] = rule["to"]
    assert peer["ipBlock"]["cidr"] == "0.0.0.0/0"
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"} <= set(peer["ipBlock"]["except"])


# -- TLS at the edge, data stores ---------------------------------------------------------------


def test_the_gateway_is_behind_a_tls_ingress_with_a_cert_manager_certificate() -> None:
    [ingress] = by_kind("overlays/prod", "Ingress").values()
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt"
    [tls] = ingress["spec"]["tls"]
    [rule] = ingress["spec"]["rules"]
    assert rule["host"] in tls["hosts"]
    assert tls["secretName"]
    [path] = rule["http"]["paths"]
    backend = path["backend"]["service"]
    gateway = by_kind("overlays/prod", "Service")[backend["name"]]
    assert backend["port"]["name"] in {port["name"] for port in gateway["spec"]["ports"]}
    issuer_file = K8S / "components" / "tls-ingress" / "cluster-issuer.example.yaml"
    issuer = yaml.safe_load(issuer_file.read_text())
    assert issuer["kind"] == "ClusterIssuer"
    assert issuer["metadata"]["name"] == "letsencrypt"


def test_prod_postgres_is_a_three_instance_cluster_with_backups() -> None:
    [cluster] = by_kind("overlays/prod", "Cluster").values()
    assert cluster["spec"]["instances"] == 3
    assert cluster["spec"]["backup"]["barmanObjectStore"]["destinationPath"].startswith("s3://")
    [scheduled] = by_kind("overlays/prod", "ScheduledBackup").values()
    assert scheduled["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    config = by_kind("overlays/prod", "ConfigMap")["chiiki-config"]["data"]
    assert config["DATABASE_URL"] == f"postgresql://{cluster['metadata']['name']}-rw:5432/chiiki"
    assert not by_kind("overlays/prod", "StatefulSet")  # no in-cluster stand-ins in prod
    assert set(by_kind("overlays/dev", "StatefulSet")) == {"postgres", "redis"}


def test_prod_images_are_pinned_release_tags() -> None:
    for name, workload in workloads("overlays/prod").items():
        for container in containers(pod_spec(workload)):
            image = container["image"]
            assert image.startswith("registry.example.org/chiiki/"), (name, image)
            assert not image.endswith((":latest", ":dev")), (name, image)


def test_the_gateway_renderer_gets_real_settings_and_existing_upstreams() -> None:
    stack_settings = {field.alias for field in StackSettings.model_fields.values()}
    deployment = by_kind("overlays/prod", "Deployment")["gateway"]
    [render_config] = pod_spec(deployment)["initContainers"]
    env = {item["name"]: item["value"] for item in render_config["env"]}
    assert set(env) <= stack_settings, set(env) - stack_settings
    assert render_config["command"][-1] == "render-gateway"
    services = by_kind("overlays/prod", "Service")
    for service in SERVICES:
        host, port = env[f"{service.upper()}_UPSTREAM"].split(":")
        assert int(port) in {p["port"] for p in services[host]["spec"]["ports"]}
    [nginx] = pod_spec(deployment)["containers"]
    assert {p["containerPort"] for p in nginx["ports"]} == {int(env["GATEWAY_PORT"])}
    assert "/gateway/nginx/nginx.conf" in " ".join(nginx["command"])
    assert env["RUN_DIR"] == "/gateway"  # the volume both containers mount
