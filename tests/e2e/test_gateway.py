"""The real stack behind nginx: health, routing, request ids, and the gateway's own errors.

Protected routes are called with the e2e admin's token (see test_auth_gateway.py for the checks
themselves)."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from chiiki_devstack.pytest_plugin import log_lines, service_stopped
from chiiki_devstack.stack import Stack

pytestmark = pytest.mark.e2e

ROUTES = {
    "/api/auth/anything": "auth",
    "/api/population/13000": "stats",
    "/api/livability": "stats",
    "/api/comparison": "stats",
    "/api/kpi": "stats",
    "/api/statistics/summary": "stats",
    "/api/regions": "stats",
    "/api/indicators": "stats",
    "/api/datasets": "stats",
    "/api/boundaries/municipality": "stats",
    "/api/ingest/runs": "ingest",
    "/api/forecasts": "analytics",
    "/api/analytics/trends": "analytics",
}
TITLES = {
    "auth": "Chiiki auth",
    "stats": "Chiiki statistics",
    "ingest": "Chiiki ingestion",
    "analytics": "Chiiki analytics",
}


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.settings.gateway_url, timeout=10) as client:
        yield client


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"], body["type"]) == (status, code, f"/problems/{code}")
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def test_health_reports_every_service(gateway: httpx.Client) -> None:
    response = gateway.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: part["status"] for name, part in body["services"].items()} == {
        "auth": "ok",
        "stats": "ok",
        "ingest": "ok",
        "analytics": "ok",
    }
    assert body["services"]["stats"]["checks"]["database"] == {"status": "ok"}


@pytest.mark.parametrize(("path", "service"), sorted(ROUTES.items()))
def test_each_prefix_reaches_its_service(
    gateway: httpx.Client, admin_headers, path: str, service: str
) -> None:
    response = gateway.get(path, headers=admin_headers())
    assert response.headers["x-served-by"] == service


@pytest.mark.parametrize("service", sorted(TITLES))
def test_openapi_and_docs_are_served_through_the_gateway(
    gateway: httpx.Client, service: str
) -> None:
    spec = gateway.get(f"/api/{service}/openapi.json")
    assert spec.status_code == 200
    assert spec.json()["info"]["title"] == TITLES[service]
    docs = gateway.get(f"/api/{service}/docs")
    assert docs.status_code == 200
    assert f"/api/{service}/openapi.json" in docs.text


def test_request_id_round_trip(gateway: httpx.Client, stack: Stack, admin_headers) -> None:
    request_id = f"e2e-{time.time_ns()}"
    response = gateway.get(
        "/api/stats/nowhere", headers={**admin_headers(), "X-Request-ID": request_id}
    )
    assert response.headers.get_list("x-request-id") == [request_id]
    assert response.json()["request_id"] == request_id
    assert log_lines(stack, "gateway-access", request_id)
    service_lines = log_lines(stack, "api-stats", request_id)
    assert any(line["event"] == "http_request" for line in service_lines)


def test_gateway_generates_a_request_id_when_absent(gateway: httpx.Client) -> None:
    first = gateway.get("/api/regions").headers["x-request-id"]
    second = gateway.get("/api/regions").headers["x-request-id"]
    assert len(first) == 32
    assert first != second


def test_identity_headers_from_clients_are_stripped(
    gateway: httpx.Client, stack: Stack, admin_headers
) -> None:
    admin_id = gateway.get("/api/auth/me", headers=admin_headers()).json()["id"]
    request_id = f"e2e-forged-{time.time_ns()}"
    gateway.get(
        "/api/regions",
        headers={
            **admin_headers(),
            "X-Request-ID": request_id,
            "X-User-Id": "42",
            "X-User-Role": "user",
        },
    )
    [line] = [line for line in log_lines(stack, "api-stats", request_id) if "user_id" in line]
    # The gateway's verified identity, not the client's.
    assert line["user_id"] == admin_id


@pytest.mark.parametrize("path", ["/api/nowhere", "/api", "/", "/api/authx"])
def test_unknown_paths_are_json_404(gateway: httpx.Client, path: str) -> None:
    body = assert_problem(gateway.get(path), 404, "not-found")
    assert body["instance"] == path


def test_a_stopped_service_gives_502_and_degraded_health(
    gateway: httpx.Client, stack: Stack, admin_headers
) -> None:
    with service_stopped(stack, "analytics"):
        assert_problem(
            gateway.get("/api/forecasts?x=1", headers=admin_headers()), 502, "bad-gateway"
        )
        health = gateway.get("/api/health")
        body = assert_problem(health, 503, "service-unavailable")
        assert body["services"]["analytics"]["status"] == "down"
        assert body["services"]["stats"]["status"] == "ok"
        assert body["detail"] == "Not ready: analytics"
    assert gateway.get("/api/health").json()["status"] == "ok"


def test_a_service_that_does_not_answer_gives_504(
    gateway: httpx.Client, stack: Stack, admin_headers
) -> None:
    headers = admin_headers()
    with service_stopped(stack, "analytics"), _silent_listener(stack.settings.analytics_port):
        started = time.monotonic()
        body = assert_problem(
            gateway.get("/api/forecasts", headers=headers), 504, "gateway-timeout"
        )
        assert 2.5 < time.monotonic() - started < 10
        assert body["instance"] == "/api/forecasts"


@contextmanager
def _silent_listener(port: int) -> Iterator[None]:
    """A socket that accepts connections and never answers: a hung service."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()
