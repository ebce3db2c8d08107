"""The answers of the stats routes, as OpenAPI schemas, one per answer and per media type.

The routes render their answers themselves (``chiiki_stats.formats``, cached as bytes), so these
models document them rather than validate them. Each answer is a closed object: its models name
every member it carries (``extra="forbid"``: ``additionalProperties: false``), so a member that
leaves the API leaves the generated TypeScript too and the frontend reading it no longer
compiles. The only open objects are maps keyed by data (indicator codes, dimension ids), typed
``dict[str, ...]`` or, where fixed members sit beside the data-keyed ones, ``_KeyedByData``.
``answer(...)`` is a route's ``responses=``: JSON, and the other formats the route offers
(Chart.js, CSV, GeoJSON, TopoJSON), each with its schema.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from chiiki_shared.pagination import Page
from chiiki_stats.formats import Format

_REF = "#/components/schemas/{model}"


def _absent_not_defaulted(schema: dict[str, Any]) -> None:
    # A member with a default is one some answers leave out; with its default in the schema the
    # generator would type it as always present (openapi-typescript's defaultNonNullable).
    for member in schema.get("properties", {}).values():
        member.pop("default", None)


_CLOSED = ConfigDict(extra="forbid", json_schema_extra=_absent_not_defaulted)

# A scalar as the maps keyed by data hold it: a number, a code, a period or a name, or null.
Scalar = str | float | None


class _Answer(BaseModel):
    model_config = _CLOSED


class _KeyedByData(BaseModel):
    """Fixed members and, beside them, one member per data key (typed as ``Scalar``)."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Scalar]


class _Page(_Answer):
    """A page of a list (``Page[...]``), closed as every answer."""


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


class RankedPoint(Point):
    rank: int | None = Field(description="1 = the largest value of the level; null: no value")


Attribution = list[str]
PeriodKind = Literal["calendar_year", "fiscal_year", "quarter", "month"]


class RegionEntry(Region):
    """A region of the code list, as ``/api/regions`` lists it."""

    parent_code: str | None
    prefecture_code: str | None
    name_kana: str | None
    estat_level: str | None
    area_km2: float | None
    lat: float | None
    lng: float | None


class RegionList(Page[RegionEntry], _Page):
    """A page of regions (``{items, next}``, docs/api-conventions.md)."""


class RegionDetail(RegionEntry):
    parent: Region | None
    prefecture: Region | None
    children: list[Region]


class IndicatorEntry(Indicator):
    definition: str


class IndicatorList(Page[IndicatorEntry], _Page):
    """A page of the catalog, in its order; each indicator names its ``category``."""


class PublishedSource(_Answer):
    """A published series of a dataset, tried in ``priority`` order."""

    priority: int
    dataset: str
    series: dict[str, str] = Field(description="The series' code per dimension id (cat01...)")
    label: str | None
    published_unit: str | None
    scale: float | None = Field(default=None, description="Absent when the values are as published")
    dataset_version: int | None = Field(description="null while the dataset is not loaded")
    dataset_title: str | None


class Ratio(_Answer):
    op: Literal["ratio"]
    numerator: str
    denominator: str
    scale: float | None = Field(default=None, description="Absent: 1")


class Difference(_Answer):
    op: Literal["difference"]
    minuend: str
    subtrahend: str


class Sum(_Answer):
    op: Literal["sum"]
    terms: list[str]


class DerivedSource(_Answer):
    """A formula over other indicators (their codes), tried in ``priority`` order."""

    priority: int
    derived: Ratio | Difference | Sum = Field(discriminator="op")


class IndicatorDetail(IndicatorEntry):
    additive: bool
    sources: list[PublishedSource | DerivedSource]
    depends_on: list[str] = Field(description="The indicators its formulas use")
    used_by: list[str] = Field(description="The indicators whose formulas use it")


class PopulationIndicatorSeries(Indicator):
    group: str | None
    points: list[Point]


class PopulationSeries(_Answer):
    region: Region
    years: list[int]
    period_kinds: list[PeriodKind] = Field(description="The kinds of year the points carry")
    indicators: list[PopulationIndicatorSeries]
    attribution: Attribution


class CrossSectionRegion(Region):
    values: dict[str, RankedPoint] = Field(description="The region's value, by indicator code")


class PopulationCrossSection(_Answer):
    level: str
    year: int | None
    parent: Region | None
    indicators: list[Indicator]
    regions: list[CrossSectionRegion]
    attribution: Attribution


class IndicatorCrossSection(PopulationCrossSection):
    """One indicator for every region of a level in one year, with ranks."""


