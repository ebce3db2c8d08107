"""SSDSE-A-2023 (1,741 municipalities, one year per indicator) as table ``ssdse-a-2023``."""

from pathlib import Path

from .metadata import TableMeta, table_inf
from .response import ClassItem, ClassObj, Table, value_cell
from .ssdse_codes import A_FILE, read_rows, ssds_units, unit_for
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

STATS_DATA_ID = "ssdse-a-2023"
FIRST_INDICATOR_COLUMN = 3  # 地域コード, 都道府県, 市区町村 come first
META = TableMeta(
    stat_name=SSDSE_STAT_NAME,
    gov_org=SSDSE_GOV_ORG,
    statistics_name="SSDSE-A-2023 市区町村",
    title="市区町村別 基本データ",
    cycle="-",
    collect_area="市区町村",
    main_category=("99", "その他"),
    sub_category=("99", "その他"),
    source_credit="「SSDSE-A-2023」（独立行政法人統計センター）",
    explanation="各指標の年度は指標ごとに異なる（原表の「年度」行による）。",
)


def _indicators(code_row: list[str], name_row: list[str], shared: Path) -> list[Indicator]:
    units = ssds_units(shared)
    return [
        Indicator(
            column,
            name_row[column],
            code_row[column],
            unit_for(name_row[column], code_row[column], units),
        )
        for column in range(FIRST_INDICATOR_COLUMN, len(code_row))
    ]


def _area_class(rows: list[list[str]]) -> ClassObj:
    # SSDS municipal tables name an area 「都道府県 市区町村」 and point it at its prefecture.
    items = [
        ClassItem(
            area_code(row[0]), f"{row[1]} {row[2]}", "2", parent_code=area_code(row[0])[:2] + "000"
        )
        for row in rows
    ]
    return ClassObj("area", "地域", items)


def _time_class(year_row: list[str]) -> ClassObj:
    years = sorted(set(year_row[FIRST_INDICATOR_COLUMN:]), key=int)
    return ClassObj("time", "調査年", [fiscal_year_item(year) for year in years])


def _values(
    rows: list[list[str]], indicators: list[Indicator], year_row: list[str]
) -> list[dict[str, str]]:
    return [
        value_cell(
            {
                "tab": TAB_CODE,
                "cat01": ind.code,
                "area": area_code(row[0]),
                "time": fiscal_year_code(year_row[ind.column]),
            },
            ind.unit,
            row[ind.column],
        )
        for ind in indicators
        for row in rows
    ]


def build(shared: Path) -> Table:
    code_row, year_row, name_row, *rows = read_rows(shared / A_FILE)
    indicators = _indicators(code_row, name_row, shared)
    values = _values(rows, indicators, year_row)
    classes = [OBSERVED_TAB, indicator_class(indicators), _area_class(rows), _time_class(year_row)]
    return Table(STATS_DATA_ID, table_inf(META, len(values)), classes, values)
