"""The real stack behind nginx: health, routing, request ids, and the gateway's own errors.

Protected routes are called with the e2e admin's token (see test_auth_gateway.py for the checks
themselves)."""

import json
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from chiiki_devstack.pytest_plugin import (
    E2E_GATEWAY_READ_TIMEOUT_SECONDS,
    METRICS_TOKEN,
    log_lines,
    second_gateway,
    service_stopped,
)
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
    # A query of its own, so the read reaches stats (the gateway keeps answers to repeated ones).
    gateway.get(
        f"/api/regions?q={request_id}",
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


@pytest.mark.parametrize("path", ["/api/nowhere", "/api", "/api/", "/metrics", "/api/authx"])
def test_unknown_paths_are_json_404(gateway: httpx.Client, path: str) -> None:
    body = assert_problem(gateway.get(path), 404, "not-found")
    assert body["instance"] == path


def test_a_stopped_service_gives_502_and_degraded_health(
    gateway: httpx.Client, stack: Stack, admin_headers
) -> None:
    with service_stopped(stack, "analytics"):
        body = assert_problem(
            gateway.get("/api/forecasts?x=1", headers=admin_headers()), 502, "bad-gateway"
        )
        assert body["detail"] == "The analytics service is not available."
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
            gateway.get(
                "/api/forecasts", headers=headers, timeout=3 * E2E_GATEWAY_READ_TIMEOUT_SECONDS
            ),
            504,
            "gateway-timeout",
        )
        timeout = E2E_GATEWAY_READ_TIMEOUT_SECONDS
        assert timeout - 0.5 < time.monotonic() - started < 2 * timeout
        assert body["instance"] == "/api/forecasts"
        assert body["detail"] == "The analytics service did not answer in time."


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


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def raw_request(stack: Stack, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes no HTTP client would; the status, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", stack.settings.gateway_port), timeout=10) as conn:
        conn.sendall(data)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines)}
    return int(status_line.split()[1]), headers, body


def request_line(line: str, *headers: str) -> bytes:
    return "\r\n".join([line, "Host: gateway", *headers, "Connection: close", "", ""]).encode()


# Answers nginx makes before (or instead of) asking a service, each with its code.
OWN_ERRORS = {
    "garbage": (b"GARBAGE\r\n\r\n", 400, "bad-request"),
    "dot-segments above the root": (
        request_line("GET /api/%2e%2e/%2e%2e/metrics HTTP/1.1"),
        400,
        "bad-request",
    ),
    "no Host": (b"GET /api/regions HTTP/1.1\r\nConnection: close\r\n\r\n", 400, "bad-request"),
    "TRACE": (request_line("TRACE /api/regions HTTP/1.1"), 405, "method-not-allowed"),
    "an internal location": (request_line("GET /_errors/502 HTTP/1.1"), 404, "not-found"),
    "the token check": (request_line("GET /_auth/verify HTTP/1.1"), 404, "not-found"),
    "body too large": (
        request_line("POST /api/auth/login HTTP/1.1", "Content-Length: 5000000"),
        413,
        "body-too-large",
    ),
    "URI too long": (request_line(f"GET /api/{'a' * 9000} HTTP/1.1"), 414, "uri-too-long"),
    "header too large": (
        request_line("GET /api/regions HTTP/1.1", f"X-Big: {'b' * 9000}"),
        400,
        "headers-too-large",
    ),
    "HTTP/2.0 in plain text": (
        request_line("GET /api/regions HTTP/2.0"),
        505,
        "http-version-not-supported",
    ),
}


