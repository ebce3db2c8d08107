"""Why an analysis cannot be made from the data it was given.

The service answers each of these with 422 and the message; the modelling code never returns a
number it cannot support.
"""

from __future__ import annotations


class InsufficientData(ValueError):
    """The data cannot support the requested analysis."""

    code = "insufficient-data"


class SeriesTooShort(InsufficientData):
    """Too few values: the same condition for a client as any other lack of data, so the same
    code (``insufficient-data``); the message says how many values were needed."""


class PeriodOutOfRange(InsufficientData):
    code = "period-out-of-range"
