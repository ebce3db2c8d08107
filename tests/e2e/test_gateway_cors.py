"""CORS at the gateway for development (Vite's server on another origin): only the origins in
CORS_ALLOWED_ORIGINS, preflights answered without a token, credentials off, and nothing at all
when the setting is empty (the default, as for the session stack)."""

from collections.abc import Iterator

import httpx
import pytest

from chiiki_devstack.config import StackSettings
from chiiki_devstack.pytest_plugin import second_gateway
from chiiki_devstack.stack import Stack

pytestmark = pytest.mark.e2e

VITE = "http://localhost:5173"
OTHER_DEV = "http://127.0.0.1:4173"
METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE"
REQUEST_HEADERS = "Authorization, Content-Type, If-None-Match, X-Request-ID"
EXPOSED = "ETag, Location, Retry-After, X-Request-ID, WWW-Authenticate, Content-Disposition"
CORS_HEADERS = {
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-allow-credentials",
    "access-control-expose-headers",
    "access-control-max-age",
}


@pytest.fixture(scope="module")
def cors(stack: Stack) -> Iterator[httpx.Client]:
    with (
        second_gateway(CORS_ALLOWED_ORIGINS=f"{VITE}, {OTHER_DEV}") as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        yield client


def preflight(client: httpx.Client, path: str, origin: str, method: str = "GET") -> httpx.Response:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name in CORS_HEADERS}


@pytest.mark.parametrize(
    ("path", "method"),
    [("/api/population", "GET"), ("/api/auth/login", "POST"), ("/api/forecasts/7", "DELETE")],
)
def test_a_preflight_from_an_allowed_origin_needs_no_token(
    cors: httpx.Client, path: str, method: str
) -> None:
    response = preflight(cors, path, VITE, method)
    assert response.status_code == 204
    assert response.content == b""
    assert cors_headers(response) == {
        "access-control-allow-origin": VITE,
        "access-control-allow-methods": METHODS,
        "access-control-allow-headers": REQUEST_HEADERS,
        "access-control-expose-headers": EXPOSED,
        "access-control-max-age": "600",
    }
    assert response.headers["vary"] == "Origin"


def test_each_allowed_origin_gets_its_own_name_back(cors: httpx.Client) -> None:
    response = preflight(cors, "/api/regions", OTHER_DEV)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == OTHER_DEV


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "http://localhost:5174", "https://localhost:5173", "null"]
)
def test_other_origins_get_no_cors_headers(cors: httpx.Client, origin: str) -> None:
    response = preflight(cors, "/api/population", origin)
    # Not a preflight the gateway answers: the route's usual answer, here the token check.
    assert response.status_code == 401
    assert cors_headers(response) == {}
    assert response.headers["vary"] == "Origin"
    answer = cors.get("/api/regions", headers={"Origin": origin})
    assert cors_headers(answer) == {}


def test_answers_to_an_allowed_origin_can_be_read(cors: httpx.Client, admin_headers) -> None:
    answer = cors.get("/api/regions", headers={**admin_headers(), "Origin": VITE})
    assert answer.status_code == 200
    assert answer.headers["x-served-by"] == "stats"
    assert cors_headers(answer) == {
        "access-control-allow-origin": VITE,
        "access-control-expose-headers": EXPOSED,
    }
    assert "Origin" in answer.headers.get_list("vary")
    # Errors too, so the app can show the problem document.
    refused = cors.get("/api/regions", headers={"Origin": VITE})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == VITE
    assert refused.json()["code"] == "authentication-required"


def test_an_options_request_that_is_no_preflight_is_not_answered_as_one(
    cors: httpx.Client,
) -> None:
    response = cors.options("/api/population", headers={"Origin": VITE})
    assert response.status_code == 401
    assert "access-control-allow-methods" not in response.headers


def test_without_allowed_origins_there_are_no_cors_headers(stack: Stack) -> None:
    assert StackSettings().cors_allowed_origins == []
    gateway = stack.settings.gateway_url
    with httpx.Client(base_url=gateway, timeout=10) as client:
        response = preflight(client, "/api/population", VITE)
        assert response.status_code == 401
        assert cors_headers(response) == {}
        assert "vary" not in response.headers
        assert cors_headers(client.get("/api/regions", headers={"Origin": VITE})) == {}


@pytest.mark.parametrize("value", ["*", "http://localhost:5173/", "localhost:5173", "http://a/b"])
def test_only_exact_origins_can_be_allowed(value: str) -> None:
    with pytest.raises(ValueError, match="not an origin"):
        StackSettings(CORS_ALLOWED_ORIGINS=value)
