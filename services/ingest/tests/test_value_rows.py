"""The normaliser reads rows straight from VALUE objects (``value_rows``); every row and every
finding must equal those of the typed cells' path it replaced, on every recorded table and on
copies edited to hold each kind of anomaly."""

import copy
import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest

from chiiki_ingest.cells import Normaliser, parse_page
from chiiki_ingest.quality import Report

TABLES = Path(__file__).resolve().parents[1] / "recordings" / "tables"


def recorded(name: str) -> dict[str, Any]:
    return orjson.loads(gzip.decompress((TABLES / f"{name}.json.gz").read_bytes()))


def edited(document: dict[str, Any]) -> dict[str, Any]:
    """A copy whose first VALUEs each carry one thing the fast path leaves to the typed one."""
    document = copy.deepcopy(document)
    values = document["GET_STATS_DATA"]["STATISTICAL_DATA"]["DATA_INF"]["VALUE"]
    codes = [key for key in values[0] if key.startswith("@") and key != "@unit"]
    values[0][codes[0]] = "ZZZ"  # unknown code
    values[1]["$"] = "abc"  # undeclared mark
    values[2]["@extra"] = "1"  # a dimension the table has not
    values[3]["@annotation"] = "note"
    values[4]["$"] = 12  # a number, not text
    values[5]["@unit"] = ""
    values[6]["@unit"] = None
    del values[7]["$"]
    values[8][codes[-1]] = 5  # a code that is not text
    del values[9][codes[0]]  # a missing dimension
    if "@area" in values[10]:
        values[10]["@area"] = "99999"  # unknown region
    return document


def both_paths(body: bytes) -> tuple[Any, Any]:
    page = parse_page(body)
    fast_report, typed_report = Report(), Report()
    fast = Normaliser(page, fast_report)
    fast.add_page(page)
    typed = Normaliser(page, typed_report)
    typed_rows = [typed._row(cell.dimensions, cell) for cell in page.cells]
    return (
        (fast.content.rows, fast_report.findings()),
        (typed_rows, typed_report.findings()),
    )


@pytest.mark.parametrize(
    "name", sorted(p.name.removesuffix(".json.gz") for p in TABLES.glob("*.json.gz"))
)
def test_rows_from_values_equal_rows_from_typed_cells(name: str) -> None:
    document = recorded(name)
    fast, typed = both_paths(orjson.dumps(document))
    assert fast == typed
    assert fast[1] == []
    fast, typed = both_paths(orjson.dumps(edited(document)))
    assert fast == typed
    assert len(fast[1]) >= 3
