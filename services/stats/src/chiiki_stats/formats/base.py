"""What a service returns, before it becomes bytes in one of the formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Table:
    """Rows for CSV: one header, one list of cells per row (``None`` is an empty cell)."""

    columns: list[str]
    rows: list[list[Any]]


@dataclass(frozen=True)
class ChartData:
    """Chart.js's data object: ``labels`` and ``datasets[].label`` / ``datasets[].data``."""

    labels: list[Any]
    datasets: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"labels": self.labels, "datasets": self.datasets}


@dataclass(frozen=True)
class GeoLayer:
    """Feature properties per region code (in the answer's order), and what the collection says
    about itself. ``level`` picks the boundaries; ``parent`` bounds the map to one region."""

    properties: dict[str, dict[str, Any]]
    metadata: dict[str, Any] = field(default_factory=dict)
    attribution: list[str] = field(default_factory=list)
    level: str = "prefecture"
    parent: str | None = None


class Result:
    """A service's answer. Subclasses implement the formats their route offers."""

    name = "result"

    def credits(self) -> list[str]:
        """The sources to credit with the data (the answer's ``attribution``), for the formats
        that carry no JSON member for them (CSV)."""
        found = getattr(self, "attribution", None)
        return list(found) if isinstance(found, list) else []

    def json(self) -> dict[str, Any]:
        raise NotImplementedError

    def table(self) -> Table:
        raise NotImplementedError

    def chartjs(self) -> ChartData:
        raise NotImplementedError

    def geo(self) -> GeoLayer:
        raise NotImplementedError
