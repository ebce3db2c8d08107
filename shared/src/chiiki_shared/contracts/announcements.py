"""Announcing a new dataset version, stats -> analytics (docs/bus-contract.md)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from chiiki_shared.contracts.base import BusMessage
from chiiki_shared.contracts.publishing import StatsDataId


class DatasetUpdated(BusMessage):
    """A dataset's new version is current; analytics recomputes what depends on it."""

    TASK: ClassVar[str] = "analytics.dataset_updated"

    stats_data_id: StatsDataId = Field(description="The dataset.")
    version: int = Field(ge=1, description="Its version now current.")
    indicators: list[str] = Field(
        default_factory=list, max_length=1000, description="The indicators computed from it."
    )
