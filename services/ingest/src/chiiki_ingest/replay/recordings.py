"""The recorded e-Stat answers in `<recordings>/raw/`, indexed by the request each one answers.

A recording is replayed as is for exactly its request. A complete getStatsData recording (first
page, no NEXT_KEY, metadata included) also serves as a table, limited to the codes it was narrowed
to. Files named `_v1`/`_v2.x` hold answers of older API versions: they are never replayed, but the
tables they name count as existing (so requests on them are refused as not recorded rather than
answered with the unknown-id error) and appear in generated getStatsList answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chiiki_ingest.replay.tables import as_list

_OLD_API = re.compile(r"_v(1|2\.\d)_")
_ROOTS = {
    "GET_STATS_DATA": "getStatsData",
    "GET_META_INFO": "getMetaInfo",
    "GET_STATS_LIST": "getStatsList",
}
# PARAMETER echo name -> request parameter, where simple camel-casing gets it wrong.
_PARAMETER_NAMES = {"METAGET_FLG": "metaGetFlg", "STATS_DATA_ID": "statsDataId"}
_NOT_REQUEST = frozenset({"LANG", "DATA_FORMAT"})
_DEFAULTS = {"startPosition": "1", "metaGetFlg": "Y", "cntGetFlg": "N", "lang": "J"}
_NARROWING = re.compile(r"(CODE|LEVEL)_(TAB|TIME|AREA|CAT\d\d)_(SELECT|FROM|TO|COND)")


@dataclass(frozen=True)
class Recording:
    path: Path
    endpoint: str
    stats_data_id: str | None
    request: frozenset[tuple[str, str]]
    document: dict[str, Any]
    legacy: bool = False

    @property
    def body(self) -> dict[str, Any]:
        return next(iter(self.document.values()))

    @property
    def narrowing(self) -> dict[str, str]:
        return {k: v for k, v in self.request if k.startswith(("cd", "lv"))}

    @property
    def statistical_data(self) -> dict[str, Any]:
        return self.body.get("STATISTICAL_DATA") or {}

    @property
    def total_number(self) -> int | None:
        total = (self.statistical_data.get("RESULT_INF") or {}).get("TOTAL_NUMBER")
        return int(total) if total is not None else None

    @property
    def has_metadata(self) -> bool:
        return "CLASS_INF" in self.statistical_data

    @property
    def is_complete_table(self) -> bool:
        """First page, nothing left, metadata included, narrowed (if at all) by code lists only."""
        result = self.statistical_data.get("RESULT_INF") or {}
        params = dict(self.request)
        return (
            self.endpoint == "getStatsData"
            and self.has_metadata
            and "NEXT_KEY" not in result
            and int(params.get("startPosition", "1")) == 1
            and params.get("cntGetFlg", "N") == "N"
            and all(k.startswith("cd") and not k.endswith(("From", "To")) for k in self.narrowing)
        )


def normalise_request(params: Mapping[str, str]) -> frozenset[tuple[str, str]]:
    """The parameters that decide an answer, with defaults dropped, for matching recordings."""
    ignored = {"appId", "dataFormat", "explanationGetFlg", "annotationGetFlg", "sectionHeaderFlg"}
    return frozenset(
        (key, value)
        for key, value in params.items()
        if key not in ignored and _DEFAULTS.get(key) != value
    )


def load_recordings(raw_dir: Path | None) -> list[Recording]:
    if raw_dir is None or not raw_dir.is_dir():
        return []
    recordings = []
    for path in sorted(raw_dir.glob("*.json")):
        recording = _load(path, legacy=bool(_OLD_API.search(path.name)))
        if recording is not None:
            recordings.append(recording)
    return recordings


def _load(path: Path, *, legacy: bool) -> Recording | None:
    document = json.loads(path.read_text(encoding="utf-8"))
    root = next(iter(document), None)
    if root not in _ROOTS:
        return None
    parameter = document[root].get("PARAMETER") or {}
    request = _request_from_parameter(parameter)
    return Recording(
        path=path,
        endpoint=_ROOTS[root],
        stats_data_id=request.get("statsDataId"),
        request=normalise_request(request),
        document=document,
        legacy=legacy,
    )


def _request_from_parameter(parameter: Mapping[str, Any]) -> dict[str, str]:
    request: dict[str, str] = {}
    for name, value in parameter.items():
        if name == "NARROWING_COND":
            request.update(_narrowing_params(value))
        elif name not in _NOT_REQUEST:
            request[_PARAMETER_NAMES.get(name) or _camel(name)] = str(value)
    return request


def _narrowing_params(narrowing: Mapping[str, Any]) -> dict[str, str]:
    params = {}
    for name, value in narrowing.items():
        match = _NARROWING.fullmatch(name)
        if match is None:
            continue
        kind, dimension, part = match.groups()
        stem = ("cd" if kind == "CODE" else "lv") + dimension.capitalize()
        params[stem + {"FROM": "From", "TO": "To"}.get(part, "")] = str(value)
    return params


def _camel(name: str) -> str:
    head, *rest = name.lower().split("_")
    return head + "".join(word.capitalize() for word in rest)


def current(recordings: list[Recording]) -> list[Recording]:
    """The API 3.0 recordings, the only ones replayed."""
    return [r for r in recordings if not r.legacy]


def table_infs(recordings: list[Recording]) -> dict[str, dict[str, Any]]:
    """TABLE_INF per statsDataId found anywhere in the recordings (getStatsList entries too)."""
    found: dict[str, dict[str, Any]] = {}
    for recording in recordings:
        body = recording.body
        holders = [body.get("STATISTICAL_DATA"), body.get("METADATA_INF")]
        infs = [h["TABLE_INF"] for h in holders if h and "TABLE_INF" in h]
        infs += as_list((body.get("DATALIST_INF") or {}).get("TABLE_INF"))
        for inf in infs:
            found.setdefault(str(inf["@id"]), inf)
    return found
