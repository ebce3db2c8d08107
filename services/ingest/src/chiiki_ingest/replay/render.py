"""e-Stat response bodies, built from tables and queries.

getStatsData bodies are produced as a stream of text chunks so a 100,000-row page never exists as
one string; every other body is small and built whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from chiiki_ingest.replay import messages
from chiiki_ingest.replay.encoding import dumps
from chiiki_ingest.replay.narrow import class_inf
from chiiki_ingest.replay.pages import page_key
from chiiki_ingest.replay.query import DataQuery, ListQuery, echo_value, narrowing_echo
from chiiki_ingest.replay.tables import Table, one_or_many

JST = timezone(timedelta(hours=9))
ROWS_PER_CHUNK = 2_000
MAX_LIST = 100_000
_LIST_ECHO = ("surveyYears", "openYears", "statsField", "statsCode", "searchWord", "searchKind")


def now_date() -> str:
    return datetime.now(JST).isoformat(timespec="milliseconds")


def result(status: int, message: str) -> dict[str, Any]:
    return {"STATUS": status, "ERROR_MSG": message, "DATE": now_date()}


def error_body(root: str, status: int, message: str, stats_data_id: str | None) -> str:
    parameter: dict[str, Any] = {"LANG": "J"}
    if stats_data_id:
        parameter["STATS_DATA_ID"] = stats_data_id
    parameter["DATA_FORMAT"] = "J"
    return dumps({root: {"RESULT": result(status, message), "PARAMETER": parameter}})


def auth_failure_json(root: str) -> str:
    # Real answers to a bad appId echo nothing but the format taken from the path.
    body = {"RESULT": result(messages.AUTH_FAILED, messages.AUTH_FAILED_MESSAGE)}
    body["PARAMETER"] = {"DATA_FORMAT": "J"}
    return dumps({root: body})


def auth_failure_xml(root: str) -> str:
    """The body the firewall in front of e-Stat sends with HTTP 403."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f"<{root}>\n  <RESULT>\n    <STATUS>{messages.AUTH_FAILED}</STATUS>\n"
        f"    <ERROR_MSG>{messages.AUTH_FAILED_MESSAGE}</ERROR_MSG>\n"
        f"    <DATE>{now_date()}</DATE>\n  </RESULT>\n</{root}>\n"
    )


def data_parameter(query: DataQuery) -> dict[str, Any]:
    parameter: dict[str, Any] = {"LANG": "J", "STATS_DATA_ID": query.stats_data_id}
    narrowing = narrowing_echo(query)
    if narrowing:
        parameter["NARROWING_COND"] = narrowing
    parameter["DATA_FORMAT"] = "J"
    parameter["START_POSITION"] = query.start
    if query.limit is not None:
        parameter["LIMIT"] = query.limit
    parameter["METAGET_FLG"] = "Y" if query.meta else "N"
    if "cntGetFlg" in query.params:
        parameter["CNT_GET_FLG"] = query.params["cntGetFlg"]
    for name, key in (
        ("explanationGetFlg", "EXPLANATION_GET_FLG"),
        ("annotationGetFlg", "ANNOTATION_GET_FLG"),
    ):
        if name in query.params:
            parameter[key] = query.params[name]
    return parameter


def count_body(table_inf: dict[str, Any], query: DataQuery, total: int) -> str:
    data = {"RESULT_INF": {"TOTAL_NUMBER": total}, "TABLE_INF": table_inf, "DATA_INF": ""}
    return _stats_data_document(query, messages.OK, messages.OK_MESSAGE, data)


def no_data_body(table_inf: dict[str, Any], query: DataQuery, total: int) -> str:
    data = {"RESULT_INF": {"TOTAL_NUMBER": total}, "TABLE_INF": table_inf}
    return _stats_data_document(query, messages.NO_DATA, messages.NO_DATA_MESSAGE, data)


def _stats_data_document(query: DataQuery, status: int, message: str, data: dict[str, Any]) -> str:
    body = {"RESULT": result(status, message), "PARAMETER": data_parameter(query)}
    body["STATISTICAL_DATA"] = data
    return dumps({"GET_STATS_DATA": body})


def stats_data_chunks(
    table: Table, query: DataQuery, wanted: dict[str, set[str]], rows: Sequence[int]
) -> Iterator[str]:
    """A getStatsData body for rows[start-1 : start-1+page_size] of the selected rows."""
    first = query.start - 1
    page = rows[first : first + query.page_size]
    info: dict[str, Any] = {
        "TOTAL_NUMBER": len(rows),
        "FROM_NUMBER": query.start,
        "TO_NUMBER": first + len(page),
    }
    if first + len(page) < len(rows):
        info["NEXT_KEY"] = first + len(page) + 1
    head = {"RESULT": result(messages.OK, messages.OK_MESSAGE), "PARAMETER": data_parameter(query)}
    parts = [dumps(head)[:-1], ',"STATISTICAL_DATA":{"RESULT_INF":', dumps(info)]
    parts += [',"TABLE_INF":', dumps(table.table_inf)]
    if query.meta:
        parts += [',"CLASS_INF":', dumps(class_inf(table, wanted))]
    parts.append(',"DATA_INF":{')
    if table.notes:
        parts += ['"NOTE":', dumps(one_or_many(table.notes)), ","]
    parts.append('"VALUE":')
    yield '{"GET_STATS_DATA":' + "".join(parts)
    key = page_key(wanted, query.start, query.page_size)
    yield from table.pages.get(key, lambda: list(_value_chunks(table, page)))
    yield "}}}}"


