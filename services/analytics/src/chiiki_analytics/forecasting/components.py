"""Components of change by prefecture: births, deaths and migration carried forward a year at a
time (SSDSE-B-2023, FY2009-2020). Evaluated against the pooled census forecasts, not served.

    P(t + 1) = P(t) * (1 + birth rate - death rate + net migration rate)

The rates are means over the last ``HELD_YEARS`` known years, the only window the data allow at
the 2010 origin (the flows start in FY2009), so every variant is the same method at both origins.
The migration counts only Japanese movers between prefectures; what the flows do not explain
(foreigners, Japanese moving abroad, the census's corrections of the estimates) is the
``residual``: the census growth over the last five years minus the flows' growth over the known
years in them. The variants (all fixed before any score on the 2020 census was computed):

- ``held``: the three rates held.
- ``held_residual``: ``held`` plus the residual growth per year.
- ``aged``: deaths = a held rate per 65+ person times the 65+ population, births = a held rate
  per woman aged 15-64 times those women, the two shares of the population (of known age) on
  their trend over the known years (up to five); migration held.
- ``aged_residual``: ``aged`` plus the residual growth per year.

Nothing after ``as_of`` is read: ``ComponentsPanel.until`` drops it before any variant runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from chiiki_analytics.forecasting.errors import InsufficientData, PeriodOutOfRange

HELD_YEARS = 2
TREND_YEARS = 5
CENSUS_STEP = 5
# The SSDSE-B-2023 indicators (cat01 codes) of the panel.
SSDSE_B_CODES = {
    "population": "A1101",
    "births": "A4101",
    "deaths": "A4200",
    "moved_in": "A5101",
    "moved_out": "A5102",
    "aged_65_plus": "A1303",
    "women_15_64": "A130202",
}
AGE_GROUPS = ("A1301", "A1302", "A1303")
# By indicator code or region: region or year -> value.
Series = Mapping[str, Mapping[int, float | None]]


@dataclass(frozen=True)
class ComponentsPanel:
    """Annual values of regions (rows) by fiscal year (columns), and the census by census year."""

    regions: tuple[str, ...]
    years: tuple[int, ...]
    population: np.ndarray
    births: np.ndarray
    deaths: np.ndarray
    moved_in: np.ndarray
    moved_out: np.ndarray
    aged_65_plus: np.ndarray
    women_15_64: np.ndarray
    # The three age groups' sum: the census leaves respondents of unknown age out of them.
    known_age: np.ndarray
    census: dict[int, np.ndarray]

    @classmethod
    def of(cls, by_code: Mapping[str, Series], census: Series) -> ComponentsPanel:
        """The SSDSE-B-2023 series (cat01 code -> region -> year) of the regions ``census`` has,
        on the years of the population series, and the census of those regions."""
        population = by_code[SSDSE_B_CODES["population"]]
        regions = tuple(sorted(r for r in population if r in census))
        years = tuple(sorted(population[regions[0]]))

        def grid(code: str) -> np.ndarray:
            return np.array(
                [[_number(by_code[code][r].get(y)) for y in years] for r in regions],
                dtype=np.float64,
            ).reshape(len(regions), len(years))

        census_years = sorted({y for r in regions for y in census[r]})
        return cls(
            regions=regions,
            years=years,
            known_age=np.sum([grid(code) for code in AGE_GROUPS], axis=0),
            census={
                y: np.array([_number(census[r].get(y)) for r in regions]) for y in census_years
            },
            **{name: grid(code) for name, code in SSDSE_B_CODES.items()},
        )

    def until(self, as_of: int) -> ComponentsPanel:
        """The values known at ``as_of``."""
        if not self.years or as_of < self.years[0]:
            raise PeriodOutOfRange(f"as_of {as_of} is before the components data")
        count = sum(1 for y in self.years if y <= as_of)
        cut = {name: getattr(self, name)[:, :count] for name in _ANNUAL}
        census = {y: v for y, v in self.census.items() if y <= as_of}
        return replace(self, years=self.years[:count], census=census, **cut)

    def net_rate(self) -> np.ndarray:
        """Births - deaths + net migration, per person, each known year."""
        flows = self.births - self.deaths + self.moved_in - self.moved_out
        return np.asarray(flows / self.population)


def _number(value: float | None) -> float:
    return float(value) if value is not None else np.nan


_ANNUAL = (
    "population",
    "births",
    "deaths",
    "moved_in",
    "moved_out",
    "aged_65_plus",
    "women_15_64",
    "known_age",
)

# A variant: the panel known at an origin, a horizon in years -> regions x years.
Variant = Callable[[ComponentsPanel, int], np.ndarray]


def _held(rates: np.ndarray) -> np.ndarray:
    return np.asarray(np.mean(rates[:, -HELD_YEARS:], axis=1))


def _require(panel: ComponentsPanel) -> None:
    if len(panel.years) < HELD_YEARS:
        raise InsufficientData(
            f"the components need {HELD_YEARS} years of flows; the data has {len(panel.years)}"
        )


def held(panel: ComponentsPanel, horizon: int) -> np.ndarray:
    _require(panel)
    growth = np.log1p(_held(panel.net_rate()))
    return _path(panel.population[:, -1], growth[:, None] * np.arange(1, horizon + 1))


def residual(panel: ComponentsPanel) -> np.ndarray:
    """Log growth per year the flows do not explain, over the last census interval."""
    last = panel.years[-1]
    start = last - CENSUS_STEP
    if start not in panel.census:
        raise InsufficientData(f"the residual needs the census of {start}")
    census_growth = np.log(panel.population[:, -1] / panel.census[start]) / CENSUS_STEP
    inside = [i for i, y in enumerate(panel.years) if y > start]
    flow_growth = np.mean(np.log1p(panel.net_rate()[:, inside]), axis=1)
    return np.asarray(census_growth - flow_growth)


def held_residual(panel: ComponentsPanel, horizon: int) -> np.ndarray:
    return _with_residual(panel, held(panel, horizon))


def aged(panel: ComponentsPanel, horizon: int) -> np.ndarray:
    _require(panel)
    old = panel.aged_65_plus / panel.known_age
    women = panel.women_15_64 / panel.known_age
    death_rate = _held(panel.deaths / (old * panel.population))
    birth_rate = _held(panel.births / (women * panel.population))
    migration = _held((panel.moved_in - panel.moved_out) / panel.population)
    old_path, women_path = _trend(old, horizon), _trend(women, horizon)
    rates = birth_rate[:, None] * women_path - death_rate[:, None] * old_path + migration[:, None]
    return _path(panel.population[:, -1], np.cumsum(np.log1p(rates), axis=1))


def aged_residual(panel: ComponentsPanel, horizon: int) -> np.ndarray:
    return _with_residual(panel, aged(panel, horizon))


def _trend(share: np.ndarray, horizon: int) -> np.ndarray:
    """A share's mean annual change over the last ``TREND_YEARS`` known years continues."""
    span = min(TREND_YEARS, share.shape[1] - 1)
    slope = (share[:, -1] - share[:, -1 - span]) / span
    return np.asarray(share[:, -1:] + slope[:, None] * np.arange(1, horizon + 1))


def _with_residual(panel: ComponentsPanel, path: np.ndarray) -> np.ndarray:
    years = np.arange(1, path.shape[1] + 1)
    return np.asarray(path * np.exp(residual(panel)[:, None] * years))


def _path(start: np.ndarray, log_growth: np.ndarray) -> np.ndarray:
    return np.asarray(start[:, None] * np.exp(log_growth))


VARIANTS: dict[str, Variant] = {
    "held": held,
    "held_residual": held_residual,
    "aged": aged,
    "aged_residual": aged_residual,
}
