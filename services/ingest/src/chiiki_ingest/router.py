"""The admin API under ``/api/ingest``: the catalog, runs, their detail and retries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from chiiki_ingest import scheduling, service
from chiiki_ingest.catalog import STATS_DATA_ID
from chiiki_ingest.deps import EStatGuardDep, SettingsDep, UnitOfWorkDep
from chiiki_ingest.schemas import (
    BusyTable,
    CatalogEntryCreate,
    CatalogEntryRead,
    CatalogEntryUpdate,
    CatalogPage,
    RollbackRequest,
    RunAccepted,
    RunCreate,
    RunDetail,
    RunPage,
    RunStatusName,
    RunSummary,
    SchedulePage,
    TickStarted,
)
from chiiki_shared.audit.api import OriginDep, actor_of
from chiiki_shared.lang import ACCEPTS_LANG
from chiiki_shared.pagination import CursorQuery, next_link
from chiiki_shared.security import AdminUser, admin_principal

# Every route is for admins; the gateway checks the token too, the service does not rely on it.
router = APIRouter(prefix="/api/ingest", tags=["ingest"], dependencies=[Depends(admin_principal)])

StatsDataId = Annotated[str, Path(pattern=STATS_DATA_ID, description="e-Stat statsDataId")]


@router.get(
    "/catalog",
    summary="The catalog of tables to ingest, by statsDataId",
    dependencies=[ACCEPTS_LANG],
)
async def list_catalog(
    request: Request,
    uow: UnitOfWorkDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Entries per page")] = 200,
    cursor: CursorQuery = None,
) -> CatalogPage:
    views, last = await service.list_catalog(uow.session, limit=limit, cursor=cursor)
    return CatalogPage(
        items=[CatalogEntryRead.of(*view) for view in views], next=next_link(request, last)
    )


@router.post(
    "/catalog",
    status_code=201,
    summary="Add a table to the catalog (checked against its getMetaInfo first)",
    responses={422: {"description": "unknown table, or a dimension, code or level it lacks"}},
)
async def add_catalog_entry(
    body: CatalogEntryCreate,
    uow: UnitOfWorkDep,
    settings: SettingsDep,
    guard: EStatGuardDep,
    response: Response,
    admin: AdminUser,
    origin: OriginDep,
) -> CatalogEntryRead:
    entry = await service.add_entry(
        uow.session, settings, body, actor=actor_of(admin), origin=origin, guard=guard
    )
    response.headers["Location"] = f"/api/ingest/catalog/{entry.stats_data_id}"
    return CatalogEntryRead.of(*await service.catalog_entry_view(uow.session, entry))


@router.get("/catalog/{stats_data_id}", summary="One catalog entry", dependencies=[ACCEPTS_LANG])
async def get_catalog_entry(stats_data_id: StatsDataId, uow: UnitOfWorkDep) -> CatalogEntryRead:
    entry = await service.get_entry(uow.session, stats_data_id)
    return CatalogEntryRead.of(*await service.catalog_entry_view(uow.session, entry))


@router.patch("/catalog/{stats_data_id}", summary="Change a catalog entry")
async def update_catalog_entry(
    stats_data_id: StatsDataId,
    body: CatalogEntryUpdate,
    uow: UnitOfWorkDep,
    settings: SettingsDep,
    guard: EStatGuardDep,
    admin: AdminUser,
    origin: OriginDep,
) -> CatalogEntryRead:
    entry = await service.update_entry(
        uow.session,
        settings,
        stats_data_id,
        body,
        actor=actor_of(admin),
        origin=origin,
        guard=guard,
    )
    return CatalogEntryRead.of(*await service.catalog_entry_view(uow.session, entry))


@router.delete(
    "/catalog/{stats_data_id}",
    status_code=204,
    summary="Delete a catalog entry nothing was published from",
    responses={409: {"description": "the entry has a published version (disable it) or a run"}},
)
async def delete_catalog_entry(
    stats_data_id: StatsDataId, uow: UnitOfWorkDep, admin: AdminUser, origin: OriginDep
) -> Response:
    await service.delete_entry(uow.session, stats_data_id, actor=actor_of(admin), origin=origin)
    return Response(status_code=204)


@router.post(
    "/runs",
    status_code=202,
    summary="Ingest any e-Stat table by its statsDataId",
    responses={409: {"description": "the dataset already has a queued or running run"}},
)
async def create_run(
    body: RunCreate,
    uow: UnitOfWorkDep,
    settings: SettingsDep,
    response: Response,
    admin: AdminUser,
    origin: OriginDep,
) -> RunAccepted:
    run = await service.create_run(
        uow.session, uow.outbox, settings, body, actor=actor_of(admin), origin=origin
    )
    response.headers["Location"] = f"/api/ingest/runs/{run.id}"
    return RunAccepted.of(run)


@router.get("/runs", summary="Runs, newest first", dependencies=[ACCEPTS_LANG])
async def list_runs(
    request: Request,
    uow: UnitOfWorkDep,
    stats_data_id: Annotated[str | None, Query(pattern=STATS_DATA_ID)] = None,
    status: Annotated[list[RunStatusName] | None, Query()] = None,
    trigger: Annotated[str | None, Query(max_length=16)] = None,
    since: Annotated[datetime | None, Query(description="queued at or after")] = None,
    until: Annotated[datetime | None, Query(description="queued before")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Runs per page")] = 50,
    cursor: CursorQuery = None,
) -> RunPage:
    rows, last = await service.list_runs(
        uow.session,
        stats_data_id=stats_data_id,
        statuses=status or [],
        trigger=trigger,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )
    return RunPage(items=[RunSummary.of(run) for run in rows], next=next_link(request, last))


@router.get(
    "/runs/{run_id}",
    summary="A run: status, progress, counts, timings, quality, error",
    dependencies=[ACCEPTS_LANG],
)
async def get_run(run_id: uuid.UUID, uow: UnitOfWorkDep) -> RunDetail:
    run, findings = await service.run_detail(uow.session, run_id)
    return RunDetail.of_run(run, findings)


@router.post(
    "/runs/{run_id}/retry",
    status_code=202,
    summary="Retry a failed or blocked run as a new run",
    responses={409: {"description": "the run is not failed or blocked, or another run is active"}},
)
async def retry_run(
    run_id: uuid.UUID,
    uow: UnitOfWorkDep,
    settings: SettingsDep,
    response: Response,
    admin: AdminUser,
    origin: OriginDep,
) -> RunAccepted:
    run = await service.retry_run(
        uow.session, uow.outbox, settings, run_id, actor=actor_of(admin), origin=origin
    )
    response.headers["Location"] = f"/api/ingest/runs/{run.id}"
    return RunAccepted.of(run)


@router.post(
    "/runs/{run_id}/cancel",
    status_code=202,
    summary="Cancel a queued run, or stop a running one at its next page or batch",
    responses={409: {"description": "the run is final or already applying its version"}},
)
async def cancel_run(
    run_id: uuid.UUID, uow: UnitOfWorkDep, admin: AdminUser, origin: OriginDep
) -> RunDetail:
    cancelled = await service.cancel_run(uow.session, run_id, actor=actor_of(admin), origin=origin)
    return RunDetail.of_run(*await service.run_detail(uow.session, cancelled.id))


@router.post(
    "/catalog/{stats_data_id}/rollback",
    status_code=202,
    summary="Serve an earlier version again (a run publishing its stored pages)",
    responses={
        404: {"description": "no such entry or applied version"},
        409: {"description": "the version is current or no longer kept, or a run is active"},
    },
)
async def rollback(
    stats_data_id: StatsDataId,
    body: RollbackRequest,
    uow: UnitOfWorkDep,
    settings: SettingsDep,
    response: Response,
    admin: AdminUser,
    origin: OriginDep,
) -> RunAccepted:
    run = await service.rollback(
        uow.session,
        uow.outbox,
        settings,
        stats_data_id,
        body.version,
        actor=actor_of(admin),
        origin=origin,
    )
    response.headers["Location"] = f"/api/ingest/runs/{run.id}"
    return RunAccepted.of(run)


@router.get(
    "/schedule",
    summary="Every scheduled table: cron, latest tick and outcome, next tick",
    dependencies=[ACCEPTS_LANG],
)
async def list_schedule(
    request: Request,
    uow: UnitOfWorkDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Tables per page")] = 100,
    cursor: CursorQuery = None,
) -> SchedulePage:
    items, last = await scheduling.page(uow.session, settings, limit=limit, cursor=cursor)
    return SchedulePage(items=items, next=next_link(request, last))


@router.post(
    "/schedule/run-now",
    status_code=202,
    summary="Run the daily tick now: every enabled scheduled table (trigger `run-now`)",
)
async def run_tick_now(
    uow: UnitOfWorkDep, settings: SettingsDep, admin: AdminUser, origin: OriginDep
) -> TickStarted:
    started, busy = await scheduling.run_tick_now(
        uow.session, uow.outbox, settings, actor=actor_of(admin), origin=origin
    )
    return TickStarted(
        started=[RunAccepted.of(run) for run in started],
        busy=[BusyTable(stats_data_id=b.stats_data_id, active_run_id=b.run_id) for b in busy],
    )


@router.post(
    "/schedule/{stats_data_id}/run",
    status_code=202,
    summary="Run a catalog table now (trigger `run-now`)",
    responses={
        404: {"description": "no such catalog entry"},
        409: {"description": "the entry is disabled, or the dataset has an active run"},
    },
)
async def run_now(
    stats_data_id: StatsDataId,
    uow: UnitOfWorkDep,
    settings: SettingsDep,
    response: Response,
    admin: AdminUser,
    origin: OriginDep,
) -> RunAccepted:
    run = await scheduling.run_now(
        uow.session, uow.outbox, settings, stats_data_id, actor=actor_of(admin), origin=origin
    )
    response.headers["Location"] = f"/api/ingest/runs/{run.id}"
    return RunAccepted.of(run)
