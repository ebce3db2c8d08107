"""Request parameters, checked the way e-Stat checks them, and their echo in PARAMETER."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chiiki_ingest.replay import messages
from chiiki_ingest.replay.tables import DIMENSION_IDS

MAX_LIMIT = 100_000
_LEVEL = re.compile(r"([1-9])?(-)?([1-9])?")
_INTEGER_TEXT = re.compile(r"-?(0|[1-9]\d{0,17})")
_FLAGS = ("metaGetFlg", "cntGetFlg", "explanationGetFlg", "annotationGetFlg")


class ParamError(Exception):
    """A request e-Stat would refuse with an error STATUS."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Unsupported(Exception):
    """A valid e-Stat request this replay cannot answer truthfully."""


def param_name(dimension: str) -> str:
    """`cat01` -> `Cat01`, `area` -> `Area`: the stem of cdXxx / lvXxx parameter names."""
    return dimension.capitalize()


@dataclass(frozen=True)
class DataQuery:
    stats_data_id: str
    start: int
    limit: int | None
    meta: bool
    count_only: bool
    codes: dict[str, tuple[str, ...]]
    levels: dict[str, tuple[int, int]]
    params: Mapping[str, str]

    @property
    def page_size(self) -> int:
        return min(self.limit or MAX_LIMIT, MAX_LIMIT)

    @property
    def filtered(self) -> bool:
        return bool(self.codes or self.levels)


@dataclass(frozen=True)
class ListQuery:
    search_words: tuple[str, ...]
    stats_code: str | None
    survey_years: tuple[int, int] | None
    start: int
    limit: int | None
    params: Mapping[str, str]


def parse_data_query(params: Mapping[str, str]) -> DataQuery:
    _reject_unsupported(params)
    return DataQuery(
        stats_data_id=required_id(params),
        start=_positive(params, "startPosition", 1) or 1,
        limit=_positive(params, "limit", None),
        meta=_flag(params, "metaGetFlg", "Y"),
        count_only=_flag(params, "cntGetFlg", "N"),
        codes=_code_filters(params),
        levels=_level_filters(params),
        params=params,
    )


def required_id(params: Mapping[str, str]) -> str:
    if params.get("dataSetId"):
        raise Unsupported("dataSetId (registered data sets) is not replayed")
    stats_data_id = params.get("statsDataId", "")
    if not stats_data_id:
        raise ParamError(
            messages.MISSING_PARAMETER, messages.missing_parameter_message("statsDataId")
        )
    return stats_data_id


def check_common(params: Mapping[str, str]) -> None:
    if params.get("lang", "J") != "J":
        raise Unsupported("only lang=J is recorded")
    for flag in _FLAGS:
        _flag(params, flag, "N")


def _reject_unsupported(params: Mapping[str, str]) -> None:
    check_common(params)
    ranged = [k for k in params if k.startswith("cd") and k.endswith(("From", "To"))]
    if ranged:
        raise Unsupported(f"code ranges ({', '.join(sorted(ranged))}) are not replayed")
    if params.get("replaceSpChar", "0") != "0":
        raise Unsupported("replaceSpChar is not replayed")


def _positive(params: Mapping[str, str], name: str, default: int | None) -> int | None:
    text = params.get(name)
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ParamError(messages.BAD_PARAMETER, messages.bad_parameter_message(name))
    return int(text)


def _flag(params: Mapping[str, str], name: str, default: str) -> bool:
    value = params.get(name, default)
    if value not in ("Y", "N"):
        raise ParamError(messages.BAD_PARAMETER, messages.bad_parameter_message(name))
    return value == "Y"


def _code_filters(params: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    filters = {}
    for dimension in DIMENSION_IDS:
        name = f"cd{param_name(dimension)}"
        if name in params:
            codes = tuple(code.strip() for code in params[name].split(","))
            if not all(codes) or len(codes) > 100:
                raise ParamError(messages.BAD_PARAMETER, messages.bad_parameter_message(name))
            filters[dimension] = codes
    return filters


def _level_filters(params: Mapping[str, str]) -> dict[str, tuple[int, int]]:
    filters = {}
    for dimension in DIMENSION_IDS:
        name = f"lv{param_name(dimension)}"
        if name in params:
            filters[dimension] = _level_range(name, params[name])
    return filters


def _level_range(name: str, text: str) -> tuple[int, int]:
    match = _LEVEL.fullmatch(text)
    low, dash, high = match.groups() if match else (None, None, None)
    if not match or not (low or high) or (low and high and not dash):
        raise ParamError(messages.BAD_PARAMETER, messages.bad_parameter_message(name))
    if not dash:
        return int(low or 0), int(low or 0)
    return int(low or 1), int(high or 9)


def parse_list_query(params: Mapping[str, str]) -> ListQuery:
    check_common(params)
    unsupported = {"openYears", "statsField", "collectArea", "statsNameList", "updatedDate"}
    unsupported &= params.keys()
    if unsupported or params.get("searchKind", "1") != "1":
        names = ", ".join(sorted(unsupported)) or "searchKind"
        raise Unsupported(f"getStatsList with {names} is not replayed")
    return ListQuery(
        search_words=tuple(w for w in re.split(r"[ \u3000]+", params.get("searchWord", "")) if w),
        stats_code=_stats_code(params),
        survey_years=_survey_years(params),
        start=_positive(params, "startPosition", 1) or 1,
        limit=_positive(params, "limit", None),
        params=params,
    )


def _stats_code(params: Mapping[str, str]) -> str | None:
    code = params.get("statsCode")
    if code is not None and not (code.isdigit() and len(code) in (5, 8)):
        raise ParamError(messages.BAD_PARAMETER, messages.bad_parameter_message("statsCode"))
    return code


def _survey_years(params: Mapping[str, str]) -> tuple[int, int] | None:
    text = params.get("surveyYears")
    if text is None:
        return None
    span = parse_yyyymm_span(text)
    if span is None:
        raise ParamError(messages.BAD_PARAMETER, messages.bad_parameter_message("surveyYears"))
    return span


def parse_yyyymm_span(text: str) -> tuple[int, int] | None:
    """`2015` -> (201501, 201512); `201510` -> (201510, 201510); `201904-202003` as written."""
    parts = text.split("-")
    if len(parts) == 1 and len(text) == 4 and text.isdigit():
        return int(text) * 100 + 1, int(text) * 100 + 12
    if all(len(p) == 6 and p.isdigit() for p in parts) and len(parts) in (1, 2):
        return int(parts[0]), int(parts[-1])
    return None


def echo_value(text: str) -> Any:
    """Parameter text as e-Stat echoes it: numeric-looking text becomes a JSON number."""
    return int(text) if _INTEGER_TEXT.fullmatch(text) else text


def narrowing_echo(query: DataQuery) -> dict[str, Any]:
    echo: dict[str, Any] = {}
    for dimension in DIMENSION_IDS:
        stem = dimension.upper()
        if dimension in query.levels:
            echo[f"LEVEL_{stem}_COND"] = echo_value(query.params[f"lv{param_name(dimension)}"])
        if dimension in query.codes:
            echo[f"CODE_{stem}_SELECT"] = echo_value(query.params[f"cd{param_name(dimension)}"])
    return echo
