"""The gateway's token check: what reaches a service, what is refused and how, on the real stack."""

import base64
import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chiiki_devstack.pytest_plugin import log_lines, second_gateway, service_stopped
from chiiki_devstack.stack import Stack

pytestmark = pytest.mark.e2e

PASSWORD = "cobalt-orchard-meridian"
MISSING = "An access token is required (Authorization: Bearer <token>)"


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.settings.gateway_url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def stack_key() -> tuple[str, ec.EllipticCurvePrivateKey]:
    """The e2e stack's signing key (its kid and private key), to forge tokens with."""
    [path] = Path(os.environ["AUTH_KEYS_DIR"]).glob("*.pem")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return path.stem, key


@pytest.fixture(scope="module")
def user(gateway: httpx.Client) -> dict:
    """A registered user with its tokens."""
    email = f"gw-{uuid.uuid4().hex[:12]}@chiiki.example"
    registered = gateway.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "display_name": "GW"}
    ).json()
    tokens = gateway.post("/api/auth/login", json={"email": email, "password": PASSWORD}).json()
    return {**registered, **tokens}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_gateway_problem(
    response: httpx.Response, status: int, code: str, title: str, detail: str
) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": f"/problems/{code}",
        "code": code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": response.request.url.path,
        "request_id": response.headers["x-request-id"],
    }
    assert "x-served-by" not in response.headers  # answered by the gateway itself


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**changes: object) -> dict:
    now = int(time.time())
    values = {
        "iss": "chiiki-auth",
        "aud": "chiiki-api",
        "sub": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "sid": str(uuid.uuid4()),
        "role": "admin",
    }
    values.update(changes)
    return values


PROTECTED = [
    "/api/auth/me",
    "/api/auth/users",
    "/api/regions",
    "/api/population/13000",
    "/api/ingest/runs",
    "/api/forecasts",
    "/api/analytics/trends",
]


@pytest.mark.parametrize("path", PROTECTED)
def test_protected_routes_need_a_token(gateway: httpx.Client, path: str) -> None:
    response = gateway.get(path, headers={"X-User-Id": "42", "X-User-Role": "admin"})
    assert_gateway_problem(
        response, 401, "authentication-required", "Authentication required", MISSING
    )
    assert response.headers["www-authenticate"] == (
        f'Bearer realm="chiiki", error_description="{MISSING}"'
    )


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/api/auth/register", 422),
        ("POST", "/api/auth/login", 422),
        ("POST", "/api/auth/refresh", 422),
        ("GET", "/api/auth/.well-known/jwks.json", 200),
        ("GET", "/api/auth/docs/oauth2-redirect", 200),
        ("GET", "/api/stats/openapi.json", 200),
        ("GET", "/api/ingest/docs", 200),
    ],
)
def test_public_routes_need_no_token(
    gateway: httpx.Client, method: str, path: str, status: int
) -> None:
    response = gateway.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == status
    assert response.headers["x-served-by"] in ("auth", "stats", "ingest")


def test_jwks_publishes_the_signing_key(gateway: httpx.Client, stack_key) -> None:
    kid, key = stack_key
    [published] = gateway.get("/api/auth/.well-known/jwks.json").json()["keys"]
    assert published["kid"] == kid
    assert jwt.PyJWK(published, algorithm="ES256").key.public_numbers() == (
        key.public_key().public_numbers()
    )


