"""Livability: indicator values turned into 0-100 scores and a weighted composite index.

Method (also served at ``/api/livability/components``):
- Components are the catalog's indicators that have a direction (``higher_is_better`` true or
  false). Each is scored across the regions of the level for the year by min-max scaling:
  ``100 * (v - min) / (max - min)`` when higher is better, ``100 * (max - v) / (max - min)``
  when lower is better; 50 for every region when all values are equal.
- The composite is the weighted mean of a region's component scores, over the components it has
  a value for; ``coverage`` is the share of the total weight those components carry. A
  component's ``contribution`` is its weight times its score over that weight sum, so the
  contributions add up to the composite. Only regions with full coverage are ranked.
- A component without any value at the level in that year is left out and listed in
  ``excluded``. Weights come from the caller (the dashboard's sliders); those not given keep
  their default, and 0 leaves a component out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_stats.catalog import Catalog, IndicatorDef, Reference, RegionInfo
from chiiki_stats.cells import Cell
from chiiki_stats.formats import ChartData, Dataset, GeoLayer, Result, Table, Unit
from chiiki_stats.periods import YearSpan
from chiiki_stats.repository import DatasetState
from chiiki_stats.services.latest import latest_years_of
from chiiki_stats.services.population import indicator_label
from chiiki_stats.services.regions import name
from chiiki_stats.services.sections import cross_section_of
from chiiki_stats.values import Evaluator, number, ranks, sources_in

# Per-capita and ratio indicators weigh 1 by default. The waiting-children count grows with the
# size of a prefecture rather than with how hard a place is for parents, so it starts at 0.
DEFAULT_WEIGHTS = {
    "health.hospitals_per_100k": 1.0,
    "health.clinics_per_100k": 1.0,
    "health.physicians_per_100k": 1.0,
    "labour.job_openings_ratio": 1.0,
    "education.pupils_per_elementary_teacher": 1.0,
    "environment.recycling_rate": 1.0,
    "environment.waste_per_capita_per_day": 1.0,
    "welfare.nursery_waiting_children": 0.0,
}
MAX_WEIGHT = 100.0
POINTS = Unit("点", "points")  # scores and contributions, 0-100
METHOD = {
    "normalisation": "min-max across the regions of the level in the year, 0-100, "
    "inverted for indicators where lower is better; 50 when all values are equal",
    "composite": "weighted mean of the component scores a region has; contributions add up "
    "to it; coverage = share of the weight with a value; only full-coverage regions are ranked",
}


def components(catalog: Catalog) -> list[IndicatorDef]:
    return [indicator for indicator in catalog if indicator.higher_is_better is not None]


def default_weight(code: str) -> float:
    return DEFAULT_WEIGHTS.get(code, 1.0)


def effective_weights(catalog: Catalog, given: Mapping[str, float]) -> dict[str, float]:
    weights = {indicator.code: default_weight(indicator.code) for indicator in components(catalog)}
    weights.update(given)
    return {code: weight for code, weight in weights.items() if weight > 0}


@dataclass
class Component:
    indicator: IndicatorDef
    weight: float
    low: tuple[float, str] | None = None
    high: tuple[float, str] | None = None
    count: int = 0

    def describe(self) -> dict[str, Any]:
        return {
            **self.indicator.summary(),
            "weight": self.weight,
            "direction": "higher_is_better"
            if self.indicator.higher_is_better
            else "lower_is_better",
            "min": {"value": number(self.low[0]), "region": self.low[1]} if self.low else None,
            "max": {"value": number(self.high[0]), "region": self.high[1]} if self.high else None,
            "regions_with_value": self.count,
        }


@dataclass
class RegionScore:
    region: RegionInfo
    score: float | None
    coverage: float
    parts: dict[str, dict[str, Any]]  # component -> value, period, score, contribution
    rank: int | None = None


@dataclass
class Scores:
    level: str
    year: int
    parent: RegionInfo | None
    components: list[Component]
    excluded: list[dict[str, str]]
    regions: list[RegionScore]
    attribution: list[str] = field(default_factory=list)

    @property
    def ranked(self) -> int:
        return sum(1 for score in self.regions if score.rank is not None)

    def weights(self) -> dict[str, float]:
        return {component.indicator.code: component.weight for component in self.components}


def score(
    level: str,
    year: int,
    parent: RegionInfo | None,
    regions: Sequence[RegionInfo],
    indicators: Sequence[IndicatorDef],
    weights: Mapping[str, float],
    values: Mapping[str, Mapping[str, Cell | None]],
) -> Scores:
    included: list[Component] = []
    excluded: list[dict[str, str]] = []
    scaled: dict[str, dict[str, float]] = {}
    for indicator in indicators:
        present = {
            code: cell.value
            for code, cell in values[indicator.code].items()
            if cell is not None and cell.value is not None
        }
        if not present:
            excluded.append({"code": indicator.code, "reason": f"no value at this level in {year}"})
            continue
        component = Component(indicator, weights[indicator.code], count=len(present))
        low_code = min(present, key=lambda code: present[code])
        high_code = max(present, key=lambda code: present[code])
        component.low = (present[low_code], low_code)
        component.high = (present[high_code], high_code)
        spread = component.high[0] - component.low[0]
        scaled[indicator.code] = {
            code: 50.0
            if spread == 0
            else 100
            * (
                (value - component.low[0])
                if indicator.higher_is_better
                else (component.high[0] - value)
            )
            / spread
            for code, value in present.items()
        }
        included.append(component)
    total_weight = sum(component.weight for component in included)
    results = []
    for region in regions:
        available = [c for c in included if region.code in scaled[c.indicator.code]]
        weight = sum(component.weight for component in available)
        parts: dict[str, dict[str, Any]] = {}
        composite = None
        if weight > 0:
            composite = (
                sum(c.weight * scaled[c.indicator.code][region.code] for c in available) / weight
            )
        for component in included:
            code = component.indicator.code
            cell = values[code][region.code]
            part_score = scaled[code].get(region.code)
            parts[code] = {
                "value": number(cell.value) if cell else None,
                "period": str(cell.period) if cell else None,
                "score": _round(part_score),
                "contribution": _round(component.weight * part_score / weight)
                if part_score is not None
                else None,
            }
        coverage = weight / total_weight if total_weight else 0.0
        results.append(RegionScore(region, composite, coverage, parts))
    ranked = ranks({r.region.code: r.score for r in results if r.coverage >= 1 - 1e-9})
    for result in results:
        result.rank = ranked.get(result.region.code)
    results.sort(key=lambda r: (r.rank is None, r.rank or 0, r.region.position))
    return Scores(level, year, parent, included, excluded, results)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _region_json(result: RegionScore) -> dict[str, Any]:
    return {
        **result.region.summary(),
        "score": _round(result.score),
        "rank": result.rank,
        "coverage": _round(result.coverage),
        "components": result.parts,
    }


@dataclass
class LivabilityIndex(Result):
    scores: Scores
    lang: str
    name = "livability"

    def credits(self) -> list[str]:
        return self.scores.attribution

    def json(self) -> dict[str, Any]:
        s = self.scores
        return {
            "level": s.level,
            "year": s.year,
            "parent": s.parent.summary() if s.parent else None,
            "method": METHOD,
            "weights": s.weights(),
            "components": [component.describe() for component in s.components],
            "excluded": s.excluded,
            "regions": [_region_json(result) for result in s.regions],
            "attribution": s.attribution,
        }

    def table(self) -> Table:
        columns = ["region_code", "region_name", "score", "rank", "coverage", "component"]
        columns += ["value", "period", "component_score", "contribution"]
        rows = [
            [
                result.region.code,
                name(result.region, self.lang),
                _round(result.score),
                result.rank,
                _round(result.coverage),
                code,
                part["value"],
                part["period"],
                part["score"],
                part["contribution"],
            ]
            for result in self.scores.regions
            for code, part in result.parts.items()
        ]
        return Table(columns, rows)

    def chartjs(self) -> ChartData:
        """A stacked bar per region: each component's contribution to the composite."""
        regions = self.scores.regions
        return ChartData(
            [
                Dataset(
                    indicator_label(component.indicator, self.lang),
                    [result.parts[component.indicator.code]["contribution"] for result in regions],
                    POINTS,
                )
                for component in self.scores.components
            ],
            self.lang,
            [name(result.region, self.lang) for result in regions],
        )

    def geo(self) -> GeoLayer:
        properties = {}
        for result in self.scores.regions:
            entry: dict[str, Any] = {
                "code": result.region.code,
                "name_ja": result.region.name_ja,
                "name_en": result.region.name_en,
                "value": _round(result.score),
                "score": _round(result.score),
                "rank": result.rank,
                "coverage": _round(result.coverage),
            }
            for code, part in result.parts.items():
                entry[f"{code}.score"] = part["score"]
            properties[result.region.code] = entry
        metadata = {
            "level": self.scores.level,
            "year": self.scores.year,
            "weights": self.scores.weights(),
            "method": METHOD,
        }
        parent = self.scores.parent.code if self.scores.parent else None
        return GeoLayer(properties, metadata, self.scores.attribution, self.scores.level, parent)


