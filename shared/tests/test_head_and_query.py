"""HEAD on every GET route (chiiki_shared.head) and unknown query parameters refused
(chiiki_shared.known_query), on an app built by the shared factory."""

from typing import Annotated

import pytest
from fastapi import APIRouter, FastAPI, Query, Response
from pydantic import BaseModel, Field

from chiiki_devstack.pytest_plugin import serve_app
from chiiki_shared.app import create_service_app
from chiiki_shared.head import answer_head
from chiiki_stats.config import StatsSettings

router = APIRouter()


class Filters(BaseModel):
    # No extra="forbid" here: FastAPI would then refuse the route's other parameter (limit).
    colour: str | None = None
    size: int = Field(default=1, ge=1)


@router.get("/api/stats/things")
async def list_things(
    filters: Annotated[Filters, Query()],
    limit: Annotated[int, Query(ge=1)] = 10,
) -> dict[str, object]:
    return {"colour": filters.colour, "size": filters.size, "limit": limit}


@router.get("/api/stats/plain")
async def plain() -> Response:
    return Response(b"x" * 100, media_type="text/plain", headers={"ETag": 'W/"abc"'})


@router.post("/api/stats/only-post")
async def create_thing() -> dict[str, str]:
    return {"made": "yes"}


def make_app() -> FastAPI:
    app = create_service_app(
        StatsSettings(),
        title="test",
        description="test",
        routers=[router],
        reject_unknown_query=True,
    )
    answer_head(app)
    return app


@pytest.fixture
async def client(platform):
    async with serve_app(make_app()) as client:
        yield client


async def test_head_answers_the_headers_of_get_without_the_body(client) -> None:
    get = await client.get("/api/stats/plain")
    head = await client.head("/api/stats/plain")
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == get.headers["content-length"] == "100"
    assert head.headers["etag"] == get.headers["etag"] == 'W/"abc"'
    assert head.headers["content-type"] == get.headers["content-type"]


async def test_head_of_a_validated_route_gives_the_same_status_as_get(client) -> None:
    assert (await client.head("/api/stats/things?size=0")).status_code == 422
    assert (await client.head("/api/stats/things?size=2")).status_code == 200
    assert (await client.head("/healthz")).status_code == 200


async def test_head_answers_as_get_would_where_there_is_no_get(client) -> None:
    assert (await client.head("/api/stats/nothing-here")).status_code == 404
    refused = await client.head("/api/stats/only-post")
    assert (refused.status_code, refused.headers["allow"]) == (405, "POST")


async def test_unknown_query_parameters_are_422_naming_each(client) -> None:
    response = await client.get("/api/stats/things?colour=red&limt=3&sise=2")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation-failed"
    assert [e["field"] for e in body["errors"]] == ["query.limt", "query.sise"]
    assert {e["type"] for e in body["errors"]} == {"extra_forbidden"}
    assert "colour, limit, size" in body["errors"][0]["message"]


async def test_members_of_query_models_and_plain_parameters_are_accepted(client) -> None:
    response = await client.get("/api/stats/things?colour=red&size=2&limit=5")
    assert (response.status_code, response.json()) == (
        200,
        {"colour": "red", "size": 2, "limit": 5},
    )


async def test_a_route_without_query_parameters_refuses_any(client) -> None:
    response = await client.get("/healthz?verbose=1")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.verbose"