def _value_chunks(table: Table, page: Sequence[int]) -> Iterator[str]:
    if len(page) == 1:
        yield table.render_row(page[0])
        return
    yield "["
    for start in range(0, len(page), ROWS_PER_CHUNK):
        rendered = ",".join(table.render_row(row) for row in page[start : start + ROWS_PER_CHUNK])
        yield ("," if start else "") + rendered
    yield "]"


def meta_info_body(
    stats_data_id: str, table_inf: dict[str, Any], objs: list[dict[str, Any]]
) -> str:
    parameter = {"LANG": "J", "STATS_DATA_ID": stats_data_id, "DATA_FORMAT": "J"}
    metadata = {"TABLE_INF": table_inf, "CLASS_INF": {"CLASS_OBJ": one_or_many(objs)}}
    body = {"RESULT": result(messages.OK, messages.OK_MESSAGE), "PARAMETER": parameter}
    body["METADATA_INF"] = metadata
    return dumps({"GET_META_INFO": body})


def meta_objs(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Normalised CLASS_OBJ entries with e-Stat's one-or-many shape restored."""
    restored = []
    for obj in objs:
        copy = dict(obj)
        copy["CLASS"] = one_or_many(obj["CLASS"])
        if "EXPLANATION" in obj:
            copy["EXPLANATION"] = one_or_many(obj["EXPLANATION"])
        restored.append(copy)
    return restored


def stats_list_body(query: ListQuery, infs: list[dict[str, Any]]) -> str:
    first = query.start - 1
    page = infs[first : first + (query.limit or MAX_LIST)]
    status, message = (messages.OK, messages.OK_MESSAGE) if page else _no_data()
    datalist: dict[str, Any] = {"NUMBER": len(infs)}
    if page:
        info: dict[str, Any] = {"FROM_NUMBER": query.start, "TO_NUMBER": first + len(page)}
        if first + len(page) < len(infs):
            info["NEXT_KEY"] = first + len(page) + 1
        datalist["RESULT_INF"] = info
        datalist["TABLE_INF"] = one_or_many(page)
    else:
        datalist["RESULT_INF"] = ""
    body = {"RESULT": result(status, message), "PARAMETER": _list_parameter(query)}
    body["DATALIST_INF"] = datalist
    return dumps({"GET_STATS_LIST": body})


def _no_data() -> tuple[int, str]:
    return messages.NO_DATA, messages.NO_DATA_MESSAGE


def _list_parameter(query: ListQuery) -> dict[str, Any]:
    parameter: dict[str, Any] = {"LANG": "J"}
    for name in _LIST_ECHO:
        if name in query.params:
            parameter[_upper_snake(name)] = echo_value(query.params[name])
    parameter["DATA_FORMAT"] = "J"
    if "startPosition" in query.params:
        parameter["START_POSITION"] = query.start
    if query.limit is not None:
        parameter["LIMIT"] = query.limit
    return parameter


def _upper_snake(name: str) -> str:
    return "".join(f"_{c}" if c.isupper() else c.upper() for c in name)


def csv_chunks(table: Table, query: DataQuery, rows: Sequence[int]) -> Iterator[str]:
    """getSimpleStatsData without section headers (sectionHeaderFlg=2), as recorded."""
    first = query.start - 1
    page = rows[first : first + query.page_size]
    dims = [c for c in table.columns if c.key not in ("@unit", "@annotation")]
    header: list[str] = []
    for column in dims:
        obj = table.class_obj(column.key[1:]) or {}
        header += [f"{column.key[1:]}_code", obj.get("@name", column.key[1:])]
    yield _csv_line([*header, "unit", "value", "annotation"])
    names = {c.key: _class_names(table, c.key[1:]) for c in dims}
    unit = next((c for c in table.columns if c.key == "@unit"), None)
    for start in range(0, len(page), ROWS_PER_CHUNK):
        lines = []
        for row in page[start : start + ROWS_PER_CHUNK]:
            fields: list[str] = []
            for column in dims:
                code = column.labels[column.index[row]] or ""
                fields += [code, names[column.key].get(code, "")]
            unit_text = (unit.labels[unit.index[row]] if unit else None) or ""
            lines.append(_csv_line([*fields, unit_text, table.values[row], ""]))
        yield "".join(lines)


def _class_names(table: Table, dimension: str) -> dict[str, str]:
    obj = table.class_obj(dimension) or {"CLASS": []}
    return {item["@code"]: item.get("@name", "") for item in obj["CLASS"]}


def _csv_line(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(fields)
    return buffer.getvalue()
