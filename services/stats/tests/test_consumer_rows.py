"""``stats.apply_batch`` version 3 (COPY rows, applied in SQL) against version 1: the same cells
store the same observations, whatever their texts, and rows that are not the contract's COPY
text reject their run without storing anything (docs/bus-contract.md)."""

import base64
import uuid
import zlib
from typing import Any

import pytest

from chiiki_shared.db import session_scope
from chiiki_stats import consumer

from .test_consumer_columns import C01, apply, fresh, names, stage, stored

__all__ = ["names"]  # the fixture, used by name


def small(estat: Any) -> Any:
    return estat.table(C01).where(lambda codes: codes["area"] in ("01000", "02000"))


def with_cells(estat: Any, table: Any, cells: list[list[Any]]) -> Any:
    return estat.Table(
        table.stats_data_id, table.dimensions, cells, table.classes, table.notes, table.table
    )


async def test_a_run_mixing_versions_stores_what_version_1_stores(runtime, estat, names) -> None:
    """A rolling deploy: batches sent by the previous ingest (version 2) and by the new one
    (version 3) in one run."""
    table = small(estat)
    one, mixed = table.named(fresh(names, "v1")), table.named(fresh(names, "mix"))
    assert (await apply(runtime, *one.messages(size=24))).status == "applied"
    run_id = str(uuid.uuid4())
    columns, rows = mixed.column_batches(run_id, 24), mixed.row_batches(run_id, 24)
    batches = [batch if index % 2 else columns[index] for index, batch in enumerate(rows)]
    assert len(batches) >= 4
    outcome = await apply(runtime, batches, mixed.publish(run_id, len(batches)))
    assert outcome.status == "applied", outcome.reason
    assert await stored(runtime, mixed.stats_data_id) == await stored(runtime, one.stats_data_id)


UNUSUAL = [" 12", "1_000", "１２", "+5", "1e3", "-0.0", ".5", "5.", "0012.50", "1E-3"]


async def test_value_texts_and_units_store_as_in_version_1(runtime, estat, names) -> None:
    """Texts SQL does not read as plain decimals are judged by Decimal, as in version 1; COPY's
    special characters travel escaped."""
    table = small(estat)
    cells = [list(cell) for cell in table.cells]
    for number, text in enumerate(UNUSUAL):
        cells[number * 7][-3] = text
    cells[3][-1] = "per\ttab \\ and\nline"
    cells[4][-1] = "\\N"
    changed = with_cells(estat, table, cells)
    one, three = changed.named(fresh(names, "v1")), changed.named(fresh(names, "v3"))
    assert (await apply(runtime, *one.messages())).status == "applied"
    outcome = await apply(runtime, *three.messages(size=700, rows=True))
    assert outcome.status == "applied", outcome.reason
    by_one = await stored(runtime, one.stats_data_id)
    assert await stored(runtime, three.stats_data_id) == by_one
    texts = {row[10]: str(row[9]) for row in by_one if row[10] in UNUSUAL}
    assert texts == {
        " 12": "12",
        "1_000": "1000",
        "１２": "12",
        "+5": "5",
        "1e3": "1000",
        "-0.0": "0.0",
        ".5": "0.5",
        "5.": "5",
        "0012.50": "12.50",
        "1E-3": "0.001",
    }
    units = {row[12] for row in by_one}
    assert {"per\ttab \\ and\nline", "\\N"} <= units


def rows_of(batch: dict[str, Any], text: bytes, **change: Any) -> dict[str, Any]:
    encoded = base64.b64encode(zlib.compress(text)).decode()
    return {**batch, "rows": encoded, "cell_count": text.count(b"\n"), **change}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b"0\t01000\t1920000000\t1\t\\N\n", "batch 0: rows: missing data for column"),
        (b"0\t01000\t1920000000\t1\t\\N\t\\N\textra\n", "batch 0: rows: extra data after"),
        (b"x\t01000\t1920000000\t1\t\\N\t\\N\n", "batch 0: rows: invalid input syntax"),
        (b"9\t01000\t1920000000\t1\t\\N\t\\N\n", "1 cells name no series of their batch"),
        (b"\\N\t01000\t1920000000\t1\t\\N\t\\N\n", "1 cells name no series of their batch"),
        (b"0\t\\N\t1920000000\t1\t\\N\t\\N\n", "cells without a area code"),
        (b"0\t99000\t1920000000\t1\t\\N\t\\N\n", "codes not in the area class: 99000"),
        # An end-of-data marker is not one (each line gets the batch number in front).
        (b"0\t01000\t1920000000\t1\t\\N\t\\N\n\\.\n", "batch 0: rows: invalid input syntax"),
    ],
)
async def test_rows_that_are_not_the_contract_reject_their_run(
    runtime, estat, names, text, reason
) -> None:
    table = estat.table(C01).where(lambda codes: codes["area"] == "01000")
    named = with_cells(estat, table, table.cells[:1]).named(fresh(names, "badrows"))
    run_id = str(uuid.uuid4())
    [batch] = named.row_batches(run_id)
    cells = text.count(b"\n")
    payload = {**named.publish(run_id, 1), "cell_count": cells}
    assert await stage(runtime, rows_of(batch, text)) == "staged"
    async with session_scope(runtime.sessions) as session:
        outcome = await consumer.publish_version(session, payload)
    assert outcome.status == "rejected"
    assert reason in outcome.reason
    assert await stored(runtime, named.stats_data_id) == []


async def test_rows_that_cannot_be_decoded_are_refused_when_staged(runtime, estat, names) -> None:
    named = estat.table(C01).where(lambda codes: codes["area"] == "01000").named(fresh(names, "x"))
    batches, payload = named.messages(rows=True)
    assert await stage(runtime, {**batches[0], "rows": "bm90IHpsaWI="}) == "invalid"
    lines = rows_of(batches[0], b"0\t01000\t1920000000\t1\t\\N\t\\N\n", cell_count=2)
    assert await stage(runtime, lines) == "invalid"
    async with session_scope(runtime.sessions) as session:
        outcome = await consumer.publish_version(session, payload)
    assert outcome.status == "rejected"
    assert "rows hold 1 lines, not 2" in outcome.reason
