"""``stats.apply_batch`` version 2 (columns) next to version 1 (cells): the same cells store the
same observations, and a bad batch is refused the same way (docs/bus-contract.md)."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from chiiki_shared.contracts import BatchColumns
from chiiki_shared.db import session_scope
from chiiki_stats import consumer
from chiiki_stats.models import Dataset, Observation, Series, StagedBatch

C01 = "census-c01-1920-2015"


@pytest.fixture
async def names(runtime) -> AsyncIterator[list[str]]:
    """Dataset ids for a test to use; removed with everything under them afterwards."""
    made: list[str] = []
    yield made
    async with session_scope(runtime.sessions) as session:
        await session.execute(delete(Dataset).where(Dataset.id.in_(made)))


def fresh(names: list[str], prefix: str) -> str:
    names.append(f"{prefix}-{uuid.uuid4().hex[:8]}")
    return names[-1]


async def stage(runtime, batch: dict[str, Any]) -> str:
    async with session_scope(runtime.sessions) as session:
        return await consumer.stage_batch(session, batch)


async def apply(runtime, batches: list[dict[str, Any]], payload: dict[str, Any]) -> Any:
    for batch in batches:
        assert await stage(runtime, batch) == "staged"
    async with session_scope(runtime.sessions) as session:
        return await consumer.publish_version(session, payload)


async def stored(runtime, stats_data_id: str) -> list[tuple[Any, ...]]:
    """Every observation of the dataset with its series (key, label, unit, position), sorted."""
    async with session_scope(runtime.sessions) as session:
        rows = await session.execute(
            select(
                Series.key,
                Series.label,
                Series.unit,
                Series.position,
                Observation.region_code,
                Observation.time_code,
                Observation.period_kind,
                Observation.period_year,
                Observation.period_sub,
                Observation.value,
                Observation.value_text,
                Observation.mark,
                Observation.unit,
            )
            .join(Series, Series.id == Observation.series_id)
            .where(Series.dataset_id == stats_data_id)
        )
        result = [(sorted(row[0].items()), *row[1:]) for row in rows]
    return sorted(result, key=repr)


@pytest.mark.parametrize(
    "table_id",
    ["0003445099", C01, "census-2015-on-2020-areas", "census-japanese-2010-2015", "ssdse-b-2023"],
)
async def test_both_versions_store_the_same_observations(runtime, estat, names, table_id) -> None:
    recorded = estat.table(table_id)
    one, two = recorded.named(fresh(names, "v1")), recorded.named(fresh(names, "v2"))
    outcome = await apply(runtime, *one.messages())
    assert outcome.status == "applied", outcome.reason
    # Version 2 in smaller batches than version 1: the batches' dictionaries are merged.
    batches, payload = two.messages(size=1500, columns=True)
    assert all(batch["schema_version"] == 2 for batch in batches)
    outcome = await apply(runtime, batches, payload)
    assert outcome.status == "applied", outcome.reason
    by_one = await stored(runtime, one.stats_data_id)
    assert len(by_one) == len(recorded.cells)
    assert await stored(runtime, two.stats_data_id) == by_one
    # Version 3 (COPY rows, applied in SQL) in batches of yet another size.
    three = recorded.named(fresh(names, "v3"))
    batches, payload = three.messages(size=2200, rows=True)
    assert all(batch["schema_version"] == 3 for batch in batches)
    outcome = await apply(runtime, batches, payload)
    assert outcome.status == "applied", outcome.reason
    assert await stored(runtime, three.stats_data_id) == by_one


async def test_values_keep_their_published_text_in_version_2(runtime, estat, names) -> None:
    table = estat.table("0003445099").named(fresh(names, "v2"))
    outcome = await apply(runtime, *table.messages(columns=True))
    assert outcome.status == "applied", outcome.reason
    async with session_scope(runtime.sessions) as session:
        value, text, mark = (
            await session.execute(
                select(Observation.value, Observation.value_text, Observation.mark)
                .join(Series, Series.id == Observation.series_id)
                .where(
                    Series.dataset_id == table.stats_data_id,
                    Observation.region_code == "13000",
                    Series.key["tab"].astext == "2020_47",
                )
            )
        ).one()
    assert (str(value), text, mark) == ("2194.03", "2194.03", None)


def repeat_the_codes_of_the_cell_before(cells: list[list[Any]]) -> None:
    """Cell 100 (the first of the second batch) gets cell 99's codes."""
    cells[100] = [*cells[99][:4], *cells[100][4:]]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda cell: [*cell[:2], "99000", *cell[3:]], "codes not in the area class: 99000"),
        (lambda cell: [*cell[:4], "12,345", None, "人"], "cell 150: value '12,345' is not a"),
        (lambda cell: [*cell[:4], "NaN", None, "人"], "cell 150: value 'NaN' is not finite"),
        (lambda cell: [*cell[:4], "1", "x", "人"], "cell 150 has both a value and the mark 'x'"),
        (None, "some cells repeat the same codes"),
    ],
)
async def test_inconsistent_cells_are_rejected_as_in_version_1(
    runtime, estat, names, change, reason
) -> None:
    areas = ("01000", "02000", "03000", "04000")
    table = estat.table(C01).where(lambda codes: codes["area"] in areas)
    cells = [list(cell) for cell in table.cells]
    if change is None:
        repeat_the_codes_of_the_cell_before(cells)
    else:
        cells[150] = change(cells[150])
    reasons = []
    for version in (1, 2, 3):
        named = table.named(fresh(names, "bad"))
        run_id = str(uuid.uuid4())
        payload = named.publish(run_id, batch_count=len(cells) // 100 + 1)
        bad = estat.Table(
            named.stats_data_id, named.dimensions, cells, named.classes, named.notes, named.table
        )
        batches = {1: bad.batches, 2: bad.column_batches, 3: bad.row_batches}[version](run_id, 100)
        assert len(batches) == payload["batch_count"]
        outcome = await apply(runtime, batches, payload)
        assert outcome.status == "rejected"
        reasons.append(outcome.reason)
        assert await stored(runtime, named.stats_data_id) == []
    assert reason in reasons[0]
    assert reasons[1] == reasons[0]
    assert reasons[2] == reasons[0]


def columns_of(cells: list[list[Any]], dimensions: list[str], **change: Any) -> str:
    columns = BatchColumns.from_cells(dimensions, cells)
    return BatchColumns.model_construct(**{**dict(columns), **change}).encode()


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"value_text": ["1"]}, "columns of 1 cells, but {'series_index': 24"),
        ({"series_index": [7] * 24}, "series_index points past its 2 entries"),
        ({"areas": ["01000", None]}, "columns: areas.1: Input should be a valid string"),
    ],
)
async def test_a_bad_column_rejects_its_run(runtime, estat, names, change, error) -> None:
    table = estat.table(C01).where(lambda codes: codes["area"] == "01000")
    named = table.named(fresh(names, "badcol"))
    batches, payload = named.messages(size=24, columns=True)
    cells = named.cells[:24]
    broken = {**batches[0], "columns": columns_of(cells, named.dimensions, **change)}
    if "value_text" in change:
        broken["cell_count"] = 1
    assert await stage(runtime, broken) == "invalid"
    async with session_scope(runtime.sessions) as session:
        outcome = await consumer.publish_version(session, payload)
    assert outcome.status == "rejected"
    assert outcome.reason.startswith("batch 0: payload: Value error")
    assert error in outcome.reason
    assert await stored(runtime, named.stats_data_id) == []