class Sex(_Answer):
    code: str = Field(description="The dataset's code of the sex")
    key: Literal["male", "female"] = Field(description="The member of a group holding its count")
    name: str = Field(description="As the dataset publishes it (男, 女)")


class Count(_Answer):
    value: float | None
    mark: str | None
    mark_meaning: str | None
    share: float | None = Field(description="Percent of the frame's total")


class AgeGroup(_Answer):
    code: str
    label: str
    age_from: int
    age_to: int | None = Field(description="null for the open-ended oldest group")
    male: Count | None
    female: Count | None


class PyramidFrame(_Answer):
    year: int
    period: str
    time: str
    total: float | None
    groups: list[AgeGroup]


class Pyramid(_Answer):
    region: Region
    dataset: str
    sexes: list[Sex]
    years: list[int]
    share_of: str
    frames: list[PyramidFrame]
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


class LivabilityMethod(_Answer):
    normalisation: str
    composite: str


class LivabilityIndex(_Answer):
    level: str
    year: int
    parent: Region | None
    method: LivabilityMethod
    weights: dict[str, float] = Field(description="The weights used, by component code")
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
    method: LivabilityMethod
    components: list[RegionLivabilityComponent]
    excluded: list[Excluded]
    attribution: Attribution


class DefaultComponent(Indicator):
    """A component the index can use, with the weight it has when the request names none."""

    default_weight: float
    direction: Direction


class LivabilityComponents(_Answer):
    method: LivabilityMethod
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


class Scope(_Answer):
    """The regions a statistic is over: a level (within ``parent``), or the ``regions`` asked."""

    level: str | None = Field(description="null when the request named the regions")
    parent: Region | None
    regions: list[str] | None = Field(description="The codes asked for; null for a level")
    region_count: int


class RegionValue(_Answer):
    value: float | None
    region: Region


class Statistics(_Answer):
    """With no value at all, only ``count`` (0) and ``missing``."""

    count: int
    missing: list[str] = Field(description="The regions without a value")
    mean: float | None = None
    median: float | None = None
    std: float | None = Field(default=None, description="Sample standard deviation (ddof=1)")
    q1: float | None = None
    q3: float | None = None
    iqr: float | None = None
    min: RegionValue | None = None
    max: RegionValue | None = None
    sum: float | None = Field(default=None, description="null for an indicator that does not add")
    cv: float | None = Field(default=None, description="Coefficient of variation, std / mean")


class Distribution(_Answer):
    indicator: Indicator
    year: int
    scope: Scope
    statistics: Statistics
    attribution: Attribution


class Regression(_Answer):
    slope: float | None
    intercept: float | None


class Coefficients(_Answer):
    """With fewer than 3 points (or a constant x or y), only ``n`` and null coefficients."""

    n: int
    pearson: float | None
    spearman: float | None
    r_squared: float | None = None
    regression: Regression | None = None


class CorrelationPoint(Region):
    x: float | None
    y: float | None


class Correlation(_Answer):
    x: Indicator
    y: Indicator
    year: int
    scope: Scope
    coefficients: Coefficients
    points: list[CorrelationPoint]
    attribution: Attribution


class GrowthPoint(_Answer):
    year: int
    period: str
    value: float | None
    yoy_change: float | None
    yoy_percent: float | None


class Cagr(_Answer):
    from_: int = Field(alias="from", description="The first year with a value")
    to: int = Field(description="The last year with a value")
    percent: float | None = Field(description="null when the first or last value is not positive")


class Growth(_Answer):
    indicator: Indicator
    region: Region
    points: list[GrowthPoint]
    cagr: Cagr | None = Field(description="null with fewer than two values")
    attribution: Attribution


class MovingAveragePoint(_Answer):
    year: int
    period: str
    value: float | None
    moving_average: float | None


class MovingAverage(_Answer):
    indicator: Indicator
    region: Region
    window: int
    points: list[MovingAveragePoint]
    attribution: Attribution


class DatasetDimension(_Answer):
    id: str = Field(examples=["cat01"])
    name: str
    item_count: int


class Note(_Answer):
    mark: str
    meaning: str


class _DatasetFacts(_Answer):
    id: str
    title: str
    statistics_name: str
    organisation: str
    survey_date: str | None
    open_date: str | None
    updated_date: str | None
    version: int
    content_hash: str
    cell_count: int
    applied_at: str = Field(description="When this version was applied (ISO 8601, UTC)")
    attribution: str
    notes: list[Note]
    notice: str = Field(description="The notice e-Stat's terms of API use ask for")


class DatasetEntry(_DatasetFacts):
    dimensions: list[DatasetDimension]


