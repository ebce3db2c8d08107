"""``lang=ja|en``, accepted by every read route of every service (docs/api-conventions.md).

JSON answers name regions and indicators in both languages (``name_ja``, ``name_en``), as
stats' do; ``lang`` chooses the labels an answer carries in one language only (chart-ready
series labels and units). A route whose answer has none accepts ``lang`` and changes nothing,
and its ETag does not change with it: such a route takes ``dependencies=[ACCEPTS_LANG]``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query

Lang = Literal["ja", "en"]
LangQuery = Annotated[
    Lang,
    Query(description="Language of the answer's one-language labels: ja (default) or en"),
]


def _accepts_lang(lang: LangQuery = "ja") -> Lang:
    return lang


ACCEPTS_LANG = Depends(_accepts_lang)


def in_lang(lang: Lang, ja: str, en: str | None) -> str:
    """The text in ``lang``; the Japanese where there is no English."""
    return en if lang == "en" and en else ja
