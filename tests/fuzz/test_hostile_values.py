"""Property-based: hostile values in every parameter and body member of every route, derived from
each service's OpenAPI document, are answered without a server error, and every refusal is a
problem document (``application/problem+json`` with ``type``, ``title``, ``status``, ``code``).

Hostile: NUL and other control characters, lone surrogates and other unicode oddities, very long
strings, huge, negative and float-like integers, deep JSON, and repeated query parameters.
The calls are made as the run's admin, so that they reach past the token checks.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import FuzzApis

SERVICES = ("auth", "stats", "ingest", "analytics")
MAX_EXAMPLES = int(os.environ.get("HOSTILE_MAX_EXAMPLES", "150"))

ODDITIES = [
    "\u0000",
    "a\u0000b",
    "\x01\x02",
    "\x7f",
    "\x85",
    "\ud800",
    "x\udfffy",
    "\u202eevil",
    "\ufeff",
    "e\u0301",
    "ﾃｽﾄ",
    "𝟘𝟙",
    "\uffff",
    "%00",
    "../../etc/passwd",
    "' OR 1=1 --",
]
FLOAT_LIKE = ["1e23", "1E400", "9223372036854775808", "-9223372036854775809", "1.5", "-0", "0x10"]
FLOAT_LIKE += ["NaN", "Infinity", " 1", "١٢", "2147483648", "-2147483649", "99999999999999999999"]

hostile_text = st.one_of(
    st.sampled_from(ODDITIES),
    st.text(st.characters(categories=["Cc", "Cs", "Cf", "Co"]), min_size=1, max_size=8),
    st.builds(
        lambda a, b, c: a + b + c,
        st.text(max_size=5),
        st.sampled_from(ODDITIES),
        st.text(max_size=5),
    ),
    st.text(min_size=2_500, max_size=3_000),
)
hostile_int = st.one_of(
    st.integers(min_value=2**31 - 1, max_value=2**70),
    st.integers(min_value=-(2**70), max_value=-1),
)
hostile_scalar = st.one_of(hostile_text, hostile_int, st.sampled_from(FLOAT_LIKE))


def deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


hostile_json = st.one_of(
    hostile_scalar,
    st.integers(min_value=33, max_value=1_200).map(deep),
    st.dictionaries(hostile_text, hostile_scalar, min_size=1, max_size=3),
    st.floats(allow_nan=False, allow_infinity=False),
)


@dataclass(frozen=True)
class Target:
    method: str
    path: str
    location: str  # path, query, body or repeat
    name: str | None
    body_members: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.location}:{self.name}"


def _body_schema(document: dict, operation: dict) -> dict | None:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if schema and "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def targets(document: dict) -> list[Target]:
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            parameters = operation.get("parameters", [])
            for parameter in parameters:
                location = parameter["in"]
                if location in ("path", "query"):
                    found.append(Target(method, path, location, parameter["name"]))
                if location == "query":
                    found.append(Target(method, path, "repeat", parameter["name"]))
            schema = _body_schema(document, operation)
            if schema is not None:
                members = tuple(schema.get("properties", {}))
                found.append(Target(method, path, "body", None, members))
                found.extend(Target(method, path, "body", name, members) for name in members)
    return found


def _path(target: Target, value: Any | None) -> str:
    path = target.path
    for part in path.split("/"):
        if part.startswith("{"):
            name = part[1:-1]
            text = str(value) if name == target.name and value is not None else "13000"
            segment = quote(text.encode("utf-8", "surrogatepass"), safe="")
            path = path.replace(part, segment)
    return path


def _query(name: str, values: list[Any]) -> str:
    return "&".join(
        f"{quote(name)}={quote(str(value).encode('utf-8', 'surrogatepass'), safe='')}"
        for value in values
    )


def send(client: httpx.Client, target: Target, value: Any) -> httpx.Response:
    path, query, body = _path(target, None), "", None
    if target.location == "path":
        path = _path(target, value)
    elif target.location == "query":
        query = _query(target.name or "", [value])
    elif target.location == "repeat":
        query = _query(target.name or "", ["1", "2"])
    elif target.name is None:
        body = json.dumps(value, ensure_ascii=True)
    else:
        document = dict.fromkeys(target.body_members, "x")
        document[target.name] = value
        body = json.dumps(document, ensure_ascii=True)
    url = path + (f"?{query}" if query else "")
    headers = {"Content-Type": "application/json"} if body is not None else {}
    return client.request(target.method.upper(), url, content=body, headers=headers)


def assert_no_server_error(target: Target, value: Any, response: httpx.Response) -> None:
    assert response.status_code < 500, (
        f"{target} = {value!r}: {response.status_code} {response.text}"
    )
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json", str(target)
        body = response.json()
        assert {"type", "title", "status", "code"} <= set(body), f"{target}: {body}"
        assert body["status"] == response.status_code


@pytest.mark.parametrize("service", SERVICES)
def test_hostile_values_never_cause_a_server_error(fuzz_apis: FuzzApis, service: str) -> None:
    document = fuzz_apis.servers[service].app.openapi()
    found = targets(document)
    assert found, f"{service} has no parameters to try"
    with httpx.Client(
        base_url=fuzz_apis.url(service), headers=fuzz_apis.headers("admin"), timeout=60
    ) as client:

        @given(target=st.sampled_from(found), data=st.data())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(target: Target, data: st.DataObject) -> None:
            strategy = hostile_json if target.location == "body" else hostile_scalar
            value = data.draw(strategy)
            assert_no_server_error(target, value, send(client, target, value))

        check()
