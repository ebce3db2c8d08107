"""Each service's database role reaches its own schema and nothing else."""

import asyncio

import psycopg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from chiiki_analytics.config import AnalyticsSettings
from chiiki_auth.config import AuthSettings
from chiiki_ingest.config import IngestSettings
from chiiki_shared.migrations import alembic_config
from chiiki_stats.config import StatsSettings

SETTINGS = {"auth": AuthSettings, "stats": StatsSettings, "ingest": IngestSettings}
SETTINGS["analytics"] = AnalyticsSettings


def connect_as(service: str) -> psycopg.Connection:
    url = SETTINGS[service]().service_database_url.set(drivername="postgresql")
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_a_service_is_migrated_to_head_in_its_own_schema(platform, service: str) -> None:
    settings = SETTINGS[service]()
    heads = ScriptDirectory.from_config(alembic_config(settings)).get_heads()
    with connect_as(service) as conn:
        rows = conn.execute(f"SELECT version_num FROM {service}.alembic_version").fetchall()
    assert sorted(row[0] for row in rows) == sorted(heads)


@pytest.mark.parametrize(
    ("service", "other"), [("stats", "auth"), ("auth", "stats"), ("analytics", "ingest")]
)
def test_a_service_cannot_read_another_services_tables(platform, service: str, other: str) -> None:
    with connect_as(service) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f"SELECT * FROM {other}.alembic_version")


def test_a_service_cannot_create_tables_outside_its_schema(platform) -> None:
    with connect_as("stats") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("CREATE TABLE public.sneaky (id int)")


def test_each_test_run_has_its_own_database(platform) -> None:
    assert make_url(platform.admin_url).database.startswith("chiiki_test_")


@pytest.mark.parametrize(("service", "log"), [("stats", "auth"), ("auth", "ingest")])
def test_a_service_cannot_read_another_services_audit_log(platform, service: str, log: str) -> None:
    with connect_as(service) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f"SELECT * FROM {log}_audit.events")


def test_the_audit_tables_belong_to_roles_that_cannot_log_in(platform) -> None:
    with psycopg.connect(platform.admin_url, autocommit=True) as conn:
        rows = conn.execute(
            """SELECT t.schemaname, t.tableowner, r.rolcanlogin,
                      has_table_privilege('chiiki_' || split_part(t.schemaname, '_', 1),
                                          t.schemaname || '.events', 'INSERT'),
                      has_table_privilege('chiiki_' || split_part(t.schemaname, '_', 1),
                                          t.schemaname || '.events', 'SELECT'),
                      has_table_privilege('chiiki_' || split_part(t.schemaname, '_', 1),
                                          t.schemaname || '.events', 'UPDATE, DELETE, TRUNCATE')
                      -- any of the three
               FROM pg_tables t JOIN pg_roles r ON r.rolname = t.tableowner
               WHERE t.tablename = 'events' AND t.schemaname LIKE '%\\_audit'
               ORDER BY t.schemaname"""
        ).fetchall()
    assert rows == [
        ("auth_audit", "chiiki_auth_audit", False, True, True, False),
        ("ingest_audit", "chiiki_ingest_audit", False, True, True, False),
    ]


async def append_to_the_auth_log() -> None:
    from chiiki_shared.audit import Actor, AuditLog
    from chiiki_shared.db import create_engine, create_session_factory, session_scope

    engine = create_engine(AuthSettings().service_database_url, schema="auth")
    try:
        async with session_scope(create_session_factory(engine)) as session:
            await AuditLog("auth").record(
                session,
                actor=Actor.user("provisioning-test"),
                action="test.provisioned",
                target_type="test",
                target_id="1",
            )
    finally:
        await engine.dispose()


def test_provisioning_again_keeps_the_audit_logs(platform) -> None:
    from chiiki_shared.provisioning import provision

    def heads() -> list[tuple]:
        with psycopg.connect(platform.admin_url, autocommit=True) as conn:
            return [
                conn.execute(
                    f"SELECT (SELECT count(*) FROM {name}_audit.events),"
                    f" (SELECT seq FROM {name}_audit.head)"
                ).fetchone()
                for name in ("auth", "ingest")
            ]

    asyncio.run(append_to_the_auth_log())
    before = heads()
    assert before[0][0] >= 1
    provision(platform.admin_url, [settings() for settings in SETTINGS.values()])
    assert heads() == before
