"""Evaluate the forecasts on real series: hold out the last periods, forecast them with ``as_of``.

    .venv/bin/python services/analytics/scripts/evaluate_forecasts.py [--write]

For every indicator of the recorded SSDSE-B-2023 table (47 prefectures, FY2009-2020) the
forecasts are made as of FY2017 for FY2018-2020; for the census population 1920-2015 (total, male,
female) as of 2000 for 2005, 2010 and 2015. Each forecast goes through ``forecast_as_of``, the
function behind the API's ``as_of`` parameter, and is compared with what was then published:
MASE (scaled by the in-sample naive error of the data the forecast saw) against the naive
last-value forecast of the same periods, and the share of actual values inside the 80% and 95%
intervals. ``--write`` replaces the results section of docs/analytics.md; without it the tables
are printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from recorded_tables import REPO_ROOT, RecordedSeries, load_table

from chiiki_analytics.forecasting.backtest import naive_scale
from chiiki_analytics.forecasting.errors import InsufficientData
from chiiki_analytics.forecasting.forecast import forecast_as_of
from chiiki_analytics.forecasting.series import History, evenly_spaced_tail
from chiiki_devstack.markdown import replace_section

DOC = REPO_ROOT / "docs" / "analytics.md"
START, END = "<!-- evaluation:start -->", "<!-- evaluation:end -->"
NATION = "00000"
# The population is also forecast through its age groups, as the API does.
SSDSE_AGE_GROUPS = {"aged_0_14": "A1301", "aged_15_64": "A1302", "aged_65_plus": "A1303"}


@dataclass(frozen=True)
class Setup:
    table: str
    as_of: int
    holdout: int
    label: str


SETUPS = (
    Setup(
        "ssdse-b-2023", 2017, 3, "SSDSE-B-2023, 47 prefectures: as of FY2017, FY2018-2020 held out"
    ),
    Setup(
        "census-c01-1920-2015",
        2000,
        3,
        "Census 1920-2015, 47 prefectures: as of 2000, 2005-2015 held out",
    ),
)


@dataclass(frozen=True)
class Outcome:
    """One series held out: scaled errors of the forecast and of naive, and interval hits."""

    model: str | None
    mase: float = 0.0
    naive_mase: float = 0.0
    inside_80: int = 0
    inside_95: int = 0
    values: int = 0
    skipped: str | None = None


def evaluate_series(full: History, setup: Setup) -> Outcome:
    try:
        forecast = forecast_as_of(full, setup.holdout, setup.as_of)
    except InsufficientData as exc:
        return Outcome(None, skipped=type(exc).__name__)
    seen = full.until(setup.as_of)
    actual = np.array([full.value_at(p.period) for p in forecast.predictions], dtype=float)
    known = ~np.isnan(actual)
    points = np.array([p.point for p in forecast.predictions])[known]
    scale = naive_scale(seen.values)
    inside = {
        level: sum(
            low <= value <= high
            for (low, high), value in zip(
                [p.intervals[level] for p, k in zip(forecast.predictions, known, strict=True) if k],
                actual[known],
                strict=True,
            )
        )
        for level in (0.8, 0.95)
    }
    return Outcome(
        forecast.model,
        mase=float(np.mean(np.abs(actual[known] - points)) / scale),
        naive_mase=float(np.mean(np.abs(actual[known] - seen.values[-1])) / scale),
        inside_80=inside[0.8],
        inside_95=inside[0.95],
        values=int(known.sum()),
    )


def _histories(setup: Setup) -> list[tuple[RecordedSeries, str, History]]:
    table = load_table(setup.table)
    found = []
    for code, recorded in table.items():
        for area, by_year in sorted(recorded.values.items()):
            if area == NATION:
                continue
            components = None
            if setup.table == "ssdse-b-2023" and code == "A1101":
                components = {
                    name: table[group].values[area] for name, group in SSDSE_AGE_GROUPS.items()
                }
            found.append((recorded, area, evenly_spaced_tail(by_year, components)))
    return found


def _evaluate(item: tuple[Setup, History]) -> Outcome:
    return evaluate_series(item[1], item[0])


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    outcomes: list[Outcome]

    @property
    def done(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.skipped is None]

    def cells(self) -> list[str]:
        done = self.done
        if not done:
            return [self.code, self.name, "0", "-", "-", "-", "-", "-", "-"]
        values = sum(o.values for o in done)
        wins = sum(o.mase < o.naive_mase for o in done)
        ties = sum(o.mase == o.naive_mase for o in done)
        models = Counter(o.model for o in done).most_common(2)
        return [
            self.code,
            self.name,
            str(len(done)),
            f"{statistics.median(o.mase for o in done):.2f}",
            f"{statistics.median(o.naive_mase for o in done):.2f}",
            f"{wins}/{ties}/{len(done) - wins - ties}",
            f"{sum(o.inside_80 for o in done) / values:.0%}",
            f"{sum(o.inside_95 for o in done) / values:.0%}",
            ", ".join(f"{name} {count}" for name, count in models),
        ]


HEADER = (
    "| code | indicator | series | MASE (median) | naive MASE (median) | beats naive / ties / "
    "loses | 80% coverage | 95% coverage | models chosen most |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def _summary(rows: list[Row]) -> str:
    done = [o for row in rows for o in row.done]
    values = sum(o.values for o in done)
    wins = sum(o.mase < o.naive_mase for o in done)
    ties = sum(o.mase == o.naive_mase for o in done)
    ratio = [o.mase / o.naive_mase for o in done if o.naive_mase > 0 and o.mase > 0]
    skipped = Counter(o.skipped for row in rows for o in row.outcomes if o.skipped)
    lines = [
        f"- series forecast: {len(done)} ({values} held-out values)"
        + (f"; skipped: {dict(skipped)}" if skipped else ""),
        f"- median MASE {statistics.median(o.mase for o in done):.3f}, naive "
        f"{statistics.median(o.naive_mase for o in done):.3f}; geometric mean of MASE / naive "
        f"MASE {float(np.exp(np.mean(np.log(ratio)))):.3f}",
        f"- beats naive in {wins} series, ties in {ties} (naive chosen), loses in "
        f"{len(done) - wins - ties}",
        f"- interval coverage: 80% -> {sum(o.inside_80 for o in done) / values:.1%}, "
        f"95% -> {sum(o.inside_95 for o in done) / values:.1%}",
    ]
    return "\n".join(lines)


def evaluate(setup: Setup, pool: ProcessPoolExecutor) -> str:
    histories = _histories(setup)
    outcomes = list(pool.map(_evaluate, [(setup, h) for _, _, h in histories], chunksize=16))
    by_code: dict[str, Row] = {}
    for (recorded, _, _), outcome in zip(histories, outcomes, strict=True):
        by_code.setdefault(recorded.code, Row(recorded.code, recorded.name, [])).outcomes.append(
            outcome
        )
    rows = list(by_code.values())
    table = "\n".join("| " + " | ".join(row.cells()) + " |" for row in rows)
    return f"### {setup.label}\n\n{_summary(rows)}\n\n{HEADER}\n{table}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"update {DOC.name}")
    args = parser.parse_args()
    with ProcessPoolExecutor() as pool:
        sections = [evaluate(setup, pool) for setup in SETUPS]
    results = "\n".join(sections)
    if not args.write:
        print(results)
        return
    replace_section(DOC, START, END, results)


if __name__ == "__main__":
    main()
