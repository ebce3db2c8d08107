"""Municipal census history: 2015 on 2020 boundaries, and the Japanese population 2010/2015.

``census-2015-on-2020-areas``: the 2015 population recombined to the areas of 2020, from the
captured 2020 census response 0003445099 (tab 2020_03, published under the 2020 time code); the
same cells under the year they count, 2015, so a municipality's series has 2015 and 2020.

``census-japanese-2010-2015``: the Japanese population (国籍 日本) of the 2010 and 2015 censuses
by area, from e-Stat's statistical LOD as saved by code4fukui/e-stat; only the areas of the
2020 census table's area list are kept (郡 totals and pre-merger units have no region here).
"""

import csv
from pathlib import Path

from . import census2020
from .metadata import TableMeta, table_inf
from .response import ClassItem, ClassObj, Table, value_cell

RECOMBINED_ID = "census-2015-on-2020-areas"
JAPANESE_ID = "census-japanese-2010-2015"
JAPANESE_FILE = "municipality/code4fukui_estat_lod_population_japanese_2010_2015_by_lgcode.csv"
RECOMBINED_TAB = "2020_03"
CREDIT = "総務省統計局「国勢調査」（政府統計の総合窓口(e-Stat)）を加工して作成"


def _meta(title: str, explanation: str) -> TableMeta:
    return TableMeta(
        stat_name=("00200521", "国勢調査"),
        gov_org=("00200", "総務省"),
        statistics_name="国勢調査",
        title=title,
        cycle="5年",
        collect_area="全国",
        main_category=("02", "人口・世帯"),
        sub_category=("01", "人口"),
        source_credit=CREDIT,
        explanation=explanation,
    )


def _listed(items: object) -> list[dict[str, str]]:
    return items if isinstance(items, list) else [items]  # type: ignore[return-value]


def _census_2020(shared: Path) -> tuple[list[dict[str, str]], list[dict[str, str]], dict]:
    """(area CLASS, VALUE rows, NOTE by mark) of the captured 0003445099 response."""
    data = census2020.load(shared)["GET_STATS_DATA"]["STATISTICAL_DATA"]
    objs = {obj["@id"]: obj for obj in data["CLASS_INF"]["CLASS_OBJ"]}
    notes = {note["@char"]: note["$"] for note in _listed(data["DATA_INF"].get("NOTE", []))}
    return _listed(objs["area"]["CLASS"]), _listed(data["DATA_INF"]["VALUE"]), notes


def _area_class(areas: list[dict[str, str]], name: str) -> ClassObj:
    items = [
        ClassItem(a["@code"], a["@name"], a["@level"], parent_code=a.get("@parentCode"))
        for a in areas
    ]
    return ClassObj("area", name, items)


def build_recombined(shared: Path) -> Table:
    areas, rows, notes = _census_2020(shared)
    order = {area["@code"]: i for i, area in enumerate(areas)}
    chosen = sorted(
        (row for row in rows if row["@tab"] == RECOMBINED_TAB), key=lambda r: order[r["@area"]]
    )
    tab = ClassItem(RECOMBINED_TAB, "2015年（平成27年）の人口（組替）", "", unit="人")
    values = [
        value_cell({"tab": tab.code, "area": r["@area"], "time": "2015000000"}, tab.unit, r["$"])
        for r in chosen
    ]
    classes = [
        ClassObj("tab", "表章事項", [tab]),
        _area_class(areas, "全国，都道府県，市区町村（2000年市区町村含む）"),
        ClassObj("time", "時間軸（年次）", [ClassItem("2015000000", "2015年")]),
    ]
    used = {value["$"] for value in values}
    meta = _meta(
        "2015年（平成27年）の人口（2020年の境域による組替）－全国，都道府県，市区町村",
        "令和2年国勢調査 人口等基本集計 表1-1-3（0003445099）の"
        "「2015年（平成27年）の人口（組替）」を、"
        "その人口の調査年（2015年）の時間軸で掲載したもの。",
    )
    marks = {char: text for char, text in notes.items() if char in used}
    return Table(RECOMBINED_ID, table_inf(meta, len(values)), classes, values, marks)


def build_japanese(shared: Path) -> Table:
    areas, _, _ = _census_2020(shared)
    known = {area["@code"]: area for area in areas}
    with (shared / JAPANESE_FILE).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_area: dict[str, dict[str, str]] = {}
    for row in rows:
        code = row["lgcode"][:5]
        if code in known:
            by_area[code] = row
    order = [area["@code"] for area in areas if area["@code"] in by_area]
    tab = ClassItem("001", "日本人人口", "", unit="人")
    values = []
    for code in order:
        for year in ("2010", "2015"):
            text = by_area[code][year]
            if text == "":
                continue  # no count for that year (e.g. merged before it): left out, not filled
            if not text.isdigit():
                raise ValueError(f"unexpected Japanese population {text!r} for {code}")
            keys = {"tab": tab.code, "area": code, "time": f"{year}000000"}
            values.append(value_cell(keys, tab.unit, text))
    values.sort(key=lambda v: (order.index(v["@area"]), v["@time"]))
    classes = [
        ClassObj("tab", "表章項目", [tab]),
        _area_class([known[code] for code in order], "全国，都道府県，市区町村"),
        ClassObj(
            "time", "時間軸（年次）", [ClassItem(f"{y}000000", f"{y}年") for y in ("2010", "2015")]
        ),
    ]
    meta = _meta(
        "日本人人口（国籍 日本，男女計，年齢計）－全国，都道府県，市区町村（平成22年，平成27年）",
        "e-Stat 統計LOD の国勢調査（2010年・2015年）の値。"
        "地域は2020年国勢調査の地域に含まれるもののみ。",
    )
    return Table(JAPANESE_ID, table_inf(meta, len(values)), classes, values, {})
