"""The edges every service shares: error format, request ids, health, metrics, logs."""

import json
import re

import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field
from sqlalchemy.engine import make_url

from chiiki_devstack.pytest_plugin import METRICS_TOKEN, serve_app
from chiiki_shared.app import create_service_app
from chiiki_shared.errors import Conflict, NotFound
from chiiki_stats.config import StatsSettings

router = APIRouter()
SCRAPER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


class Thing(BaseModel):
    name: str = Field(min_length=1)
    size: int = Field(ge=0)


@router.get("/api/stats/things/{thing_id}")
async def get_thing(thing_id: int) -> dict[str, int]:
    if thing_id == 404:
        raise NotFound(f"Thing {thing_id} does not exist")
    if thing_id == 409:
        raise Conflict("Thing is being changed", code="thing-busy", extra={"retry": True})
    if thing_id == 500:
        raise RuntimeError("boom with password=hunter2")
    return {"id": thing_id}


@router.post("/api/stats/things")
async def create_thing(thing: Thing) -> Thing:
    return thing


def make_app(**overrides: object) -> FastAPI:
    return create_service_app(
        StatsSettings(**overrides), title="test", description="test", routers=[router]
    )


@pytest.fixture
async def client(platform):
    async with serve_app(make_app()) as client:
        yield client


async def test_api_error_is_a_problem_document(client) -> None:
    response = await client.get("/api/stats/things/404", headers={"X-Request-ID": "req-abcdef12"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "req-abcdef12"
    assert response.json() == {
        "type": "/problems/not-found",
        "code": "not-found",
        "title": "Not found",
        "status": 404,
        "detail": "Thing 404 does not exist",
        "instance": "/api/stats/things/404",
        "request_id": "req-abcdef12",
    }


async def test_error_codes_and_extra_members_are_kept(client) -> None:
    response = await client.get("/api/stats/things/409")
    body = response.json()
    assert response.status_code == 409
    assert (body["code"], body["type"], body["retry"]) == (
        "thing-busy",
        "/problems/thing-busy",
        True,
    )


async def test_validation_errors_list_each_field(client) -> None:
    response = await client.post("/api/stats/things", json={"name": "", "size": -1})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation-failed"
    assert [error["field"] for error in body["errors"]] == ["body.name", "body.size"]
    assert body["detail"] == "Invalid value for: body.name, body.size"


async def test_path_parameter_validation_is_422(client) -> None:
    response = await client.get("/api/stats/things/not-a-number")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "path.thing_id"


async def test_unknown_route_is_a_problem_404(client) -> None:
    response = await client.get("/api/stats/nowhere")
    assert response.status_code == 404
    assert response.json()["detail"] == "No route matches /api/stats/nowhere."
    assert response.headers["x-served-by"] == "stats"


async def test_unexpected_error_is_a_generic_500_without_internals(platform) -> None:
    app = make_app()
    async with app.router.lifespan_context(app):
        import httpx

        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/api/stats/things/500")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal-error"
    assert "boom" not in response.text
    assert "hunter2" not in response.text


async def test_malformed_request_id_is_replaced(client) -> None:
    response = await client.get("/api/stats/things/1", headers={"X-Request-ID": "bad id!"})
    assert response.headers["x-request-id"] != "bad id!"
    assert len(response.headers["x-request-id"]) == 32


async def test_healthz_and_readyz(client) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok", "service": "stats"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": {"status": "ok"}, "redis": {"status": "ok"}}


async def test_readyz_names_the_failing_dependency(platform) -> None:
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    async with serve_app(app) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "not-ready"
    assert body["detail"] == "stats cannot reach: redis"
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["redis"]["status"] == "failed"


async def test_readyz_fails_when_the_schema_is_missing(platform) -> None:
    maintenance_db = make_url(platform.admin_url).set(database="postgres")
    app = make_app(dsn=maintenance_db.render_as_string(hide_password=False))
    async with serve_app(app) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {
        "status": "failed",
        "error": "RuntimeError: schema 'stats' is missing",
    }


async def test_metrics_count_requests_by_route_template(client) -> None:
    await client.get("/api/stats/things/7")
    await client.get("/api/stats/things/8")
    text = (await client.get("/metrics", headers=SCRAPER)).text
    line = next(
        line
        for line in text.splitlines()
        if line.startswith("http_requests_total{")
        and 'route="/api/stats/things/{thing_id}"' in line
        and 'status="200"' in line
    )
    assert float(line.rsplit(" ", 1)[1]) >= 2
    assert "http_request_duration_seconds_bucket" in text


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token", f"Basic {METRICS_TOKEN}", METRICS_TOKEN]
)
async def test_metrics_need_the_scrape_token(client, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == 'Bearer realm="metrics"'
    assert response.json()["code"] == "unauthorized"
    assert METRICS_TOKEN not in response.text


async def test_metrics_are_off_without_a_token_outside_development(platform) -> None:
    async with serve_app(make_app(metrics_token=None, ENVIRONMENT="test")) as client:
        response = await client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 404
    assert response.json()["detail"] == (
        "Metrics are not served here: set METRICS_TOKEN to scrape them"
    )


async def test_metrics_are_open_in_development_without_a_token(platform) -> None:
    app = make_app(metrics_token=None, ENVIRONMENT="development")
    async with serve_app(app) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert "http_requests_total" in response.text


async def test_swagger_ui_comes_from_the_service_itself(client) -> None:
    page = await client.get("/api/stats/docs")
    assert page.status_code == 200
    # Every script, style sheet and icon is one of the service's own files, none from a CDN.
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sorted(sources) == [
        "/api/stats/docs/static/favicon.png",
        "/api/stats/docs/static/swagger-ui-bundle.js",
        "/api/stats/docs/static/swagger-ui.css",
    ]
    assert "://" not in page.text.replace("window.location.origin", "")
    policy = page.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'; script-src 'self' 'sha256-")
    assert "frame-ancestors 'none'" in policy
    assert "http" not in policy
    for source in sources:
        asset = await client.get(source)
        assert asset.status_code == 200, source
        assert len(asset.content) > 1000
    missing = await client.get("/api/stats/docs/static/other.js")
    assert missing.status_code == 404


async def test_access_log_is_json_with_request_id(client, capsys) -> None:
    await client.get("/api/stats/things/5", headers={"X-Request-ID": "trace-0001-abcd"})
    lines = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    access = [line for line in lines if line.get("event") == "http_request"]
    assert access[-1]["request_id"] == "trace-0001-abcd"
    assert access[-1]["route"] == "/api/stats/things/{thing_id}"
    assert access[-1]["status"] == 200
    assert access[-1]["service"] == "stats"
