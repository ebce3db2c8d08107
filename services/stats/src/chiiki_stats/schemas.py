"""The answers of the stats routes, as OpenAPI schemas, one per answer and per media type.

The routes render their answers themselves (``chiiki_stats.formats``, cached as bytes), so these
models document them rather than validate them: each names the members an answer always has;
members they do not name in detail (``extra="allow"``) are JSON objects whose parts the
endpoint's documentation describes. ``answer(...)`` is a route's ``responses=``: JSON, and the
other formats the route offers (Chart.js, CSV, GeoJSON, TopoJSON), each with its schema.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from chiiki_shared.json_value import JsonValue
from chiiki_shared.pagination import Page
from chiiki_stats.formats import Format

_REF = "#/components/schemas/{model}"


class _Answer(BaseModel):
    # Members not named here are JSON values too (typed as such in a generated client).
    model_config = ConfigDict(extra="allow", json_schema_serialization_defaults_required=True)
    __pydantic_extra__: dict[str, JsonValue]


class Region(_Answer):
    code: str = Field(examples=["13000"])
    level: str = Field(examples=["prefecture"])
    name_ja: str = Field(examples=["東京都"])
    # null for the former municipalities (level "other", merged away) that have no English name.
    name_en: str | None = Field(examples=["Tokyo"])


class Indicator(_Answer):
    code: str = Field(examples=["population.total"])
    name_ja: str
    name_en: str
    category: str
    unit: str
    unit_en: str | None
    higher_is_better: bool | None


class Point(_Answer):
    """One value and where it comes from; ``value`` is null where there is none."""

    year: int | None
    period: str | None = Field(description='"2020" (calendar year) or "FY2020" (fiscal year)')
    time: str | None = Field(description="The e-Stat time code")
    value: float | None
    mark: str | None
    mark_meaning: str | None
    method: str | None
    sources: list[str]


Attribution = list[str]


class RegionEntry(Region):
    """A region of the code list, as ``/api/regions`` lists it."""

    parent_code: str | None
    prefecture_code: str | None
    name_kana: str | None
    estat_level: str | None
    area_km2: float | None
    lat: float | None
    lng: float | None


class RegionList(Page[RegionEntry]):
    """A page of regions (``{items, next}``, docs/api-conventions.md)."""


class RegionDetail(_Answer):
    code: str
    level: str
    name_ja: str
    name_en: str
    parent: Region | None
    prefecture: Region | None
    children: list[Region]


class IndicatorEntry(Indicator):
    definition: str


class IndicatorList(Page[IndicatorEntry]):
    """A page of the catalog, in its order; each indicator names its ``category``."""


class IndicatorDetail(_Answer):
    code: str
    additive: bool
    sources: list[dict[str, JsonValue]]
    depends_on: list[JsonValue]
    used_by: list[JsonValue]


class PopulationIndicatorSeries(Indicator):
    group: str | None
    points: list[Point]


class PopulationSeries(_Answer):
    region: Region
    years: list[int]
    period_kinds: JsonValue
    indicators: list[PopulationIndicatorSeries]
    attribution: Attribution


class PopulationCrossSection(_Answer):
    level: str
    year: int | None
    parent: Region | None
    indicators: list[Indicator]
    regions: list[dict[str, JsonValue]]
    attribution: Attribution


class IndicatorCrossSection(PopulationCrossSection):
    """One indicator for every region of a level in one year, with ranks."""


class Pyramid(_Answer):
    region: Region
    dataset: str
    sexes: list[dict[str, JsonValue]]
    years: list[int]
    share_of: str
    frames: list[dict[str, JsonValue]]
    attribution: Attribution


Direction = Literal["higher_is_better", "lower_is_better"]


class Extreme(_Answer):
    value: float | None
    region: str = Field(description="The region's code")


class LivabilityComponent(Indicator):
    """A component of the index as an answer used it: its weight and its range at the level."""

    weight: float
    direction: Direction
    min: Extreme | None
    max: Extreme | None
    regions_with_value: int


class LivabilityPart(_Answer):
    """One component of one region's score."""

    value: float | None
    period: str | None
    score: float | None
    contribution: float | None


