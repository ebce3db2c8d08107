"""The JSON documents of forecasts: the API's response models, also stored as they are.

Every period is stats' label (``"FY2020"`` for SSDSE series, ``"2020"`` for the census) beside
its integer ``year``, as in stats' points. Interval levels are keyed "80" and "95".
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from chiiki_analytics.forecasting.forecast import Accuracy, Forecast
from chiiki_analytics.forecasting.intervals import LEVELS
from chiiki_analytics.forecasting.series import History
from chiiki_analytics.periods import PERIOD_DOC, PERIOD_KINDS_DOC, PeriodKind, kinds, label

INTERVAL_METHOD = (
    "Split-conformal intervals from rolling-origin backtest errors of the whole procedure "
    "(model selection included), scaled by the naive in-sample error and by horizon**gamma; "
    "no distribution assumed. Where too few errors exist for a level, the widest empirical "
    "level is extended with an exponential (Laplace) tail; 'levels' says which."
)


class IndicatorRef(BaseModel):
    code: str
    name_ja: str
    name_en: str
    unit: str | None
    unit_en: str | None


class RegionRef(BaseModel):
    code: str
    level: str | None
    name_ja: str
    name_en: str


class Interval(BaseModel):
    lower: float
    upper: float


class HistoryPoint(BaseModel):
    period: str = Field(description=PERIOD_DOC)
    year: int
    value: float


class ForecastPoint(BaseModel):
    period: str = Field(description=PERIOD_DOC)
    year: int
    value: float
    intervals: dict[str, Interval]
    backtested: bool = Field(
        description="False when no backtest reached this far ahead (the width is extrapolated)"
    )
    actual: float | None = Field(
        default=None, description="The observed value, when the forecast was made with as_of"
    )


class AccuracyOut(BaseModel):
    mase: float
    mape: float | None
    mase_by_horizon: list[float | None]
    backtest_origins: int
    backtest_errors: int


class RunnerUp(BaseModel):
    name: str
    mase: float
    mape: float | None


class ModelOut(BaseModel):
    name: str
    description: str
    reason: str
    runners_up: list[RunnerUp] = Field(
        description="The other candidates, best backtest MASE first (the chosen one is above)"
    )


class CandidateOut(AccuracyOut):
    name: str
    baseline: bool
    chosen: bool


class CalibrationOut(BaseModel):
    method: str
    gamma: float
    errors: int
    levels: dict[str, str]
    observed_coverage: dict[str, float | None] = Field(
        description="Share of backtest errors inside intervals calibrated without their origin"
    )


class ForecastDocument(BaseModel):
    indicator: IndicatorRef
    region: RegionRef
    as_of: int | None
    data_version: str
    period_kinds: list[PeriodKind] = Field(description=PERIOD_KINDS_DOC)
    history: list[HistoryPoint]
    forecasts: list[ForecastPoint]
    model: ModelOut
    accuracy: AccuracyOut
    baselines: dict[str, AccuracyOut]
    candidates: list[CandidateOut]
    intervals: CalibrationOut
    attribution: list[str]


def level_key(level: float) -> str:
    return str(round(level * 100))


def _accuracy(accuracy: Accuracy) -> AccuracyOut:
    return AccuracyOut(
        mase=accuracy.mase,
        mape=accuracy.mape,
        mase_by_horizon=accuracy.mase_by_horizon,
        backtest_origins=accuracy.origins,
        backtest_errors=accuracy.errors,
    )


def _runners_up(forecast: Forecast) -> list[RunnerUp]:
    ranked = sorted(forecast.candidates.items(), key=lambda item: item[1].mase)
    return [
        RunnerUp(name=name, mase=accuracy.mase, mape=accuracy.mape)
        for name, accuracy in ranked
        if name != forecast.model
    ]


def _reason(forecast: Forecast) -> str:
    chosen = forecast.candidates[forecast.model]
    baseline = forecast.candidates[forecast.baseline]
    others = ", ".join(f"{r.name} {r.mase:.3f}" for r in _runners_up(forecast)[:3])
    if forecast.model == forecast.baseline:
        return (
            f"No candidate beat the {forecast.baseline} baseline in the backtest "
            f"(MASE {baseline.mase:.3f}), so the baseline is used; runners-up: {others}."
        )
    return (
        f"Lowest backtest MASE ({chosen.mase:.3f}), below the best baseline "
        f"({forecast.baseline}, {baseline.mase:.3f}); runners-up: {others}."
    )


def forecast_document(
    forecast: Forecast,
    *,
    indicator: dict[str, Any],
    region: dict[str, Any],
    as_of: int | None,
    data_version: str,
    attribution: list[str],
    labels: dict[int, str],
    observed: History | None = None,
) -> ForecastDocument:
    """The API document of ``forecast``; ``labels`` are stats' labels of the observed years;
    ``observed`` (the full series) adds the actual values of forecast periods that are known."""
    candidates = forecast.candidates
    history = [
        HistoryPoint(period=label(p, labels), year=p, value=float(v))
        for p, v in zip(forecast.history.periods, forecast.history.values, strict=True)
    ]
    return ForecastDocument(
        indicator=indicator,
        region=region,
        as_of=as_of,
        data_version=data_version,
        period_kinds=kinds(point.period for point in history),
        history=history,
        forecasts=[
            ForecastPoint(
                period=label(p.period, labels),
                year=p.period,
                value=p.point,
                intervals={
                    level_key(level): Interval(lower=low, upper=high)
                    for level, (low, high) in p.intervals.items()
                },
                backtested=p.backtested,
                actual=observed.value_at(p.period) if observed is not None else None,
            )
            for p in forecast.predictions
        ],
        model=ModelOut(
            name=forecast.model,
            description=forecast.description,
            reason=_reason(forecast),
            runners_up=_runners_up(forecast),
        ),
        accuracy=_accuracy(forecast.accuracy),
        baselines={name: _accuracy(candidates[name]) for name in ("naive", "drift")},
        candidates=[
            CandidateOut(
                **_accuracy(accuracy).model_dump(),
                name=name,
                baseline=name in ("naive", "drift"),
                chosen=name == forecast.model,
            )
            for name, accuracy in candidates.items()
        ],
        intervals=CalibrationOut(
            method=INTERVAL_METHOD,
            gamma=forecast.calibration.gamma,
            errors=forecast.calibration.error_count,
            levels={level_key(lv): forecast.calibration.methods[lv] for lv in LEVELS},
            observed_coverage={level_key(lv): forecast.coverage[lv] for lv in LEVELS},
        ),
        attribution=attribution,
    )
