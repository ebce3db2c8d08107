"""TABLE_INF blocks for tables that Chiiki builds from published files."""

from dataclasses import dataclass
from typing import Any

BUILT_NOTE = (
    "Chiiki が公表ファイルの数値をそのまま e-Stat API 3.0 の形式に変換して作成した表"
    "（e-Stat API から取得したものではない）。"
)


@dataclass(frozen=True)
class TableMeta:
    """Descriptive fields; codes that are not e-Stat's own are lower-case words on purpose."""

    stat_name: tuple[str, str]
    gov_org: tuple[str, str]
    statistics_name: str
    title: str
    cycle: str
    collect_area: str
    main_category: tuple[str, str]
    sub_category: tuple[str, str]
    source_credit: str
    explanation: str | None = None


def _coded(pair: tuple[str, str]) -> dict[str, str]:
    return {"@code": pair[0], "$": pair[1]}


def table_inf(meta: TableMeta, total: int) -> dict[str, Any]:
    """TABLE_INF (without @id) in e-Stat's key order; unknown dates are left empty."""
    title_spec: dict[str, str] = {"TABLE_NAME": meta.title}
    if meta.explanation is not None:
        title_spec["TABLE_EXPLANATION"] = meta.explanation
    return {
        "STAT_NAME": _coded(meta.stat_name),
        "GOV_ORG": _coded(meta.gov_org),
        "STATISTICS_NAME": meta.statistics_name,
        "TITLE": {"@no": "1", "$": meta.title},
        "CYCLE": meta.cycle,
        "SURVEY_DATE": 0,
        "OPEN_DATE": "",
        "SMALL_AREA": 0,
        "COLLECT_AREA": meta.collect_area,
        "MAIN_CATEGORY": _coded(meta.main_category),
        "SUB_CATEGORY": _coded(meta.sub_category),
        "OVERALL_TOTAL_NUMBER": total,
        "UPDATED_DATE": "",
        "STATISTICS_NAME_SPEC": {"TABULATION_CATEGORY": meta.statistics_name},
        "DESCRIPTION": f"{BUILT_NOTE}出典：{meta.source_credit}",
        "TITLE_SPEC": title_spec,
    }
