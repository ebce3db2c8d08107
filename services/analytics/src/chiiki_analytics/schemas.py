"""Request and response bodies of policies and jobs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from chiiki_analytics.services.forecasts import DEFAULT_HORIZON, MAX_HORIZON
from chiiki_shared.json_value import JsonValue
from chiiki_shared.limits import MULTI_LINE, SINGLE_LINE
from chiiki_shared.pagination import Page

RegionCode = Annotated[
    str, StringConstraints(pattern=r"^[0-9]{2}[0-9A-Z]{3}$", strip_whitespace=True)
]
IndicatorCode = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$", strip_whitespace=True),
]
Year = Annotated[int, Field(ge=1800, le=2200)]
Horizon = Annotated[int, Field(ge=1, le=MAX_HORIZON)]


PolicyName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), SINGLE_LINE
]
Description = Annotated[str, StringConstraints(max_length=5000), MULTI_LINE]


def _distinct(codes: list[str]) -> list[str]:
    if len(set(codes)) != len(codes):
        raise ValueError("indicators must not repeat")
    return codes


TargetIndicators = Annotated[
    list[IndicatorCode], Field(min_length=1, max_length=10), AfterValidator(_distinct)
]


class PolicyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PolicyName
    region: RegionCode
    start_period: Year = Field(
        description="First year (as the indicators' data label it) in effect"
    )
    target_indicators: TargetIndicators
    description: Description = ""


class PolicyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PolicyName | None = None
    region: RegionCode | None = None
    start_period: Year | None = None
    target_indicators: TargetIndicators | None = None
    description: Description | None = None


class PolicyRead(BaseModel):
    id: uuid.UUID
    owner_id: str
    name: str
    region: str
    start_period: int
    target_indicators: list[str]
    description: str
    created_at: datetime
    updated_at: datetime


class PolicyPage(Page[PolicyRead]):
    """A page of policies, newest first."""


# -- jobs -----------------------------------------------------------------------------------------


class ForecastJob(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["forecast"]
    indicator: IndicatorCode
    region: RegionCode
    horizon: Horizon = DEFAULT_HORIZON
    as_of: Year | None = None


class RegionalForecastJob(BaseModel):
    """Every prefecture's forecast of one indicator, computed now (e.g. with ``as_of``)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["regional_forecast"]
    indicator: IndicatorCode
    horizon: Horizon = DEFAULT_HORIZON
    as_of: Year | None = None


class PolicyEffectJob(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["policy_effect"]
    policy_id: uuid.UUID


JobRequest = Annotated[
    ForecastJob | RegionalForecastJob | PolicyEffectJob, Field(discriminator="kind")
]


class JobRead(BaseModel):
    id: uuid.UUID
    kind: str
    params: dict[str, JsonValue]
    status: Literal["queued", "running", "succeeded", "failed"]
    result: dict[str, JsonValue] | None = Field(
        description="When succeeded: the document the matching GET route answers"
    )
    error: dict[str, JsonValue] | None = Field(description="When failed: a problem document")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
