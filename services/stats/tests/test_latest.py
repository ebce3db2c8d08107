"""The latest year of each indicator, remembered per dataset version (`services/latest.py`)."""

from dataclasses import replace

from chiiki_stats.deps import reference_of
from chiiki_stats.services.latest import latest_years_of
from chiiki_stats.values import Evaluator, latest_years

CODE = "health.hospitals_per_100k"


async def test_a_latest_year_is_read_once_per_version(
    loaded, client, runtime, statements_of
) -> None:
    from chiiki_stats.versions import VERSIONS_EXTRA

    reference = reference_of(runtime)
    evaluator = Evaluator(reference.catalog, reference.regions)
    # A set of regions no route asks for, so nothing is remembered for it yet.
    regions = [region.code for region in reference.regions.at_level("prefecture")][1:-1]
    datasets = dict(runtime.extras[VERSIONS_EXTRA].states)
    async with runtime.sessions() as session:
        expected = await latest_years(session, evaluator, [CODE], regions)
        async with statements_of(session) as statements:
            first = await latest_years_of(session, evaluator, [CODE], regions, datasets)
            read_first = len(statements)
            again = await latest_years_of(session, evaluator, [CODE], regions, datasets)
            read_again = len(statements) - read_first
            (used,) = reference.catalog.datasets_for([CODE])[:1]
            newer = {**datasets, used: replace(datasets[used], version=datasets[used].version + 1)}
            await latest_years_of(session, evaluator, [CODE], regions, newer)
            read_for_newer = len(statements) - read_first - read_again
    assert first == again == expected
    assert expected[CODE] is not None
    assert (read_first > 0, read_again, read_for_newer > 0) == (True, 0, True)


async def test_a_kpi_ranking_is_read_once_per_version(loaded, runtime, statements_of) -> None:
    from chiiki_stats import published
    from chiiki_stats.services import kpi
    from chiiki_stats.versions import VERSIONS_EXTRA

    reference = reference_of(runtime)
    region = reference.regions["13101"]
    codes = ["population.total", "population.aged_65_plus_share"]
    datasets = dict(runtime.extras[VERSIONS_EXTRA].states)
    newer = {d: replace(state, version=state.version + 1) for d, state in datasets.items()}
    kpi._rankings.clear()
    kpi._card_sets.clear()
    published.clear()

    async def ranks_with(versions) -> tuple[list[tuple[int | None, int]], int]:
        before = len(statements)
        cards = await kpi.kpis(session, reference, region, codes, 10, {}, lambda _: [], versions)
        return [(card.rank, card.ranked) for card in cards.cards], len(statements) - before

    async with runtime.sessions() as session, statements_of(session) as statements:
        first, read_first = await ranks_with(datasets)
        again, read_again = await ranks_with(datasets)
        for_newer, read_for_newer = await ranks_with(newer)
    # Chiyoda-ku among the municipalities of the 2020 census (1,741; one lacks an age share).
    assert first == again == for_newer == [(415, 1741), (1737, 1740)]
    # One read of the region's own cells, one of its peers' (held for the version); the same
    # cards again read nothing.
    assert (read_first, read_again, read_for_newer) == (2, 0, 2)


async def test_a_comparisons_nation_is_computed_once_per_version(
    loaded, runtime, statements_of
) -> None:
    from chiiki_stats import published
    from chiiki_stats.catalog import NATION
    from chiiki_stats.routers.comparison import ALL_YEARS
    from chiiki_stats.services import comparison
    from chiiki_stats.values import yearly_values
    from chiiki_stats.versions import VERSIONS_EXTRA

    reference = reference_of(runtime)
    codes = ["population.total", "vital.births"]  # the nation's values are prefecture sums
    datasets = dict(runtime.extras[VERSIONS_EXTRA].states)
    newer = {d: replace(state, version=state.version + 1) for d, state in datasets.items()}
    comparison._nations.clear()
    published.clear()

    async def values_with(versions, regions) -> tuple[dict, int]:
        before = len(statements)
        evaluator = Evaluator(reference.catalog, reference.regions, versions)
        found = await comparison.values_of(session, evaluator, codes, regions, ALL_YEARS, versions)
        return found, len(statements) - before

    async with runtime.sessions() as session:
        evaluator = Evaluator(reference.catalog, reference.regions, datasets)
        together = ["01000", "02000", NATION]
        expected = await yearly_values(session, evaluator, codes, together, ALL_YEARS)
        async with statements_of(session) as statements:
            first, _ = await values_with(datasets, together)
            nation, read_again = await values_with(datasets, [NATION])
            _, read_for_newer = await values_with(newer, [NATION])
    assert first == expected
    assert all(expected[code][NATION] for code in codes)
    assert nation == {code: {NATION: expected[code][NATION]} for code in codes}
    assert (read_again, read_for_newer > 0) == (0, True)
