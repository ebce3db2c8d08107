import pytest
from pydantic import ValidationError

from chiiki_auth.config import AuthSettings
from chiiki_stats.config import StatsSettings

CLEAN_ENV = ("ENVIRONMENT", "DATABASE_URL", "AUTH_DB_PASSWORD", "AUTH_DSN", "STATS_DB_PASSWORD")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in CLEAN_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_development_accepts_the_placeholder_password(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("ENVIRONMENT", "development")
    assert AuthSettings().db_password.get_secret_value() == "dev-only-change-me"


@pytest.mark.parametrize("environment", ["production", "test"])
def test_placeholder_secrets_are_refused_outside_development(
    clean_env: pytest.MonkeyPatch, environment: str
) -> None:
    clean_env.setenv("ENVIRONMENT", environment)
    with pytest.raises(ValidationError, match="AUTH_DB_PASSWORD must be set to a real secret"):
        AuthSettings()


def test_each_service_reads_its_own_prefix(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("ENVIRONMENT", "production")
    clean_env.setenv("AUTH_DB_PASSWORD", "auth-secret")
    clean_env.setenv("STATS_DB_PASSWORD", "stats-secret")
    assert AuthSettings().db_password.get_secret_value() == "auth-secret"
    assert StatsSettings().db_password.get_secret_value() == "stats-secret"


def test_service_connects_as_its_own_role(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "postgresql://admin:pw@db.internal:5433/chiiki")
    clean_env.setenv("STATS_DB_PASSWORD", "s3cret")
    url = StatsSettings().service_database_url
    assert url.drivername == "postgresql+asyncpg"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "chiiki_stats",
        "s3cret",
        "db.internal",
        5433,
        "chiiki",
    )


def test_dsn_overrides_the_derived_url(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("AUTH_DSN", "postgresql://custom@elsewhere/auth_db")
    url = AuthSettings().service_database_url
    assert url.render_as_string() == "postgresql+asyncpg://custom@elsewhere/auth_db"