def _attacks(kid: str, key: ec.EllipticCurvePrivateKey, refresh_token: str) -> dict:
    def sign(payload: dict, *, signer=key, key_id: str = kid, typ: str = "at+jwt") -> str:
        return jwt.encode(payload, signer, algorithm="ES256", headers={"kid": key_id, "typ": typ})

    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    hs_head = b64(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": kid}).encode())
    hs_body = b64(json.dumps(claims()).encode())
    hs_mac = hmac.new(public_pem, f"{hs_head}.{hs_body}".encode(), hashlib.sha256).digest()
    valid = sign(claims(role="user"))
    head, _, signature = valid.split(".")
    past = int(time.time()) - 7200
    return {
        "alg none": (
            f"{b64(json.dumps({'alg': 'none', 'typ': 'at+jwt', 'kid': kid}).encode())}."
            f"{b64(json.dumps(claims()).encode())}.",
            "The access token must be signed with ES256",
        ),
        "HS256 signed with the public key": (
            f"{hs_head}.{hs_body}.{b64(hs_mac)}",
            "The access token must be signed with ES256",
        ),
        "expired": (
            sign(claims(iat=past, nbf=past, exp=past + 900)),
            "The access token has expired",
        ),
        "not yet valid": (
            sign(claims(nbf=int(time.time()) + 3600)),
            "The access token is not valid yet",
        ),
        "wrong iss": (sign(claims(iss="evil")), "The access token comes from an unknown issuer"),
        "wrong aud": (sign(claims(aud="other")), "The access token is meant for another audience"),
        "tampered payload": (
            f"{head}.{b64(json.dumps(claims()).encode())}.{signature}",
            "The access token signature does not verify",
        ),
        "unknown kid": (
            sign(claims(), signer=ec.generate_private_key(ec.SECP256R1()), key_id="evil"),
            "The access token is signed with an unknown key",
        ),
        "id token type": (sign(claims(), typ="JWT"), "The token is not an access token"),
        "refresh token as access token": (refresh_token, "The access token is malformed"),
    }


ATTACK_NAMES = [
    "alg none",
    "HS256 signed with the public key",
    "expired",
    "not yet valid",
    "wrong iss",
    "wrong aud",
    "tampered payload",
    "unknown kid",
    "id token type",
    "refresh token as access token",
]


@pytest.mark.parametrize("attack", ATTACK_NAMES)
def test_forged_tokens_never_reach_a_service(
    gateway: httpx.Client, stack_key, user: dict, attack: str
) -> None:
    token, detail = _attacks(*stack_key, user["refresh_token"])[attack]
    for path in ("/api/regions", "/api/ingest/runs", "/api/auth/me"):
        response = gateway.get(path, headers=bearer(token))
        assert_gateway_problem(response, 401, "invalid-token", "Invalid access token", detail)
        assert response.headers["www-authenticate"] == (
            f'Bearer realm="chiiki", error="invalid_token", error_description="{detail}"'
        )


def test_a_forged_token_with_the_real_key_passes(gateway: httpx.Client, stack_key) -> None:
    """The control for the attacks above: same claims, properly signed, goes through."""
    kid, key = stack_key
    token = jwt.encode(claims(), key, algorithm="ES256", headers={"kid": kid, "typ": "at+jwt"})
    assert gateway.get("/api/regions", headers=bearer(token)).headers["x-served-by"] == "stats"


def test_access_token_is_no_refresh_token(gateway: httpx.Client, user: dict) -> None:
    response = gateway.post("/api/auth/refresh", json={"refresh_token": user["access_token"]})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid-refresh-token"


def test_the_verified_identity_replaces_forged_headers(
    gateway: httpx.Client, stack: Stack, user: dict
) -> None:
    request_id = f"e2e-identity-{time.time_ns()}"
    # A query of its own, so the read reaches stats (the gateway keeps answers to repeated ones).
    gateway.get(
        f"/api/regions?q={request_id}",
        headers={
            **bearer(user["access_token"]),
            "X-Request-ID": request_id,
            "X-User-Id": "42",
            "X-User-Role": "admin",
        },
    )
    [line] = log_lines(stack, "api-stats", request_id, event="http_request")
    assert line["user_id"] == user["id"]


def test_users_get_403_on_admin_routes_at_the_gateway(
    gateway: httpx.Client, user: dict, admin_headers
) -> None:
    detail = "This action needs the admin role"
    for method, path in (
        ("POST", "/api/ingest/runs"),
        ("DELETE", "/api/ingest/runs/1"),
        ("GET", "/api/ingest/runs"),
        ("PUT", "/api/regions/13000"),
        ("POST", "/api/datasets"),
        ("GET", "/api/auth/users"),
        ("GET", "/api/auth/audit"),
        ("GET", "/api/ingest/audit"),
    ):
        response = gateway.request(method, path, headers=bearer(user["access_token"]))
        assert_gateway_problem(response, 403, "forbidden", "Forbidden", detail)
        assert response.headers["www-authenticate"] == (
            f'Bearer realm="chiiki", error="insufficient_scope", error_description="{detail}"'
        )
        admin = gateway.request(method, path, headers=admin_headers())
        assert admin.headers["x-served-by"] in ("ingest", "stats", "auth")
    # Reading statistics is for every signed-in user.
    reading = gateway.get("/api/regions", headers=bearer(user["access_token"]))
    assert reading.headers["x-served-by"] == "stats"


def test_successful_checks_are_cached_briefly(
    gateway: httpx.Client, stack: Stack, user: dict
) -> None:
    fresh = gateway.post(
        "/api/auth/login", json={"email": user["email"], "password": PASSWORD}
    ).json()
    ids = [f"e2e-cache-{uuid.uuid4().hex}" for _ in range(5)]
    for request_id in ids:
        response = gateway.get(
            "/api/regions", headers={**bearer(fresh["access_token"]), "X-Request-ID": request_id}
        )
        assert response.headers["x-served-by"] == "stats"
    # The answers are in, so auth has checked the token; wait only for its log to be written.
    deadline = time.monotonic() + 30
    while not (verified := _verify_lines(stack, ids)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(verified) == 1


def test_login_throttling_through_the_gateway(gateway: httpx.Client) -> None:
    email = f"throttle-{uuid.uuid4().hex[:12]}@chiiki.example"
    gateway.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "display_name": "T"}
    )
    wrong = {"email": email, "password": "definitely-wrong"}
    assert [gateway.post("/api/auth/login", json=wrong).status_code for _ in range(10)] == [
        401
    ] * 10
    blocked = gateway.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert blocked.status_code == 429
    retry_after = int(blocked.headers["retry-after"])
    assert 3590 <= retry_after <= 3600
    assert blocked.json() == {
        "type": "/problems/too-many-requests",
        "code": "too-many-requests",
        "title": "Too many requests",
        "status": 429,
        "detail": f"Too many failed attempts; try again in {retry_after} seconds",
        "instance": "/api/auth/login",
        "request_id": blocked.headers["x-request-id"],
        "retry_after": retry_after,
    }


