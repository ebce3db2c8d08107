"""Applying ``stats.apply_batch`` version 3 (COPY text) in SQL: the staged rows are COPYed into a
temporary table as they came, checked set-wise and written with one ``INSERT ... SELECT``.

Python sees only what is small: the distinct codes, the series, the periods of the distinct time
codes and the rare value texts that are not plain decimals. The temporary tables live until the
transaction ends (``ON COMMIT DROP``), so a worker killed mid-apply leaves nothing behind.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_stats.periods import Period

# A value text PostgreSQL's numeric input reads exactly as Python's Decimal does; any other text
# (spaces, underscores, other digits, NaN...) is judged by Decimal in Python, as versions 1 and 2.
PLAIN_DECIMAL = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
PLAIN_DECIMAL_TEXT = re.compile(PLAIN_DECIMAL.replace("$", "\\Z"), re.ASCII)


OBSERVATION_COLUMNS = (
    "series_id",
    "region_code",
    "time_code",
    "period_kind",
    "period_year",
    "period_sub",
    "value",
    "value_text",
    "mark",
    "unit",
)
# The observations in the order of OBSERVATION_COLUMNS, with the types of their table.
OBSERVATIONS = (
    "SELECT i.series_id, r.region_code, r.time_code, p.kind, p.year, p.sub, {value},"
    " r.value_text, r.mark, NULLIF(r.unit, i.unit)"
    " FROM apply_rows r JOIN apply_ids i USING (batch, series)"
    " LEFT JOIN apply_periods p USING (time_code){values}"
)
PLAIN_VALUE = "r.value_text::numeric"
UNUSUAL_VALUE = "CASE WHEN v.line IS NULL THEN r.value_text::numeric ELSE v.value END"


class BadRows(ValueError):
    """The staged rows cannot be read as the contract's COPY text."""


@dataclass(frozen=True)
class Batch:
    index: int
    series: list[list[str]]
    text: bytes  # COPY text
    cell_count: int


@dataclass
class Loaded:
    """What the checks need from the rows: the distinct codes, the value texts to judge in
    Python (cell number, text), the first cell with both a value and a mark, and the unit of each
    series' first cell (by series number: its entry in ``keys``)."""

    keys: list[tuple[str, ...]]
    entries: list[tuple[int, int, int]]  # (batch, entry in its series, series number)
    areas: set[str | None]
    times: set[str | None]
    unusual_values: list[tuple[int, str]]
    first_with_mark: tuple[int, str] | None
    first_units: dict[int, str | None]


async def driver(session: AsyncSession) -> asyncpg.Connection:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    db: asyncpg.Connection | None = raw.driver_connection
    if db is None:
        raise RuntimeError("the connection was closed before COPY")
    return db


async def load(session: AsyncSession, batches: Sequence[Batch]) -> Loaded:
    """COPY every batch's rows (in batch order: a row's ``line`` is its cell number + 1)."""
    db = await driver(session)
    await db.execute(
        "CREATE TEMP TABLE apply_rows (batch int NOT NULL,"
        " line bigint GENERATED ALWAYS AS IDENTITY, series int, region_code text,"
        " time_code text, value_text text, mark text, unit text)"
        " ON COMMIT DROP"
    )
    numbers: dict[tuple[str, ...], int] = {}
    mapping = []
    for batch in batches:
        for local, codes in enumerate(batch.series):
            mapping.append((batch.index, local, numbers.setdefault(tuple(codes), len(numbers))))
        await _copy(db, batch)
    # One scan for the distinct codes and each series' first unit (the unit of the first line
    # of each batch entry: few (batch, series, unit) groups, no sort of the rows).
    groups = await db.fetch(
        "SELECT GROUPING(region_code, time_code) AS set, region_code, time_code, batch, series,"
        " unit, min(line) AS line FROM apply_rows GROUP BY GROUPING SETS"
        " ((region_code), (time_code), (batch, series, unit))"
    )
    # One scan for both value checks: the texts to judge in Python, and value-with-mark cells.
    odd = await db.fetch(
        "SELECT line - 1, value_text, mark FROM apply_rows WHERE value_text IS NOT NULL"
        " AND (mark IS NOT NULL OR value_text !~ $1) ORDER BY line",
        PLAIN_DECIMAL,
    )
    number_of = {(batch, series): number for batch, series, number in mapping}
    firsts = sorted(
        (row["line"], row["batch"], row["series"], row["unit"]) for row in groups if row["set"] == 3
    )
    first_units: dict[int, str | None] = {}
    for _, batch_index, series, unit in firsts:
        number = number_of.get((batch_index, series))
        if number is not None:
            first_units.setdefault(number, unit)
    unusual = [(row[0], row[1]) for row in odd if not _plain(row[1])]
    both = next(((row[0], row[2]) for row in odd if row[2] is not None), None)
    return Loaded(
        keys=list(numbers),
        entries=mapping,
        areas={row["region_code"] for row in groups if row["set"] == 1},
        times={row["time_code"] for row in groups if row["set"] == 2},
        unusual_values=unusual,
        first_with_mark=both,
        first_units=first_units,
    )


