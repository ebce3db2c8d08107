"""Normalised rows straight from a page's VALUE objects, without a typed cell per VALUE.

A VALUE that needs nothing reported (every code known, a known region, a number or a declared
mark, nothing but its codes, ``$`` and ``@unit``) becomes its row here; for any other,
``row`` answers ``None`` and the normaliser takes the typed cell's path, which reports what is
wrong. Both paths give the same row for the same VALUE
(``services/ingest/tests/test_value_rows.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chiiki_ingest.estat import Dimension
from chiiki_ingest.estat.normalise import NUMBER
from chiiki_ingest.quality import Row


class RowReader:
    """Reads one page's VALUEs into rows of ``layout_dimensions`` order."""

    def __init__(
        self,
        layout_dimensions: tuple[str, ...],
        known_codes: Mapping[str, Mapping[str, str]],
        page_dimensions: tuple[Dimension, ...],
        notes: Mapping[str, str],
        *,
        area: str | None,
        regions: frozenset[str],
        units: dict[str, str],
    ) -> None:
        # (VALUE key, known codes) per dimension, in the layout's order.
        self._lookups = tuple((f"@{d}", known_codes[d]) for d in layout_dimensions)
        self._width = len(layout_dimensions)
        self._notes = notes
        self._area = layout_dimensions.index(area) if area is not None else None
        self._regions = regions
        self._interned = units
        self._class_units = _class_units(layout_dimensions, page_dimensions)

    def row(self, value: Mapping[str, Any]) -> Row | None:
        try:
            return self._row(value)
        # Unhashable codes, or what this reader leaves to the typed path: that path reports it.
        except (TypeError, _Unreadable):
            return None

    def _row(self, value: Mapping[str, Any]) -> Row:
        own_unit = value.get("@unit")
        if len(value) != self._width + 1 + (own_unit is not None or "@unit" in value):
            raise _Unreadable
        codes: list[str] = []
        for key, known in self._lookups:
            code = known.get(value.get(key))  # type: ignore[arg-type]  # a miss for None too
            if code is None:
                raise _Unreadable
            codes.append(code)
        if self._area is not None and codes[self._area] not in self._regions:
            raise _Unreadable
        raw = value.get("$")
        if type(raw) is not str:
            raise _Unreadable
        if raw in self._notes:
            number, mark = None, raw
        elif NUMBER.fullmatch(raw):
            number, mark = raw, None
        else:
            raise _Unreadable
        unit = self._unit(own_unit, codes)
        if unit is not None:
            unit = self._interned.setdefault(unit, unit)
        return (*codes, number, mark, unit)

    def _unit(self, own: Any, codes: list[str]) -> str | None:
        """The VALUE's unit, else its class item's."""
        if own is not None and own != "":
            if type(own) is not str:
                raise _Unreadable
            return own
        if self._class_units is None:
            raise _Unreadable
        if not self._class_units:
            return None
        position, by_code = self._class_units
        return by_code.get(codes[position])


class _Unreadable(Exception):
    """A VALUE this reader leaves to the typed cell's path."""


def _class_units(
    layout_dimensions: tuple[str, ...], page_dimensions: tuple[Dimension, ...]
) -> tuple[int, dict[str, str]] | tuple[()] | None:
    """Where a cell's class unit comes from: ``()`` no class item has a unit, (position, unit by
    code) one dimension's items do; ``None`` several do (their order is the VALUE's key order,
    left to the typed path)."""
    with_units = [d for d in page_dimensions if any(item.unit for item in d.items)]
    if not with_units:
        return ()
    if len(with_units) > 1 or with_units[0].id not in layout_dimensions:
        return None
    dimension = with_units[0]
    by_code = {item.code: item.unit for item in dimension.items if item.unit}
    return layout_dimensions.index(dimension.id), by_code
