"""The parameters of the stats routes, as types FastAPI validates and documents.

Each route takes one query model (``extra="forbid"``: an unknown parameter is refused, naming
the accepted ones). Every problem of a request comes back in one 422 (``errors``: one
``{field, message, type}`` per problem, ``chiiki_shared.errors``): the problems of single
fields first, then those of combinations (``period`` with ``from``, ``topojson`` for
prefectures...). Checks that need the reference data (an indicator's category, a dataset's
dimensions) are made after, with ``reject``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NoReturn, get_args

from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError, core_schema

from chiiki_shared.lang import Lang
from chiiki_stats.formats import Format
from chiiki_stats.periods import (
    ANNUAL_KINDS,
    MAX_YEAR,
    MIN_YEAR,
    InvalidPeriod,
    Period,
    YearSpan,
    parse_year,
)
from chiiki_stats.services import (
    comparison,
    datasets,
    indicators,
    kpi,
    population,
    regions,
    summary,
)
from chiiki_stats.services.livability import MAX_WEIGHT

REGION_CODE = re.compile(r"[0-9]{2}[0-9A-Z]{3}")
INDICATOR_CODE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")
DATASET_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,31}")
CLASS_CODE = re.compile(r"[0-9A-Za-z._-]{1,32}")
TIME_CODE = re.compile(r"[0-9]{10}")
WEIGHT = re.compile(r"[0-9]+(\.[0-9]+)?")
MAX_YEARS = 150
MAX_FILTER_CODES = 500
MAX_TOP = summary.MAX_REGIONS  # more bars than any level has regions
YEAR_DOC = (
    "A year: 2020 (calendar or fiscal year, as each source publishes it), CY2020 or FY2020 "
    "(only that kind) or an e-Stat year code (2020100000)"
)
GEO_LEVEL_ONLY = "geojson has prefecture polygons only: use level=prefecture"
TOPO_LEVELS_ONLY = (
    "topojson has municipal and ward boundaries only: use format=geojson for prefectures"
)
CHARTJS_ONE_YEAR = "chartjs draws one year's pyramid: give period (json and csv take a range)"

# -- closed sets ---------------------------------------------------------------------------------

QueryLevel = Literal["prefecture", "municipality", "ward"]
RegionLevel = Literal["nation", "prefecture", "municipality", "ward", "other"]
BoundaryLevel = Literal["municipality", "ward"]
Measure = Literal["count", "share"]
Sort = Literal["asc", "desc"]
JsonFormat = Literal["json"]
TabularFormat = Literal["json", "csv"]
SeriesFormat = Literal["json", "csv", "chartjs"]
RegionFormat = Literal["json", "csv", "geojson"]
MapFormat = Literal["geojson", "topojson"]
AnyFormat = Literal["json", "csv", "chartjs", "geojson", "topojson"]
QUERY_LEVELS: tuple[str, ...] = get_args(QueryLevel)


# -- errors --------------------------------------------------------------------------------------


def _error(kind: str, message: str) -> PydanticCustomError:
    # The message goes in the context: a value quoted in it may hold braces.
    return PydanticCustomError(kind, "{message}", {"message": message})


def reject(*problems: tuple[str, str, str]) -> NoReturn:
    """A 422 in the common format for checks made after the parameters were read:
    ``(location, name, message)`` with location ``query`` or ``path``."""
    raise RequestValidationError(
        [
            {"loc": (where, name), "msg": message, "type": "value_error"}
            for where, name, message in problems
        ]
    )


def _errors_of(exc: ValidationError) -> list[InitErrorDetails]:
    return [
        InitErrorDetails(
            type=_error(error["type"], error["msg"]), loc=error["loc"], input=error["input"]
        )
        for error in exc.errors()
    ]


# -- single values -------------------------------------------------------------------------------


def _code(pattern: re.Pattern[str], what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise _error("value_error", f"{value!r} is not {what}")
        return value

    return check


def _schema(pattern: re.Pattern[str], example: str) -> WithJsonSchema:
    return WithJsonSchema(
        {"type": "string", "pattern": f"^{pattern.pattern}$", "examples": [example]}
    )


_region_code = _code(REGION_CODE, "a region code (5 characters, e.g. 13000 or 0120B)")
_indicator_code = _code(INDICATOR_CODE, "an indicator code (e.g. population.total)")
_class_code = _code(CLASS_CODE, "a classification code")
RegionCode = Annotated[str, BeforeValidator(_region_code), _schema(REGION_CODE, "13000")]
IndicatorCode = Annotated[
    str, BeforeValidator(_indicator_code), _schema(INDICATOR_CODE, "population.total")
]
DatasetId = Annotated[
    str,
    BeforeValidator(_code(DATASET_ID, "a statsDataId")),
    _schema(DATASET_ID, "census-c01-1920-2015"),
]


def _year(value: str) -> str:
    try:
        parse_year(value)
    except InvalidPeriod as exc:
        raise _error("period", str(exc)) from None
    return value.strip()


Year = Annotated[str, AfterValidator(_year), Field(description=YEAR_DOC, examples=["2020"])]


def _time(value: str) -> str:
    try:
        Period.parse(value)
    except InvalidPeriod as exc:
        if not TIME_CODE.fullmatch(value):  # an e-Stat code this service does not interpret
            raise _error("period", str(exc)) from None
    return value


def _true_or_false(value: Any) -> bool:
    if value in ("true", "false"):
        return bool(value == "true")
    if isinstance(value, bool):
        return bool(value)
    raise _error("bool_parsing", f"{value!r} is not one of: true, false")


def _cursor(decode: Callable[[str], object]) -> Callable[[str | None], str | None]:
    def check(value: str | None) -> str | None:
        if value is not None and decode(value) is None:
            # As chiiki_shared.pagination.bad_cursor says it in every service.
            raise _error("cursor", "not a cursor this list issued")
        return value

    return check


# The ``cursor`` of a list, as ``chiiki_shared.pagination.CursorQuery``; each list checks its
# own, so a cursor it did not issue is a 422 on ``query.cursor`` beside the query's other problems.
_CURSOR = Field(max_length=200, description="From the previous page's next")


def _limit(default: int, maximum: int, what: str) -> Any:
    return Field(default, ge=1, le=maximum, description=f"{what} per page ({default} by default)")


# -- lists: repeated and/or comma-separated ------------------------------------------------------


def _split(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    parts = [part.strip() for item in values for part in str(item).split(",")]
    if not all(parts):
        raise _error("value_error", "an empty item in the list")
    return parts


def _list_of(check: Callable[[Any], str], limit: int, what: str) -> Callable[[Any], list[str]]:
    def parse(value: Any) -> list[str]:
        items = _split(value)
        if len(items) > limit:
            raise _error("too_long", f"at most {limit} {what} per request, got {len(items)}")
        bad = []
        for item in items:
            try:
                check(item)
            except PydanticCustomError as exc:
                bad.append(exc.message())
        if bad:
            raise _error("value_error", "; ".join(bad))
        return list(dict.fromkeys(items))

    return parse


def _list_schema(items: dict[str, Any], limit: int, what: str) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "type": "array",
            "items": items,
            "maxItems": limit,
            "description": f"{what}, repeated or comma-separated (at most {limit})",
        }
    )


@dataclass(frozen=True)
class CodeList:
    """``Annotated`` metadata of a list of region or indicator codes, at most ``limit``."""

    kind: Literal["region", "indicator"]
    limit: int
    what: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        check = _region_code if self.kind == "region" else _indicator_code
        return core_schema.no_info_before_validator_function(
            _list_of(check, self.limit, self.what), handler(source)
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        pattern = REGION_CODE if self.kind == "region" else INDICATOR_CODE
        items = {"type": "string", "pattern": f"^{pattern.pattern}$"}
        return _list_schema(items, self.limit, self.what).json_schema or {}


def _population_list(value: Any) -> list[str]:
    codes = _split(value)
    bad = []
    for code in codes:
        try:
            _indicator_code(code)
        except PydanticCustomError as exc:
            raise _error("value_error", exc.message()) from None
        if code not in population.POPULATION:
            bad.append(code)
    if bad:
        raise _error("value_error", f"not population indicators: {', '.join(bad)}")
    return list(dict.fromkeys(codes))


PopulationList = Annotated[
    list[str],
    BeforeValidator(_population_list),
    _list_schema(
        {"type": "string", "enum": list(population.POPULATION)},
        len(population.POPULATION),
        "population indicators",
    ),
]
ClassCodes = Annotated[
    list[str],
    BeforeValidator(_list_of(_class_code, MAX_FILTER_CODES, "codes")),
    _list_schema(
        {"type": "string", "pattern": f"^{CLASS_CODE.pattern}$"}, MAX_FILTER_CODES, "codes"
    ),
]
TimeCodes = Annotated[
    list[str],
    BeforeValidator(_list_of(_time, MAX_FILTER_CODES, "codes")),
    _list_schema({"type": "string"}, MAX_FILTER_CODES, "e-Stat time codes or periods"),
]


def _weight(pair: str) -> tuple[str, float] | str:
    """``code:weight``, or what is wrong with it."""
    code, separator, raw = pair.partition(":")
    if not separator:
        return f"{pair!r} is not indicator:weight"
    if not INDICATOR_CODE.fullmatch(code):
        return f"{code!r} is not an indicator code (e.g. population.total)"
    try:
        weight = float(raw)
    except ValueError:
        return f"weight of {code} is not a number: {raw!r}"
    if not math.isfinite(weight) or not 0 <= weight <= MAX_WEIGHT:
        return f"weight of {code} must be 0-{MAX_WEIGHT:g}"
    if not WEIGHT.fullmatch(raw):
        return f"weight of {code} must be written as a decimal number (e.g. 0.5): {raw!r}"
    return code, weight


def _weights(value: Any) -> list[tuple[str, float]]:
    found = [_weight(pair) for pair in _split(value)]
    bad = [problem for problem in found if isinstance(problem, str)]
    if bad:
        raise _error("value_error", "; ".join(bad))
    return list(dict(pair for pair in found if not isinstance(pair, str)).items())


Weights = Annotated[
    list[tuple[str, float]],
    BeforeValidator(_weights),
    WithJsonSchema(
        {
            "type": "array",
            "items": {
                "type": "string",
                "pattern": f"^{INDICATOR_CODE.pattern}:{WEIGHT.pattern}$",
            },
            "description": "indicator:weight pairs, repeated or comma-separated (e.g. "
            "health.hospitals_per_100k:2,labour.job_openings_ratio:0.5); weights 0-"
            f"{MAX_WEIGHT:g}, 0 leaves a component out; the others keep their default",
        }
    ),
]


RegionCursor = Annotated[str | None, AfterValidator(_cursor(regions.after_position)), _CURSOR]
IndicatorCursor = Annotated[str | None, AfterValidator(_cursor(indicators.after_code)), _CURSOR]
DatasetCursor = Annotated[str | None, AfterValidator(_cursor(datasets.after_id)), _CURSOR]
ObservationCursor = Annotated[str | None, AfterValidator(_cursor(datasets.after_cell)), _CURSOR]


# -- the query models ----------------------------------------------------------------------------


class StatsQuery(BaseModel):
    """The query of one route. ``lang`` is accepted everywhere; routes whose answer has no label
    to translate ignore it (and their ETag does not change)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lang: Lang = Field("ja", description="Language of labels (csv, chartjs, geojson): ja or en")
    bom: Annotated[bool, BeforeValidator(_true_or_false)] = Field(
        False, description="csv: start with a UTF-8 byte order mark, so Excel reads it as UTF-8"
    )

    @model_validator(mode="wrap")
    @classmethod
    def _one_report(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return cls._combined(handler(data))
        except ValidationError as exc:
            errors = _errors_of(exc)
        for error in errors:
            kind = error["type"]
            if isinstance(kind, PydanticCustomError) and kind.type == "extra_forbidden":
                error["type"] = _error(
                    "extra_forbidden", f"unknown parameter (accepted: {cls._accepted()})"
                )
        # The combinations of the fields that are well formed are checked too, so one answer
        # lists every problem.
        failed = {error["loc"][0] for error in errors if error["loc"]}
        if isinstance(data, dict):
            try:
                partial = handler({k: v for k, v in data.items() if k not in failed})
            except ValidationError:
                partial = None
            if partial is not None:
                errors += [e for e in partial.problems() if e["loc"][0] not in failed]
        raise ValidationError.from_exception_data(cls.__name__, errors)

    @classmethod
    def _combined(cls, query: StatsQuery) -> StatsQuery:
        problems = query.problems()
        if problems:
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return query

    @classmethod
    def _accepted(cls) -> str:
        return ", ".join(sorted(field.alias or name for name, field in cls.model_fields.items()))

    def problems(self) -> list[InitErrorDetails]:
        """What is wrong with a combination of fields (none by default)."""
        return []

    @staticmethod
    def problem(name: str, message: str, value: Any = None) -> InitErrorDetails:
        return InitErrorDetails(type=_error("value_error", message), loc=(name,), input=value)

    @property
    def output(self) -> Format:
        return Format(getattr(self, "fmt", Format.JSON.value))

    @property
    def with_bom(self) -> bool:
        return self.bom and self.output is Format.CSV


class JsonQuery(StatsQuery):
    fmt: JsonFormat = Field("json", alias="format")


class TabularQuery(StatsQuery):
    fmt: TabularFormat = Field("json", alias="format")


class OneYearQuery(StatsQuery):
    period: Year | None = None

    @property
    def span(self) -> YearSpan | None:
        if self.period is None:
            return None
        year, kinds = parse_year(self.period)
        return YearSpan(year, year, kinds)


class YearRangeQuery(OneYearQuery):
    """``period=2020`` or ``from=2010&to=2020``; ``CY``/``FY`` prefixes restrict the kind."""

    first: Year | None = Field(None, alias="from", description="First year of a range")
    last: Year | None = Field(None, alias="to", description="Last year of a range")

    def problems(self) -> list[InitErrorDetails]:
        found = super().problems()
        if self.period is not None and (self.first is not None or self.last is not None):
            return [*found, self.problem("period", "give either period or from/to, not both")]
        if self.first is None or self.last is None:
            return found
        (low, low_kinds), (high, high_kinds) = parse_year(self.first), parse_year(self.last)
        if low > high:
            found.append(self.problem("from", f"from ({low}) is after to ({high})"))
        elif high - low + 1 > MAX_YEARS:
            found.append(
                self.problem("to", f"at most {MAX_YEARS} years per request, got {high - low + 1}")
            )
        elif not low_kinds & high_kinds:
            found.append(self.problem("to", "from and to ask for different kinds of year (CY/FY)"))
        return found

    @property
    def span(self) -> YearSpan | None:
        if self.period is not None:
            return super().span
        if self.first is None and self.last is None:
            return None
        low = parse_year(self.first) if self.first is not None else (MIN_YEAR, ANNUAL_KINDS)
        high = parse_year(self.last) if self.last is not None else (MAX_YEAR, ANNUAL_KINDS)
        return YearSpan(low[0], high[0], low[1] & high[1])


class MapQuery(OneYearQuery):
    """A cross-section of every region of a level, in any format, maps included."""

    level: QueryLevel = Field("prefecture", description="prefecture, municipality or ward")
    parent: RegionCode | None = Field(
        None, description="Only regions inside this region (e.g. a prefecture code)"
    )
    fmt: AnyFormat = Field("json", alias="format")

    def problems(self) -> list[InitErrorDetails]:
        found = super().problems()
        if self.fmt == "topojson" and self.level == "prefecture":
            found.append(self.problem("format", TOPO_LEVELS_ONLY, self.fmt))
        return found


# -- per route -----------------------------------------------------------------------------------


class RegionListQuery(StatsQuery):
    level: RegionLevel | None = None
    parent: RegionCode | None = Field(None, description="Direct parent's code (e-Stat @parentCode)")
    prefecture: RegionCode | None = Field(None, description="Every region of this prefecture")
    q: str | None = Field(None, description="Part of the name in kanji, kana or romaji")
    limit: int = _limit(regions.DEFAULT_PAGE, regions.MAX_PAGE, "Regions")
    cursor: RegionCursor = None
    fmt: RegionFormat = Field("json", alias="format")

    def problems(self) -> list[InitErrorDetails]:
        found = super().problems()
        if self.fmt == "geojson" and self.level != "prefecture":
            found.append(self.problem("format", GEO_LEVEL_ONLY, self.fmt))
        return found

    def region_query(self) -> regions.RegionQuery:
        return regions.RegionQuery(
            level=self.level,
            parent=self.parent,
            prefecture=self.prefecture,
            search=self.q.strip() if self.q and self.q.strip() else None,
            after=regions.after_position(self.cursor) if self.cursor else None,
            limit=self.limit,
        )


class BoundaryQuery(StatsQuery):
    fmt: MapFormat = Field("topojson", alias="format")


class IndicatorListQuery(TabularQuery):
    category: str | None = Field(None, description="population, vital, health...")
    limit: int = _limit(indicators.DEFAULT_PAGE, indicators.MAX_PAGE, "Indicators")
    cursor: IndicatorCursor = None
    q: str | None = Field(None, description="Part of the code, names or definition")

    @property
    def search(self) -> str | None:
        return self.q.strip() if self.q and self.q.strip() else None

    def indicator_query(self) -> indicators.IndicatorQuery:
        return indicators.IndicatorQuery(
            category=self.category,
            search=self.search,
            after=indicators.after_code(self.cursor) if self.cursor else None,
            limit=self.limit,
        )


class PopulationSeriesQuery(YearRangeQuery):
    indicators: PopulationList | None = None
    fmt: SeriesFormat = Field("json", alias="format")


class RankedMapQuery(MapQuery):
    """A cross-section whose Chart.js bars can be ranked: ``sort`` by the (first) indicator's
    value, ties by region code, and ``top`` keeps the first N bars (other formats ignore both)."""

    sort: Sort | None = Field(None, description="chartjs bars by value: asc or desc")
    top: int | None = Field(
        None, ge=1, le=MAX_TOP, description="chartjs: only the first N bars (after sort)"
    )


class CrossSectionQuery(RankedMapQuery):
    indicators: PopulationList | None = None


class IndicatorCrossSectionQuery(RankedMapQuery):
    """The cross-section of the indicator the path names."""


class PyramidQuery(YearRangeQuery):
    measure: Measure = Field("count", description="chartjs bars: count or share (% of the year)")
    fmt: SeriesFormat = Field("json", alias="format")

    def problems(self) -> list[InitErrorDetails]:
        found = super().problems()
        span = self.span
        if self.fmt == "chartjs" and (span is None or span.first != span.last):
            found.append(self.problem("period", CHARTJS_ONE_YEAR, self.period))
        return found


class LivabilityQuery(MapQuery):
    weights: Weights = Field(default_factory=list)


class RegionLivabilityQuery(OneYearQuery):
    weights: Weights = Field(default_factory=list)
    fmt: SeriesFormat = Field("json", alias="format")


class ComparisonQuery(YearRangeQuery):
    regions: Annotated[list[str], CodeList("region", comparison.MAX_REGIONS, "regions")]
    indicators: Annotated[list[str], CodeList("indicator", comparison.MAX_INDICATORS, "indicators")]
    national: Annotated[bool, BeforeValidator(_true_or_false)] = Field(
        True, description="Add the nation's values: true or false"
    )
    fmt: SeriesFormat = Field("json", alias="format")


class KpiQuery(TabularQuery):
    region: RegionCode
    indicators: (
        Annotated[list[str], CodeList("indicator", kpi.MAX_INDICATORS, "indicators")] | None
    ) = Field(None, description="Default: " + ", ".join(kpi.HEADLINE))
    sparkline: int = Field(
        kpi.SPARKLINE_POINTS, ge=2, le=kpi.MAX_SPARKLINE_POINTS, description="Points per sparkline"
    )


class ScopeQuery(OneYearQuery):
    """Regions of a level (under a parent), or listed."""

    level: QueryLevel | None = Field(None, description="prefecture (default), municipality or ward")
    parent: RegionCode | None = Field(None, description="Only regions inside this region")
    regions: Annotated[list[str], CodeList("region", summary.MAX_REGIONS, "regions")] | None = None

    def problems(self) -> list[InitErrorDetails]:
        found = super().problems()
        if self.regions is not None and (self.level is not None or self.parent is not None):
            found.append(self.problem("regions", "give either regions or level/parent, not both"))
        return found

    @property
    def chosen_level(self) -> str:
        return self.level or "prefecture"


class SummaryQuery(ScopeQuery):
    indicator: IndicatorCode
    fmt: TabularFormat = Field("json", alias="format")


class CorrelationQuery(ScopeQuery):
    x: IndicatorCode
    y: IndicatorCode
    fmt: SeriesFormat = Field("json", alias="format")


class SeriesQuery(YearRangeQuery):
    indicator: IndicatorCode
    region: RegionCode
    fmt: SeriesFormat = Field("json", alias="format")


class MovingAverageQuery(SeriesQuery):
    window: int = Field(3, ge=2, le=summary.MAX_WINDOW, description="Years per window")


class DatasetListQuery(TabularQuery):
    limit: int = _limit(datasets.DEFAULT_LIST_PAGE, datasets.MAX_LIST_PAGE, "Datasets")
    cursor: DatasetCursor = None


class ObservationQuery(TabularQuery):
    area: ClassCodes | None = None
    time: TimeCodes | None = None
    limit: int = _limit(datasets.DEFAULT_PAGE, datasets.MAX_PAGE, "Rows")
    cursor: ObservationCursor = None

    # The dimensions a dataset may have besides area and time (datasets.SERIES_DIMENSIONS).
    tab: ClassCodes | None = None
    cat01: ClassCodes | None = None
    cat02: ClassCodes | None = None
    cat03: ClassCodes | None = None
    cat04: ClassCodes | None = None
    cat05: ClassCodes | None = None
    cat06: ClassCodes | None = None
    cat07: ClassCodes | None = None
    cat08: ClassCodes | None = None
    cat09: ClassCodes | None = None
    cat10: ClassCodes | None = None
    cat11: ClassCodes | None = None
    cat12: ClassCodes | None = None
    cat13: ClassCodes | None = None
    cat14: ClassCodes | None = None
    cat15: ClassCodes | None = None

    @property
    def filters(self) -> dict[str, list[str]]:
        chosen = {name: getattr(self, name, None) for name in datasets.SERIES_DIMENSIONS}
        return {name: codes for name, codes in chosen.items() if codes is not None}

    def observation_query(self) -> datasets.ObservationQuery:
        def period(value: str) -> Period | None:
            try:
                return Period.parse(value)
            except InvalidPeriod:
                return None

        times = self.time
        return datasets.ObservationQuery(
            dimension_filters=self.filters,
            areas=self.area,
            periods=[p for p in map(period, times) if p] if times is not None else None,
            time_codes=[value for value in times or [] if period(value) is None],
            after=datasets.after_cell(self.cursor) if self.cursor else None,
            limit=self.limit,
        )
