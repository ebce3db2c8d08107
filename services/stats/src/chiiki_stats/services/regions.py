"""Regions: the nation, prefectures, municipalities and wards, from the reference code list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chiiki_shared.errors import UnprocessableInput
from chiiki_shared.pagination import decode_cursor
from chiiki_stats.catalog import Reference, RegionInfo
from chiiki_stats.formats import ChartData, GeoLayer, Paged, Result, Table

REGION_COLUMNS = [
    "code",
    "level",
    "parent_code",
    "prefecture_code",
    "name_ja",
    "name_kana",
    "name_en",
    "estat_level",
    "area_km2",
    "lat",
    "lng",
]


def name(region: RegionInfo, lang: str) -> str:
    return (region.name_en or region.name_ja) if lang == "en" else region.name_ja


DEFAULT_PAGE = 100
MAX_PAGE = 1000


def after_position(cursor: str) -> int | None:
    """The position (in e-Stat's order) of the last region a cursor of this list names."""
    try:
        (position,) = decode_cursor(cursor, length=1)
    except UnprocessableInput:
        return None
    return position if type(position) is int and position >= 0 else None


@dataclass(frozen=True)
class RegionQuery:
    level: str | None
    parent: str | None
    prefecture: str | None
    search: str | None
    after: int | None
    limit: int


@dataclass
class RegionList(Paged):
    items: list[RegionInfo]
    name = "regions"

    def json(self) -> dict[str, Any]:
        return {"items": [region.describe() for region in self.items], "next": self.next}

    def table(self) -> Table:
        return Table(
            REGION_COLUMNS,
            [[region.describe()[column] for column in REGION_COLUMNS] for region in self.items],
        )

    def chartjs(self) -> ChartData:
        raise NotImplementedError

    def geo(self) -> GeoLayer:
        return GeoLayer(
            {
                region.code: {
                    "code": region.code,
                    "name_ja": region.name_ja,
                    "name_en": region.name_en,
                    "area_km2": region.area_km2,
                }
                for region in self.items
                if region.level == "prefecture"
            },
            metadata={"count": len(self.items)},
        )


def _matches(region: RegionInfo, needle: str) -> bool:
    needle = needle.casefold()
    return any(
        needle in value.casefold()
        for value in (region.name_ja, region.name_kana, region.name_en)
        if value
    )


def list_regions(reference: Reference, query: RegionQuery) -> RegionList:
    regions = reference.regions
    if query.level:
        candidates = regions.at_level(query.level)
    else:
        candidates = sorted(regions.by_code.values(), key=lambda region: region.position)
    selected = [
        region
        for region in candidates
        if (query.parent is None or region.parent_code == query.parent)
        and (query.prefecture is None or region.prefecture_code == query.prefecture)
        and (query.search is None or _matches(region, query.search))
    ]
    after = query.after
    page_from = (
        0
        if after is None
        else next(
            (index for index, region in enumerate(selected) if region.position > after),
            len(selected),
        )
    )
    page = selected[page_from : page_from + query.limit]
    more = page_from + query.limit < len(selected)
    return RegionList(page, next_key=[page[-1].position] if more and page else None)


@dataclass
class RegionDetail(Result):
    region: RegionInfo
    parent: RegionInfo | None
    prefecture: RegionInfo | None
    children: list[RegionInfo]
    name = "region"

    def json(self) -> dict[str, Any]:
        return {
            **self.region.describe(),
            "parent": self.parent.summary() if self.parent else None,
            "prefecture": self.prefecture.summary() if self.prefecture else None,
            "children": [child.summary() for child in self.children],
        }


def region_detail(reference: Reference, code: str) -> RegionDetail:
    region = reference.regions[code]
    parent = reference.regions.get(region.parent_code) if region.parent_code else None
    prefecture = (
        reference.regions.get(region.prefecture_code)
        if region.prefecture_code and region.prefecture_code != code
        else None
    )
    return RegionDetail(region, parent, prefecture, reference.regions.children.get(code, []))
