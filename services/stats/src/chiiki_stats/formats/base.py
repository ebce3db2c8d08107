"""What a service returns, before it becomes bytes in one of the formats."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Table:
    """Rows for CSV: one header, one list of cells per row (``None`` is an empty cell)."""

    columns: list[str]
    rows: list[list[Any]]


@dataclass(frozen=True)
class Unit:
    """A dataset's unit in both languages; the axis id comes from the English one, so it is
    the same in every answer and language (``y-persons``, ``y-percent``)."""

    ja: str
    en: str

    def shown(self, lang: str) -> str:
        return self.en if lang == "en" else self.ja

    @property
    def axis(self) -> str:
        text = self.en.lower().replace("%", "percent").replace("²", "2").replace("°", "")
        return "y-" + ("-".join(re.findall(r"[a-z0-9]+", text)) or "value")


@dataclass(frozen=True)
class Dataset:
    label: str
    data: list[Any]  # numbers (None: a gap) or {x, y} points
    unit: Unit


@dataclass(frozen=True)
class ChartData:
    """Chart.js's data object: ``labels`` (category axis) or, with ``labels`` None, datasets of
    ``{x, y}`` points; each dataset carries its ``unit`` and the ``yAxisID`` of that unit, and
    ``axes`` lists one axis per distinct unit (the first left, the next right, alternating)."""

    datasets: list[Dataset]
    lang: str
    labels: list[Any] | None = None
    x_unit: Unit | None = None  # a scatter's x axis

    def axes(self) -> list[dict[str, str]]:
        units = list({dataset.unit.axis: dataset.unit for dataset in self.datasets}.values())
        axes = [
            {"id": unit.axis, "unit": unit.shown(self.lang), "position": POSITIONS[index % 2]}
            for index, unit in enumerate(units)
        ]
        if self.x_unit is not None:
            axes.append({"id": "x", "unit": self.x_unit.shown(self.lang), "position": "bottom"})
        return axes

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {} if self.labels is None else {"labels": self.labels}
        shown["datasets"] = [
            {
                "label": dataset.label,
                "data": dataset.data,
                "unit": dataset.unit.shown(self.lang),
                "yAxisID": dataset.unit.axis,
            }
            for dataset in self.datasets
        ]
        shown["axes"] = self.axes()
        return shown


POSITIONS = ("left", "right")


def is_regular(years: Sequence[int]) -> bool:
    """Evenly spaced years (every year, or every five): a category axis spaces them truly."""
    steps = {later - earlier for earlier, later in itertools.pairwise(years)}
    return len(steps) <= 1


def over_years(
    years: Sequence[int], series: Sequence[tuple[str, Mapping[int, Any], Unit]], lang: str
) -> ChartData:
    """A time series chart: ``labels`` ("2015") when the years are evenly spaced, otherwise
    ``{x: year, y}`` points for a linear axis (census years five apart, then yearly)."""
    regular = is_regular(years)

    def data(values: Mapping[int, Any]) -> list[Any]:
        if regular:
            return [values.get(year) for year in years]
        return [{"x": year, "y": values.get(year)} for year in years]

    datasets = [Dataset(label, data(values), unit) for label, values, unit in series]
    return ChartData(datasets, lang, [str(year) for year in years] if regular else None)


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

    def link(self) -> str | None:
        """The URL of the next page, for a ``Link: <...>; rel="next"`` header (lists only)."""
        return None

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


@dataclass
class Paged(Result):
    """A page of a list (docs/api-conventions.md): ``next_key`` is the sort key of its last item
    when more follow, ``next`` the URL of the following page, set by the route from the request
    (``routers.common.linked``): the same in the JSON ``next`` and the ``Link`` header."""

    next_key: list[Any] | None = field(default=None, kw_only=True)
    next: str | None = field(default=None, kw_only=True)

    def link(self) -> str | None:
        return self.next