@pytest.mark.parametrize("case", sorted(OWN_ERRORS))
def test_the_gateways_own_errors_are_problem_documents(stack: Stack, case: str) -> None:
    data, status, code = OWN_ERRORS[case]
    answered, headers, raw_body = raw_request(stack, data)
    assert answered == status
    assert headers["content-type"] == "application/problem+json"
    body = json.loads(raw_body)
    assert (body["status"], body["code"], body["type"]) == (status, code, f"/problems/{code}")
    assert body["request_id"] == headers["x-request-id"]
    assert {name: headers[name] for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert headers["content-security-policy"] == API_POLICY


def test_security_headers_on_every_answer(gateway: httpx.Client, admin_headers) -> None:
    answers = [
        gateway.get("/api/regions", headers=admin_headers()),  # a service's answer
        gateway.get("/api/regions"),  # 401 from the token check
        gateway.get("/api/nowhere"),  # the gateway's 404
        gateway.get("/api/health"),
        gateway.get("/api/stats/openapi.json"),
    ]
    for response in answers:
        assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == (
            SECURITY_HEADERS
        ), response.url
        assert response.headers.get_list("content-security-policy") == [API_POLICY]


def test_redirects_never_carry_the_clients_host(gateway: httpx.Client, admin_headers) -> None:
    # The service's own trailing-slash redirect: relative, whatever Host said.
    headers = {**admin_headers(), "Host": "evil.example"}
    response = gateway.get("/api/regions/", headers=headers)
    assert response.status_code == 307
    assert response.headers["location"] == "/api/regions"
    # nginx's rule for prefix locations would redirect /api/auth to /api/auth/: a 404 instead.
    for path in ("/api/auth", "/api/ingest"):
        response = gateway.get(path, headers={"Host": "evil.example"})
        assert "location" not in response.headers
        assert_problem(response, 404, "not-found")


@pytest.mark.parametrize("service", sorted(TITLES))
def test_docs_pages_load_nothing_from_elsewhere(gateway: httpx.Client, service: str) -> None:
    page = gateway.get(f"/api/{service}/docs")
    assert page.status_code == 200
    static = f"/api/{service}/docs/static"
    sources = sorted(re.findall(r'(?:src|href)="([^"]+)"', page.text))
    assert sources == [
        f"{static}/favicon.png",
        f"{static}/swagger-ui-bundle.js",
        f"{static}/swagger-ui.css",
    ]
    assert "cdn." not in page.text
    # Own origin only: no scheme or host anywhere in the policy, inline script by hash only.
    [policy] = page.headers.get_list("content-security-policy")
    for foreign in ("://", "unsafe-inline", "*"):
        assert foreign not in policy
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"].startswith("'self' 'sha256-")
    assert directives["frame-ancestors"] == "'none'"
    assert page.headers["x-frame-options"] == "DENY"
    for source in sources:
        asset = gateway.get(source)
        assert asset.status_code == 200, source
        assert asset.headers["x-served-by"] == service
        assert asset.headers["x-content-type-options"] == "nosniff"
    redirect_page = gateway.get(f"/api/{service}/docs/oauth2-redirect")
    assert redirect_page.status_code == 200
    assert "sha256-" in redirect_page.headers["content-security-policy"]


def test_metrics_are_not_reachable_through_the_gateway(
    gateway: httpx.Client, stack: Stack, admin_headers
) -> None:
    scraper = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    assert_problem(gateway.get("/metrics", headers=scraper), 404, "not-found")
    assert_problem(gateway.get("/api/stats/metrics"), 401, "authentication-required")
    assert_problem(
        gateway.get("/api/stats/%2e%2e/%2e%2e/metrics", headers=scraper), 404, "not-found"
    )
    # On a service's own port (inside the cluster), with the scrape token only.
    service = httpx.get(f"{stack.settings.service_url('stats')}/metrics", timeout=10)
    assert service.status_code == 401
    assert service.headers["content-type"] == "application/problem+json"
    scraped = httpx.get(f"{stack.settings.service_url('stats')}/metrics", headers=scraper)
    assert scraped.status_code == 200
    assert "http_requests_total" in scraped.text


class ClosingUpstream:
    """A service that answers the first request on each connection and resets the connection
    when a second one arrives on it: a kept-alive connection the service closed just as the
    gateway reused it."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        self.requests: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self.server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        with conn:
            for answered in range(2):
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    head += chunk
                method, path = head.decode("latin-1").split(" ", 2)[:2]
                self.requests.append(f"{method} {path}")
                if answered:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return  # closed with a reset, nothing answered
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"X-Served-By: closing\r\nContent-Length: 2\r\n\r\n{}"
                )

    def __enter__(self) -> "ClosingUpstream":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()


def test_a_reset_kept_alive_connection_is_retried_for_reads_only(admin_headers) -> None:
    headers = admin_headers()
    with (
        ClosingUpstream() as upstream,
        second_gateway(GATEWAY_WORKERS="1", STATS_UPSTREAM=f"127.0.0.1:{upstream.port}") as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        # Two different reads, so both go to the service (the gateway keeps repeated ones).
        first = client.get("/api/regions?q=first", headers=headers)
        assert (first.status_code, first.headers["x-served-by"]) == (200, "closing")
        # Sent on the kept-alive connection, which is reset: retried on a new one.
        second = client.get("/api/regions?q=second", headers=headers)
        assert (second.status_code, second.headers["x-served-by"]) == (200, "closing")
        # A POST that reached the service is never sent twice.
        posted = client.post("/api/regions", headers=headers, json={})
        body = assert_problem(posted, 502, "bad-gateway")
        assert body["detail"] == "The stats service is not available."
        sent = [
            request.split("?")[0]
            for request in upstream.requests
            if request.split("?")[0].endswith(" /api/regions")
        ]
        # Each GET was answered, at least the second after a reset (the first, too, when the
        # start-up health check had left its connection open); the POST went out once.
        assert sent.count("GET /api/regions") in (3, 4)
        assert sent[-1] == "POST /api/regions"
        assert sent.count("POST /api/regions") == 1