class LivabilityRegionScore(Region):
    score: float | None
    rank: int | None
    coverage: float | None
    components: dict[str, LivabilityPart] = Field(description="The parts, by component code")


class Excluded(_Answer):
    code: str
    reason: str


class LivabilityIndex(_Answer):
    level: str
    year: int
    parent: Region | None
    method: JsonValue
    weights: dict[str, float]
    components: list[LivabilityComponent]
    excluded: list[Excluded]
    regions: list[LivabilityRegionScore]
    attribution: Attribution


class RegionLivabilityComponent(LivabilityComponent, LivabilityPart):
    """A component with the region's part in it."""


class RegionLivability(_Answer):
    region: Region
    level: str
    year: int
    score: float | None
    rank: int | None
    ranked_regions: int
    coverage: float | None
    method: JsonValue
    components: list[RegionLivabilityComponent]
    excluded: list[Excluded]
    attribution: Attribution


class DefaultComponent(Indicator):
    """A component the index can use, with the weight it has when the request names none."""

    default_weight: float
    direction: Direction


class LivabilityComponents(_Answer):
    method: JsonValue
    max_weight: float
    components: list[DefaultComponent]


class ComparisonSeries(_Answer):
    indicator: str
    region: str
    national: bool
    points: list[Point]


class Comparison(_Answer):
    years: list[int]
    regions: list[Region]
    national: Region | None
    indicators: list[Indicator]
    series: list[ComparisonSeries]
    attribution: Attribution


class Change(_Answer):
    absolute: float
    percent: float | None
    from_: str = Field(alias="from", description="The earlier value's period")
    to: str = Field(description="The latest value's period")


class Rank(_Answer):
    rank: int
    of: int = Field(description="How many regions of the level have a value that year")
    year: int


class KpiCard(_Answer):
    indicator: Indicator
    latest: Point | None
    previous: Point | None
    change: Change | None = Field(description="The latest value against the previous one")
    five_years_earlier: Point | None
    change_5y: Change | None
    rank: Rank | None
    sparkline: ChartData = Field(
        description="The last values as a Chart.js data object (one dataset), ready to draw"
    )


class Kpis(_Answer):
    region: Region
    kpis: list[KpiCard]
    attribution: Attribution


class Distribution(_Answer):
    indicator: Indicator
    year: int
    scope: dict[str, JsonValue]
    statistics: dict[str, JsonValue]
    attribution: Attribution


class Correlation(_Answer):
    x: Indicator
    y: Indicator
    year: int
    scope: dict[str, JsonValue]
    coefficients: dict[str, JsonValue]
    points: list[dict[str, JsonValue]]
    attribution: Attribution


class Growth(_Answer):
    indicator: Indicator
    region: Region
    points: list[dict[str, JsonValue]]
    cagr: JsonValue
    attribution: Attribution


class MovingAverage(_Answer):
    indicator: Indicator
    region: Region
    window: int
    points: list[dict[str, JsonValue]]
    attribution: Attribution


class DatasetEntry(_Answer):
    id: str
    title: str
    version: int
    attribution: str
    notice: str = Field(description="The notice e-Stat's terms of API use ask for")


class DatasetList(Page[DatasetEntry]):
    """A page of the datasets, by id."""


class DatasetDetail(_Answer):
    id: str
    versions: list[JsonValue]
    indicators: list[JsonValue]
    notice: str


class Observation(_Answer):
    """One cell: the code of each dimension of the dataset (``tab``, ``cat01``..., ``area``,
    ``time``), its value as a number and as published, its mark and unit."""

    area: str | None
    time: str | None
    value: float | None
    value_text: str | None
    mark: str | None
    unit: str | None


class ObservationPage(Page[Observation]):
    """A page of a dataset's cells, in (series, area, time) order."""


# -- the other formats ---------------------------------------------------------------------------


class ChartPoint(_Answer):
    x: float
    y: float | None


