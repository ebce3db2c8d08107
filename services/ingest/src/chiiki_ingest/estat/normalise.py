"""Turning e-Stat's JSON (XML converted mechanically) into the typed models.

Everything here copes with e-Stat's shape changes: one item as a bare object, several as an array
(CLASS_OBJ, CLASS, VALUE, NOTE, EXPLANATION, TABLE_INF); text as `{"@attr": .., "$": ..}` or a
plain string or number; `@level` of `""`; SURVEY_DATE as a number or a string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from chiiki_ingest.estat.models import (
    Cell,
    ClassItem,
    Dimension,
    MetaInfo,
    StatsDataPage,
    StatsList,
    TableInfo,
)
from chiiki_ingest.estat.periods import parse_period

# e-Stat sends plain decimal text: no thousands separators, no exponent, no plus sign.
NUMBER = re.compile(r"-?\d+(\.\d+)?")
_NOT_DIMENSIONS = frozenset({"@unit", "@annotation", "$"})


def as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def text_of(value: Any) -> str | None:
    """The text of `{"$": ...}`, a string or a number; None for absent or empty."""
    if isinstance(value, dict):
        value = value.get("$")
    if value is None or value == "":
        return None
    return str(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _code_of(value: Any) -> str | None:
    return str(value["@code"]) if isinstance(value, dict) and "@code" in value else None


def _int_or_none(value: Any) -> int | None:
    text = text_of(value)
    return int(text) if text is not None and text.lstrip("-").isdigit() else None


def _date_or_none(value: Any) -> date | None:
    try:
        return date.fromisoformat(text_of(value) or "")
    except ValueError:
        return None


def _text_map(value: Any) -> Mapping[str, str]:
    if not isinstance(value, dict):
        return MappingProxyType({})
    return MappingProxyType({k: str(v) for k, v in value.items() if text_of(v) is not None})


def parse_table_info(inf: Mapping[str, Any]) -> TableInfo:
    title = inf.get("TITLE")
    survey = text_of(inf.get("SURVEY_DATE"))
    description = inf.get("DESCRIPTION")
    return TableInfo(
        id=str(inf.get("@id", "")),
        title=text_of(title) or "",
        title_no=str(title["@no"]) if isinstance(title, dict) and "@no" in title else None,
        stat_code=_code_of(inf.get("STAT_NAME")),
        stat_name=text_of(inf.get("STAT_NAME")),
        gov_org_code=_code_of(inf.get("GOV_ORG")),
        gov_org=text_of(inf.get("GOV_ORG")),
        statistics_name=text_of(inf.get("STATISTICS_NAME")),
        statistics_name_spec=_text_map(inf.get("STATISTICS_NAME_SPEC")),
        title_spec=_text_map(inf.get("TITLE_SPEC")),
        cycle=text_of(inf.get("CYCLE")),
        survey_date=None if survey in (None, "0") else survey,
        open_date=_date_or_none(inf.get("OPEN_DATE")),
        updated_date=_date_or_none(inf.get("UPDATED_DATE")),
        small_area=_int_or_none(inf.get("SMALL_AREA")),
        collect_area=text_of(inf.get("COLLECT_AREA")),
        main_category=text_of(inf.get("MAIN_CATEGORY")),
        sub_category=text_of(inf.get("SUB_CATEGORY")),
        overall_total_number=_int_or_none(inf.get("OVERALL_TOTAL_NUMBER")),
        description=None if isinstance(description, dict) else text_of(description),
        description_parts=_text_map(description),
    )


def parse_dimensions(class_inf: Any) -> tuple[Dimension, ...]:
    if not isinstance(class_inf, dict):
        return ()
    return tuple(_dimension(obj) for obj in as_list(class_inf.get("CLASS_OBJ")))


def _dimension(obj: Mapping[str, Any]) -> Dimension:
    explanations = {str(e.get("@id")): text_of(e) for e in as_list(obj.get("EXPLANATION"))}
    items = tuple(_class_item(item, explanations) for item in as_list(obj.get("CLASS")))
    return Dimension(
        id=str(obj.get("@id", "")),
        name=str(obj.get("@name", "")),
        items=items,
        description=text_of(obj.get("@description")),
    )


def _class_item(item: Mapping[str, Any], explanations: Mapping[str, str | None]) -> ClassItem:
    code = str(item.get("@code", ""))
    level = str(item.get("@level", ""))
    return ClassItem(
        code=code,
        name=str(item.get("@name", "")),
        level=int(level) if level.isdigit() else None,
        parent_code=text_of(item.get("@parentCode")),
        unit=text_of(item.get("@unit")),
        explanation=explanations.get(code),
    )


def parse_notes(note: Any) -> Mapping[str, str]:
    return MappingProxyType({str(n.get("@char")): text_of(n) or "" for n in as_list(note)})


def parse_value(
    raw: str, notes: Mapping[str, str]
) -> tuple[Decimal | None, str | None, str | None, bool]:
    """(value, mark, mark meaning, undeclared) for one VALUE's `$`.

    Text that NOTE declares is a special mark even when it looks like a number: e-Stat's
    `0.00` means "less than the unit", not zero, so it becomes no value plus the mark.
    """
    meaning = notes.get(raw)
    if meaning is not None:
        return None, raw, meaning, False
    if NUMBER.fullmatch(raw):
        return Decimal(raw), None, None, False
    return None, raw, None, True


class CellBuilder:
    def __init__(self, dimensions: Sequence[Dimension], notes: Mapping[str, str]) -> None:
        self._notes = notes
        self._units = {
            (d.id, item.code): item.unit for d in dimensions for item in d.items if item.unit
        }
        # With one dimension whose items carry units (the usual table), a cell's class unit is
        # that item's: one lookup instead of one per code (a tenth of parsing a page).
        unit_dimensions = {dimension for dimension, _ in self._units}
        self._unit_dimension = unit_dimensions.pop() if len(unit_dimensions) == 1 else None

    def build(self, value: Mapping[str, Any]) -> Cell:
        raw = str(value.get("$", ""))
        codes = {k[1:]: str(v) for k, v in value.items() if k not in _NOT_DIMENSIONS}
        number, mark, meaning, undeclared = parse_value(raw, self._notes)
        time_code = codes.get("time")
        return Cell(
            dimensions=MappingProxyType(codes),
            raw=raw,
            value=number,
            unit=text_of(value.get("@unit")) or self._class_unit(codes),
            mark=mark,
            mark_meaning=meaning,
            undeclared_mark=undeclared,
            annotation=text_of(value.get("@annotation")),
            period=parse_period(time_code) if time_code is not None else None,
        )

    def _class_unit(self, codes: Mapping[str, str]) -> str | None:
        if self._unit_dimension is not None:
            code = codes.get(self._unit_dimension)
            return None if code is None else self._units.get((self._unit_dimension, code))
        return next((u for dc in codes.items() if (u := self._units.get(dc))), None)


def build_cells(
    dimensions: Sequence[Dimension], notes: Mapping[str, str], values: Sequence[Mapping[str, Any]]
) -> tuple[Cell, ...]:
    """The typed cells of a page's VALUE objects."""
    builder = CellBuilder(dimensions, notes)
    return tuple(builder.build(value) for value in values)


