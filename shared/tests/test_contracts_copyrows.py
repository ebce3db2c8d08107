"""``stats.apply_batch`` version 3: a batch's cells as COPY text, what it accepts and refuses."""

import base64
import uuid
import zlib

import orjson
import pytest
from pydantic import ValidationError

from chiiki_shared.contracts import ApplyBatchRows, receive_apply_batch
from chiiki_shared.contracts.copyrows import copy_rows

DIMENSIONS = ["tab", "cat01", "area", "time"]
CELLS = [
    ["020", "100", "13000", "2020000000", "14047594", None, "人"],
    ["020", "100", "47000", "1945000000", None, "-", "人"],
    ["020", "110", "13000", "2020000000", "346.90", None, None],
    ["020", "100", "47000", "2020000000", "1\\4", None, "a\tb\nc\rd"],
]
IDENTITY = {
    "run_id": uuid.UUID("0b9c1a52-8d0e-4a5e-9a41-6c2f3e1d7b10"),
    "stats_data_id": "0003445099",
    "batch_index": 0,
    "batch_count": 2,
    "dimensions": DIMENSIONS,
}


def test_cells_become_copy_lines_with_their_series_entry() -> None:
    series, text = copy_rows(DIMENSIONS, CELLS)
    assert series == [["020", "100"], ["020", "110"]]
    assert text.decode().split("\n") == [
        "0\t13000\t2020000000\t14047594\t\\N\t人",
        "0\t47000\t1945000000\t\\N\t-\t人",
        "1\t13000\t2020000000\t346.90\t\\N\t\\N",
        "0\t47000\t2020000000\t1\\\\4\t\\N\ta\\tb\\nc\\rd",
        "",
    ]


def test_a_table_without_area_or_time_leaves_them_empty() -> None:
    series, text = copy_rows(["cat01"], [["1", "5", None, None], ["2", None, "X", "人"]])
    assert series == [["1"], ["2"]]
    assert text.decode() == "0\t\t\t5\t\\N\t\\N\n1\t\t\t\\N\tX\t人\n"
    assert copy_rows(["cat01"], []) == ([], b"")


def test_the_message_goes_out_as_the_json_it_is_read_back_from() -> None:
    message = ApplyBatchRows.of(cells=CELLS, **IDENTITY)
    payload = message.payload()
    assert (payload["schema_version"], payload["cell_count"]) == (3, 4)
    assert zlib.decompress(base64.b64decode(payload["rows"])) == copy_rows(DIMENSIONS, CELLS)[1]
    received = receive_apply_batch(orjson.loads(orjson.dumps(payload)))
    assert isinstance(received, ApplyBatchRows)
    assert received == message
    assert received.text() == copy_rows(DIMENSIONS, CELLS)[1]


def rows(text: bytes) -> str:
    return base64.b64encode(zlib.compress(text)).decode()


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"rows": "bm90IHpsaWI="}, "rows cannot be decoded"),
        ({"rows": "***"}, "rows cannot be decoded"),
        ({"cell_count": 5}, "rows hold 4 lines, not 5"),
        ({"rows": rows(b"0\t1\t2\t3\t4\t5"), "cell_count": 0}, "rows must end with a line end"),
        ({"series": [["020"]]}, "every series must have 2 codes"),
        ({"batch_index": 2}, "batch_index 2 >= batch_count 2"),
    ],
)
def test_a_batch_that_breaks_the_shape_is_refused(change: dict, error: str) -> None:
    payload = {**ApplyBatchRows.of(cells=CELLS, **IDENTITY).payload(), **change}
    with pytest.raises(ValidationError, match=error):
        receive_apply_batch(payload)
