"""Complete e-Stat tables held in a compact, columnar form.

A table file is a full, unpaged getStatsData response (gzip or plain JSON). Parsing one with `json`
the ordinary way turns every VALUE row into a dict (a 218,000-cell table would need several hundred
MB); instead the decoder's object hook feeds each row straight into integer-coded columns, so a
loaded table costs a few bytes per cell plus its value strings.
"""

from __future__ import annotations

import gzip
import json
import sys
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chiiki_ingest.replay.encoding import quote
from chiiki_ingest.replay.pages import RenderedPages

DIMENSION_IDS = ("tab", "time", "area", *(f"cat{n:02d}" for n in range(1, 16)))
_DIMENSION_ATTRS = frozenset(f"@{dim}" for dim in DIMENSION_IDS)


def as_list(value: Any) -> list[Any]:
    """e-Stat writes one item as a bare object and several as an array; this reads both."""
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def one_or_many(items: Sequence[Any]) -> Any:
    """The inverse of `as_list`, as e-Stat writes it."""
    return items[0] if len(items) == 1 else list(items)


@dataclass
class Column:
    """One VALUE attribute (`@area`, `@unit`, ...): a code per row, stored as an index."""

    key: str
    labels: list[str | None] = field(default_factory=lambda: [None])
    fragments: list[str] = field(default_factory=lambda: [""])
    index: array[int] = field(default_factory=lambda: array("I"))
    _codes: dict[str, int] = field(default_factory=dict)

    def add(self, row: int, label: str) -> None:
        code = self._codes.get(label)
        if code is None:
            code = len(self.labels)
            self._codes[label] = code
            self.labels.append(sys.intern(label))
            self.fragments.append(f"{quote(self.key)}:{quote(label)}")
        self.pad(row)
        self.index.append(code)

    def pad(self, rows: int) -> None:
        missing = rows - len(self.index)
        if missing > 0:
            self.index.extend([0] * missing)

    def codes_for(self, labels: Iterable[str]) -> set[int]:
        return {self._codes[label] for label in labels if label in self._codes}


class _RowCollector:
    """Receives every VALUE object while the decoder runs and keeps it as columns."""

    def __init__(self) -> None:
        self.columns: dict[str, Column] = {}
        self.values: list[str] = []

    def hook(self, pairs: list[tuple[str, Any]]) -> Any:
        if pairs and pairs[0][0] in _DIMENSION_ATTRS and pairs[-1][0] == "$":
            self._add(pairs)
            return None
        return dict(pairs)

    def _add(self, pairs: list[tuple[str, Any]]) -> None:
        row = len(self.values)
        for key, label in pairs:
            if key == "$":
                self.values.append(label)
            else:
                column = self.columns.get(key)
                if column is None:
                    column = self.columns[key] = Column(key)
                column.add(row, label)

    def finish(self) -> None:
        for column in self.columns.values():
            column.pad(len(self.values))


@dataclass
class Table:
    """A statsDataId's header (TABLE_INF, CLASS_INF, NOTE) and all of its cells."""

    stats_data_id: str
    table_inf: dict[str, Any]
    class_objs: list[dict[str, Any]]
    notes: list[dict[str, Any]]
    columns: list[Column]
    values: list[str]
    # When the source was itself a narrowed answer: dimension -> the codes it holds.
    narrowing: dict[str, frozenset[str]] | None = None
    pages: RenderedPages = field(default_factory=RenderedPages, compare=False, repr=False)

    @property
    def size(self) -> int:
        return len(self.values)

    def column(self, dimension: str) -> Column | None:
        return next((c for c in self.columns if c.key == f"@{dimension}"), None)

    def class_obj(self, dimension: str) -> dict[str, Any] | None:
        return next((obj for obj in self.class_objs if obj.get("@id") == dimension), None)

    def select(self, wanted: dict[str, set[str]]) -> Sequence[int]:
        """Row numbers whose codes are in `wanted` for every filtered dimension, in table order."""
        rows: Sequence[int] = range(self.size)
        for dimension, labels in wanted.items():
            column = self.column(dimension)
            if column is None:
                return array("I")
            allowed = column.codes_for(labels)
            index = column.index
            rows = array("I", (row for row in rows if index[row] in allowed))
        return rows

    def render_row(self, row: int) -> str:
        parts = [column.fragments[column.index[row]] for column in self.columns]
        parts = [part for part in parts if part]
        parts.append('"$":' + quote(self.values[row]))
        return "{" + ",".join(parts) + "}"


def load_table(
    path: Path, stats_data_id: str, narrowing: dict[str, frozenset[str]] | None = None
) -> Table:
    """Parse a complete getStatsData response file into a `Table`."""
    collector = _RowCollector()
    with _open_text(path) as handle:
        document = json.load(handle, object_pairs_hook=collector.hook)
    collector.finish()
    data = document["GET_STATS_DATA"]["STATISTICAL_DATA"]
    class_inf = data.get("CLASS_INF") or {}
    return Table(
        stats_data_id=stats_data_id,
        table_inf=data["TABLE_INF"],
        class_objs=[_normalise_class_obj(obj) for obj in as_list(class_inf.get("CLASS_OBJ"))],
        notes=as_list((data.get("DATA_INF") or {}).get("NOTE")),
        columns=list(collector.columns.values()),
        values=collector.values,
        narrowing=narrowing,
    )


def _normalise_class_obj(obj: dict[str, Any]) -> dict[str, Any]:
    normalised = dict(obj)
    normalised["CLASS"] = as_list(obj.get("CLASS"))
    if "EXPLANATION" in obj:
        normalised["EXPLANATION"] = as_list(obj["EXPLANATION"])
    return normalised


def read_section(path: Path, name: str, *, max_chars: int = 16_000_000) -> dict[str, Any] | None:
    """One object (TABLE_INF, CLASS_INF) read from the head of a response file; the rest unread."""
    decoder = json.JSONDecoder()
    text = ""
    with _open_text(path) as handle:
        while len(text) < max_chars:
            chunk = handle.read(262_144)
            text += chunk
            found = _decode_after(decoder, text, f'"{name}":')
            if found is not None or not chunk:
                return found
    return None


def _decode_after(decoder: json.JSONDecoder, text: str, marker: str) -> dict[str, Any] | None:
    at = text.find(marker)
    if at < 0:
        return None
    # JSON allows whitespace after the colon (``json.dumps`` writes one): raw_decode does not.
    start = at + len(marker)
    while start < len(text) and text[start].isspace():
        start += 1
    try:
        value, _ = decoder.raw_decode(text, start)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _open_text(path: Path) -> Any:
    opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
    return opener(path, "rt", encoding="utf-8")