def _plain(text: str) -> bool:
    return PLAIN_DECIMAL_TEXT.match(text) is not None


async def _copy(db: asyncpg.Connection, batch: Batch) -> None:
    # Every line gets its batch number in front: only line ends are raw newlines in COPY text.
    prefix = f"{batch.index}\t".encode()
    text = prefix + batch.text.replace(b"\n", b"\n" + prefix) if batch.text else b""
    text = text[: -len(prefix)] if text else text
    columns = ["batch", "series", "region_code", "time_code", "value_text", "mark", "unit"]
    try:
        status = await db.copy_to_table(
            "apply_rows", source=io.BytesIO(text), columns=columns, format="text"
        )
    except (asyncpg.DataError, asyncpg.PostgresSyntaxError) as exc:
        raise BadRows(f"batch {batch.index}: rows: {str(exc).splitlines()[0][:200]}") from None
    copied = int(status.split()[-1])
    if copied != batch.cell_count:
        raise BadRows(f"batch {batch.index}: rows hold {copied} cells, not {batch.cell_count}")


async def write_observations(
    session: AsyncSession,
    series: Sequence[tuple[int, int, int, str | None]],
    periods: dict[str, Period | None],
    values: Sequence[tuple[int, Decimal]],
) -> int:
    """Insert the rows as observations; ``series`` is (batch, entry, id, unit) per batch entry,
    ``values`` the Decimal of each unusual value text by cell number. Returns how many were
    inserted."""
    db = await driver(session)
    await db.execute(
        "CREATE TEMP TABLE apply_ids (batch int, series int, series_id int, unit text)"
        " ON COMMIT DROP; CREATE TEMP TABLE apply_periods (time_code text,"
        " kind stats.period_kind, year smallint, sub smallint) ON COMMIT DROP"
    )
    await db.copy_records_to_table("apply_ids", records=series)
    await db.copy_records_to_table("apply_periods", records=_period_records(periods))
    query = OBSERVATIONS.format(value=PLAIN_VALUE, values="")
    if values:
        await db.execute(
            "CREATE TEMP TABLE apply_values (line bigint, value numeric) ON COMMIT DROP"
        )
        records = [(number + 1, value) for number, value in values]
        await db.copy_records_to_table("apply_values", records=records)
        query = OBSERVATIONS.format(
            value=UNUSUAL_VALUE, values=" LEFT JOIN apply_values v USING (line)"
        )
    columns = ", ".join(OBSERVATION_COLUMNS)
    # The temporary tables have no statistics: the planner takes the rows for a few thousand and
    # sorted all of them for a merge join with the hundred series (0.1 s of SSDSE-A's 0.3 s).
    await db.execute("SET LOCAL enable_mergejoin = off")
    status = await db.execute(f"INSERT INTO stats.observations ({columns}) {query}")
    await db.execute("RESET enable_mergejoin")
    return int(status.split()[-1])


def _period_records(periods: dict[str, Period | None]) -> list[tuple[Any, ...]]:
    return [
        (code, period.kind.value, period.year, period.sub)
        for code, period in periods.items()
        if period is not None
    ]
