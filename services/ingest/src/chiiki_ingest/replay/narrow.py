"""Narrowing a table by cdXxx / lvXxx, for its VALUE rows and its CLASS_INF alike.

e-Stat narrows CLASS_INF to the selected codes too (the recorded 0003445099 answer lists the 4
selected tabs of 9 and their 4 EXPLANATION entries), so the same selection drives both.
"""

from __future__ import annotations

from typing import Any

from chiiki_ingest.replay.query import DataQuery
from chiiki_ingest.replay.tables import Table, one_or_many


def wanted_codes(table: Table, query: DataQuery) -> dict[str, set[str]]:
    """Dimension -> the codes the request selects (cdXxx and lvXxx intersected)."""
    wanted: dict[str, set[str]] = {dim: set(codes) for dim, codes in query.codes.items()}
    for dimension, (low, high) in query.levels.items():
        obj = table.class_obj(dimension)
        items = obj["CLASS"] if obj else []
        at_level = {
            item["@code"]
            for item in items
            if str(item.get("@level", "")).isdigit() and low <= int(item["@level"]) <= high
        }
        wanted[dimension] = wanted[dimension] & at_level if dimension in wanted else at_level
    return wanted


def covered(table: Table, wanted: dict[str, set[str]]) -> bool:
    """Whether a table recorded under a narrowing holds every cell this selection asks for."""
    if not table.narrowing:
        return True
    return all(
        dimension in wanted and wanted[dimension] <= held
        for dimension, held in table.narrowing.items()
    )


def class_inf(table: Table, wanted: dict[str, set[str]]) -> dict[str, Any]:
    objs = [_narrow_obj(obj, wanted.get(obj.get("@id", ""))) for obj in table.class_objs]
    return {"CLASS_OBJ": one_or_many(objs)}


def _narrow_obj(obj: dict[str, Any], codes: set[str] | None) -> dict[str, Any]:
    narrowed = dict(obj)
    items = obj["CLASS"]
    explanations = obj.get("EXPLANATION")
    if codes is not None:
        items = [item for item in items if item.get("@code") in codes]
        if explanations is not None:
            explanations = [e for e in explanations if e.get("@id") in codes]
    if explanations is not None:
        if explanations:
            narrowed["EXPLANATION"] = one_or_many(explanations)
        else:
            del narrowed["EXPLANATION"]
    narrowed["CLASS"] = one_or_many(items) if items else []
    return narrowed
