"""The bus contract's models: what they accept and refuse, and docs/bus-contract.md kept equal
to them."""

import uuid
from datetime import UTC, datetime

import pytest
from structlog.testing import capture_logs

from chiiki_shared.contracts import (
    CONTRACT,
    ApplyBatch,
    DatasetUpdated,
    PublishVersion,
    VersionApplied,
    VersionRejected,
)
from chiiki_shared.contracts.docs import DOCUMENT, document_with_reference

RUN = "0b9c1a52-8d0e-4a5e-9a41-6c2f3e1d7b10"
BATCH = {
    "run_id": RUN,
    "stats_data_id": "0003445099",
    "batch_index": 0,
    "batch_count": 2,
    "dimensions": ["tab", "cat01", "area", "time"],
    "cells": [
        ["020", "100", "13000", "2020000000", "14047594", None, "人"],
        ["020", "100", "47000", "1945000000", None, "-", "人"],
    ],
}


def test_the_document_is_generated_from_the_models() -> None:
    document = DOCUMENT.read_text(encoding="utf-8")
    assert document == document_with_reference(document), (
        "docs/bus-contract.md differs from chiiki_shared.contracts: "
        "run python -m chiiki_shared.contracts.docs"
    )
    for message in CONTRACT:
        assert f"### `{message.TASK}`" in document


def test_a_message_goes_out_as_the_json_it_is_read_back_from() -> None:
    batch = ApplyBatch.model_validate(BATCH)
    payload = batch.payload()
    assert payload == {"schema_version": 1, **BATCH}
    assert payload == batch.model_dump(mode="json")  # built directly, the serialiser's JSON
    assert ApplyBatch.receive(payload) == batch
    applied = VersionApplied.of(
        uuid.UUID(RUN), "0003445099", 3, 16344, datetime(2026, 11, 27, 10, 0, 0, 123456, UTC)
    )
    assert applied.payload()["applied_at"] == "2026-11-27T10:00:00Z"
    assert VersionApplied.receive(applied.payload()) == applied


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"schema_version": 2}, "schema_version: Input should be 1"),
        ({"extra": "field"}, "extra: Extra inputs are not permitted"),
        ({"run_id": "not-a-uuid"}, "run_id: Input should be a valid UUID"),
        ({"batch_index": 2}, "batch_index 2 >= batch_count 2"),
        ({"cells": [["020", "100", "13000"]]}, "cell 0 has 3 fields, expected 7"),
        ({"dimensions": ["area", "area"]}, "dimensions must be distinct e-Stat dimension ids"),
    ],
)
def test_a_bad_message_is_refused_and_logged(change: dict, error: str) -> None:
    with capture_logs() as logs:
        assert ApplyBatch.receive({**BATCH, **change}) is None
    (entry,) = logs
    assert (entry["event"], entry["task"]) == ("bus_message_rejected", "stats.apply_batch")
    assert error in entry["errors"]


def test_a_message_that_breaks_the_contract_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="version"):
        DatasetUpdated(stats_data_id="ssdse-b-2023", version=0)
    with pytest.raises(ValueError, match="reason"):
        VersionRejected(run_id=uuid.UUID(RUN), stats_data_id="x", reason="")
    with pytest.raises(ValueError, match="classes must have distinct"):
        PublishVersion.model_validate(
            {
                "run_id": RUN,
                "stats_data_id": "0003445099",
                "content_hash": "sha256:0",
                "batch_count": 1,
                "cell_count": 0,
                "table": {},
                "classes": [{"id": "area", "name": "a", "items": []}] * 2,
            }
        )
