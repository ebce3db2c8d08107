"""Fixtures of the auth tests: the real app in-process, on this run's Postgres and Redis."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from uuid import uuid4

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from chiiki_auth.config import AuthSettings
from chiiki_auth.keys import private_key_pem
from chiiki_auth.main import create_app
from chiiki_devstack.pytest_plugin import serve_app

PASSWORD = "violet-harbour-lantern"
ADMIN_EMAIL = "root-admin@chiiki.example"
ADMIN_PASSWORD = "granite-meadow-compass"
TEST_KID = "test-key-1"
TEST_KEY = ec.generate_private_key(ec.SECP256R1())


def signing_keys_json(*entries: tuple[str, ec.EllipticCurvePrivateKey, str]) -> str:
    return json.dumps(
        [
            {"kid": kid, "private_key": private_key_pem(key).decode(), "activated_at": activated}
            for kid, key, activated in entries
        ]
    )


def make_settings(**overrides: object) -> AuthSettings:
    values: dict[str, object] = {
        "signing_keys": signing_keys_json((TEST_KID, TEST_KEY, "2020-01-01T00:00:00+00:00")),
        "BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
        "BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "login_ip_max_failures": 1000,
        "register_ip_max": 1000,
    }
    values.update(overrides)
    return AuthSettings(**values)


AppFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="session")
def auth_app(platform) -> AppFactory:
    """``async with auth_app(**settings) as client``: the auth app with these settings."""

    def open_app(**overrides: object) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return serve_app(create_app(make_settings(**overrides)))

    return open_app


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid4().hex[:12]}@chiiki.example"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class AuthApi:
    """The auth API as tests use it; each helper asserts the call succeeded."""

    password = PASSWORD
    admin_email = ADMIN_EMAIL
    admin_password = ADMIN_PASSWORD

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    unique_email = staticmethod(unique_email)
    bearer = staticmethod(bearer)

    async def register(self, email: str | None = None, password: str = PASSWORD) -> dict:
        response = await self.client.post(
            "/api/auth/register",
            json={"email": email or unique_email(), "password": password, "display_name": "Tester"},
        )
        assert response.status_code == 201, response.text
        return response.json()

    async def login(self, email: str, password: str = PASSWORD) -> dict:
        response = await self.client.post(
            "/api/auth/login", json={"email": email, "password": password}
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def new_user(self, prefix: str = "user") -> tuple[dict, dict]:
        """A registered and logged-in user: (user, tokens)."""
        user = await self.register(unique_email(prefix))
        return user, await self.login(user["email"])

    async def admin(self) -> dict:
        return await self.login(ADMIN_EMAIL, ADMIN_PASSWORD)

    async def every(self, url: str, headers: dict[str, str]) -> list[dict]:
        """Every item of a cursor-paginated list, its ``next`` links followed to the end."""
        items: list[dict] = []
        next_url: str | None = url
        while next_url is not None:
            response = await self.client.get(next_url, headers=headers)
            assert response.status_code == 200, response.text
            body = response.json()
            items += body["items"]
            next_url = body["next"]
        return items


@pytest.fixture
async def client(auth_app: AppFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with auth_app() as client:
        yield client


@pytest.fixture
def api(client: httpx.AsyncClient) -> AuthApi:
    return AuthApi(client)


def assert_problem(
    response: httpx.Response, status: int, code: str, detail: str, *, title: str | None = None
) -> dict:
    """The response is exactly the problem document these arguments describe."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    expected = {
        "type": f"/problems/{code}",
        "code": code,
        "title": title or body["title"],
        "status": status,
        "detail": detail,
        "instance": response.request.url.path,
        "request_id": response.headers["x-request-id"],
    }
    assert {key: body[key] for key in expected} == expected
    return body
