"""The estimated effect of a policy on each of its target indicators, as the API shows it.

The estimators are in ``forecasting.effects``; this module gathers the data (the treated region
and, for a prefecture, every other prefecture as the comparison pool) and writes the document.
"""

from __future__ import annotations

import asyncio
from typing import Any

from chiiki_analytics.answers import PolicyEffect
from chiiki_analytics.data import Panel, load_panel
from chiiki_analytics.forecasting import effects
from chiiki_analytics.forecasting.errors import InsufficientData
from chiiki_analytics.models import Policy
from chiiki_analytics.periods import label, labelled
from chiiki_analytics.services.policies import read
from chiiki_analytics.stats_client import StatsClient
from chiiki_shared.errors import UnprocessableInput
from chiiki_shared.lang import Lang, in_lang

EFFECT_METHOD = (
    "Interrupted time series (segmented least squares: level and slope change at the start) "
    "and difference-in-differences against the prefectures whose pre-period path, indexed to "
    "its own mean, is closest to the treated one (RMSE). 95% t intervals, widened for positive "
    "lag-1 residual autocorrelation. Placebo: the same estimators with a fake start in the "
    "middle of the pre-period; for difference-in-differences also every comparison-pool "
    "prefecture treated as if it had the policy (permutation p-value)."
)


# The series' labels: {region} is the treated region's name.
SERIES_LABELS: dict[str, tuple[str, str]] = {
    "treated_observed": ("{region}（実績）", "{region} (observed)"),
    "counterfactual_trend": (
        "{region}：反実仮想（施策前の趨勢）",
        "{region}: counterfactual (pre-period trend)",
    ),
    "counterfactual_comparison": (
        "{region}：反実仮想（比較地域）",
        "{region}: counterfactual (comparison regions)",
    ),
    "comparison_observed": ("比較地域（平均）", "Comparison regions (mean)"),
}


async def effect(client: StatsClient, policy: Policy, lang: Lang = "ja") -> PolicyEffect:
    """Each target indicator's estimated effect, its labels in ``lang``; 422 when none can be
    estimated."""
    region = await client.region(policy.region_code)
    # Comparison regions are other prefectures, so only a prefecture gets the whole panel.
    scope = None if region.level == "prefecture" else [policy.region_code]
    panels = await asyncio.gather(
        *(load_panel(client, code, scope) for code in policy.target_indicators)
    )
    results = await asyncio.to_thread(
        lambda: [
            _indicator_effect(panel, policy.region_code, policy.start_period, lang)
            for panel in panels
        ]
    )
    if all(result["status"] != "estimated" for result in results):
        reasons = [{"indicator": r["indicator"]["code"], "reason": r["reason"]} for r in results]
        raise UnprocessableInput(
            "The data cannot support an effect estimate for any target indicator: "
            + "; ".join(f"{r['indicator']}: {r['reason']}" for r in reasons),
            code="insufficient-data",
            title="The data cannot support this",
            extra={"indicators": reasons},
        )
    return PolicyEffect.model_validate(
        {
            "policy": read(policy),
            "region": region.summary(),
            "start_period": policy.start_period,
            "method": EFFECT_METHOD,
            "indicators": results,
            "attribution": list(dict.fromkeys(a for p in panels for a in p.attribution)),
        }
    )


