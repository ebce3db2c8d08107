"""The messages services send each other on the bus: one versioned model per task, imported by
sender and receiver alike (docs/bus-contract.md is checked against them)."""

from chiiki_shared.contracts.announcements import DatasetUpdated
from chiiki_shared.contracts.base import BusMessage, describe
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
    PublishVersion,
    VersionApplied,
    VersionRejected,
    DatasetUpdated,
)

__all__ = [
    "CONTRACT",
    "MAX_BATCH_CELLS",
    "ApplyBatch",
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
]
