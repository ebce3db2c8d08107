"""Census time series 1920-2020 from e-Stat 0003410379 and 0003410380, as saved by JLSTAT-table.

The saved CSV files carry e-Stat's labels but not its codes, so codes here are ours: areas are
the prefecture codes (matched on the prefecture name), times the calendar-year form, sexes and
age groups numbered in the order the files list them. The ids say which e-Stat table each is
built from and, not being 10-digit numbers, never collide with e-Stat's own.
"""

import csv
from pathlib import Path

from .metadata import TableMeta, table_inf
from .response import ClassItem, ClassObj, Table, value_cell

PREFECTURE_ID = "census-0003410379"
PYRAMID_ID = "census-0003410380"
PREFECTURE_FILE = "prefecture/jlstat_census_population_by_prefecture_1920_2020.csv"
PYRAMID_FILE = "prefecture/jlstat_census_pyramid_national_1920_2020.csv"
# Prefecture names and codes (c01 carries both).
NAMES_FILE = "prefecture/census_c01_population_by_prefecture_1920_2015.csv"
TAB = ClassItem("001", "人口", "", unit="人")
# JLSTAT's R script writes e-Stat's "-" (not surveyed: Okinawa 1945) as NA.
NOT_AVAILABLE = "NA"
NOT_SURVEYED = "-"
# Wording of the "-" mark in the real census response 0003445099.
NOTES = {NOT_SURVEYED: "当該数値がないもの"}
CREDIT = "総務省統計局「国勢調査」（政府統計の総合窓口(e-Stat)）を加工して作成"
PYRAMID_NOTE = (
    "2000年以前の「85~89歳」は85歳以上の全員を含む（各年の男女・年齢別の合計が国勢調査の総人口"
    "から年齢不詳を除いた数に一致する）。年齢不詳は含まない。"
)


def _meta(title: str, explanation: str | None = None) -> TableMeta:
    return TableMeta(
        stat_name=("00200521", "国勢調査"),
        gov_org=("00200", "総務省"),
        statistics_name="国勢調査 時系列データ 男女，年齢，配偶関係",
        title=title,
        cycle="5年",
        collect_area="全国",
        main_category=("02", "人口・世帯"),
        sub_category=("01", "人口"),
        source_credit=CREDIT,
        explanation=explanation,
    )


def _rows(shared: Path, name: str) -> list[dict[str, str]]:
    with (shared / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _prefecture_codes(shared: Path) -> dict[str, str]:
    return {
        row["都道府県名"]: row["都道府県コード"] + "000"
        for row in _rows(shared, NAMES_FILE)
        if row["都道府県コード"].isdigit() and row["都道府県コード"] != "00"
    }


def _year(label: str) -> str:
    if not (label.endswith("年") and label[:-1].isdigit()):
        raise ValueError(f"unexpected census year {label!r}")
    return label[:-1]


def _value(text: str) -> str:
    if text == NOT_AVAILABLE:
        return NOT_SURVEYED
    if not text.isdigit():
        raise ValueError(f"a value that is neither a count nor NA: {text!r}")
    return text


def _time_class(years: list[str]) -> ClassObj:
    items = [ClassItem(f"{y}000000", f"{y}年") for y in sorted(set(years), key=int)]
    return ClassObj("time", "時間軸(調査年)", items)


def _notes(values: list[dict[str, str]]) -> dict[str, str]:
    used = {value["$"] for value in values}
    return {char: text for char, text in NOTES.items() if char in used}


def build_prefectures(shared: Path) -> Table:
    rows = _rows(shared, PREFECTURE_FILE)
    codes = _prefecture_codes(shared)
    if {row["男女_時系列"] for row in rows} != {"総数"} or {row["unit"] for row in rows} != {"人"}:
        raise ValueError("expected both sexes in persons only")
    cells = sorted(
        (codes[r["地域_時系列"]], _year(r["時間軸(調査年)"]), _value(r["value"])) for r in rows
    )
    values = [
        value_cell({"tab": TAB.code, "cat01": "0", "area": a, "time": f"{y}000000"}, TAB.unit, v)
        for a, y, v in cells
    ]
    names = {code: name for name, code in codes.items()}
    areas = sorted({a for a, _, _ in cells})
    classes = [
        ClassObj("tab", "表章項目", [TAB]),
        ClassObj("cat01", "男女_時系列", [ClassItem("0", "総数")]),
        ClassObj("area", "地域_時系列", [ClassItem(a, names[a], "2") for a in areas]),
        _time_class([y for _, y, _ in cells]),
    ]
    meta = _meta("男女別人口－都道府県（大正9年～令和2年）")
    return Table(PREFECTURE_ID, table_inf(meta, len(values)), classes, values, _notes(values))


def _age_start(label: str) -> int:
    return int(label.split("~")[0].removesuffix("歳以上"))


def build_pyramid(shared: Path) -> Table:
    rows = _rows(shared, PYRAMID_FILE)
    sexes = list(dict.fromkeys(row["sex"] for row in rows))
    if sexes != ["男性", "女性"]:
        raise ValueError(f"unexpected sexes {sexes}")
    ages = sorted({row["age"] for row in rows}, key=_age_start)
    sex_code = {name: str(i) for i, name in enumerate(sexes, start=1)}
    age_code = {name: f"{i:03d}" for i, name in enumerate(ages, start=1)}
    cells = sorted(
        (sex_code[r["sex"]], age_code[r["age"]], r["year"], _value(r["value"])) for r in rows
    )
    values = [
        value_cell(
            {"tab": TAB.code, "cat01": s, "cat02": a, "area": "00000", "time": f"{y}000000"},
            TAB.unit,
            v,
        )
        for s, a, y, v in cells
    ]
    classes = [
        ClassObj("tab", "表章項目", [TAB]),
        ClassObj("cat01", "男女_時系列", [ClassItem(c, name) for name, c in sex_code.items()]),
        ClassObj("cat02", "年齢_時系列", [ClassItem(c, name) for name, c in age_code.items()]),
        ClassObj("area", "地域_時系列", [ClassItem("00000", "全国")]),
        _time_class([y for _, _, y, _ in cells]),
    ]
    meta = _meta("男女，年齢（5歳階級）別人口－全国（大正9年～令和2年）", PYRAMID_NOTE)
    return Table(PYRAMID_ID, table_inf(meta, len(values)), classes, values, _notes(values))
