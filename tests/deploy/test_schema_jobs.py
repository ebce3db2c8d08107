"""The deployment's database jobs (chiiki_shared.schema_jobs) on a real, fresh PostgreSQL
database: provisioning then one upgrade per schema, twice, leave every schema at its head."""

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from alembic.script import ScriptDirectory

from chiiki_shared import schema_jobs
from chiiki_shared.migrations import alembic_config
from chiiki_shared.provisioning import drop_database

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/{database}"


@pytest.fixture
def fresh_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = ADMIN_URL.format(database=f"chiiki_jobs_{uuid.uuid4().hex[:10]}")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ENVIRONMENT", "development")
    yield url
    drop_database(url)


def test_provision_and_upgrade_each_schema_to_head_idempotently(fresh_database: str) -> None:
    for _ in range(2):
        assert schema_jobs.main(["provision"]) == 0
        for service in schema_jobs.SERVICES:
            assert schema_jobs.main(["upgrade", service]) == 0
    with psycopg.connect(fresh_database) as conn:
        for service in schema_jobs.SERVICES:
            settings = schema_jobs.service_settings_class(service)()
            head = ScriptDirectory.from_config(alembic_config(settings)).get_current_head()
            rows = conn.execute(f"SELECT version_num FROM {service}.alembic_version").fetchall()
            assert rows == [(head,)], service


def test_upgrade_refuses_an_unknown_service() -> None:
    with pytest.raises(SystemExit) as exited:
        schema_jobs.main(["upgrade", "billing"])
    assert exited.value.code == 2


def test_provisioning_reads_only_the_shared_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """In production the analytics service needs its client credentials; provisioning it needs
    only its database password, so the provisioning job never gets the service's secrets."""
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("ANALYTICS_DB_PASSWORD", "a-real-password")
    monkeypatch.delenv("ANALYTICS_CLIENT_ID", raising=False)
    settings = schema_jobs.provisioning_settings("analytics")
    assert (settings.db_role, settings.db_schema) == ("chiiki_analytics", "analytics")
    assert settings.db_password.get_secret_value() == "a-real-password"
    monkeypatch.delenv("ANALYTICS_DB_PASSWORD")
    with pytest.raises(ValueError, match="ANALYTICS_DB_PASSWORD must be set"):
        schema_jobs.provisioning_settings("analytics")
