"""Score the prefecture population forecasts on the 2020 census: ``make evaluate-forecasts``.

    .venv/bin/python services/analytics/scripts/evaluate_population.py [--write]

The data are the recorded tables the stats service serves as ``population.total``: the census
by prefecture 1920-2020 (``census-0003410379``) and the annual SSDSE-B-2023 estimates
FY2009-2020 (with the three age groups). Printed, and with ``--write`` put into
docs/analytics.md between the population-evaluation markers:

1. the rolling-origin backtest of the pooled census methods (method x horizon x MAPE, the
   selected procedure's interval coverage by horizon), every origin from the earliest at
   which the procedure can run (1985) to 2015 forecast with
   the data up to it only;
2. the forecasts made as of 2015 and as of 2010, scored on the 2020 census: the pooled
   procedure, every pooled method alone, and the per-series procedure the API used before
   (``forecast_as_of`` on the annual series, as ``GET /api/forecasts?as_of=`` does);
3. the time of one 47-prefecture forecast, each way;
4. the 65+ and 0-14 shares as of FY2015, five years ahead, scored on FY2020: naive, drift and
   the per-series procedure ``GET /api/forecasts`` serves for them.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from recorded_tables import REPO_ROOT, load_table

from chiiki_analytics.forecasting.errors import InsufficientData
from chiiki_analytics.forecasting.forecast import forecast_as_of
from chiiki_analytics.forecasting.intervals import LEVELS
from chiiki_analytics.forecasting.pooled import METHODS, CensusPanel
from chiiki_analytics.forecasting.pooled_forecast import evaluate, first_origin, pooled_forecast
from chiiki_analytics.forecasting.series import evenly_spaced_tail
from chiiki_devstack.markdown import replace_section

DOC = REPO_ROOT / "docs" / "analytics.md"
START, END = "<!-- population-evaluation:start -->", "<!-- population-evaluation:end -->"
NATION = "00000"
SCORED_YEAR = 2020
AGE_GROUPS = {"aged_0_14": "A1301", "aged_15_64": "A1302", "aged_65_plus": "A1303"}


def census_series() -> dict[str, dict[int, float | None]]:
    table = load_table("census-0003410379")["0"]
    return {area: dict(by_year) for area, by_year in table.values.items() if area != NATION}


def mape(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(np.mean(np.abs(predicted - actual) / actual) * 100)


def timed(work: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def per_series(regions: tuple[str, ...], as_of: int) -> np.ndarray:
    """The per-series procedure on the annual SSDSE series, as the API fitted it."""
    table = load_table("ssdse-b-2023")
    points = []
    for area in regions:
        groups = {name: table[code].values[area] for name, code in AGE_GROUPS.items()}
        history = evenly_spaced_tail(table["A1101"].values[area], groups)
        forecast = forecast_as_of(history, SCORED_YEAR - as_of, as_of)
        points.append(forecast.predictions[-1].point)
    return np.array(points)


def backtest_table(panel: CensusPanel) -> str:
    rows = evaluate(panel, 2)
    lines = [
        "| method | horizon | origins | MAPE | 80% coverage | 95% coverage |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        cover = row.coverage or {}
        cells = [f"{cover[level]:.1%}" if level in cover else "-" for level in LEVELS]
        lines.append(
            f"| {row.method} | {row.horizon * 5} years | {row.origins} | {row.mape:.2f}% | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines)


def scored_table(panel: CensusPanel, series: dict[str, dict[int, float | None]]) -> str:
    actual = np.array([float(series[r][SCORED_YEAR] or np.nan) for r in panel.regions])
    lines = [
        f"| as of | horizon | method | MAPE on the {SCORED_YEAR} census | 80% / 95% inside | "
        "fit time (47 prefectures) |",
        "|---|---|---|---|---|---|",
    ]
    for as_of in (2015, 2010):
        steps = (SCORED_YEAR - as_of) // 5
        seen = panel.until(as_of)
        forecast, seconds = timed(lambda seen=seen, steps=steps: pooled_forecast(seen, steps))
        inside = [
            float(np.mean((low[:, -1] <= actual) & (actual <= high[:, -1])))
            for low, high in (forecast.intervals[level] for level in LEVELS)
        ]
        lines.append(
            f"| {as_of} | {steps * 5} years | pooled procedure (chose "
            f"`{forecast.selection.chosen.name}`) | {mape(forecast.points[:, -1], actual):.3f}% | "
            f"{inside[0]:.0%} / {inside[1]:.0%} | {seconds * 1000:.0f} ms |"
        )
        for method in METHODS:
            points = np.exp(method.method(seen.log_values, steps)[:, -1])
            lines.append(f"| {as_of} | | `{method.name}` alone | {mape(points, actual):.3f}% | | |")
        lines.append(_per_series_line(panel, as_of, actual))
    return "\n".join(lines)


def _per_series_line(panel: CensusPanel, as_of: int, actual: np.ndarray) -> str:
    try:
        points, seconds = timed(lambda: per_series(panel.regions, as_of))
    except InsufficientData as exc:
        return f"| {as_of} | | per-series procedure (before) | not possible: {exc} | | |"
    return (
        f"| {as_of} | | per-series procedure (before) | {mape(points, actual):.3f}% | | "
        f"{seconds:.1f} s |"
    )


SHARES = {"65+ share": "A1303", "0-14 share": "A1301"}


def share_series(code: str) -> dict[str, dict[int, float]]:
    """An age group's share of the population in percent, FY2009-2020 (SSDSE-B-2023)."""
    table = load_table("ssdse-b-2023")
    total, group = table["A1101"].values, table[code].values
    return {
        area: {y: 100 * group[area][y] / total[area][y] for y in total[area] if total[area][y]}
        for area in total
        if area != NATION
    }


