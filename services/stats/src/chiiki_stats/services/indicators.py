"""The indicator catalog as the API shows it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chiiki_shared.errors import UnprocessableInput
from chiiki_shared.pagination import decode_cursor
from chiiki_stats.catalog import Catalog, IndicatorDef
from chiiki_stats.formats import Paged, Result, Table
from chiiki_stats.repository import DatasetState

# The catalog has some fifty indicators: one default page holds them all.
DEFAULT_PAGE = 100
MAX_PAGE = 200
INDICATOR_COLUMNS = [
    "code",
    "name_ja",
    "name_en",
    "category",
    "unit",
    "unit_en",
    "higher_is_better",
    "definition",
]


def describe(indicator: IndicatorDef) -> dict[str, Any]:
    return {**indicator.summary(), "definition": indicator.definition}


@dataclass
class IndicatorList(Paged):
    items: list[IndicatorDef]
    name = "indicators"

    def json(self) -> dict[str, Any]:
        return {"items": [describe(indicator) for indicator in self.items], "next": self.next}

    def table(self) -> Table:
        return Table(
            INDICATOR_COLUMNS,
            [[describe(item)[column] for column in INDICATOR_COLUMNS] for item in self.items],
        )


def categories(catalog: Catalog) -> list[str]:
    """The catalog's categories, in its order."""
    return list(dict.fromkeys(indicator.category for indicator in catalog))


def after_code(cursor: str) -> str | None:
    """The code of the last indicator a cursor of this list names (checked against the catalog
    by ``list_indicators``)."""
    try:
        (code,) = decode_cursor(cursor, length=1)
    except UnprocessableInput:
        return None
    return code if isinstance(code, str) else None


@dataclass(frozen=True)
class IndicatorQuery:
    category: str | None
    search: str | None
    after: str | None
    limit: int


def _matches(indicator: IndicatorDef, needle: str) -> bool:
    texts = (indicator.code, indicator.name_ja, indicator.name_en, indicator.definition)
    return any(needle in text.casefold() for text in texts)


def list_indicators(catalog: Catalog, query: IndicatorQuery) -> IndicatorList:
    """A page of the catalog, in its order, after the indicator ``query.after`` (a code of the
    catalog: the route refused any other)."""
    ordered = list(catalog)
    start = 0
    if query.after is not None:
        start = next(i for i, item in enumerate(ordered) if item.code == query.after) + 1
    needle = query.search.casefold() if query.search else None
    selected = [
        indicator
        for indicator in ordered[start:]
        if (query.category is None or indicator.category == query.category)
        and (needle is None or _matches(indicator, needle))
    ]
    page = selected[: query.limit]
    more = len(selected) > query.limit
    return IndicatorList(page, next_key=[page[-1].code] if more else None)


@dataclass
class IndicatorDetail(Result):
    indicator: IndicatorDef
    operands_of: list[str]
    used_by: list[str]
    datasets: Mapping[str, DatasetState]
    name = "indicator"

    def json(self) -> dict[str, Any]:
        sources = []
        for source in self.indicator.sources:
            described = source.describe()
            if source.dataset_id:
                state = self.datasets.get(source.dataset_id)
                described["dataset_version"] = state.version if state else None
                described["dataset_title"] = state.title if state else None
            sources.append(described)
        return {
            **describe(self.indicator),
            "additive": self.indicator.additive,
            "sources": sources,
            "depends_on": self.operands_of,
            "used_by": self.used_by,
        }


def indicator_detail(
    catalog: Catalog, code: str, datasets: Mapping[str, DatasetState]
) -> IndicatorDetail:
    indicator = catalog[code]
    operands = [name for source in indicator.sources for name in source.operands]
    used_by = [
        other.code for other in catalog if any(code in source.operands for source in other.sources)
    ]
    return IndicatorDetail(indicator, list(dict.fromkeys(operands)), used_by, datasets)
