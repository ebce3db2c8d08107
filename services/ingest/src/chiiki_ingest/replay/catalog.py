"""getStatsList over the tables this replay knows (tables/ and every recorded TABLE_INF).

Honours searchWord (every space-separated word must occur; e-Stat's AND/OR/NOT operators are not
interpreted), statsCode (5 digits: the organisation, 8 digits: the statistic) and surveyYears
(overlap with SURVEY_DATE). Results are ordered by statsDataId.
"""

from __future__ import annotations

from typing import Any

from chiiki_ingest.replay.query import ListQuery, parse_yyyymm_span


def matches(inf: dict[str, Any], query: ListQuery) -> bool:
    return (
        _has_words(inf, query.search_words)
        and _has_code(inf, query.stats_code)
        and _in_years(inf, query.survey_years)
    )


def _has_words(inf: dict[str, Any], words: tuple[str, ...]) -> bool:
    text = " ".join(_texts(inf))
    return all(word in text for word in words)


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return [str(value)]


def _has_code(inf: dict[str, Any], code: str | None) -> bool:
    if code is None:
        return True
    holder = "GOV_ORG" if len(code) == 5 else "STAT_NAME"
    return str((inf.get(holder) or {}).get("@code")) == code


def _in_years(inf: dict[str, Any], span: tuple[int, int] | None) -> bool:
    if span is None:
        return True
    survey = parse_yyyymm_span(str(inf.get("SURVEY_DATE", "")))
    return survey is not None and survey[0] <= span[1] and span[0] <= survey[1]
