"""Score the components-of-change forecasts of the prefectures against the pooled census
procedure (issue #14): ``make evaluate-components``.

    .venv/bin/python services/analytics/scripts/evaluate_components.py [--write]

The flows (births, deaths, Japanese movers in and out) start in FY2009, so the only origin
before 2015 with an outcome is 2010 (scored on the 2015 census); as of 2015 the forecasts are
scored on the 2020 census, and as of 2010 at ten years on it too. Every variant of
``forecasting/components.py`` and two combinations with the pooled procedure (its forecast as
of the same year, from the census up to it):

- ``aged_residual_rescaled``: ``aged_residual`` scaled so that the prefectures add up to the
  pooled procedure's national total;
- ``aged_residual_pooled_mean``: the geometric mean of ``aged_residual`` and the pooled
  procedure, per prefecture.

The rule, fixed before any 2020 score was computed: the variant with the lowest MAPE at the 2010
origin (on the 2015 census) is the candidate, and it would enter the forecast only if that MAPE
is strictly below the pooled procedure's at the same origin. With ``--write`` the table goes
into docs/analytics.md between the components-evaluation markers.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate_population import DOC, census_series, mape
from recorded_tables import load_table

from chiiki_analytics.forecasting.components import (
    AGE_GROUPS,
    SSDSE_B_CODES,
    VARIANTS,
    ComponentsPanel,
)
from chiiki_analytics.forecasting.pooled import CensusPanel
from chiiki_analytics.forecasting.pooled_forecast import pooled_forecast
from chiiki_devstack.markdown import replace_section

START, END = "<!-- components-evaluation:start -->", "<!-- components-evaluation:end -->"
# (as of, horizon in years): the origin 2010 on 2015, as of 2015 and as of 2010 on 2020.
CASES = ((2010, 5), (2015, 5), (2010, 10))
# A forecast: the panels known at an origin, a horizon in years -> each region's value then.
Forecast = Callable[[ComponentsPanel, CensusPanel, int], np.ndarray]


def components_panel(census: dict[str, dict[int, float | None]]) -> ComponentsPanel:
    table = load_table("ssdse-b-2023")
    codes = (*SSDSE_B_CODES.values(), *AGE_GROUPS)
    return ComponentsPanel.of({code: table[code].values for code in codes}, census)


def procedure(_: ComponentsPanel, census: CensusPanel, years: int) -> np.ndarray:
    return np.asarray(pooled_forecast(census, years // 5).points[:, -1])


def variant(name: str) -> Forecast:
    return lambda panel, _, years: VARIANTS[name](panel, years)[:, -1]


def rescaled(panel: ComponentsPanel, census: CensusPanel, years: int) -> np.ndarray:
    points = VARIANTS["aged_residual"](panel, years)[:, -1]
    return np.asarray(points * procedure(panel, census, years).sum() / points.sum())


def pooled_mean(panel: ComponentsPanel, census: CensusPanel, years: int) -> np.ndarray:
    points = VARIANTS["aged_residual"](panel, years)[:, -1]
    return np.asarray(np.sqrt(points * procedure(panel, census, years)))


FORECASTS: dict[str, Forecast] = {
    **{name: variant(name) for name in VARIANTS},
    "aged_residual_rescaled": rescaled,
    "aged_residual_pooled_mean": pooled_mean,
}


@dataclass(frozen=True)
class Score:
    mape: float
    # The prefectures' sum against the nation's census count, in percent.
    national: float


def scores(
    panel: ComponentsPanel, census: CensusPanel, series: dict[str, dict[int, float | None]]
) -> dict[str, list[Score]]:
    """Each forecast's scores in every case, and the pooled procedure's."""
    out: dict[str, list[Score]] = {}
    for as_of, years in CASES:
        actual = np.array([float(series[r][as_of + years] or np.nan) for r in panel.regions])
        known, seen = panel.until(as_of), census.until(as_of)
        for name, forecast in {"pooled procedure": procedure, **FORECASTS}.items():
            points = forecast(known, seen, years)
            national = float((points.sum() / actual.sum() - 1) * 100)
            out.setdefault(name, []).append(Score(mape(points, actual), national))
    return out


def table(results: dict[str, list[Score]], choices: list[str]) -> str:
    lines = [
        "| forecast | as of 2010, on 2015 (5 years; the one backtest origin) | "
        "as of 2015, on 2020 (5 years) | as of 2010, on 2020 (10 years) |",
        "|---|---|---|---|",
    ]
    for name, row in results.items():
        label = f"`{name}`" if name in FORECASTS else f"{name} (chose {', '.join(choices)})"
        cells = [f"{score.mape:.3f}% ({score.national:+.2f}%)" for score in row]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdict(results: dict[str, list[Score]]) -> str:
    """What the rule fixed before scoring 2020 would have done as of 2015, and how it fared."""
    mapes = {name: [score.mape for score in row] for name, row in results.items()}
    best = min(FORECASTS, key=lambda name: mapes[name][0])
    (score, later, _), (bar, bar_later, _) = mapes[best], mapes["pooled procedure"]
    if score >= bar:
        return (
            f"The lowest at the 2010 origin, `{best}` ({score:.3f}%), is not below the pooled "
            f"procedure's there ({bar:.3f}%): as of 2015 the rule keeps the procedure."
        )
    hindsight = min(FORECASTS, key=lambda name: mapes[name][1])
    return (
        f"The lowest at the 2010 origin, `{best}` ({score:.3f}%), is below the pooled "
        f"procedure's there ({bar:.3f}%), so as of 2015 the rule would have chosen it: on the "
        f"2020 census it scored {later:.3f}% against the procedure's {bar_later:.3f}%. The "
        f"lowest on 2020 in hindsight, `{hindsight}` ({mapes[hindsight][1]:.3f}%), scored "
        f"{mapes[hindsight][0]:.3f}% at the 2010 origin."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"update {DOC.name}")
    args = parser.parse_args()
    series = census_series()
    census = CensusPanel.of(series)
    panel = components_panel(series)
    choices = [
        pooled_forecast(census.until(as_of), years // 5).selection.chosen.name
        for as_of, years in CASES
    ]
    results = scores(panel, census, series)
    text = (
        "MAPE over the 47 prefectures (in brackets: the error of their sum against the "
        f"nation's census count):\n\n{table(results, choices)}\n\n{verdict(results)}\n"
    )
    print(text)
    if args.write:
        replace_section(DOC, START, END, text)


if __name__ == "__main__":
    main()
