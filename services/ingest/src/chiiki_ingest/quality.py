"""Quality checks of a run's cells, each with a severity: ``block`` stops publishing, ``warn`` is
recorded and shown but the version is published.

Per cell, while pages are normalised (``cells.Normaliser`` calls ``Report.add``):
- ``shape``: a VALUE lacks a dimension of CLASS_INF or has one CLASS_INF does not declare.
- ``unknown_code``: a code that is not an item of its dimension in CLASS_INF.
- ``undeclared_mark``: a non-numeric value that NOTE does not explain.
- ``unknown_region``: an area code that is not one of the platform's regions.

Over the whole table (``check_table``, ``check_against_previous``):
- ``count_mismatch``: fewer or more cells than the source's TOTAL_NUMBER (paging went wrong).
- ``duplicate_cell``: two cells with the same codes.
- ``unit_change``: a series whose unit differs between its periods, or from the previous version.
- ``jump``: a new or revised value whose change from the period before is implausible next to the
  series' history in the previous version (robust z-score from the median absolute deviation).
- ``volume_drop``: the table has more than the catalog entry's ``max_shrink`` fewer cells than the
  served version (a narrowed ad-hoc run would silently replace the whole table); it blocks unless
  the run allows the shrink, and then warns.

Structural checks always block: cells that break them cannot be published faithfully. The others
have a default severity that a catalog entry may change (``quality: {jump: block}``); the volume
guard is set by ``max_shrink`` and a run's ``allow_shrink`` instead.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    BLOCK = "block"
    WARN = "warn"


class Check(StrEnum):
    SHAPE = "shape"
    UNKNOWN_CODE = "unknown_code"
    COUNT_MISMATCH = "count_mismatch"
    DUPLICATE_CELL = "duplicate_cell"
    UNDECLARED_MARK = "undeclared_mark"
    UNKNOWN_REGION = "unknown_region"
    UNIT_CHANGE = "unit_change"
    JUMP = "jump"
    VOLUME_DROP = "volume_drop"


STRUCTURAL = frozenset(
    {Check.SHAPE, Check.UNKNOWN_CODE, Check.COUNT_MISMATCH, Check.DUPLICATE_CELL}
)
DEFAULT_SEVERITIES: Mapping[Check, Severity] = {
    Check.SHAPE: Severity.BLOCK,
    Check.UNKNOWN_CODE: Severity.BLOCK,
    Check.COUNT_MISMATCH: Severity.BLOCK,
    Check.DUPLICATE_CELL: Severity.BLOCK,
    Check.UNDECLARED_MARK: Severity.BLOCK,
    Check.UNKNOWN_REGION: Severity.WARN,
    Check.UNIT_CHANGE: Severity.BLOCK,
    Check.JUMP: Severity.WARN,
    Check.VOLUME_DROP: Severity.BLOCK,
}
ADJUSTABLE = frozenset(DEFAULT_SEVERITIES) - STRUCTURAL - {Check.VOLUME_DROP}
MESSAGES: Mapping[Check, str] = {
    Check.SHAPE: "cells whose dimensions differ from the table's CLASS_INF",
    Check.UNKNOWN_CODE: "cells with a code that CLASS_INF does not list for its dimension",
    Check.COUNT_MISMATCH: "the number of cells differs from the source's TOTAL_NUMBER",
    Check.DUPLICATE_CELL: "cells sharing the same codes",
    Check.UNDECLARED_MARK: "non-numeric values that DATA_INF.NOTE does not declare",
    Check.UNKNOWN_REGION: "cells whose area code is not a region the platform knows",
    Check.UNIT_CHANGE: "series whose unit changed (between periods or since the previous version)",
    Check.JUMP: "new or revised values with an implausible change from the period before",
    Check.VOLUME_DROP: "fewer cells than the served version, by more than max_shrink allows",
}
MAX_SAMPLES = 10
# 1.4826 * MAD estimates the standard deviation of normally distributed changes.
MAD_TO_SIGMA = 1.4826
# Below this, a series' history is treated as constant: 1% of relative change.
MIN_SCALE = 0.01


def severities(overrides: Mapping[str, str] | None = None) -> dict[Check, Severity]:
    """The default severities with a catalog entry's overrides of the adjustable checks."""
    chosen = dict(DEFAULT_SEVERITIES)
    for name, severity in (overrides or {}).items():
        check = Check(name)
        if check not in ADJUSTABLE:
            raise ValueError(f"the severity of {check.value!r} cannot be changed")
        chosen[check] = Severity(severity)
    return chosen