def _indicator_effect(panel: Panel, region: str, start: int, lang: Lang) -> dict[str, Any]:
    base = {"indicator": panel.indicator.summary(), "data_version": panel.data_version}
    history = panel.histories.get(region)
    labels = panel.period_labels.get(region, {})
    try:
        if history is None:
            raise InsufficientData(f"{panel.indicator.code} has no values for region {region}")
        its = effects.interrupted_time_series(history, start)
    except InsufficientData as exc:
        return {**base, "status": "insufficient-data", "reason": str(exc)}
    donors = {code: h for code, h in panel.histories.items() if code != region}
    did, did_reason = None, None
    if not donors:
        did_reason = "difference-in-differences compares prefectures, and this region is not one"
    else:
        try:
            did = effects.difference_in_differences(history, donors, start)
        except InsufficientData as exc:
            did_reason = str(exc)
    pre = [history.periods[0], history.periods[its.pre_periods - 1]]
    post = [history.periods[its.pre_periods], history.last_period]
    return {
        **base,
        "status": "estimated",
        "reason": None,
        "pre_period": [label(year, labels) for year in pre],
        "post_period": [label(year, labels) for year in post],
        "pre_years": pre,
        "post_years": post,
        "interrupted_time_series": _its(its, labels),
        "difference_in_differences": _did(did, panel, labels) if did else None,
        "difference_in_differences_unavailable": did_reason,
        "series": _series(panel, region, its, did, lang),
    }


def _series(
    panel: Panel,
    region: str,
    its: effects.ItsResult,
    did: effects.DidResult | None,
    lang: Lang,
) -> dict[str, Any]:
    history = panel.histories[region]
    labels = panel.period_labels.get(region, {})
    treated = panel.regions[region]
    name = in_lang(lang, treated.name_ja, treated.name_en)

    def chart(key: str, values: Any) -> dict[str, Any]:
        ja, en = SERIES_LABELS[key]
        return {
            "label": (en if lang == "en" else ja).format(region=name),
            "points": labelled(history.periods, [float(v) for v in values], labels),
        }

    unit = panel.indicator
    return {
        "unit": in_lang(lang, unit.unit, unit.unit_en) if unit.unit else None,
        "treated_observed": chart("treated_observed", history.values),
        "counterfactual_trend": chart("counterfactual_trend", its.counterfactual),
        "counterfactual_comparison": (
            chart("counterfactual_comparison", did.counterfactual) if did else None
        ),
        "comparison_observed": chart("comparison_observed", did.comparison) if did else None,
    }


def _estimate(estimate: effects.Estimate) -> dict[str, Any]:
    return {
        "value": estimate.value,
        "lower": estimate.lower,
        "upper": estimate.upper,
        "level": effects.LEVEL,
        "std_error": estimate.std_error,
        "df": estimate.df,
        "excludes_zero": estimate.excludes_zero,
    }


def _placebo(
    placebo: effects.Placebo | None, note: str | None, labels: dict[int, str]
) -> dict[str, Any]:
    if placebo is None:
        return {"run": False, "reason": note}
    return {
        "run": True,
        "start_period": label(placebo.start_period, labels),
        "start_year": placebo.start_period,
        "estimate": _estimate(placebo.estimate),
        "passed": placebo.passed,
    }


def _its(its: effects.ItsResult, labels: dict[int, str]) -> dict[str, Any]:
    return {
        "level_change": _estimate(its.level_change),
        "slope_change_per_period": _estimate(its.slope_change),
        "average_effect": _estimate(its.average_effect),
        "relative_effect_percent": its.relative_effect_percent,
        "residual_autocorrelation": its.residual_autocorrelation,
        "placebo_in_time": _placebo(its.placebo, its.placebo_note, labels),
    }


def _did(did: effects.DidResult, panel: Panel, labels: dict[int, str]) -> dict[str, Any]:
    space = did.placebo_in_space
    return {
        "estimate": _estimate(did.estimate),
        "relative_percent": _estimate(did.relative_percent) if did.relative_percent else None,
        "scale": did.scale,
        "comparison_regions": [
            {**panel.regions[c.region].summary(), "pre_period_rmse": c.pre_rmse}
            for c in did.comparisons
        ],
        "residual_autocorrelation": did.residual_autocorrelation,
        "placebo_in_time": _placebo(did.placebo, did.placebo_note, labels),
        "placebo_in_space": {
            "p_value": space.p_value,
            "regions": space.regions,
            "as_large_or_larger": space.larger_or_equal,
        }
        if space
        else None,
    }
