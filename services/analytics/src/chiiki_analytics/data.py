"""The series analytics works on, loaded from stats and made evenly spaced.

A series mixes sources year by year as stats chooses them (census years before 2009, SSDSE years
after, for the population); only its evenly spaced tail is modelled (see
``forecasting.series.evenly_spaced_tail``). The data version names the version of every dataset
the values came from, so stored forecasts say what they were made from.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from chiiki_analytics.forecasting.candidates import AGE_GROUPS
from chiiki_analytics.forecasting.series import History, evenly_spaced_tail
from chiiki_analytics.stats_client import IndicatorInfo, Observations, RegionInfo, StatsClient

# Indicators modelled with sub-series: the population through its three age groups.
COMPONENTS = {
    "population.total": dict(
        zip(
            ("population.aged_0_14", "population.aged_15_64", "population.aged_65_plus"),
            AGE_GROUPS,
            strict=True,
        )
    )
}


@dataclass(frozen=True)
class Panel:
    """One indicator for several regions."""

    indicator: IndicatorInfo
    regions: dict[str, RegionInfo]
    histories: dict[str, History]
    data_version: str
    attribution: list[str]
    # Stats' label of each year ("2020", "FY2020") by region.
    period_labels: dict[str, dict[int, str]]


async def load_panel(client: StatsClient, indicator: str, regions: list[str] | None) -> Panel:
    """``indicator`` for ``regions`` (every prefecture when None), with its data version."""
    components = COMPONENTS.get(indicator, {})
    # The indicator first, alone: a 404 stops here, and stats has verified the caller's token
    # once before the calls below go out together (a cold stats process refuses tokens that
    # arrive while it is still fetching the signing keys).
    info = await client.indicator(indicator)
    codes, versions = await asyncio.gather(
        _region_codes(client, regions), client.dataset_versions()
    )
    observed = await client.observations([indicator, *components], codes)
    histories = {
        code: _history(observed, indicator, code, components)
        for code in codes
        if code in observed.regions
    }
    return Panel(
        info,
        {code: observed.regions[code] for code in histories},
        histories,
        data_version(observed, versions),
        observed.attribution,
        {code: observed.period_labels(indicator, code) for code in histories},
    )


async def _region_codes(client: StatsClient, regions: list[str] | None) -> list[str]:
    if regions is not None:
        return regions
    return [region.code for region in await client.prefectures()]


def _history(
    observed: Observations, indicator: str, region: str, components: dict[str, str]
) -> History:
    return evenly_spaced_tail(
        observed.series(indicator, region),
        {name: observed.series(code, region) for code, name in components.items()},
    )


def data_version(observed: Observations, versions: dict[str, int]) -> str:
    """``dataset@version`` of every dataset the values came from, joined by ``+``, e.g.
    ``census-c01-1920-2015@1+ssdse-b-2023@2``."""
    named = [f"{dataset}@{versions.get(dataset, 0)}" for dataset in sorted(observed.datasets)]
    return "+".join(named) or "no-data"


def parse_data_version(text: str) -> dict[str, int]:
    """The dataset versions a data version names."""
    parts = (part.rsplit("@", 1) for part in text.split("+") if "@" in part)
    return {dataset: int(version) for dataset, version in parts}
