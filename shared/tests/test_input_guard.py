"""The input guard's checks and the bounded types, each limit at and just past its edge."""

from typing import Annotated

import pytest
from fastapi import APIRouter, Query
from pydantic import BaseModel, ValidationError

from chiiki_devstack.pytest_plugin import serve_app
from chiiki_shared.app import create_service_app
from chiiki_shared.edge import InputRefused, check_json, check_pairs, single_valued_names
from chiiki_shared.limits import (
    INT32_MAX,
    INT64_MAX,
    Int32,
    MultiLineText,
    NonNegInt32,
    NonNegInt64,
    SingleLineText,
)
from chiiki_stats.config import StatsSettings


def nested(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def refusal(check, *args) -> InputRefused:
    with pytest.raises(InputRefused) as caught:
        check(*args)
    return caught.value


def test_json_may_nest_32_levels_and_no_more() -> None:
    check_json(nested(32))
    check_json(b'{"a": ' + nested(31) + b"}")
    for body in (nested(33), b'{"a": ' + nested(32) + b"}", nested(100_000)):
        refused = refusal(check_json, body)
        assert (refused.status, refused.code, refused.extra) == (
            400,
            "json-too-deep",
            {"max_depth": 32},
        )


@pytest.mark.parametrize("body", [b"{", b"NaN", b'{"a": Infinity}', b"\xff", b"1" * 5000])
def test_what_is_not_json_is_invalid_json(body: bytes) -> None:
    assert refusal(check_json, body).code == "invalid-json"


@pytest.mark.parametrize(
    ("body", "field", "char"),
    [
        (b'{"a": "x\\u0000"}', "body.a", "U+0000"),
        (b'{"a": ["ok", "\\u001b"]}', "body.a.1", "U+001B"),
        (b'{"a\\u0000": 1}', "body.a?", "U+0000"),
        (b'{"a": "\\ud800"}', "body.a", "U+D800"),
        (b'{"a": "\\u0085"}', "body.a", "U+0085"),
        (b'{"a": "\\u007f"}', "body.a", "U+007F"),
    ],
)
def test_control_characters_in_json_strings_are_refused(body: bytes, field: str, char: str) -> None:
    refused = refusal(check_json, body)
    assert refused.status == 422
    error = refused.extra["errors"][0]
    assert (error["field"], error["type"]) == (field, "control_character")
    assert error["message"].startswith(f"must not contain the control character {char}")


def test_json_text_keeps_tabs_line_breaks_and_unicode() -> None:
    check_json('{"a": "東京\\t\\n\\r", "b": "\U0001f600 e\u0301 \u202e"}'.encode())


def test_json_strings_are_bounded() -> None:
    check_json(b'{"a": "' + b"x" * 65_536 + b'"}')
    refused = refusal(check_json, b'{"a": "' + b"x" * 65_537 + b'"}')
    assert refused.extra["errors"][0]["type"] == "string_too_long"


def test_query_values_have_no_control_characters_at_all() -> None:
    check_pairs("query", [("q", "東京 都"), ("limit", "1")])
    for name, value in [("q", "a\tb"), ("q", "a\nb"), ("q", "\x00"), ("q\x01", "x")]:
        refused = refusal(check_pairs, "query", [(name, value)])
        assert refused.extra["errors"][0]["type"] == "control_character"
    check_pairs("query", [("q", "x" * 2048)])
    refused = refusal(check_pairs, "query", [("q", "x" * 2049)])
    assert refused.extra["errors"][0]["type"] == "string_too_long"


class Numbers(BaseModel):
    small: Int32 = 0
    count: NonNegInt32 = 0
    offset: NonNegInt64 = 0


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("small", [-(2**31), INT32_MAX], [-(2**31) - 1, 2**31]),
        ("count", [0, INT32_MAX], [-1, 2**31]),
        ("offset", [0, INT64_MAX], [-1, 2**63, 10**30]),
    ],
)
def test_integers_are_bounded_by_their_column(field: str, good: list, bad: list) -> None:
    for value in good:
        assert getattr(Numbers(**{field: value}), field) == value
    for value in bad:
        with pytest.raises(ValidationError):
            Numbers(**{field: value})


class Texts(BaseModel):
    name: SingleLineText = ""
    description: MultiLineText = ""


def test_single_and_multi_line_text() -> None:
    assert Texts(description="a\tb\r\nc").description == "a\tb\r\nc"
    for values in ({"name": "a\nb"}, {"name": "a\tb"}, {"description": "a\x00"}):
        with pytest.raises(ValidationError):
            Texts(**values)


router = APIRouter()


@router.get("/api/stats/echo")
async def echo(
    one: str | None = None,
    many: Annotated[list[str] | None, Query()] = None,
    offset: Annotated[NonNegInt64, Query()] = 0,
) -> dict:
    return {"one": one, "many": many, "offset": offset}


def test_list_valued_parameters_are_not_single_valued() -> None:
    route = next(r for r in router.routes if r.path == "/api/stats/echo")
    assert single_valued_names(route.dependant) == {"one", "offset"}


async def test_the_app_factory_installs_the_guard(platform) -> None:
    app = create_service_app(StatsSettings(), title="t", description="t", routers=[router])
    async with serve_app(app) as client:
        ok = await client.get("/api/stats/echo?one=a&many=b&many=c&offset=9223372036854775807")
        assert ok.json() == {"one": "a", "many": ["b", "c"], "offset": INT64_MAX}
        for query, kind in [
            ("one=a&one=b", "repeated"),
            ("offset=9223372036854775808", "less_than_equal"),
            ("offset=1e23", "int_parsing"),
            ("one=%00", "control_character"),
        ]:
            response = await client.get(f"/api/stats/echo?{query}")
            assert response.status_code == 422, query
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["errors"][0]["type"] == kind, query
        deep = await client.post(
            "/api/stats/echo", content=nested(40), headers={"Content-Type": "application/json"}
        )
        assert deep.status_code == 400
        assert deep.json()["code"] == "json-too-deep"


class EchoQuery(BaseModel):
    one: str | None = None
    codes: Annotated[list[str], Query(max_length=3)] | None = None


@router.get("/api/stats/echo-model")
async def echo_model(query: Annotated[EchoQuery, Query()]) -> dict:
    return query.model_dump()


def test_annotated_lists_in_a_query_model_are_not_single_valued() -> None:
    route = next(r for r in router.routes if r.path == "/api/stats/echo-model")
    assert single_valued_names(route.dependant) == {"one"}
