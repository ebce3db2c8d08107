"""Service accounts through the gateway: the public token route, admin-only client management,
scopes checked at the gateway and in the services, revocation within the gateway's cache."""

import io
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from chiiki_devstack.stack import Stack, own_env

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.settings.gateway_url, timeout=10) as client:
        yield client


@pytest.fixture
def service_client(
    gateway: httpx.Client, admin_headers: Callable[[], dict[str, str]]
) -> Iterator[dict]:
    """A client with stats:read, created by the admin through the gateway; revoked afterwards."""
    response = gateway.post(
        "/api/auth/clients",
        json={"name": f"e2e-{uuid.uuid4().hex[:8]}", "scopes": ["stats:read"]},
        headers=admin_headers(),
    )
    assert response.status_code == 201, response.text
    created = response.json()
    yield created
    gateway.delete(f"/api/auth/clients/{created['id']}", headers=admin_headers())


def client_token(gateway: httpx.Client, created: dict) -> dict:
    response = gateway.post(
        "/api/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(created["id"], created["client_secret"]),
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_the_token_route_is_public_and_answers_oauth_errors(gateway: httpx.Client) -> None:
    response = gateway.post("/api/auth/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 401
    assert response.headers["x-served-by"] == "auth"
    assert response.headers["www-authenticate"] == 'Basic realm="chiiki"'
    body = response.json()
    assert (body["code"], body["error"]) == ("invalid-client", "invalid_client")


def test_a_client_token_reads_stats_and_nothing_else(
    gateway: httpx.Client, service_client: dict
) -> None:
    granted = client_token(gateway, service_client)
    assert (granted["token_type"], granted["scope"]) == ("Bearer", "stats:read")
    headers = {"Authorization": f"Bearer {granted['access_token']}"}
    regions = gateway.get("/api/regions", params={"level": "prefecture"}, headers=headers)
    assert regions.status_code == 200, regions.text
    refused = {
        "/api/ingest/runs": "This action needs the ingest:read scope",
        "/api/analytics/trends": "This action needs the analytics:read scope",
        "/api/auth/me": "This action is for users, not for client tokens",
        "/api/auth/clients": "This action is for users, not for client tokens",
        "/api/auth/users": "This action is for users, not for client tokens",
    }
    for path, detail in refused.items():
        response = gateway.get(path, headers=headers)
        assert response.status_code == 403, (path, response.text)
        assert (response.json()["code"], response.json()["detail"]) == (
            "insufficient-scope",
            detail,
        )
        assert "x-served-by" not in response.headers  # refused by the gateway itself
    write = gateway.post("/api/regions", json={}, headers=headers)
    assert (write.status_code, write.json()["detail"]) == (
        403,
        "This action needs the stats:write scope",
    )


def test_client_management_is_admin_only_at_the_gateway(gateway: httpx.Client) -> None:
    email = f"sa-{uuid.uuid4().hex[:12]}@chiiki.example"
    password = "saffron-lattice-harbor"
    gateway.post(
        "/api/auth/register", json={"email": email, "password": password, "display_name": "SA"}
    )
    token = gateway.post("/api/auth/login", json={"email": email, "password": password}).json()
    response = gateway.get(
        "/api/auth/clients", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert (response.status_code, response.json()["detail"]) == (
        403,
        "This action needs the admin role",
    )
    assert "x-served-by" not in response.headers


def test_revoking_a_client_ends_its_tokens_at_the_gateway(
    gateway: httpx.Client, service_client: dict, admin_headers
) -> None:
    headers = {"Authorization": f"Bearer {client_token(gateway, service_client)['access_token']}"}
    assert gateway.get("/api/regions", headers=headers).status_code == 200
    revoked = gateway.delete(f"/api/auth/clients/{service_client['id']}", headers=admin_headers())
    assert revoked.status_code == 204
    # Within the gateway's cache (1 s here) the token stops working.
    deadline = time.monotonic() + 10
    while (status := gateway.get("/api/regions", headers=headers).status_code) == 200:
        assert time.monotonic() < deadline, "the revoked client's token still works"
        time.sleep(0.2)
    assert status == 401
    again = gateway.post(
        "/api/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(service_client["id"], service_client["client_secret"]),
    )
    assert again.status_code == 401


def test_the_workers_clients_are_generated_once_and_kept_private(stack: Stack) -> None:
    first = stack.service_clients()
    assert stack.service_clients() == first  # generated once, then read back
    assert stack.service_clients_file.stat().st_mode & 0o777 == 0o600
    analytics = first["analytics"]
    assert (analytics["name"], analytics["scopes"]) == ("analytics-worker", ["stats:read"])
    assert len(str(analytics["secret"])) >= 43
    env = {**stack.service_client_env(), "BOOTSTRAP_ADMIN_PASSWORD": "p", "LOG_LEVEL": "INFO"}
    assert set(own_env(env, "auth")) == {
        "AUTH_BOOTSTRAP_CLIENTS",
        "BOOTSTRAP_ADMIN_PASSWORD",
        "LOG_LEVEL",
    }
    assert set(own_env(env, "analytics")) == {
        "ANALYTICS_CLIENT_ID",
        "ANALYTICS_CLIENT_SECRET",
        "LOG_LEVEL",
    }
    for other in ("stats", "ingest", "gateway", "replay"):
        assert set(own_env(env, other)) == {"LOG_LEVEL"}


def test_the_ingest_cli_works_through_the_gateway_with_a_service_client(
    gateway: httpx.Client,
    admin_headers: Callable[[], dict[str, str]],
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``chiiki-ingest`` as a data engineer runs it against ``make up``: the gateway's URL, a
    client with the ingest scopes, its secret from the environment."""
    from chiiki_ingest import cli

    response = gateway.post(
        "/api/auth/clients",
        json={"name": f"e2e-cli-{uuid.uuid4().hex[:8]}", "scopes": ["ingest:read", "ingest:write"]},
        headers=admin_headers(),
    )
    assert response.status_code == 201, response.text
    created = response.json()
    monkeypatch.setenv(cli.ENV_CLIENT_ID, created["id"])
    monkeypatch.setenv(cli.ENV_CLIENT_SECRET, created["client_secret"])
    url = stack.settings.gateway_url
    try:
        listed = io.StringIO()
        assert cli.main(["--url", url, "catalog", "list"], listed) == 0, capsys.readouterr().err
        rows = {line.split("\t")[0]: line.split("\t") for line in listed.getvalue().splitlines()}
        assert rows["census-c01-1920-2015"][1:3] == ["enabled", "daily"]

        ticks = io.StringIO()
        assert cli.main(["--url", url, "schedule"], ticks) == 0, capsys.readouterr().err
        crons = dict(line.split("\t")[:2] for line in ticks.getvalue().splitlines())
        assert crons["census-c01-1920-2015"] == "0 3 * * *"

        capsys.readouterr()
        assert cli.main(["--url", url, "catalog", "show", "t-no-such-table"], io.StringIO()) == 1
        assert capsys.readouterr().err == (
            "error: t-no-such-table is not in the catalog. (404 catalog-entry-not-found)\n"
        )
    finally:
        gateway.delete(f"/api/auth/clients/{created['id']}", headers=admin_headers())