class DatasetList(Page[DatasetEntry], _Page):
    """A page of the datasets, by id."""


class DimensionItem(_Answer):
    code: str
    name: str
    level: str | None
    parent_code: str | None
    unit: str | None


class DimensionDetail(DatasetDimension):
    items: list[DimensionItem]


class DatasetVersion(_Answer):
    version: int
    content_hash: str
    cell_count: int
    applied_at: str


class DatasetDetail(_DatasetFacts):
    dimensions: list[DimensionDetail]
    versions: list[DatasetVersion]
    indicators: list[str] = Field(description="The indicators computed from this dataset")


class Observation(_KeyedByData):
    """One cell: the code of each dimension of the dataset (``tab``, ``cat01``..., as members
    named by dimension id, and ``area``, ``time``), its value as a number and as published,
    its mark and unit."""

    area: str | None
    time: str | None
    value: float | None
    value_text: str | None
    mark: str | None
    unit: str | None


class ObservationPage(Page[Observation], _Page):
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


class FeatureProperties(_KeyedByData):
    """The region and, keyed by data, the answer's values: ``<indicator>``, ``<indicator>.rank``
    and ``<indicator>.period`` (cross-sections; ``value`` and ``rank`` too for one indicator),
    ``score``, ``coverage`` and ``<component>.score`` (livability), ``area_km2`` (regions)."""

    code: str
    name_ja: str | None
    name_en: str | None


class Polygon(_Answer):
    type: Literal["Polygon"]
    coordinates: list[list[list[float]]]


class MultiPolygon(_Answer):
    type: Literal["MultiPolygon"]
    coordinates: list[list[list[list[float]]]]


Geometry = Annotated[Polygon | MultiPolygon, Field(discriminator="type")]


class Feature(_Answer):
    type: Literal["Feature"]
    id: int = Field(description="Numeric, for MapLibre's feature-state", examples=[13])
    properties: FeatureProperties
    geometry: Geometry | None


class BoundaryRelease(_Answer):
    """The boundaries a map was drawn with, and how its regions matched their polygons."""

    level: str
    release: str = Field(examples=["N03-21_210101"])
    version: str = Field(description="The boundaries' content hash")
    features: int
    regions_without_polygon: list[str]
    polygons_without_data: list[str] = Field(
        description="Polygons no region list knows (the Northern Territories' villages)"
    )


class GeoMetadata(_Answer):
    """What the collection says about itself; which members it has depends on the route:
    ``level``, ``year`` and ``indicators`` (cross-sections), ``weights`` and ``method``
    (livability), ``count`` (regions), ``boundaries`` (municipal and ward maps), ``release``,
    ``version`` and ``features`` (``/api/boundaries``, with ``level``)."""

    level: str | None = None
    year: int | None = None
    indicators: list[Indicator] | None = Field(
        default=None, description="The indicators whose values the properties carry"
    )
    weights: dict[str, float] | None = Field(default=None, description="By component code")
    method: LivabilityMethod | None = None
    count: int | None = Field(default=None, description="How many regions the page lists")
    boundaries: BoundaryRelease | None = None
    release: str | None = None
    version: str | None = None
    features: int | None = None


class FeatureCollection(_Answer):
    """``format=geojson``: RFC 7946, one feature per region with the values as properties."""

    type: Literal["FeatureCollection"]
    features: list[Feature]
    metadata: GeoMetadata
    attribution: Attribution


class Transform(_Answer):
    scale: list[float] = Field(min_length=2, max_length=2)
    translate: list[float] = Field(min_length=2, max_length=2)


class TopoPolygon(_Answer):
    type: Literal["Polygon"]
    id: str = Field(description="The region's code")
    properties: FeatureProperties
    arcs: list[list[int]]


class TopoMultiPolygon(_Answer):
    type: Literal["MultiPolygon"]
    id: str = Field(description="The region's code")
    properties: FeatureProperties
    arcs: list[list[list[int]]]


class GeometryCollection(_Answer):
    type: Literal["GeometryCollection"]
    geometries: list[TopoPolygon | TopoMultiPolygon]


class TopologyObjects(_Answer):
    regions: GeometryCollection


class Topology(_Answer):
    """``format=topojson``: a quantised TopoJSON topology, the regions in ``objects.regions``
    with the values on their ``properties``; ``metadata`` and ``attribution`` as in GeoJSON."""

    type: Literal["Topology"]
    transform: Transform
    objects: TopologyObjects
    arcs: list[list[list[int]]] = Field(description="Delta-encoded, quantised positions")
    metadata: GeoMetadata
    attribution: Attribution


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
