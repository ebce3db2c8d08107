"""The messages services send each other on the bus: one versioned model per task, imported by
sender and receiver alike (docs/bus-contract.md is checked against them)."""

from chiiki_shared.contracts.announcements import DatasetUpdated
from chiiki_shared.contracts.base import BusMessage, describe
from chiiki_shared.contracts.columnar import (
    MAX_COLUMNAR_BATCH_CELLS,
    ApplyBatchColumns,
    BatchColumns,
)
from chiiki_shared.contracts.copyrows import ApplyBatchRows, receive_apply_batch
from chiiki_shared.contracts.publishing import (
    MAX_BATCH_CELLS,
    ApplyBatch,
    ClassInfo,
    ClassItem,
    Note,
    PublishVersion,
    TableInfo,
    VersionApplied,
    VersionRejected,
)

# Every message between services, in the order of docs/bus-contract.md.
CONTRACT: tuple[type[BusMessage], ...] = (
    ApplyBatch,
    ApplyBatchColumns,
    ApplyBatchRows,
    PublishVersion,
    VersionApplied,
    VersionRejected,
    DatasetUpdated,
)

__all__ = [
    "CONTRACT",
    "MAX_BATCH_CELLS",
    "MAX_COLUMNAR_BATCH_CELLS",
    "ApplyBatch",
    "ApplyBatchColumns",
    "ApplyBatchRows",
    "BatchColumns",
    "BusMessage",
    "ClassInfo",
    "ClassItem",
    "DatasetUpdated",
    "Note",
    "PublishVersion",
    "TableInfo",
    "VersionApplied",
    "VersionRejected",
    "describe",
    "receive_apply_batch",
]
