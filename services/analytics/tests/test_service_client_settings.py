"""The worker's service account in the analytics settings: its own client, never a user's."""

import pytest
from pydantic import ValidationError

from chiiki_analytics.config import AnalyticsSettings

SECRETS = {"db_password": "a-real-db-password"}


def test_production_needs_the_workers_client() -> None:
    with pytest.raises(ValidationError, match="ANALYTICS_CLIENT_ID and ANALYTICS_CLIENT_SECRET"):
        AnalyticsSettings(ENVIRONMENT="production", **SECRETS)
    settings = AnalyticsSettings(
        ENVIRONMENT="production", client_id="c1", client_secret="s" * 43, **SECRETS
    )
    assert settings.client_id == "c1"


def test_id_and_secret_go_together() -> None:
    with pytest.raises(ValidationError, match="go together"):
        AnalyticsSettings(client_id="c1")


def test_no_user_credentials_are_read(monkeypatch) -> None:
    for name in ("BOOTSTRAP_ADMIN_EMAIL", "ANALYTICS_SERVICE_EMAIL"):
        monkeypatch.setenv(name, "admin@chiiki.example")
    for name in ("BOOTSTRAP_ADMIN_PASSWORD", "ANALYTICS_SERVICE_PASSWORD"):
        monkeypatch.setenv(name, "some-password")
    fields = AnalyticsSettings().model_dump()
    assert "admin@chiiki.example" not in str(fields)
    assert (fields["client_id"], fields["client_secret"]) == (None, None)