async def test_columns_that_cannot_be_decoded_reject_the_run(runtime, estat, names) -> None:
    named = estat.table(C01).where(lambda codes: codes["area"] == "01000").named(fresh(names, "x"))
    batches, payload = named.messages(columns=True)
    assert await stage(runtime, {**batches[0], "columns": "bm90IHpsaWI="}) == "invalid"
    async with session_scope(runtime.sessions) as session:
        outcome = await consumer.publish_version(session, payload)
    assert outcome.status == "rejected"
    assert "columns cannot be decoded" in outcome.reason


async def test_a_batch_staged_before_the_columns_existed_still_applies(
    runtime, estat, names
) -> None:
    """A rolling deploy: a row the previous stats staged (cells, no columns) is read from its
    cells."""
    table = estat.table(C01).where(lambda codes: codes["area"] == "01000")
    old, new = table.named(fresh(names, "old")), table.named(fresh(names, "new"))
    batches, payload = old.messages()
    async with session_scope(runtime.sessions) as session:
        await session.execute(
            StagedBatch.__table__.insert(),
            [
                {
                    **{key: batch[key] for key in ("batch_index", "stats_data_id", "batch_count")},
                    "run_id": uuid.UUID(batch["run_id"]),
                    "dimensions": batch["dimensions"],
                    "cells": batch["cells"],
                    "cell_count": len(batch["cells"]),
                }
                for batch in batches
            ],
        )
        outcome = await consumer.publish_version(session, payload)
    assert outcome.status == "applied", outcome.reason
    assert (await apply(runtime, *new.messages(columns=True))).status == "applied"
    assert await stored(runtime, old.stats_data_id) == await stored(runtime, new.stats_data_id)
    assert len(await stored(runtime, old.stats_data_id)) == len(table.cells)


async def observations_of(runtime, series_ids: list[int]) -> int:
    async with session_scope(runtime.sessions) as session:
        return await session.scalar(
            select(func.count())
            .select_from(Observation)
            .where(Observation.series_id.in_(series_ids))
        )


async def test_deleting_series_or_their_dataset_deletes_their_observations(
    runtime, estat, names
) -> None:
    # Observations have no foreign key to series (it cost half of an apply): a statement
    # trigger on series deletes them instead (migration c3f1a8d5e247).
    table = estat.table(C01).named(fresh(names, "cascade"))
    outcome = await apply(runtime, *table.messages(columns=True))
    assert outcome.status == "applied", outcome.reason
    async with session_scope(runtime.sessions) as session:
        ids = sorted(
            await session.scalars(select(Series.id).where(Series.dataset_id == table.stats_data_id))
        )
    assert len(ids) == 3  # 960 cells each
    assert await observations_of(runtime, ids) == 2880
    async with session_scope(runtime.sessions) as session:
        await session.execute(delete(Series).where(Series.id.in_(ids[:2])))
    assert await observations_of(runtime, ids[:2]) == 0
    assert await observations_of(runtime, ids[2:]) == 960
    async with session_scope(runtime.sessions) as session:
        await session.execute(delete(Dataset).where(Dataset.id == table.stats_data_id))
    assert await observations_of(runtime, ids) == 0
