"""Census population by prefecture and sex, 1920-2015 (c01.csv) as ``census-c01-1920-2015``.

The 人口集中地区 rows (codes 0A/0B) are not areas but a split of the nation, and e-Stat has
no 5-character area code for them, so they are dropped.
"""

import csv
from dataclasses import replace
from pathlib import Path

from .metadata import TableMeta, table_inf
from .response import ClassItem, ClassObj, Table, value_cell

STATS_DATA_ID = "census-c01-1920-2015"
SOURCE_FILE = "prefecture/census_c01_population_by_prefecture_1920_2015.csv"
TAB = ClassItem("001", "人口", "", unit="人")
# Sex codes as e-Stat uses them (e.g. 0003005798 cat03): 0 総数, 1 男, 2 女.
SEXES = (("0", "総数", "人口（総数）"), ("1", "男", "人口（男）"), ("2", "女", "人口（女）"))
NOT_SURVEYED = "-"
# Wording of the "-" mark in the real census response 0003445099.
NOTES = {NOT_SURVEYED: "当該数値がないもの"}
META = TableMeta(
    stat_name=("00200521", "国勢調査"),
    gov_org=("00200", "総務省"),
    statistics_name="国勢調査 時系列データ",
    title="男女別人口－全国，都道府県（大正９年～平成27年）",
    cycle="5年",
    collect_area="全国",
    main_category=("02", "人口・世帯"),
    sub_category=("01", "人口"),
    source_credit="総務省統計局「国勢調査」（政府統計の総合窓口(e-Stat)）を加工して作成",
)


def _read(shared: Path) -> tuple[list[dict[str, str]], list[str]]:
    """Data rows of areas 00-47, and the footnote lines that close the file."""
    with (shared / SOURCE_FILE).open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    header = lines[0]
    rows = [dict(zip(header, line, strict=True)) for line in lines[1:] if len(line) == len(header)]
    footnotes = [line[0] for line in lines[1:] if len(line) == 1]
    return [row for row in rows if row["都道府県コード"].isdigit()], footnotes


def _area(row: dict[str, str]) -> str:
    return row["都道府県コード"] + "000"


def _time(row: dict[str, str]) -> str:
    return row["西暦（年）"] + "000000"


def _area_class(rows: list[dict[str, str]]) -> ClassObj:
    names = {_area(row): row["都道府県名"] for row in rows}
    items = [
        ClassItem(code, names[code], "1" if code == "00000" else "2") for code in sorted(names)
    ]
    return ClassObj("area", "全国・都道府県", items)


def _time_class(rows: list[dict[str, str]]) -> ClassObj:
    years = sorted({row["西暦（年）"] for row in rows}, key=int)
    return ClassObj("time", "時間軸（年次）", [ClassItem(f"{y}000000", f"{y}年") for y in years])


def _values(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    ordered = sorted(rows, key=lambda row: (_area(row), _time(row)))
    return [
        value_cell(
            {"tab": TAB.code, "cat01": code, "area": _area(row), "time": _time(row)},
            TAB.unit,
            row[column],
        )
        for code, _name, column in SEXES
        for row in ordered
    ]


def build(shared: Path) -> Table:
    rows, footnotes = _read(shared)
    values = _values(rows)
    if any(value["$"] != NOT_SURVEYED and not value["$"].isdigit() for value in values):
        raise ValueError("c01.csv holds a value that is neither a count nor '-'")
    meta = replace(META, explanation="<br>".join(footnotes))
    sexes = ClassObj("cat01", "男女別", [ClassItem(code, name) for code, name, _ in SEXES])
    classes = [ClassObj("tab", "表章項目", [TAB]), sexes, _area_class(rows), _time_class(rows)]
    used = {value["$"] for value in values}
    notes = {char: text for char, text in NOTES.items() if char in used}
    return Table(STATS_DATA_ID, table_inf(meta, len(values)), classes, values, notes)
