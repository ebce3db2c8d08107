"""SSDSE-B-2023 (47 prefectures x fiscal years 2009-2020) as table ``ssdse-b-2023``."""

from pathlib import Path

from .metadata import TableMeta, table_inf
from .response import ClassItem, ClassObj, Table, value_cell
from .ssdse_codes import assign_codes, official_codes, read_rows, ssds_units, unit_for
from .ssdse_tables import (
    OBSERVED_TAB,
    SSDSE_GOV_ORG,
    SSDSE_STAT_NAME,
    TAB_CODE,
    Indicator,
    area_code,
    fiscal_year_code,
    fiscal_year_item,
    indicator_class,
)

STATS_DATA_ID = "ssdse-b-2023"
SOURCE_FILE = "prefecture/ssdse_B_2023_prefecture_timeseries_2009_2020.csv"
FIRST_INDICATOR_COLUMN = 3  # 年度, 地域コード, 都道府県 come first
META = TableMeta(
    stat_name=SSDSE_STAT_NAME,
    gov_org=SSDSE_GOV_ORG,
    statistics_name="SSDSE-B-2023 県別推移",
    title="都道府県別 基本データ（2009年度～2020年度）",
    cycle="年度次",
    collect_area="都道府県",
    main_category=("99", "その他"),
    sub_category=("99", "その他"),
    source_credit="「SSDSE-B-2023」（独立行政法人統計センター）",
)


def _indicators(header: list[str], shared: Path) -> list[Indicator]:
    names = header[FIRST_INDICATOR_COLUMN:]
    codes = assign_codes(names, official_codes(shared))
    units = ssds_units(shared)
    return [
        Indicator(FIRST_INDICATOR_COLUMN + i, name, codes[name], unit_for(name, codes[name], units))
        for i, name in enumerate(names)
    ]


def _area_class(rows: list[list[str]]) -> ClassObj:
    names = {area_code(row[1]): row[2] for row in rows}
    items = [ClassItem(code, names[code], "2", parent_code="00000") for code in sorted(names)]
    return ClassObj("area", "地域", items)


def _time_class(rows: list[list[str]]) -> ClassObj:
    years = sorted({row[0] for row in rows}, key=int)
    return ClassObj("time", "調査年", [fiscal_year_item(year) for year in years])


def _values(rows: list[list[str]], indicators: list[Indicator]) -> list[dict[str, str]]:
    ordered = sorted(rows, key=lambda row: (area_code(row[1]), int(row[0])))
    return [
        value_cell(
            {
                "tab": TAB_CODE,
                "cat01": ind.code,
                "area": area_code(row[1]),
                "time": fiscal_year_code(row[0]),
            },
            ind.unit,
            row[ind.column],
        )
        for ind in indicators
        for row in ordered
    ]


def build(shared: Path) -> Table:
    header, *rows = read_rows(shared / SOURCE_FILE)
    indicators = _indicators(header, shared)
    values = _values(rows, indicators)
    classes = [OBSERVED_TAB, indicator_class(indicators), _area_class(rows), _time_class(rows)]
    return Table(STATS_DATA_ID, table_inf(META, len(values)), classes, values)
