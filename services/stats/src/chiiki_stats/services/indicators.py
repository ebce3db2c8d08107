"""The indicator catalog as the API shows it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chiiki_stats.catalog import Catalog, IndicatorDef
from chiiki_stats.formats import Result, Table
from chiiki_stats.repository import DatasetState

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
class IndicatorList(Result):
    items: list[IndicatorDef]
    categories: list[str]
    name = "indicators"

    def json(self) -> dict[str, Any]:
        return {
            "items": [describe(indicator) for indicator in self.items],
            "count": len(self.items),
            "categories": self.categories,
        }

    def table(self) -> Table:
        return Table(
            INDICATOR_COLUMNS,
            [[describe(item)[column] for column in INDICATOR_COLUMNS] for item in self.items],
        )


def categories(catalog: Catalog) -> list[str]:
    """The catalog's categories, in its order."""
    return list(dict.fromkeys(indicator.category for indicator in catalog))


def list_indicators(catalog: Catalog, category: str | None, search: str | None) -> IndicatorList:
    needle = search.casefold() if search else None
    items = [
        indicator
        for indicator in catalog
        if (category is None or indicator.category == category)
        and (
            needle is None
            or any(
                needle in text.casefold()
                for text in (
                    indicator.code,
                    indicator.name_ja,
                    indicator.name_en,
                    indicator.definition,
                )
            )
        )
    ]
    categories = list(dict.fromkeys(indicator.category for indicator in catalog))
    return IndicatorList(items, categories)


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
