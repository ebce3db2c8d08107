"""The audit log of the admin API: the rows that adding and changing catalog entries, starting
and retrying runs write (with before/after), none for refused actions, the admin-only query with
its filters and paging, and the service role that cannot change a row."""

from __future__ import annotations

import jwt
import psycopg
import pytest

from chiiki_ingest.config import IngestSettings

from .conftest import Api, Source
from .test_admin_api import assert_problem

HIDDEN = ("seq", "occurred_at", "prev_hash", "hash")
FORWARDED = {"X-Forwarded-For": "203.0.113.44"}


def admin_id(api: Api) -> str:
    token = api.admin.headers["authorization"].removeprefix("Bearer ")
    return jwt.decode(token, options={"verify_signature": False})["sub"]


async def audit_of(api: Api, **params: str) -> list[dict]:
    response = await api.admin.get("/api/ingest/audit", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def row(api: Api, action: str, target_type: str, target_id: str, before, after, answer) -> dict:
    return {
        "actor_kind": "user",
        "actor_id": admin_id(api),
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "before": before,
        "after": after,
        "client_ip": "203.0.113.44",
        "request_id": answer.headers["x-request-id"],
    }


def visible(found: dict) -> dict:
    return {key: value for key, value in found.items() if key not in HIDDEN}


def entry(stats_data_id: str, **fields) -> dict:
    return {
        "stats_data_id": stats_data_id,
        "title": None,
        "attribution": None,
        "enabled": True,
        "schedule": "daily",
        "area_dimension": "area",
        "time_dimension": "time",
        "filters": {},
        "quality": {},
        "max_shrink": 0.1,
        **fields,
    }


async def test_catalog_changes_are_recorded_with_before_and_after(
    api: Api, source: Source, unique
) -> None:
    stats_data_id = unique("audit-catalog")
    source.copy("census-c01-1920-2015", stats_data_id)  # entries are checked with getMetaInfo
    created = await api.admin.post(
        "/api/ingest/catalog",
        json={"stats_data_id": stats_data_id, "title": "監査"},
        headers=FORWARDED,
    )
    assert created.status_code == 201
    changed = await api.admin.patch(
        f"/api/ingest/catalog/{stats_data_id}",
        json={"enabled": False, "filters": {"cdArea": "13000"}},
        headers=FORWARDED,
    )
    assert changed.status_code == 200
    # Refused and no-op changes write nothing.
    exists = await api.admin.post("/api/ingest/catalog", json={"stats_data_id": stats_data_id})
    assert_problem(exists, 409, "catalog-entry-exists")
    invalid = await api.admin.patch(
        f"/api/ingest/catalog/{stats_data_id}", json={"schedule": "at noon"}
    )
    assert invalid.status_code == 422
    same = await api.admin.patch(f"/api/ingest/catalog/{stats_data_id}", json={"enabled": False})
    assert same.status_code == 200

    rows = await audit_of(api, target_type="catalog_entry", target_id=stats_data_id)

    before = entry(stats_data_id, title="監査")
    after = entry(stats_data_id, title="監査", enabled=False, filters={"cdArea": "13000"})
    assert [visible(found) for found in rows] == [
        row(api, "catalog.entry_changed", "catalog_entry", stats_data_id, before, after, changed),
        row(api, "catalog.entry_created", "catalog_entry", stats_data_id, None, before, created),
    ]


async def test_runs_started_and_retried_are_recorded(api: Api, source: Source, unique) -> None:
    stats_data_id = unique("audit-run")
    started = await api.admin.post(
        "/api/ingest/runs", json={"stats_data_id": stats_data_id}, headers=FORWARDED
    )
    assert started.status_code == 202
    failed = await api.wait(started.json()["id"])
    assert failed["status"] == "failed"  # the table is not there yet
    source.copy("census-c01-1920-2015", stats_data_id)
    retried = await api.admin.post(f"/api/ingest/runs/{failed['id']}/retry", headers=FORWARDED)
    assert retried.status_code == 202
    retry_id = retried.json()["id"]
    await api.wait(retry_id)
    refused = await api.admin.post(f"/api/ingest/runs/{retry_id}/retry")
    assert_problem(refused, 409, "run-not-retryable")

    rows = await audit_of(api, target_type="run", action="run.triggered", target_id=failed["id"])
    assert [visible(found) for found in rows] == [
        row(
            api,
            "run.triggered",
            "run",
            failed["id"],
            None,
            {
                "stats_data_id": stats_data_id,
                "status": "queued",
                "trigger": "api",
                "filters": {},
                "allow_shrink": False,
                "retry_of": None,
            },
            started,
        )
    ]
    rows = await audit_of(api, target_id=retry_id)
    assert [visible(found) for found in rows] == [
        row(
            api,
            "run.retried",
            "run",
            retry_id,
            None,
            {
                "stats_data_id": stats_data_id,
                "status": "queued",
                "trigger": "retry",
                "filters": {},
                "allow_shrink": False,
                "retry_of": failed["id"],
            },
            retried,
        )
    ]


async def test_the_ingest_audit_log_is_admin_only_and_pages(
    api: Api, source: Source, unique
) -> None:
    assert_problem(await api.anonymous.get("/api/ingest/audit"), 401, "authentication-required")
    user = await api.anonymous.get("/api/ingest/audit", headers=api.user_headers)
    assert_problem(user, 403, "forbidden")

    stats_data_id = unique("audit-page")
    source.copy("census-c01-1920-2015", stats_data_id)
    created = await api.admin.post("/api/ingest/catalog", json={"stats_data_id": stats_data_id})
    assert created.status_code == 201, created.text
    for schedule in ("0 1 * * *", "0 2 * * *", "0 3 * * *"):
        patched = await api.admin.patch(
            f"/api/ingest/catalog/{stats_data_id}", json={"schedule": schedule}
        )
        assert patched.status_code == 200
    everything = await audit_of(api, target_id=stats_data_id, actor=admin_id(api))
    assert [found["action"] for found in everything] == ["catalog.entry_changed"] * 3 + [
        "catalog.entry_created"
    ]
    first = (
        await api.admin.get("/api/ingest/audit", params={"target_id": stats_data_id, "limit": 2})
    ).json()
    assert first["next"].startswith(f"/api/ingest/audit?target_id={stats_data_id}&limit=2&cursor=")
    second = (await api.admin.get(first["next"])).json()
    assert second["next"] is None
    assert first["items"] + second["items"] == everything
    bad = await api.admin.get("/api/ingest/audit", params={"cursor": "bm9wZQ"})
    assert_problem(bad, 400, "invalid-cursor")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ingest_audit.events SET after = NULL",
        "DELETE FROM ingest_audit.events",
        "TRUNCATE ingest_audit.events",
        "DROP TABLE ingest_audit.events",
        "UPDATE ingest_audit.head SET seq = 0",
    ],
)
async def test_the_ingest_role_cannot_change_audit_rows(
    api: Api, source: Source, settings: IngestSettings, unique, statement: str
) -> None:
    stats_data_id = unique("audit-role")
    source.copy("census-c01-1920-2015", stats_data_id)
    created = await api.admin.post("/api/ingest/catalog", json={"stats_data_id": stats_data_id})
    assert created.status_code == 201, created.text
    url = settings.service_database_url.set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
        count = conn.execute("SELECT count(*) FROM ingest_audit.events").fetchone()[0]
        assert count >= 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
        assert conn.execute("SELECT count(*) FROM ingest_audit.events").fetchone()[0] == count