def shares_table(as_of: int = 2015) -> str:
    """Naive, drift and the per-series procedure for the age shares as of ``as_of``, scored on
    FY2020 by the mean absolute error in percentage points (a share's error in points is what a
    reader compares; a percentage of a percentage is not)."""
    lines = [
        f"| share | method (as of FY{as_of}) | MAE on FY{SCORED_YEAR}, points | 80% / 95% inside |",
        "|---|---|---|---|",
    ]
    for name, code in SHARES.items():
        series = share_series(code)
        regions = sorted(series)
        actual = np.array([series[r][SCORED_YEAR] for r in regions])
        seen = [[v for y, v in sorted(series[r].items()) if y <= as_of] for r in regions]
        steps = SCORED_YEAR - as_of
        naive = np.array([s[-1] for s in seen])
        drift = np.array([s[-1] + steps * (s[-1] - s[0]) / (len(s) - 1) for s in seen])
        fitted = [forecast_as_of(evenly_spaced_tail(series[r]), steps, as_of) for r in regions]
        last = [f.predictions[-1] for f in fitted]
        pairs = list(zip(last, actual, strict=True))
        inside = [
            np.mean([p.intervals[lv][0] <= a <= p.intervals[lv][1] for p, a in pairs])
            for lv in LEVELS
        ]
        for method, points, cover in (
            ("naive", naive, ""),
            ("drift", drift, ""),
            ("per-series procedure", np.array([p.point for p in last]), inside),
        ):
            cells = f"{cover[0]:.0%} / {cover[1]:.0%}" if cover else ""
            error = float(np.mean(np.abs(points - actual)))
            lines.append(f"| {name} | {method} | {error:.3f} | {cells} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"update {DOC.name}")
    args = parser.parse_args()
    series = census_series()
    panel = CensusPanel.of(series)
    results = (
        f"Rolling-origin backtest of the pooled census methods, origins {first_origin(panel)}-"
        f"{panel.periods[-2]} "
        f"(each origin sees only the data up to it; `selected` is the whole procedure):\n\n"
        f"{backtest_table(panel)}\n\nScored on the {SCORED_YEAR} census:\n\n"
        f"{scored_table(panel, series)}\n\n"
        f"The 65+ and 0-14 shares (SSDSE-B-2023, the only data with age groups by prefecture), "
        f"forecast five years ahead:\n\n{shares_table()}\n"
    )
    print(results)
    if args.write:
        replace_section(DOC, START, END, results)


if __name__ == "__main__":
    main()