class ChartDataset(_Answer):
    label: str
    data: list[float | None] | list[ChartPoint] = Field(
        description="Numbers (null for a gap) under `labels`, or {x, y} points (x: the year as "
        "a number) when the answer has no `labels`"
    )
    unit: str = Field(description="The values' unit, in the language asked for", examples=["人"])
    y_axis_id: str = Field(
        alias="yAxisID",
        description="The axis of this unit, one per distinct unit, the same in every answer",
        examples=["y-persons", "y-percent"],
    )


class ChartAxis(_Answer):
    """One axis of the chart, for Chart.js's ``options.scales[id]``."""

    id: str = Field(examples=["y-persons"])
    unit: str = Field(examples=["人"])
    position: Literal["left", "right", "bottom"]


class ChartData(_Answer):
    """``format=chartjs``: Chart.js's ``data`` object, with ``axes`` for ``options.scales``.
    ``labels`` is absent when the datasets are {x, y} points (irregular years: a linear axis)."""

    labels: list[str] = Field(
        default_factory=list, description="Category labels; absent when the data are {x, y} points"
    )
    datasets: list[ChartDataset]
    axes: list[ChartAxis]


class Feature(_Answer):
    type: str = Field(examples=["Feature"])
    id: int = Field(description="Numeric, for MapLibre's feature-state", examples=[13])
    # The keys depend on the route and its indicators (code, names, one key per indicator...).
    properties: dict[str, JsonValue] | None
    geometry: dict[str, JsonValue] | None


class GeoMetadata(_Answer):
    """What the collection says about itself; which members it has depends on the route."""

    level: str | None = None
    year: int | None = None
    indicators: list[Indicator] | None = Field(
        default=None, description="The indicators whose values the properties carry"
    )


class FeatureCollection(_Answer):
    """``format=geojson``: RFC 7946, one feature per region with the values as properties."""

    type: str = Field(examples=["FeatureCollection"])
    features: list[Feature]
    metadata: GeoMetadata
    attribution: Attribution


class Topology(_Answer):
    """``format=topojson``: a TopoJSON topology, the regions in ``objects.regions``."""

    type: str = Field(examples=["Topology"])
    objects: dict[str, JsonValue]
    arcs: list[JsonValue]


_REGISTERED: dict[str, type[BaseModel]] = {}
_MEDIA: dict[Format, tuple[str, dict[str, Any] | type[BaseModel]]] = {
    Format.CSV: ("text/csv", {"type": "string", "description": "RFC 4180 CSV, UTF-8"}),
    Format.GEOJSON: ("application/geo+json", FeatureCollection),
    Format.TOPOJSON: ("application/topo+json", Topology),
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    _REGISTERED[model.__name__] = model
    return {"$ref": _REF.format(model=model.__name__)}


def answer(json_model: type[BaseModel] | None, *formats: Format) -> dict[int | str, Any]:
    """``responses=`` of a route answering ``json_model`` as JSON and in ``formats`` too."""
    content: dict[str, Any] = {}
    if json_model is not None:
        schema: dict[str, Any] = _ref(json_model)
        if Format.CHARTJS in formats:
            schema = {"anyOf": [schema, _ref(ChartData)]}
        content["application/json"] = {"schema": schema}
    for fmt in formats:
        if fmt in _MEDIA:
            media_type, described = _MEDIA[fmt]
            schema = described if isinstance(described, dict) else _ref(described)
            content[media_type] = {"schema": schema}
    return {
        200: {
            "description": "The answer, in the format asked for (`format`). Carries ETag, "
            "Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down).",
            "content": content,
        },
        304: {"description": "If-None-Match named the current ETag: nothing changed"},
    }


def install_answer_schemas(app: FastAPI) -> None:
    """Add the answers' schemas to ``components.schemas`` of the app's OpenAPI document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, model in _REGISTERED.items():
                document = model.model_json_schema(ref_template=_REF)
                schemas.update(document.pop("$defs", {}))
                schemas[name] = document
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
