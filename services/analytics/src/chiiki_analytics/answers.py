"""Response models of trends, anomalies, the stored map forecasts and policy effects.

The modules that compute them build plain dicts; these models are the routes' ``response_model``,
so the OpenAPI document (and the TypeScript client made from it) names every member.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chiiki_analytics.documents import (
    AccuracyOut,
    HistoryPoint,
    IndicatorRef,
    Interval,
    RegionRef,
)
from chiiki_analytics.periods import PERIOD_DOC, PERIOD_KINDS_DOC, LabelledPoint, PeriodKind
from chiiki_analytics.schemas import PolicyRead

# -- trends ---------------------------------------------------------------------------------------


class Change(BaseModel):
    period: str = Field(description=PERIOD_DOC)
    year: int
    previous_period: str
    previous_year: int
    change: float
    rate: float | None = Field(description="Percent change; null when the previous value is <= 0")


class Cagr(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    percent: float | None
    from_: str = Field(alias="from", serialization_alias="from", description=PERIOD_DOC)
    to: str
    from_year: int
    to_year: int
    reason: str | None


class Segment(BaseModel):
    start_period: str = Field(description=PERIOD_DOC)
    start_year: int
    end_period: str
    end_year: int
    slope_per_year: float


class TrendBreak(BaseModel):
    period: str = Field(description=PERIOD_DOC)
    year: int
    slope_before: float
    slope_after: float
    level_shift: float


class TrendDocument(BaseModel):
    indicator: IndicatorRef
    region: RegionRef
    data_version: str
    period_kinds: list[PeriodKind] = Field(description=PERIOD_KINDS_DOC)
    history: list[HistoryPoint]
    changes: list[Change]
    cagr: Cagr
    segments: list[Segment]
    breaks: list[TrendBreak]
    bic_by_breaks: dict[int, float] = Field(description="BIC by number of breaks (0, 1, 2)")
    method: str
    attribution: list[str]


# -- anomalies ------------------------------------------------------------------------------------


class RobustScore(BaseModel):
    z: float
    median: float
    spread: float
    reference_count: int


class RegionAssessment(BaseModel):
    region: RegionRef
    period: str = Field(description=PERIOD_DOC)
    year: int
    value: float
    change: float
    unusual: bool
    own_history: RobustScore | None
    peers: RobustScore | None
    reasons: list[str]


class AnomalyDocument(BaseModel):
    indicator: IndicatorRef
    data_version: str
    change_unit: Literal["percent", "indicator unit"]
    threshold: float
    method: str
    unusual_count: int
    regions: list[RegionAssessment]
    attribution: list[str]


# -- the map's stored forecasts -------------------------------------------------------------------


class RegionForecastAtPeriod(BaseModel):
    region: RegionRef
    value: float | None
    reason: str | None = Field(description="Why there is no value; null when there is one")
    intervals: dict[str, Interval] | None = None
    horizon: int | None = None
    model: str | None = None
    accuracy: AccuracyOut | None = None
    observed_coverage: dict[str, float | None] | None = None
    last_observed: HistoryPoint | None = None


class PrefectureForecasts(BaseModel):
    indicator: IndicatorRef
    period: str = Field(description=PERIOD_DOC)
    year: int
    data_version: str
    computed_at: datetime | None
    stale: bool = Field(description="stats announced newer data since; a new run is coming")
    regions: list[RegionForecastAtPeriod]
    attribution: list[str]


# -- policy effects -------------------------------------------------------------------------------


class Estimate(BaseModel):
    value: float
    lower: float
    upper: float
    level: float
    std_error: float
    df: float
    excludes_zero: bool


class Placebo(BaseModel):
    run: bool
    reason: str | None = None
    start_period: str | None = Field(default=None, description=PERIOD_DOC)
    start_year: int | None = None
    estimate: Estimate | None = None
    passed: bool | None = None


class InterruptedTimeSeries(BaseModel):
    level_change: Estimate
    slope_change_per_period: Estimate
    average_effect: Estimate
    relative_effect_percent: float | None
    residual_autocorrelation: float | None
    placebo_in_time: Placebo


class ComparisonRegion(RegionRef):
    pre_period_rmse: float


class PlaceboInSpace(BaseModel):
    p_value: float
    regions: int
    as_large_or_larger: int


class DifferenceInDifferences(BaseModel):
    estimate: Estimate
    relative_percent: Estimate | None
    scale: Literal["relative", "absolute"]
    comparison_regions: list[ComparisonRegion]
    residual_autocorrelation: float | None
    placebo_in_time: Placebo
    placebo_in_space: PlaceboInSpace | None


class ChartSeries(BaseModel):
    label: str = Field(description="What the series is, in the lang asked for")
    points: list[LabelledPoint]


class EffectSeries(BaseModel):
    """The series an effect was computed from, over the pre- and post-period, for a chart."""

    unit: str | None = Field(description="The values' unit, in the lang asked for")
    treated_observed: ChartSeries
    counterfactual_trend: ChartSeries = Field(
        description="Interrupted time series: the pre-period line continued. Over the "
        "post-period, observed minus this averages to interrupted_time_series.average_effect"
    )
    counterfactual_comparison: ChartSeries | None = Field(
        description="Difference-in-differences: the comparison regions' path, each indexed to "
        "its pre-period mean, moved onto the treated region's pre-period level. Over the "
        "post-period, observed minus this averages to difference_in_differences.estimate; "
        "null without a comparison"
    )
    comparison_observed: ChartSeries | None = Field(
        description="The mean of the comparison regions' observed values; null without one"
    )


class IndicatorEffect(BaseModel):
    indicator: IndicatorRef
    data_version: str
    status: Literal["estimated", "insufficient-data"]
    reason: str | None
    pre_period: list[str] | None = Field(
        default=None, description="[first, last] period, as stats labels them"
    )
    post_period: list[str] | None = None
    pre_years: list[int] | None = Field(default=None, description="[first, last] year")
    post_years: list[int] | None = None
    interrupted_time_series: InterruptedTimeSeries | None = None
    difference_in_differences: DifferenceInDifferences | None = None
    difference_in_differences_unavailable: str | None = None
    series: EffectSeries | None = None


class PolicyEffect(BaseModel):
    policy: PolicyRead
    region: RegionRef
    start_period: int
    method: str
    indicators: list[IndicatorEffect]
    attribution: list[str]


# -- the evaluation of the pooled census forecasts ------------------------------------------------


class MethodScore(BaseModel):
    method: str
    description: str
    baseline: bool
    chosen: bool
    mape: float = Field(description="Backtest MAPE (%) on the latest origins: what chose")
    mape_by_horizon: list[float | None] = Field(description="By horizon in census steps")


class BacktestRow(BaseModel):
    method: str = Field(description="A method alone, or 'selected': the whole procedure")
    horizon_years: int
    origins: int
    mape: float = Field(description="Mean absolute percentage error (%) over regions and origins")
    coverage: dict[str, float] | None = Field(
        description="Share of outcomes inside the 80% and 95% intervals ('selected' only)"
    )


class ForecastEvaluation(BaseModel):
    indicator: IndicatorRef
    data_version: str
    as_of: int | None
    period_kinds: list[PeriodKind] = Field(description=PERIOD_KINDS_DOC)
    census_periods: list[str] = Field(description="[first, last] census period used")
    census_years: list[int] = Field(description="[first, last] census year used")
    chosen: str
    reason: str
    selection: list[MethodScore] = Field(description="Every method, best backtest MAPE first")
    backtest: list[BacktestRow]
    first_origin: str = Field(description=PERIOD_DOC)
    first_origin_year: int
    method: str
    attribution: list[str]
