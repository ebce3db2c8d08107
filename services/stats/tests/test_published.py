"""Published values held per process and dataset version (`chiiki_stats.published`)."""

from dataclasses import replace

from chiiki_stats import published
from chiiki_stats.deps import reference_of
from chiiki_stats.periods import YearSpan
from chiiki_stats.values import Evaluator

CODES = ["population.total", "vital.births"]
REGIONS = ["01000", "02000", "03000", "00000"]  # the nation: the sum of the 47 prefectures


async def test_held_values_equal_those_read_and_are_read_once_per_version(
    loaded, runtime, statements_of
) -> None:
    from chiiki_stats.versions import VERSIONS_EXTRA

    reference = reference_of(runtime)
    datasets = dict(runtime.extras[VERSIONS_EXTRA].states)
    newer = {d: replace(state, version=state.version + 1) for d, state in datasets.items()}
    span = YearSpan(1800, 2200)
    published.clear()

    async def cells_with(versions):
        before = len(statements)
        evaluator = Evaluator(reference.catalog, reference.regions, versions)
        return await evaluator.cells(session, CODES, REGIONS, span), len(statements) - before

    async with runtime.sessions() as session:
        expected = await Evaluator(reference.catalog, reference.regions).cells(
            session, CODES, REGIONS, span
        )
        async with statements_of(session) as statements:
            first, read_first = await cells_with(datasets)
            again, read_again = await cells_with(datasets)
            for_newer, read_for_newer = await cells_with(newer)
    assert first == again == for_newer == expected
    assert expected["population.total"]["00000"]  # the nation has values
    # The prefectures and the nation, each level held whole: one read each per version.
    assert (read_first, read_again, read_for_newer) == (2, 0, 2)


async def test_years_are_loaded_as_asked_and_a_few_regions_are_read_as_asked(
    loaded, runtime
) -> None:
    from chiiki_stats.versions import VERSIONS_EXTRA

    reference = reference_of(runtime)
    datasets = dict(runtime.extras[VERSIONS_EXTRA].states)
    municipalities = [region.code for region in reference.regions.at_level("municipality")]
    codes = ["population.total", "population.aged_65_plus_share"]
    published.clear()
    held = Evaluator(reference.catalog, reference.regions, datasets)
    read = Evaluator(reference.catalog, reference.regions)
    async with runtime.sessions() as session:
        for regions, span in (
            (municipalities, YearSpan(2020, 2020)),
            (municipalities, YearSpan(2010, 2020)),  # 2010-2019 loaded next to 2020
            (municipalities[:3], YearSpan(1800, 2200)),  # three of 1,741: read as asked
        ):
            expected = await read.cells(session, codes, regions, span)
            assert await held.cells(session, codes, regions, span) == expected
            assert expected["population.total"][regions[0]]
    (entry,) = [h for key, h in published._held.items() if key[0] == "population.total"]
    assert entry.years == set(range(2010, 2021))