@dataclass
class RegionLivability(Result):
    scores: Scores
    region: RegionInfo
    lang: str
    name = "livability-region"

    def credits(self) -> list[str]:
        return self.scores.attribution

    @property
    def result(self) -> RegionScore:
        return next(r for r in self.scores.regions if r.region.code == self.region.code)

    def _parts(self) -> list[tuple[Component, dict[str, Any]]]:
        parts = [(c, self.result.parts[c.indicator.code]) for c in self.scores.components]
        return sorted(parts, key=lambda item: -(item[1]["contribution"] or -1))

    def json(self) -> dict[str, Any]:
        result = self.result
        return {
            "region": self.region.summary(),
            "level": self.scores.level,
            "year": self.scores.year,
            "score": _round(result.score),
            "rank": result.rank,
            "ranked_regions": self.scores.ranked,
            "coverage": _round(result.coverage),
            "method": METHOD,
            "components": [{**component.describe(), **part} for component, part in self._parts()],
            "excluded": self.scores.excluded,
            "attribution": self.scores.attribution,
        }

    def table(self) -> Table:
        columns = ["component", "weight", "value", "period", "score", "contribution"]
        rows = [
            [
                component.indicator.code,
                component.weight,
                part["value"],
                part["period"],
                part["score"],
                part["contribution"],
            ]
            for component, part in self._parts()
        ]
        return Table(columns, rows)

    def chartjs(self) -> ChartData:
        parts = self._parts()
        return ChartData(
            [
                Dataset(
                    name(self.region, self.lang),
                    [part["contribution"] for _, part in parts],
                    POINTS,
                )
            ],
            self.lang,
            [indicator_label(component.indicator, self.lang) for component, _ in parts],
        )


