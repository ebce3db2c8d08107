"""HTTP routes of the analytics service: thin, the rules live in the modules they call.

Reads of public statistics (forecasts, trends, anomalies) take ``ReadAccess`` (anonymous when
``ANONYMOUS_READ`` is on); policies and jobs belong to signed-in users (``CurrentUser``).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response, status

from chiiki_analytics import conditional
from chiiki_analytics.answers import (
    AnomalyDocument,
    ForecastEvaluation,
    PolicyEffect,
    PrefectureForecasts,
    TrendDocument,
)
from chiiki_analytics.config import AnalyticsSettings
from chiiki_analytics.deps import SessionDep, StatsDep
from chiiki_analytics.documents import ForecastDocument
from chiiki_analytics.messaging import PRECOMPUTE_FORECASTS, RUN_JOB, send
from chiiki_analytics.schemas import (
    IndicatorCode,
    JobRead,
    JobRequest,
    PolicyCreate,
    PolicyPage,
    PolicyRead,
    PolicyUpdate,
    RegionCode,
)
from chiiki_analytics.services import (
    analyses,
    evaluations,
    forecasts,
    jobs,
    policies,
    policy_effects,
    series_forecasts,
    stored_forecasts,
)
from chiiki_shared.cache import query_cache
from chiiki_shared.deps import RedisDep, RuntimeDep
from chiiki_shared.lang import ACCEPTS_LANG, LangQuery
from chiiki_shared.openapi import problem_responses
from chiiki_shared.pagination import CursorQuery, next_link
from chiiki_shared.security import CurrentUser, ReadAccess

IndicatorQuery = Annotated[
    IndicatorCode, Query(description="Indicator code, e.g. population.total")
]
RegionQuery = Annotated[RegionCode, Query(description="Region code, e.g. 13000 (Tokyo)")]
HorizonQuery = Annotated[
    int, Query(ge=1, le=forecasts.MAX_HORIZON, description="Periods ahead to forecast")
]
AsOfQuery = Annotated[
    int | None,
    Query(
        ge=1800,
        le=2200,
        description="Forecast with the data up to this year only (the rest is shown as actuals)",
    ),
]

# 404: an unknown indicator, region, policy or job, named in the path, the query or the body.
NOT_FOUND = problem_responses(404)
CONDITIONAL: dict[int | str, dict[str, Any]] = {
    200: {"description": "With ETag, Cache-Control and X-Cache; compressed when asked"},
    304: {"description": "If-None-Match named the current ETag: nothing changed"},
}
forecasts_router = APIRouter(tags=["forecasts"], responses=NOT_FOUND)
analyses_router = APIRouter(tags=["trends and anomalies"], responses=NOT_FOUND)
policies_router = APIRouter(tags=["policies"], responses=NOT_FOUND)
jobs_router = APIRouter(tags=["jobs"], responses=NOT_FOUND)


@forecasts_router.get(
    "/api/forecasts",
    summary="One series: history, forecasts with 80%/95% intervals, the model and its accuracy",
    response_model=ForecastDocument,
    dependencies=[ACCEPTS_LANG],
    responses={
        200: {
            "description": "The forecast; X-Forecast-Source says whether it was stored by the "
            "worker or fitted now (the same bytes either way), with ETag, Cache-Control, X-Cache"
        },
        304: {"description": "If-None-Match named the current ETag: nothing changed"},
    },
)
async def forecast(
    request: Request,
    _: ReadAccess,
    session: SessionDep,
    stats: StatsDep,
    runtime: RuntimeDep,
    indicator: IndicatorQuery,
    region: RegionQuery,
    horizon: HorizonQuery = forecasts.DEFAULT_HORIZON,
    as_of: AsOfQuery = None,
) -> Response:
    settings = runtime.settings
    if not isinstance(settings, AnalyticsSettings):
        raise TypeError("the analytics app runs with AnalyticsSettings")
    return await series_forecasts.respond(
        request,
        session,
        stats,
        query_cache(runtime),
        series_forecasts.SeriesQuery(indicator, region, horizon, as_of),
        cache_control=settings.response_cache_control,
    )


@forecasts_router.get(
    "/api/forecasts/evaluation",
    summary="How far to trust the pooled census forecasts: the rolling-origin backtest table",
    response_model=ForecastEvaluation,
    dependencies=[ACCEPTS_LANG],
    responses={**CONDITIONAL, **problem_responses(422, 503)},
)
async def forecast_evaluation(
    request: Request,
    _: ReadAccess,
    stats: StatsDep,
    runtime: RuntimeDep,
    indicator: IndicatorQuery,
    as_of: AsOfQuery = None,
) -> Response:
    return await conditional.respond(
        request,
        runtime,
        stats,
        "forecast-evaluation",
        {"indicator": indicator, "as_of": as_of},
        lambda: evaluations.evaluation_of(stats, indicator, as_of),
    )


@forecasts_router.get(
    "/api/forecasts/prefectures",
    summary="Every prefecture's stored forecast of an indicator for one year (for the map)",
    response_model=PrefectureForecasts,
    dependencies=[ACCEPTS_LANG],
    responses={**CONDITIONAL, **problem_responses(422, 503)},
)
async def prefecture_forecasts(
    request: Request,
    _: ReadAccess,
    session: SessionDep,
    stats: StatsDep,
    redis: RedisDep,
    runtime: RuntimeDep,
    indicator: IndicatorQuery,
    period: Annotated[int, Query(ge=1800, le=2200, description="The year forecast")],
) -> Response:
    async def request_precompute() -> None:
        # One request per indicator and minute reaches the worker, however many readers wait.
        key = runtime.redis_key("precompute-requested", indicator)
        if await redis.set(key, b"1", nx=True, ex=60):
            await asyncio.to_thread(send, PRECOMPUTE_FORECASTS, {"indicator": indicator})

    run, stale = await stored_forecasts.latest_run(
        session, stats, indicator, request_precompute=request_precompute
    )
    # Keyed by the run and its staleness: a new run, or news of newer data, changes the ETag.
    return await conditional.respond_at(
        request,
        runtime,
        "prefecture-forecasts",
        {"indicator": indicator, "period": period},
        {"run": str(run.id), "stale": str(stale)},
        lambda: stored_forecasts.stored_for_period(session, run, period, stale=stale),
    )


@analyses_router.get(
    "/api/analytics/trends",
    summary="Changes, CAGR and trend breaks of one series",
    response_model=TrendDocument,
    dependencies=[ACCEPTS_LANG],
    responses=CONDITIONAL,
)
async def trend(
    request: Request,
    _: ReadAccess,
    stats: StatsDep,
    runtime: RuntimeDep,
    indicator: IndicatorQuery,
    region: RegionQuery,
) -> Response:
    return await conditional.respond(
        request,
        runtime,
        stats,
        "trend",
        {"indicator": indicator, "region": region},
        lambda: analyses.trend_of(stats, indicator, region),
    )


@analyses_router.get(
    "/api/analytics/anomalies",
    summary="Prefectures whose latest change is unusual against their history and their peers",
    response_model=AnomalyDocument,
    dependencies=[ACCEPTS_LANG],
    responses=CONDITIONAL,
)
async def anomalies(
    request: Request, _: ReadAccess, stats: StatsDep, runtime: RuntimeDep, indicator: IndicatorQuery
) -> Response:
    return await conditional.respond(
        request,
        runtime,
        stats,
        "anomalies",
        {"indicator": indicator},
        lambda: analyses.anomalies_of(stats, indicator),
    )


# -- policies -------------------------------------------------------------------------------------


@policies_router.get(
    "/api/analytics/policies",
    summary="Your policies (an admin's: everyone's)",
    dependencies=[ACCEPTS_LANG],
)
async def list_policies(
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Policies per page")] = 50,
    cursor: CursorQuery = None,
    mine: Annotated[bool, Query(description="Admins: only their own policies")] = False,
) -> PolicyPage:
    items, last = await policies.page(session, principal, mine=mine, limit=limit, cursor=cursor)
    return PolicyPage(items=items, next=next_link(request, last))


@policies_router.post(
    "/api/analytics/policies", status_code=status.HTTP_201_CREATED, summary="Track a policy"
)
async def create_policy(
    principal: CurrentUser,
    session: SessionDep,
    stats: StatsDep,
    body: PolicyCreate,
    response: Response,
) -> PolicyRead:
    policy = await policies.create(session, stats, principal, body)
    response.headers["Location"] = f"/api/analytics/policies/{policy.id}"
    return policies.read(policy)


@policies_router.get(
    "/api/analytics/policies/{policy_id}", summary="One policy", dependencies=[ACCEPTS_LANG]
)
async def get_policy(
    principal: CurrentUser, session: SessionDep, policy_id: uuid.UUID
) -> PolicyRead:
    return policies.read(await policies.visible(session, principal, policy_id))


@policies_router.patch("/api/analytics/policies/{policy_id}", summary="Change a policy")
async def update_policy(
    principal: CurrentUser,
    session: SessionDep,
    stats: StatsDep,
    policy_id: uuid.UUID,
    body: PolicyUpdate,
) -> PolicyRead:
    return policies.read(await policies.update(session, stats, principal, policy_id, body))


@policies_router.delete(
    "/api/analytics/policies/{policy_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Stop tracking a policy",
)
async def delete_policy(principal: CurrentUser, session: SessionDep, policy_id: uuid.UUID) -> None:
    await policies.delete(session, principal, policy_id)


@policies_router.get(
    "/api/analytics/policies/{policy_id}/effect",
    summary="Estimated effect on each target indicator: ITS and difference-in-differences",
    response_model=PolicyEffect,
    responses={**CONDITIONAL, **problem_responses(422, 503)},
)
async def policy_effect(
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    stats: StatsDep,
    runtime: RuntimeDep,
    policy_id: uuid.UUID,
    lang: LangQuery = "ja",
) -> Response:
    policy = await policies.visible(session, principal, policy_id)
    # Keyed by everything the answer shows of the policy, the labels' lang and the data.
    return await conditional.respond(
        request,
        runtime,
        stats,
        "policy-effect",
        {"policy": policies.read(policy).model_dump(mode="json"), "lang": lang},
        lambda: policy_effects.effect(stats, policy, lang),
        cache_control=conditional.PRIVATE,
    )


# -- jobs -----------------------------------------------------------------------------------------


@jobs_router.post(
    "/api/analytics/jobs",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Run an analysis in the background; the same parameters give the same job",
)
async def submit_job(
    principal: CurrentUser,
    session: SessionDep,
    stats: StatsDep,
    body: JobRequest,
    response: Response,
    background: BackgroundTasks,
) -> JobRead:
    job, must_send = await jobs.submit(session, stats, principal, body)
    if must_send:
        # Background tasks run after the session (function scope) has committed.
        background.add_task(send, RUN_JOB, {"job_id": str(job.id)})
    response.headers["Location"] = f"/api/analytics/jobs/{job.id}"
    return JobRead.model_validate(job, from_attributes=True)


@jobs_router.get(
    "/api/analytics/jobs/{job_id}",
    summary="A job's status and, when done, result",
    dependencies=[ACCEPTS_LANG],
)
async def get_job(principal: CurrentUser, session: SessionDep, job_id: uuid.UUID) -> JobRead:
    job = await jobs.visible_job(session, principal, job_id)
    return JobRead.model_validate(job, from_attributes=True)


ROUTERS = [forecasts_router, analyses_router, policies_router, jobs_router]