@dataclass
class Finding:
    check: Check
    severity: Severity
    count: int
    message: str
    samples: list[Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check.value,
            "severity": self.severity.value,
            "count": self.count,
            "message": self.message,
            "samples": self.samples,
        }


@dataclass
class _Tally:
    count: int = 0
    samples: list[Any] = field(default_factory=list)


class Report:
    """What the checks found in one run, with at most ``MAX_SAMPLES`` examples per check."""

    def __init__(self, chosen: Mapping[Check, Severity] | None = None) -> None:
        self.severities = dict(chosen or DEFAULT_SEVERITIES)
        self._tallies: dict[Check, _Tally] = {}
        self._ran: set[Check] = set()

    def ran(self, *checks: Check) -> None:
        """Record that ``checks`` looked at the data (a check that finds nothing has passed)."""
        self._ran.update(checks)

    def checks_run(self) -> list[str]:
        return sorted(check.value for check in self._ran | set(self._tallies))

    def add(self, check: Check, sample: Any, count: int = 1) -> None:
        tally = self._tallies.setdefault(check, _Tally())
        tally.count += count
        if len(tally.samples) < MAX_SAMPLES and sample not in tally.samples:
            tally.samples.append(sample)

    def findings(self) -> list[Finding]:
        return [
            Finding(check, self.severities[check], tally.count, MESSAGES[check], tally.samples)
            for check, tally in sorted(self._tallies.items(), key=lambda item: item[0].value)
        ]

    def count(self, severity: Severity) -> int:
        return sum(1 for finding in self.findings() if finding.severity is severity)

    @property
    def blocked(self) -> bool:
        return self.count(Severity.BLOCK) > 0


@dataclass(frozen=True)
class JumpRule:
    z_threshold: float = 6.0
    min_deviation: float = 0.2
    min_history: int = 4


@dataclass(frozen=True)
class Layout:
    """Where the codes, value, mark and unit sit in a normalised row."""

    dimensions: tuple[str, ...]
    time_dimension: str | None

    @property
    def width(self) -> int:
        return len(self.dimensions)

    @property
    def time_index(self) -> int | None:
        if self.time_dimension in self.dimensions:
            return self.dimensions.index(self.time_dimension)
        return None

    def codes(self, row: Sequence[Any]) -> dict[str, Any]:
        return dict(zip(self.dimensions, row[: self.width], strict=True))


Row = tuple[Any, ...]


def check_table(layout: Layout, sorted_rows: Sequence[Row], total: int, report: Report) -> None:
    """Whole-table checks on rows sorted by their codes."""
    report.ran(Check.COUNT_MISMATCH, Check.DUPLICATE_CELL, Check.UNIT_CHANGE)
    if len(sorted_rows) != total:
        report.add(Check.COUNT_MISMATCH, {"cells": len(sorted_rows), "total_number": total})
    width = layout.width
    previous: Row | None = None
    for row in sorted_rows:
        if previous is not None and row[:width] == previous[:width]:
            report.add(
                Check.DUPLICATE_CELL,
                {**layout.codes(row), "values": [previous[width], row[width]]},
            )
        previous = row
    _check_units_within(layout, sorted_rows, report)


@dataclass(frozen=True)
class Served:
    """The version stats serves now, as the volume guard needs it."""

    version: int | None
    cell_count: int


def check_volume(
    cells: int, served: Served | None, max_shrink: float, allow_shrink: bool, report: Report
) -> None:
    """A fall in cells beyond ``max_shrink`` (a fraction of the served version's cells)."""
    if served is None:
        return
    report.ran(Check.VOLUME_DROP)
    if served.cell_count == 0 or cells >= served.cell_count:
        return
    shrink = (served.cell_count - cells) / served.cell_count
    if shrink <= max_shrink:
        return
    if allow_shrink:
        report.severities[Check.VOLUME_DROP] = Severity.WARN
    sample = {
        "cells": cells,
        "served_cells": served.cell_count,
        "served_version": served.version,
        "shrink": round(shrink, 4),
        "max_shrink": max_shrink,
        "allow_shrink": allow_shrink,
    }
    report.add(Check.VOLUME_DROP, sample, count=served.cell_count - cells)


def _series_key(row: Row, width: int, time_index: int | None) -> Row:
    if time_index is None:
        return row[:width]
    return row[:time_index] + row[time_index + 1 : width]


