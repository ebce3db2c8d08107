"""The precision a chart shows an indicator's values with: the decimals e-Stat publishes.

A value read from a published series is shown as the table gives it: its stored digits are the
publisher's (a scale such as ha -> km² keeps the digits the unit change gives). A ratio computed
from counts (``ratio`` formula) is published by e-Stat rounded: shares and rates with one decimal
(65歳以上人口割合 22.8 %, 出生率（人口千人当たり） 6.8), 倍 with two (有効求人倍率 1.35), so a chart
rounds it the same. Sums and differences of published values keep the operands' digits.
JSON and CSV keep the unrounded value (12 significant digits) for anyone computing with it.
"""

from __future__ import annotations

from chiiki_stats.catalog import IndicatorDef
from chiiki_stats.cells import Cell
from chiiki_stats.values import number

RATIO_DECIMALS = 1
RATIO_DECIMALS_BY_UNIT = {"倍": 2}


def published_decimals(indicator: IndicatorDef) -> int | None:
    """The decimals of the indicator's published figures; None: as the source table has them."""
    preferred = indicator.sources[0] if indicator.sources else None
    if preferred is None or preferred.formula is None or preferred.formula["op"] != "ratio":
        return None
    return RATIO_DECIMALS_BY_UNIT.get(indicator.unit, RATIO_DECIMALS)


def charted(value: float | None, indicator: IndicatorDef) -> float | int | None:
    """``value`` as a chart shows it: rounded to the indicator's published decimals."""
    shown = number(value)
    decimals = published_decimals(indicator)
    if shown is None or decimals is None:
        return shown
    return number(round(float(shown), decimals))


def charted_cell(cell: Cell | None, indicator: IndicatorDef) -> float | int | None:
    """A cell's value as a chart shows it; None (a gap) where there is no cell."""
    return charted(cell.value, indicator) if cell else None