def parse_stats_data(
    body: Mapping[str, Any], known_dimensions: tuple[Dimension, ...] = ()
) -> StatsDataPage:
    """A GET_STATS_DATA body; `known_dimensions` stand in when metaGetFlg=N left CLASS_INF out."""
    data = _dict(body.get("STATISTICAL_DATA"))
    result_inf = _dict(data.get("RESULT_INF"))
    dimensions = parse_dimensions(data.get("CLASS_INF")) or known_dimensions
    data_inf = _dict(data.get("DATA_INF"))
    notes = parse_notes(data_inf.get("NOTE"))
    parameter = _dict(body.get("PARAMETER"))
    inf = data.get("TABLE_INF")
    return StatsDataPage(
        stats_data_id=str(parameter.get("STATS_DATA_ID") or _dict(inf).get("@id", "")),
        status=int(body["RESULT"]["STATUS"]),
        table=parse_table_info(inf) if isinstance(inf, dict) else None,
        dimensions=dimensions,
        notes=notes,
        values=tuple(as_list(data_inf.get("VALUE"))),
        total_number=_int_or_none(result_inf.get("TOTAL_NUMBER")) or 0,
        from_number=_int_or_none(result_inf.get("FROM_NUMBER")),
        to_number=_int_or_none(result_inf.get("TO_NUMBER")),
        next_key=_int_or_none(result_inf.get("NEXT_KEY")),
    )


def parse_meta_info(body: Mapping[str, Any]) -> MetaInfo:
    metadata = _dict(body.get("METADATA_INF"))
    table = parse_table_info(_dict(metadata.get("TABLE_INF")))
    return MetaInfo(table.id, table, parse_dimensions(metadata.get("CLASS_INF")))


def parse_stats_list(body: Mapping[str, Any]) -> StatsList:
    datalist = _dict(body.get("DATALIST_INF"))
    result_inf = _dict(datalist.get("RESULT_INF"))
    return StatsList(
        status=int(body["RESULT"]["STATUS"]),
        number=_int_or_none(datalist.get("NUMBER")) or 0,
        tables=tuple(parse_table_info(t) for t in as_list(datalist.get("TABLE_INF"))),
        from_number=_int_or_none(result_inf.get("FROM_NUMBER")),
        to_number=_int_or_none(result_inf.get("TO_NUMBER")),
        next_key=_int_or_none(result_inf.get("NEXT_KEY")),
    )
