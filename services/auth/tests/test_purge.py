"""The scheduled purge of ended sessions and their refresh tokens (``auth.purge_sessions``)."""

from __future__ import annotations

import asyncio
import time
import uuid

import psycopg
import pytest

from chiiki_auth.config import AuthSettings

from .conftest import AuthApi
from .test_session_management import sid_of

# (name, SQL that ages the session, purged with a 10-day retention?)
AGES = [
    ("live", None, False),
    ("revoked 11 days ago", "revoked_at = now() - interval '11 days'", True),
    ("revoked 9 days ago", "revoked_at = now() - interval '9 days'", False),
    ("expired 11 days ago", "expires_at = now() - interval '11 days'", True),
    ("expired 9 days ago", "expires_at = now() - interval '9 days'", False),
    # Idle: the refresh token was last rotated 7 days (the idle limit) + N days ago.
    ("idle-ended 11 days ago", "last_used_at = now() - interval '18 days'", True),
    ("idle-ended 9 days ago", "last_used_at = now() - interval '16 days'", False),
]


def counts(platform, session_ids: list[str]) -> dict[str, tuple[int, int]]:
    """Per session id: (session rows, refresh-token rows) left."""
    with psycopg.connect(platform.admin_url) as conn:
        found = {}
        for session_id in session_ids:
            sessions = conn.execute(
                "SELECT count(*) FROM auth.sessions WHERE id = %s", (session_id,)
            ).fetchone()[0]
            tokens = conn.execute(
                "SELECT count(*) FROM auth.refresh_tokens WHERE session_id = %s", (session_id,)
            ).fetchone()[0]
            found[session_id] = (sessions, tokens)
    return found


@pytest.fixture
def aged_sessions(auth_app, platform) -> dict[str, str]:
    """One user's sessions, each aged as AGES says and refreshed once (two token rows each)."""

    async def make() -> dict[str, str]:
        async with auth_app() as client:
            api = AuthApi(client)
            user = await api.register()
            made = {}
            for name, _, _ in AGES:
                tokens = await api.login(user["email"])
                rotated = await client.post(
                    "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
                )
                assert rotated.status_code == 200
                made[name] = sid_of(tokens)
            return made

    made = asyncio.run(make())
    with psycopg.connect(platform.admin_url) as conn:
        for name, change, _ in AGES:
            if change:
                conn.execute(f"UPDATE auth.sessions SET {change} WHERE id = %s", (made[name],))
    yield made
    with psycopg.connect(platform.admin_url) as conn:
        conn.execute("DELETE FROM auth.sessions WHERE id = ANY(%s::uuid[])", (list(made.values()),))


def test_sessions_past_the_retention_are_purged_with_their_tokens(
    aged_sessions, platform, monkeypatch
) -> None:
    from chiiki_auth.tasks import purge_sessions

    monkeypatch.setenv("AUTH_SESSION_RETENTION_DAYS", "10")
    before = counts(platform, list(aged_sessions.values()))
    assert set(before.values()) == {(1, 2)}

    first = purge_sessions()

    after = counts(platform, list(aged_sessions.values()))
    expected = {aged_sessions[name]: (0, 0) if purged else (1, 2) for name, _, purged in AGES}
    assert after == expected
    assert first["sessions"] >= 3
    assert first["refresh_tokens"] >= 6
    # Idempotent: nothing more is past the retention, so a second run deletes nothing.
    assert purge_sessions() == {"sessions": 0, "refresh_tokens": 0}
    assert counts(platform, list(aged_sessions.values())) == expected


def test_the_default_retention_keeps_what_a_ten_day_one_purges(aged_sessions, platform) -> None:
    from chiiki_auth.tasks import purge_sessions

    assert AuthSettings().session_retention_days == 30
    purge_sessions()
    assert set(counts(platform, list(aged_sessions.values())).values()) == {(1, 2)}


def test_a_retention_outside_its_bounds_is_refused() -> None:
    for days in (0, 400):
        with pytest.raises(ValueError, match="session_retention_days"):
            AuthSettings(session_retention_days=days)


def test_an_auth_worker_runs_the_purge_sent_by_name(aged_sessions, platform, monkeypatch) -> None:
    """The task as beat sends it: by name, to the auth queue, run by a real Celery worker."""
    from celery.contrib.testing.worker import start_worker

    from chiiki_auth.worker import celery_app

    monkeypatch.setenv("AUTH_SESSION_RETENTION_DAYS", "10")
    purged = aged_sessions["revoked 11 days ago"]
    kept = aged_sessions["revoked 9 days ago"]
    with start_worker(celery_app, queues=["auth"], perform_ping_check=False, pool="solo"):
        celery_app.send_task("auth.purge_sessions", args=[{}], task_id=uuid.uuid4().hex)
        deadline = time.monotonic() + 30
        while counts(platform, [purged])[purged] != (0, 0):
            assert time.monotonic() < deadline, "the worker did not purge in 30 s"
            time.sleep(0.1)
    assert counts(platform, [kept])[kept] == (1, 2)
