"""The stats OpenAPI document is a typed contract: every parameter and every answer has a schema
a client generator can use, and errors are Problem documents."""

from __future__ import annotations

from typing import Any

import pytest

from chiiki_stats.main import create_app

SPEC = create_app().openapi()
OPERATIONS = [
    (path, operation)
    for path, item in SPEC["paths"].items()
    if path.startswith("/api/")
    for operation in item.values()
]
SCHEMAS = SPEC["components"]["schemas"]


def _refs(schema: dict[str, Any]) -> list[str]:
    if "$ref" in schema:
        return [schema["$ref"].rsplit("/", 1)[1]]
    return [ref for part in schema.get("anyOf", []) for ref in _refs(part)]


def test_every_stats_route_is_documented() -> None:
    assert len(OPERATIONS) == 21


@pytest.mark.parametrize(("path", "operation"), OPERATIONS, ids=[p for p, _ in OPERATIONS])
def test_every_answer_has_a_named_schema(path: str, operation: dict[str, Any]) -> None:
    content = operation["responses"]["200"]["content"]
    assert content, path
    for media_type, described in content.items():
        schema = described["schema"]
        if media_type == "text/csv":
            assert schema["type"] == "string"
            continue
        names = _refs(schema)
        assert names, (path, media_type, schema)
        assert all(name in SCHEMAS for name in names)


@pytest.mark.parametrize(("path", "operation"), OPERATIONS, ids=[p for p, _ in OPERATIONS])
def test_every_parameter_is_typed(path: str, operation: dict[str, Any]) -> None:
    for parameter in operation["parameters"]:
        schema = parameter["schema"]
        kinds = [schema.get("type"), *(part.get("type") for part in schema.get("anyOf", []))]
        assert any(kind not in (None, "null") for kind in kinds), (path, parameter)
        if parameter["name"] in ("format", "lang", "level", "measure"):
            closed = [schema, *schema.get("anyOf", [])]
            assert any("enum" in part or "const" in part for part in closed), (path, parameter)


@pytest.mark.parametrize(("path", "operation"), OPERATIONS, ids=[p for p, _ in OPERATIONS])
def test_errors_are_problem_documents(path: str, operation: dict[str, Any]) -> None:
    errors = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
    assert "422" in errors
    assert "401" in errors
    for response in errors.values():
        assert response["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    assert "HTTPValidationError" not in SCHEMAS


def test_formats_per_route_are_closed_sets() -> None:
    def formats(path: str) -> list[str]:
        (parameter,) = [
            p for p in SPEC["paths"][path]["get"]["parameters"] if p["name"] == "format"
        ]
        return parameter["schema"]["enum"]

    assert formats("/api/population/{code}") == ["json", "csv", "chartjs"]
    assert formats("/api/population") == ["json", "csv", "chartjs", "geojson", "topojson"]
    assert formats("/api/indicators/{code}/cross-section") == formats("/api/population")
    assert formats("/api/regions") == ["json", "csv", "geojson"]
    assert formats("/api/boundaries/{level}") == ["geojson", "topojson"]
    series = SPEC["paths"]["/api/comparison"]["get"]["responses"]["200"]["content"]
    assert _refs(series["application/json"]["schema"]) == ["Comparison", "ChartData"]
    geo = SPEC["paths"]["/api/livability"]["get"]["responses"]["200"]["content"]
    assert _refs(geo["application/geo+json"]["schema"]) == ["FeatureCollection"]
    assert _refs(geo["application/topo+json"]["schema"]) == ["Topology"]


def test_observations_filter_every_series_dimension() -> None:
    from chiiki_stats.params import ObservationQuery
    from chiiki_stats.services.datasets import SERIES_DIMENSIONS

    assert set(SERIES_DIMENSIONS) <= set(ObservationQuery.model_fields)


def test_chart_answers_name_their_units_axes_and_ranking_parameters() -> None:
    dataset = SCHEMAS["ChartDataset"]
    assert set(dataset["required"]) == {"label", "data", "unit", "yAxisID"}
    assert SCHEMAS["ChartData"]["required"] == ["datasets", "axes"]
    axis = SCHEMAS["ChartAxis"]["properties"]["position"]
    assert axis["enum"] == ["left", "right", "bottom"]
    sparkline = SCHEMAS["KpiCard"]["properties"]["sparkline"]
    assert _refs(sparkline) == ["ChartData"]
    for path in ("/api/population", "/api/indicators/{code}/cross-section"):
        parameters = {p["name"]: p["schema"] for p in SPEC["paths"][path]["get"]["parameters"]}
        assert parameters["sort"]["anyOf"][0] == {"enum": ["asc", "desc"], "type": "string"}
        top = parameters["top"]["anyOf"][0]
        assert (top["minimum"], top["maximum"]) == (1, 2000)


# Objects keyed by data beside their fixed members: a feature's properties (one member per
# indicator), an observation (one member per dimension id). Problem is open by RFC 9457.
KEYED_BY_DATA = {"FeatureProperties", "Observation"}


def _objects(schema: Any) -> list[dict[str, Any]]:
    """Every object schema in ``schema``, nested ones included."""
    if isinstance(schema, list):
        return [found for part in schema for found in _objects(part)]
    if not isinstance(schema, dict):
        return []
    nested = [found for value in schema.values() for found in _objects(value)]
    return [schema, *nested] if schema.get("type") == "object" else nested


def _open_members(name: str, schema: dict[str, Any]) -> list[str]:
    problems = []
    for found in _objects(schema):
        extra = found.get("additionalProperties")
        typed_map = isinstance(extra, dict) and bool(extra)
        if "properties" not in found:
            if not typed_map:
                problems.append(f"{name}: an object without members or typed values")
        elif name in KEYED_BY_DATA:
            if not typed_map:
                problems.append(f"{name}: its data-keyed members are not typed")
        elif extra is not False:
            problems.append(f"{name}: additionalProperties is {extra!r}, not false")
    return problems


@pytest.mark.parametrize("name", sorted(set(SCHEMAS) - {"Problem"}))
def test_every_answer_schema_is_closed_but_maps_keyed_by_data(name: str) -> None:
    assert _open_members(name, SCHEMAS[name]) == []


def test_a_schema_open_to_any_member_is_found() -> None:
    open_answer = {"type": "object", "properties": {"code": {"type": "string"}}}
    any_map = {"type": "object", "additionalProperties": {}}
    assert _open_members("Open", open_answer) == ["Open: additionalProperties is None, not false"]
    assert _open_members("Map", any_map) == ["Map: an object without members or typed values"]
    assert "JsonValue" not in SCHEMAS
