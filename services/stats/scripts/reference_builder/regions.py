"""regions.csv: every area the platform knows, keyed by e-Stat's 5-character area code.

The area CLASS of the 2020 census table 0003445099 (4,086 entries) is the master list.
Level mapping from e-Stat's @level there:
  1 -> nation; 2 -> prefecture; 4 -> municipality (市, 東京23区), except 13100 特別区部,
  an aggregate of the 23 wards -> other; 5 -> ward (政令指定都市の区); 6 -> municipality
  (町村); 7 -> other (2000年時点の旧市町村, names 「（旧：…）」).
"""

import csv
import io
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from . import sources
from .romaji import place_name

NATION = "00000"
TOKYO_WARDS_AGGREGATE = "特別区部"
LEVELS = {"1": "nation", "2": "prefecture", "4": "municipality", "5": "ward", "6": "municipality"}
AREA_TAB = "2020_47"  # 面積（参考）, km2
Rows = dict[str, dict[str, str]]


@dataclass(frozen=True)
class Region:
    code: str
    level: str
    parent_code: str
    prefecture_code: str
    name_ja: str
    name_kana: str
    name_en: str
    estat_level: str
    area_km2: str
    lat: str
    lng: str


def _level(item: dict[str, str]) -> str:
    if item["@name"] == TOKYO_WARDS_AGGREGATE:
        return "other"
    return LEVELS.get(item["@level"], "other")


def _prefecture_code(code: str) -> str:
    return "" if code == NATION else code[:2] + "000"


def _prefecture_names(shared: Path) -> Rows:
    rows = sources.read_dicts(shared / sources.PREFECTURES)
    return {f"{int(row['pid']):02d}000": row for row in rows}


def _municipality_names(shared: Path) -> Rows:
    rows = sources.read_dicts(shared / sources.LOCALGOV)
    return {row["cid"].zfill(5): row for row in rows}


def _names(code: str, level: str, prefectures: Rows, municipalities: Rows) -> dict[str, str]:
    """name_kana, name_en, lat, lng where a source gives them."""
    if level == "nation":
        return {"name_kana": "", "name_en": "Japan", "lat": "", "lng": ""}
    if level == "prefecture":
        row = prefectures[code]
        return {
            "name_kana": row["prefkana"],
            "name_en": row["pref_en"],
            "lat": row["lat"],
            "lng": row["lng"],
        }
    row = municipalities.get(code)
    if row is None or level == "other":
        return {"name_kana": "", "name_en": "", "lat": "", "lng": ""}
    return {
        "name_kana": row["citykana"],
        "name_en": place_name(row["city"], row["citykana"]),
        "lat": row["lat"],
        "lng": row["lng"],
    }


def _ssdse_a_extras(shared: Path, known: set[str]) -> list[dict[str, str]]:
    """SSDSE-A municipalities that the census list lacks, as census-like CLASS items."""
    rows = sources.read_rows(shared / sources.SSDSE_A)[3:]
    return [
        {"@code": row[0][1:], "@name": row[2], "@level": "", "@parentCode": row[0][1:3] + "000"}
        for row in rows
        if row[0][1:] not in known
    ]


def _region(
    item: dict[str, str], level: str, areas: dict[str, str], names: dict[str, str]
) -> Region:
    code = item["@code"]
    return Region(
        code=code,
        level=level,
        parent_code=item.get("@parentCode", ""),
        prefecture_code=_prefecture_code(code),
        name_ja=item["@name"],
        estat_level=item["@level"],
        area_km2=areas.get(code, ""),
        **names,
    )


def build(shared: Path) -> list[Region]:
    body = sources.read_json(shared / sources.CENSUS_2020)
    items = sources.class_items(body, "area")
    areas = {v["@area"]: v["$"] for v in sources.values(body) if v["@tab"] == AREA_TAB}
    leveled = [(item, _level(item)) for item in items]
    extras = _ssdse_a_extras(shared, {item["@code"] for item in items})
    leveled += [(item, "municipality") for item in extras]
    prefectures, municipalities = _prefecture_names(shared), _municipality_names(shared)
    return [
        _region(item, level, areas, _names(item["@code"], level, prefectures, municipalities))
        for item, level in leveled
    ]


def to_csv(regions: list[Region]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, [f.name for f in fields(Region)], lineterminator="\n")
    writer.writeheader()
    writer.writerows(asdict(region) for region in regions)
    return buffer.getvalue()
