"""The analytics service's errors, as problem documents (see chiiki_shared.errors)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from chiiki_analytics.forecasting.errors import InsufficientData
from chiiki_shared.errors import ApiError, UnprocessableInput


class ForecastsPending(ApiError):
    """Stored forecasts are asked for before the worker has computed any."""

    status, code, title = 503, "forecasts-pending", "Forecasts not computed yet"


class DataKeptChanging(Exception):
    """Stats published new versions during every fit of a series: the task is retried later."""


@contextmanager
def data_problems() -> Iterator[None]:
    """Turn what the data cannot support into a 422 saying why."""
    try:
        yield
    except InsufficientData as exc:
        raise UnprocessableInput(
            str(exc), code=exc.code, title="The data cannot support this"
        ) from exc