def _check_units_within(layout: Layout, rows: Sequence[Row], report: Report) -> None:
    width, time_index = layout.width, layout.time_index
    if time_index in (None, width - 1):
        # Time is the last code (e-Stat's usual order): in sorted rows a series is a run of
        # consecutive rows, so one series at a time is enough.
        _units_of_runs(layout, rows, report)
        return
    units: dict[Row, set[Any]] = {}
    for row in rows:
        units.setdefault(_series_key(row, width, time_index), set()).add(row[width + 2])
    for key, found in units.items():
        _report_units(layout, key, found, report)


def _units_of_runs(layout: Layout, rows: Sequence[Row], report: Report) -> None:
    width, time_index = layout.width, layout.time_index
    key: Row | None = None
    found: set[Any] = set()
    for row in rows:
        row_key = _series_key(row, width, time_index)
        if row_key != key:
            if key is not None:
                _report_units(layout, key, found, report)
            key, found = row_key, set()
        found.add(row[width + 2])
    if key is not None:
        _report_units(layout, key, found, report)


def _report_units(layout: Layout, key: Row, found: set[Any], report: Report) -> None:
    if len(found) > 1:
        sample = {"series": _series_codes(layout, key), "units": sorted(found, key=str)}
        report.add(Check.UNIT_CHANGE, sample)


def _series_codes(layout: Layout, key: Row) -> dict[str, Any]:
    names = [d for d in layout.dimensions if d != layout.time_dimension]
    return dict(zip(names, key, strict=True))


@dataclass
class SeriesView:
    """A version's numeric values and units by series: what the previous-version checks need."""

    layout: Layout
    values: dict[Row, dict[str, float]]
    units: dict[Row, Any]

    @classmethod
    def of(cls, layout: Layout, rows: Iterable[Row]) -> SeriesView:
        view = cls(layout, {}, {})
        view.add(rows)
        return view

    def add(self, rows: Iterable[Row]) -> None:
        """Take in rows (page by page, so the rows themselves need not be kept)."""
        width, time_index = self.layout.width, self.layout.time_index
        values, units = self.values, self.units
        for row in rows:
            key = _series_key(row, width, time_index)
            units.setdefault(key, row[width + 2])
            if row[width] is not None and time_index is not None:
                values.setdefault(key, {})[row[time_index]] = float(row[width])


def check_against_previous(
    current: SeriesView, previous: SeriesView | None, rule: JumpRule, report: Report
) -> None:
    """Unit changes and implausible jumps of the new version against the previous one."""
    if previous is None or previous.layout.dimensions != current.layout.dimensions:
        return
    report.ran(Check.UNIT_CHANGE, Check.JUMP)
    for key, unit in current.units.items():
        if key in previous.units and previous.units[key] != unit:
            sample = {
                "series": _series_codes(current.layout, key),
                "previous_unit": previous.units[key],
                "unit": unit,
            }
            report.add(Check.UNIT_CHANGE, sample)
    for key, values in current.values.items():
        history = previous.values.get(key)
        if history:
            for sample in _jumps(values, history, rule):
                report.add(Check.JUMP, {"series": _series_codes(current.layout, key), **sample})


def relative_changes(values: Mapping[str, float]) -> list[tuple[str, str, float]]:
    """(period before, period, relative change) between consecutive periods, skipping zeros."""
    periods = sorted(values)
    changes = []
    for before, after in itertools.pairwise(periods):
        base = values[before]
        if base != 0 and math.isfinite(base):
            changes.append((before, after, (values[after] - base) / abs(base)))
    return changes


def robust_scale(changes: Sequence[float]) -> tuple[float, float]:
    """(median, scale): the scale is 1.4826 x the median absolute deviation, at least 1%."""
    median = statistics.median(changes)
    mad = statistics.median(abs(change - median) for change in changes)
    return median, max(MAD_TO_SIGMA * mad, MIN_SCALE)


def _jumps(
    values: Mapping[str, float], history: Mapping[str, float], rule: JumpRule
) -> list[dict[str, Any]]:
    baseline = [change for _, _, change in relative_changes(history)]
    if len(baseline) < rule.min_history:
        return []
    median, scale = robust_scale(baseline)
    flagged: dict[str, dict[str, Any]] = {}
    for before, after, change in relative_changes(values):
        moved = [p for p in (after, before) if history.get(p) != values[p]]
        if not moved:
            continue
        deviation = abs(change - median)
        z = deviation / scale
        if z < rule.z_threshold or deviation < rule.min_deviation:
            continue
        period = moved[0]
        flagged.setdefault(
            period,
            {
                "time": period,
                "value": values[period],
                "previous_version_value": history.get(period),
                "change_between": [before, after],
                "change": round(change, 6),
                "typical_change": round(median, 6),
                "robust_z": round(z, 2),
            },
        )
    return list(flagged.values())
