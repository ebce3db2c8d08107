"""A dependency that fails answers 503 ``dependency-unavailable`` naming it, never a 500, and the
keep-alive connection survives it (a real uvicorn, a raw HTTP/1.1 client, real servers stopped)."""

import asyncio
import json

import httpx
from fastapi import APIRouter, FastAPI
from sqlalchemy import text

from chiiki_devstack.own_servers import free_port
from chiiki_devstack.pytest_plugin import serve_http
from chiiki_shared.app import create_service_app
from chiiki_shared.db import session_scope
from chiiki_shared.deps import RuntimeDep
from chiiki_stats.config import StatsSettings

router = APIRouter()


@router.get("/api/stats/probe/redis")
async def probe_redis(runtime: RuntimeDep) -> dict[str, bool]:
    return {"found": await runtime.redis.get(runtime.redis_key("probe")) is not None}


@router.get("/api/stats/probe/postgresql")
async def probe_postgresql(runtime: RuntimeDep) -> dict[str, int]:
    async with session_scope(runtime.sessions) as session:
        return {"one": int(await session.scalar(text("SELECT 1")) or 0)}


@router.get("/api/stats/probe/auth")
async def probe_auth(runtime: RuntimeDep) -> dict[str, int]:
    async with httpx.AsyncClient(base_url=runtime.settings.auth_internal_url) as http:
        return {"status": (await http.get("/api/auth/.well-known/jwks.json")).status_code}


def make_app(**overrides: object) -> FastAPI:
    return create_service_app(
        StatsSettings(**overrides), title="probe", description="probe", routers=[router]
    )


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str
) -> tuple[int, dict[str, str], dict]:
    """One HTTP/1.1 request on an open keep-alive connection: status, headers, JSON body."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: probe\r\nConnection: keep-alive\r\n\r\n".encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in lines if line)
    }
    body = await reader.readexactly(int(headers["content-length"]))
    return int(status_line.split()[1]), headers, json.loads(body)


async def twice_on_one_connection(base_url: str, path: str) -> list[tuple[int, dict, dict]]:
    url = httpx.URL(base_url)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        return [await exchange(reader, writer, path) for _ in range(2)]
    finally:
        writer.close()


def assert_dependency_problem(answer: tuple[int, dict, dict], dependency: str, path: str) -> None:
    status, headers, body = answer
    assert status == 503, body
    assert headers["content-type"] == "application/problem+json"
    assert headers["retry-after"] == "5"
    assert headers.get("connection") != "close"
    assert body == {
        "type": "/problems/dependency-unavailable",
        "code": "dependency-unavailable",
        "title": "Dependency unavailable",
        "status": 503,
        "detail": f"{dependency} cannot be reached right now; try again shortly",
        "instance": path,
        "request_id": headers["x-request-id"],
        "dependency": dependency,
        "retry_after": 5,
    }


async def test_redis_down_is_503_twice_on_one_keep_alive_connection(own_redis) -> None:
    path = "/api/stats/probe/redis"
    async with serve_http(make_app(REDIS_URL=own_redis.url)) as base_url:
        [up, _] = await twice_on_one_connection(base_url, path)
        assert (up[0], up[2]) == (200, {"found": False})
        own_redis.stop()
        answers = await twice_on_one_connection(base_url, path)
    for answer in answers:
        assert_dependency_problem(answer, "redis", path)


async def test_postgresql_down_is_503_twice_on_one_keep_alive_connection(own_postgres) -> None:
    path = "/api/stats/probe/postgresql"
    async with serve_http(make_app(DATABASE_URL=own_postgres.admin_url())) as base_url:
        [up, _] = await twice_on_one_connection(base_url, path)
        assert (up[0], up[2]) == (200, {"one": 1})
        own_postgres.stop()
        answers = await twice_on_one_connection(base_url, path)
        own_postgres.start()
        [again, _] = await twice_on_one_connection(base_url, path)
    for answer in answers:
        assert_dependency_problem(answer, "postgresql", path)
    # Back as soon as PostgreSQL is: the pool replaced its dead connections.
    assert (again[0], again[2]) == (200, {"one": 1})


async def test_another_service_unreachable_is_503_naming_it(platform) -> None:
    path = "/api/stats/probe/auth"
    app = make_app(AUTH_INTERNAL_URL=f"http://127.0.0.1:{free_port()}")  # nothing listens
    async with serve_http(app) as base_url:
        answers = await twice_on_one_connection(base_url, path)
    for answer in answers:
        assert_dependency_problem(answer, "auth", path)
