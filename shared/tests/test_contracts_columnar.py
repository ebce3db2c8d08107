"""``stats.apply_batch`` version 2: the columns of a batch, what they accept and refuse, and
which version a payload is read as."""

import base64
import uuid
import zlib

import orjson
import pytest
from pydantic import ValidationError
from structlog.testing import capture_logs

from chiiki_shared.contracts import (
    ApplyBatch,
    ApplyBatchColumns,
    BatchColumns,
    receive_apply_batch,
)

RUN = "0b9c1a52-8d0e-4a5e-9a41-6c2f3e1d7b10"
DIMENSIONS = ["tab", "cat01", "area", "time"]
CELLS = [
    ["020", "100", "13000", "2020000000", "14047594", None, "人"],
    ["020", "100", "47000", "1945000000", None, "-", "人"],
    ["020", "110", "13000", "2020000000", "346.90", None, None],
    ["020", "100", "47000", "2020000000", "1467480", None, "人"],
]
IDENTITY = {
    "run_id": uuid.UUID(RUN),
    "stats_data_id": "0003445099",
    "batch_index": 0,
    "batch_count": 2,
    "dimensions": DIMENSIONS,
}


def test_cells_become_dictionary_encoded_columns() -> None:
    columns = BatchColumns.from_cells(DIMENSIONS, CELLS)
    assert columns.model_dump() == {
        "series": [["020", "100"], ["020", "110"]],
        "series_index": [0, 0, 1, 0],
        "areas": ["13000", "47000"],
        "area_index": [0, 1, 0, 1],
        "times": ["2020000000", "1945000000"],
        "time_index": [0, 1, 0, 0],
        "units": ["人", None],
        "unit_index": [0, 0, 1, 0],
        "value_text": ["14047594", None, "346.90", "1467480"],
        "mark": [None, "-", None, None],
    }
    assert columns.cell_count == 4


def test_a_table_without_area_or_time_has_no_such_columns() -> None:
    columns = BatchColumns.from_cells(["cat01"], [["1", "5", None, None], ["2", None, "X", None]])
    assert (columns.series, columns.series_index) == ([["1"], ["2"]], [0, 1])
    assert (columns.areas, columns.area_index) == ([], [])
    assert (columns.times, columns.time_index) == ([], [])
    columns.check(["cat01"])


def test_the_message_goes_out_as_the_json_it_is_read_back_from() -> None:
    columns = BatchColumns.from_cells(DIMENSIONS, CELLS)
    message = ApplyBatchColumns.of(columns=columns, **IDENTITY)
    payload = message.payload()
    assert (payload["schema_version"], payload["cell_count"]) == (2, 4)
    assert orjson.loads(zlib.decompress(base64.b64decode(payload["columns"]))) == dict(columns)
    received = receive_apply_batch(orjson.loads(orjson.dumps(payload)))
    assert isinstance(received, ApplyBatchColumns)
    assert received == message
    assert received.decoded() == columns
    assert BatchColumns.decode(received.compressed()) == columns


def test_a_payload_is_read_as_the_version_it_names() -> None:
    version_one = {"run_id": RUN, **{k: v for k, v in IDENTITY.items() if k != "run_id"}}
    assert isinstance(receive_apply_batch({**version_one, "cells": CELLS}), ApplyBatch)
    assert isinstance(
        receive_apply_batch({**version_one, "schema_version": 1, "cells": CELLS}), ApplyBatch
    )
    with pytest.raises(ValidationError, match="schema_version"):
        receive_apply_batch({**version_one, "schema_version": 4, "cells": CELLS})
    # Version 2's fields are not version 1's, and the other way round.
    with pytest.raises(ValidationError, match="cells"):
        receive_apply_batch({**version_one, "schema_version": 2, "cells": CELLS})


def encoded(**change: object) -> str:
    columns = BatchColumns.from_cells(DIMENSIONS, CELLS)
    return BatchColumns.model_construct(**{**dict(columns), **change}).encode()


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"columns": encoded(mark=[None])}, "columns of 4 cells, but {'mark': 1}"),
        ({"columns": encoded(area_index=[0, 1])}, "columns of 4 cells, but {'area_index': 2}"),
        ({"columns": encoded(time_index=[0, 2, 0, 0])}, "time_index points past its 2 entries"),
        ({"columns": encoded(series=[["020"], ["020"]])}, "every series must have 2 codes"),
        ({"columns": encoded(unit_index=[0, -1, 0, 0])}, "columns: unit_index.1: Input should"),
        ({"columns": encoded(areas=["13000", ""])}, "columns: areas.1: String should have"),
        ({"cell_count": 5}, "columns hold 4 cells, not 5"),
        ({"columns": "not base64!"}, "columns cannot be decoded"),
        ({"columns": base64.b64encode(b"plain").decode()}, "columns cannot be decoded"),
        ({"dimensions": ["tab", "cat01", "time"]}, "area_index given for a table without area"),
        ({"batch_index": 2}, "batch_index 2 >= batch_count 2"),
    ],
)
def test_a_bad_batch_is_refused_and_logged(change: dict[str, object], error: str) -> None:
    payload = ApplyBatchColumns.of(
        columns=BatchColumns.from_cells(DIMENSIONS, CELLS), **IDENTITY
    ).payload()
    with capture_logs() as logs:
        assert ApplyBatchColumns.receive({**payload, **change}) is None
    (entry,) = logs
    assert (entry["event"], entry["task"]) == ("bus_message_rejected", "stats.apply_batch")
    assert error in entry["errors"]


def test_a_cell_without_a_code_cannot_leave() -> None:
    columns = BatchColumns.from_cells(DIMENSIONS, [["020", None, "13000", "1", "1", None, None]])
    with pytest.raises(ValidationError, match=r"columns: series\.0\.1: Input should be"):
        ApplyBatchColumns.of(columns=columns, **IDENTITY)