def test_no_account_enumeration_through_the_gateway(gateway: httpx.Client, user: dict) -> None:
    def attempt(email: str) -> tuple[httpx.Response, float]:
        started = time.perf_counter()
        response = gateway.post("/api/auth/login", json={"email": email, "password": "nope-nope"})
        return response, time.perf_counter() - started

    known = [attempt(user["email"]) for _ in range(3)]
    unknown = [attempt(f"nobody-{uuid.uuid4().hex}@chiiki.example") for _ in range(3)]
    bodies = {
        json.dumps({k: v for k, v in r.json().items() if k != "request_id"}, sort_keys=True)
        for r, _ in known + unknown
    }
    assert len(bodies) == 1
    assert {r.status_code for r, _ in known + unknown} == {401}
    assert {r.headers["www-authenticate"] for r, _ in known + unknown} == {
        'Bearer realm="chiiki", error_description="The email or password is incorrect"'
    }
    ratio = sorted(t for _, t in unknown)[1] / sorted(t for _, t in known)[1]
    assert 0.5 < ratio < 2.0


def test_anonymous_reads_when_the_setting_is_on(stack: Stack, user: dict) -> None:
    with second_gateway(ANONYMOUS_READ="true") as url, httpx.Client(base_url=url) as open_gateway:
        for path in ("/api/regions", "/api/population/13000", "/api/forecasts"):
            response = open_gateway.get(path)
            assert response.headers["x-served-by"] in ("stats", "analytics"), path
        # Only reads of statistics: writes, accounts and ingestion still need a token.
        for method, path in (
            ("POST", "/api/regions"),
            ("GET", "/api/auth/me"),
            ("GET", "/api/ingest/runs"),
        ):
            response = open_gateway.request(method, path)
            assert response.status_code == 401, path
        # A token, when sent, is checked all the same.
        bad = open_gateway.get("/api/regions", headers=bearer("not-a-jwt"))
        assert bad.status_code == 401
        good = open_gateway.get("/api/regions", headers=bearer(user["access_token"]))
        assert good.headers["x-served-by"] == "stats"


def test_auth_service_down_is_503_not_a_pass(
    gateway: httpx.Client, stack: Stack, stack_key
) -> None:
    kid, key = stack_key
    token = jwt.encode(claims(), key, algorithm="ES256", headers={"kid": kid, "typ": "at+jwt"})
    with service_stopped(stack, "auth"):
        response = gateway.get("/api/regions", headers=bearer(token))
        assert_gateway_problem(
            response,
            503,
            "service-unavailable",
            "Service unavailable",
            "The access token cannot be checked: the auth service is not available.",
        )
    assert gateway.get("/api/regions", headers=bearer(token)).headers["x-served-by"] == "stats"


class _FailingAuth(BaseHTTPRequestHandler):
    """An auth service whose token check fails as it does when Redis is down."""

    def do_GET(self) -> None:
        self.send_response(503)
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("X-Problem-Code", "service-unavailable")
        self.send_header("X-Problem-Detail", "Token revocations cannot be checked right now")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


def test_the_token_check_failing_names_its_real_cause(user: dict) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FailingAuth)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        upstream = f"127.0.0.1:{server.server_address[1]}"
        with second_gateway(AUTH_UPSTREAM=upstream) as url:
            response = httpx.get(f"{url}/api/regions", headers=bearer(user["access_token"]))
    finally:
        server.shutdown()
        server.server_close()
    assert_gateway_problem(
        response,
        503,
        "service-unavailable",
        "Service unavailable",
        "The access token cannot be checked: the auth service answered 503: "
        "Token revocations cannot be checked right now",
    )


def _verify_lines(stack: Stack, request_ids: list[str]) -> list[str]:
    log = (stack.settings.log_dir / "api-auth.log").read_text().splitlines()
    return [
        line for line in log if '"/internal/verify"' in line and any(i in line for i in request_ids)
    ]
