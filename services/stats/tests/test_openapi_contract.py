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