@dataclass
class ComponentList(Result):
    items: list[IndicatorDef]
    name = "livability-components"

    def json(self) -> dict[str, Any]:
        return {
            "method": METHOD,
            "max_weight": MAX_WEIGHT,
            "components": [
                {
                    **indicator.summary(),
                    "default_weight": default_weight(indicator.code),
                    "direction": "higher_is_better"
                    if indicator.higher_is_better
                    else "lower_is_better",
                }
                for indicator in self.items
            ],
        }


async def scores_of(
    session: AsyncSession,
    reference: Reference,
    level: str,
    parent: RegionInfo | None,
    span: YearSpan | None,
    weights: dict[str, float],
    attribute: Callable[[set[str]], list[str]],
    datasets: Mapping[str, DatasetState],
) -> Scores:
    """The scores of ``level`` (under ``parent``) in ``span``'s year, or in the latest year every
    weighted component has reached."""
    catalog = reference.catalog
    regions = reference.regions.at_level(level, parent.code if parent else None)
    codes = list(weights)
    region_codes = [region.code for region in regions]
    evaluator = Evaluator(catalog, reference.regions, datasets)
    year, kinds = (span.first, span.kinds) if span else (None, None)
    if year is None:
        # The latest year every weighted component has reached (those without data are ignored).
        latest = await latest_years_of(session, evaluator, codes, region_codes, datasets)
        years = [found for found in latest.values() if found is not None]
        year = min(years) if years else 0
    values = await cross_section_of(session, evaluator, codes, region_codes, year, datasets, kinds)
    scores = score(level, year, parent, regions, [catalog[code] for code in codes], weights, values)
    scores.attribution = attribute(sources_in(values))
    return scores
