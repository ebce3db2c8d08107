"""``/api/livability``: 0-100 scores per indicator and a composite index with caller weights."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_shared.errors import NotFound
from chiiki_stats import livability
from chiiki_stats.catalog import Reference, RegionInfo
from chiiki_stats.deps import QUERY_LEVELS, ContextDep, Problems, require_regions
from chiiki_stats.formats import ALL_FORMATS, NO_MAP, Format
from chiiki_stats.periods import YearSpan
from chiiki_stats.routers.common import (
    FormatQuery,
    LangQuery,
    LevelQuery,
    ParentQuery,
    YearQuery,
    check_map_format,
    params_of,
    path_region,
    ready,
    stats_router,
)
from chiiki_stats.values import Evaluator, cross_section, latest_years, sources_in

router = stats_router("livability")
WeightsQuery = Annotated[
    list[str] | None,
    Query(
        description="indicator:weight pairs, comma-separated (e.g. "
        "health.hospitals_per_100k:2,labour.job_openings_ratio:0.5); weights 0-"
        f"{livability.MAX_WEIGHT:g}, 0 leaves a component out; the others keep their default"
    ),
]


def _weights(problems: Problems) -> dict[str, float]:
    pairs = problems.split("weights") or []
    weights: dict[str, float] = {}
    for pair in pairs:
        code, separator, raw = pair.partition(":")
        code = code.strip()
        if not separator or problems.indicator_code("weights", code) is None:
            if not separator:
                problems.add("weights", f"{pair!r} is not indicator:weight")
            continue
        try:
            weight = float(raw)
        except ValueError:
            problems.add("weights", f"weight of {code} is not a number: {raw!r}")
            continue
        if not math.isfinite(weight) or not 0 <= weight <= livability.MAX_WEIGHT:
            problems.add("weights", f"weight of {code} must be 0-{livability.MAX_WEIGHT:g}")
            continue
        weights[code] = weight
    return weights


def _check_weights(problems: Problems, reference: Reference, given: dict[str, float]) -> None:
    unknown = [code for code in given if code not in reference.catalog]
    if unknown:
        raise NotFound(
            f"No indicator with code {', '.join(unknown)}",
            extra={"resource": "indicator", "missing": unknown},
        )
    components = {indicator.code for indicator in livability.components(reference.catalog)}
    undirected = [code for code in given if code not in components]
    if undirected:
        problems.add(
            "weights",
            f"{', '.join(undirected)} cannot be scored (no direction); "
            f"components: {', '.join(sorted(components))}",
        )
    elif not livability.effective_weights(reference.catalog, given):
        problems.add("weights", "at least one weight must be above 0")
    problems.done()


async def _scores(
    session: AsyncSession,
    reference: Reference,
    level: str,
    parent: RegionInfo | None,
    span: YearSpan | None,
    weights: dict[str, float],
    attribute: Callable[[set[str]], list[str]],
) -> livability.Scores:
    catalog = reference.catalog
    regions = reference.regions.at_level(level, parent.code if parent else None)
    codes = list(weights)
    region_codes = [region.code for region in regions]
    evaluator = Evaluator(catalog, reference.regions)
    year, kinds = (span.first, span.kinds) if span else (None, None)
    if year is None:
        # The latest year every weighted component has reached (those without data are ignored).
        latest = await latest_years(session, evaluator, codes, region_codes)
        years = [found for found in latest.values() if found is not None]
        year = min(years) if years else 0
    values = await cross_section(session, evaluator, codes, region_codes, year, kinds)
    scores = livability.score(
        level, year, parent, regions, [catalog[code] for code in codes], weights, values
    )
    scores.attribution = attribute(sources_in(values))
    return scores


def _common(
    request: Request, level: str | None, period: str | None, allowed: set[str]
) -> tuple[Problems, str, YearSpan | None, dict[str, float]]:
    problems = Problems(request, allowed)
    chosen_level = problems.choice("level", level, QUERY_LEVELS, "prefecture")
    span = problems.years(period, None, None)
    return problems, chosen_level, span, _weights(problems)


@router.get(
    "/api/livability/components",
    summary="The scorable indicators, their default weights and the scoring method",
)
async def livability_components(
    request: Request, ctx: ContextDep, fmt: FormatQuery = None
) -> Response:
    problems = Problems(request, {"format"})
    output = problems.format(fmt, {Format.JSON})
    problems.done()
    items = livability.components(ctx.reference.catalog)
    return await ctx.respond(
        "livability.components",
        {},
        datasets=[],
        fmt=output,
        produce=lambda: ready(livability.ComponentList(items)),
    )


@router.get(
    "/api/livability",
    summary="Livability index of every region of a level: scores, ranks, contributions",
)
async def livability_index(
    request: Request,
    ctx: ContextDep,
    level: LevelQuery = None,
    parent: ParentQuery = None,
    period: YearQuery = None,
    weights: WeightsQuery = None,
    fmt: FormatQuery = None,
    lang: LangQuery = None,
) -> Response:
    allowed = {"level", "parent", "period", "weights", "format", "lang"}
    problems, chosen_level, span, given = _common(request, level, period, allowed)
    parent_code = problems.region_code("parent", parent)
    output = problems.format(fmt, ALL_FORMATS)
    check_map_format(problems, output, chosen_level)
    language = problems.choice("lang", lang, ("ja", "en"), "ja")
    problems.done()
    _check_weights(problems, ctx.reference, given)
    parent_region = require_regions(ctx.reference, [parent_code])[0] if parent_code else None
    effective = livability.effective_weights(ctx.reference.catalog, given)
    datasets = ctx.reference.catalog.datasets_for(effective)

    async def produce() -> livability.LivabilityIndex:
        scores = await _scores(
            ctx.session,
            ctx.reference,
            chosen_level,
            parent_region,
            span,
            effective,
            ctx.attribution,
        )
        return livability.LivabilityIndex(scores, language)

    return await ctx.respond(
        "livability.index",
        params_of(
            level=chosen_level,
            parent=parent_code,
            year=span.first if span else "latest",
            kinds=span.kinds if span else None,
            weights=effective,
            lang=language,
        ),
        datasets=datasets,
        fmt=output,
        produce=produce,
    )


@router.get(
    "/api/livability/{code}",
    summary="One region's livability score and each component's contribution to it",
)
async def region_livability(
    request: Request,
    code: Annotated[str, Depends(path_region)],
    ctx: ContextDep,
    period: YearQuery = None,
    weights: WeightsQuery = None,
    fmt: FormatQuery = None,
    lang: LangQuery = None,
) -> Response:
    problems, _, span, given = _common(
        request, None, period, {"period", "weights", "format", "lang"}
    )
    output = problems.format(fmt, NO_MAP)
    language = problems.choice("lang", lang, ("ja", "en"), "ja")
    problems.done()
    _check_weights(problems, ctx.reference, given)
    (region,) = require_regions(ctx.reference, [code])
    if region.level not in QUERY_LEVELS:
        problems.add_path(
            "code",
            f"{code} is a {region.level}; scores compare prefectures, municipalities or wards",
        )
        problems.done()
    effective = livability.effective_weights(ctx.reference.catalog, given)
    datasets = ctx.reference.catalog.datasets_for(effective)

    async def produce() -> livability.RegionLivability:
        scores = await _scores(
            ctx.session,
            ctx.reference,
            region.level,
            None,
            span,
            effective,
            ctx.attribution,
        )
        return livability.RegionLivability(scores, region, language)

    return await ctx.respond(
        "livability.region",
        params_of(
            code=code,
            year=span.first if span else "latest",
            kinds=span.kinds if span else None,
            weights=effective,
            lang=language,
        ),
        datasets=datasets,
        fmt=output,
        produce=produce,
    )
