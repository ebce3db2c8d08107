"""The audit log of admin actions: the rows each action writes, the admin-only query with its
filters and cursor paging, the database role that cannot change a row, and the chain check."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from chiiki_auth.audit import AUDIT_LOG
from chiiki_shared.audit import Actor, Origin
from chiiki_shared.db import create_engine, create_session_factory, session_scope

from .conftest import assert_problem, make_settings

HIDDEN = ("seq", "occurred_at", "prev_hash", "hash")
FORWARDED = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"}


async def admin_headers(api) -> tuple[dict[str, str], str]:
    """Bearer headers of the bootstrap admin, and the admin's user id."""
    tokens = await api.admin()
    headers = api.bearer(tokens["access_token"])
    me = await api.client.get("/api/auth/me", headers=headers)
    return headers, me.json()["id"]


async def audit_of(client, headers: dict[str, str], **params: str) -> list[dict]:
    response = await client.get("/api/auth/audit", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def visible(row: dict) -> dict:
    return {key: value for key, value in row.items() if key not in HIDDEN}


def connect_as_service() -> psycopg.Connection:
    url = make_settings().service_database_url.set(drivername="postgresql")
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)


def verify_command() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chiiki_shared.audit", "verify", "--service", "auth"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )


async def test_role_changes_and_disabling_are_recorded_with_before_and_after(client, api) -> None:
    user, _ = await api.new_user()
    headers, admin_id = await admin_headers(api)
    answers = []
    for change in ({"role": "admin"}, {"disabled": True}, {"disabled": False}, {"role": "user"}):
        response = await client.patch(
            f"/api/auth/users/{user['id']}", headers={**headers, **FORWARDED}, json=change
        )
        assert response.status_code == 200, response.text
        answers.append(response.headers["x-request-id"])

    rows = await audit_of(client, headers, target_id=user["id"])

    def expected(action: str, before: dict, after: dict, request_id: str) -> dict:
        return {
            "actor_kind": "user",
            "actor_id": admin_id,
            "action": action,
            "target_type": "user",
            "target_id": user["id"],
            "before": before,
            "after": after,
            # The gateway's last X-Forwarded-For entry: the peer (127.0.0.1) is a trusted proxy.
            "client_ip": "203.0.113.9",
            "request_id": request_id,
        }

    assert [visible(row) for row in rows] == [
        expected("user.role_changed", {"role": "admin"}, {"role": "user"}, answers[3]),
        expected("user.enabled", {"disabled": True}, {"disabled": False}, answers[2]),
        expected("user.disabled", {"disabled": False}, {"disabled": True}, answers[1]),
        expected("user.role_changed", {"role": "user"}, {"role": "admin"}, answers[0]),
    ]
    # Newest first, each row chained to the one before it.
    assert [row["seq"] for row in rows] == sorted((row["seq"] for row in rows), reverse=True)
    assert rows[0]["prev_hash"] == rows[1]["hash"]


async def test_service_client_changes_are_recorded_without_secrets(client, api) -> None:
    headers, admin_id = await admin_headers(api)
    name = f"audit-client-{uuid.uuid4().hex[:8]}"
    created = await client.post(
        "/api/auth/clients", headers=headers, json={"name": name, "scopes": ["stats:read"]}
    )
    assert created.status_code == 201, created.text
    client_id, first_secret = created.json()["id"], created.json()["client_secret"]
    rotated = await client.post(f"/api/auth/clients/{client_id}/secret", headers=headers)
    assert rotated.status_code == 200, rotated.text
    revoked = await client.delete(f"/api/auth/clients/{client_id}", headers=headers)
    assert revoked.status_code == 204
    # Revoking again changes nothing and records nothing.
    assert (
        await client.delete(f"/api/auth/clients/{client_id}", headers=headers)
    ).status_code == 204

    rows = await audit_of(client, headers, target_type="service_client", target_id=client_id)
    state = {"name": name, "scopes": ["stats:read"], "revoked": False}
    assert [(row["action"], row["actor_kind"], row["actor_id"]) for row in rows] == [
        ("service_client.revoked", "user", admin_id),
        ("service_client.secret_rotated", "user", admin_id),
        ("service_client.created", "user", admin_id),
    ]
    assert rows[0]["before"] == state
    assert rows[0]["after"] == {**state, "revoked": True}
    assert rows[1]["before"]["secret_id"] != rows[1]["after"]["secret_id"]
    assert rows[2]["before"] is None
    assert rows[2]["after"] == state
    assert [row["request_id"] for row in rows] == [
        revoked.headers["x-request-id"],
        rotated.headers["x-request-id"],
        created.headers["x-request-id"],
    ]
    for secret in (first_secret, rotated.json()["client_secret"]):
        assert all(secret not in str(row) for row in rows)


async def test_one_request_changing_role_and_disabling_writes_two_rows(client, api) -> None:
    user, _ = await api.new_user()
    headers, _ = await admin_headers(api)
    response = await client.patch(
        f"/api/auth/users/{user['id']}", headers=headers, json={"role": "admin", "disabled": True}
    )
    assert response.status_code == 200
    rows = await audit_of(client, headers, target_id=user["id"])
    assert [row["action"] for row in rows] == ["user.disabled", "user.role_changed"]
    assert {row["request_id"] for row in rows} == {response.headers["x-request-id"]}
    # Nothing changes, nothing is recorded.
    again = await client.patch(
        f"/api/auth/users/{user['id']}", headers=headers, json={"role": "admin"}
    )
    assert again.status_code == 200
    assert len(await audit_of(client, headers, target_id=user["id"])) == 2


async def test_a_refused_action_leaves_no_audit_row(client, api) -> None:
    headers, admin_id = await admin_headers(api)
    # Other tests' admins are demoted, so this one is the last...
    for other in await api.every("/api/auth/users?role=admin", headers):
        if other["id"] != admin_id and not other["disabled"]:
            demoted = await client.patch(
                f"/api/auth/users/{other['id']}", headers=headers, json={"role": "user"}
            )
            assert demoted.status_code == 200
    before = await audit_of(client, headers, limit="1")
    # ...and cannot be disabled; an unknown user cannot be changed: neither is recorded.
    response = await client.patch(
        f"/api/auth/users/{admin_id}", headers=headers, json={"disabled": True}
    )
    assert_problem(response, 409, "last-admin", "The last admin cannot be demoted or disabled")
    unknown = await client.patch(
        f"/api/auth/users/{uuid.uuid4()}", headers=headers, json={"role": "admin"}
    )
    assert unknown.status_code == 404
    assert await audit_of(client, headers, limit="1") == before
    assert await audit_of(client, headers, target_id=admin_id) == []


async def test_the_audit_log_is_for_admins_only(client, api) -> None:
    response = await client.get("/api/auth/audit")
    assert_problem(
        response,
        401,
        "authentication-required",
        "An access token is required (Authorization: Bearer <token>)",
    )
    _, tokens = await api.new_user()
    response = await client.get("/api/auth/audit", headers=api.bearer(tokens["access_token"]))
    assert_problem(response, 403, "forbidden", "This action needs the admin role")


async def test_the_audit_log_is_filtered_by_actor_action_target_and_time(client, api) -> None:
    first, _ = await api.new_user()
    second, _ = await api.new_user()
    headers, admin_id = await admin_headers(api)
    started = datetime.now(UTC) - timedelta(seconds=1)
    for user in (first, second):
        for change in ({"role": "admin"}, {"role": "user"}):
            response = await client.patch(
                f"/api/auth/users/{user['id']}", headers=headers, json=change
            )
            assert response.status_code == 200

    by_target = await audit_of(client, headers, target_type="user", target_id=first["id"])
    assert [row["after"] for row in by_target] == [{"role": "user"}, {"role": "admin"}]
    # Other tests' admin actions may fall in the same second: only these two users' rows count.
    ours = {first["id"], second["id"]}

    def of_ours(rows: list[dict]) -> list[dict]:
        return [row for row in rows if row["target_id"] in ours]

    since = of_ours(await audit_of(client, headers, actor=admin_id, since=started.isoformat()))
    assert [row["target_id"] for row in since] == [second["id"]] * 2 + [first["id"]] * 2
    cut = since[1]["occurred_at"]
    until = of_ours(
        await audit_of(
            client, headers, since=started.isoformat(), until=cut, action="user.role_changed"
        )
    )
    assert [row["seq"] for row in until] == [row["seq"] for row in since[2:]]
    assert await audit_of(client, headers, actor=str(uuid.uuid4())) == []
    assert await audit_of(client, headers, target_id=first["id"], action="user.disabled") == []
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert await audit_of(client, headers, since=later) == []


async def test_the_audit_log_pages_with_an_opaque_cursor(client, api) -> None:
    user, _ = await api.new_user()
    headers, _ = await admin_headers(api)
    for change in ({"role": "admin"}, {"role": "user"}, {"disabled": True}, {"disabled": False}):
        await client.patch(f"/api/auth/users/{user['id']}", headers=headers, json=change)
    everything = await audit_of(client, headers, target_id=user["id"])
    assert len(everything) == 4

    seen, url, params = [], "/api/auth/audit", {"target_id": user["id"], "limit": "3"}
    pages = 0
    while url:
        response = await client.get(url, headers=headers, params=params)
        body = response.json()
        seen += body["items"]
        url, params, pages = body["next"], None, pages + 1
        if url:
            assert url.startswith(f"/api/auth/audit?target_id={user['id']}&limit=3&cursor=")
    assert pages == 2
    assert seen == everything

    bad = await client.get("/api/auth/audit", headers=headers, params={"cursor": "not-a-cursor"})
    assert_problem(bad, 400, "invalid-cursor", "The cursor is not one this API gave out")
    too_many = await client.get("/api/auth/audit", headers=headers, params={"limit": "201"})
    assert too_many.status_code == 422


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE auth_audit.events SET action = 'forged'",
        "DELETE FROM auth_audit.events",
        "TRUNCATE auth_audit.events",
        "DROP TABLE auth_audit.events",
        "ALTER TABLE auth_audit.events DISABLE TRIGGER ALL",
        "CREATE TABLE auth_audit.decoy (id int)",
        "UPDATE auth_audit.head SET seq = 0",
        "DELETE FROM auth_audit.head",
        "DROP TRIGGER advance_head ON auth_audit.events",
    ],
)
async def test_the_service_role_cannot_change_or_remove_audit_rows(
    client, api, statement: str
) -> None:
    user, _ = await api.new_user()
    headers, _ = await admin_headers(api)
    await client.patch(f"/api/auth/users/{user['id']}", headers=headers, json={"role": "admin"})
    with connect_as_service() as conn:
        count = conn.execute("SELECT count(*) FROM auth_audit.events").fetchone()[0]
        assert count >= 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
        assert conn.execute("SELECT count(*) FROM auth_audit.events").fetchone()[0] == count


@pytest.mark.parametrize("fork", ["same-seq", "wrong-prev-hash", "skipped-seq"])
async def test_the_database_refuses_a_row_that_does_not_follow_the_head(
    client, api, fork: str
) -> None:
    user, _ = await api.new_user()
    headers, _ = await admin_headers(api)
    await client.patch(f"/api/auth/users/{user['id']}", headers=headers, json={"role": "admin"})
    with connect_as_service() as conn:
        seq, head_hash = conn.execute("SELECT seq, hash FROM auth_audit.head").fetchone()
        values = {
            "same-seq": (seq, head_hash),
            "wrong-prev-hash": (seq + 1, "f" * 64),
            "skipped-seq": (seq + 2, head_hash),
        }[fork]
        with pytest.raises(psycopg.errors.IntegrityConstraintViolation):
            conn.execute(
                """INSERT INTO auth_audit.events (seq, occurred_at, actor_kind, actor_id, action,
                       target_type, target_id, prev_hash, hash)
                   VALUES (%s, now(), 'user', 'x', 'forged', 'user', 'x', %s, %s)""",
                (*values, "e" * 64),
            )
        assert conn.execute("SELECT seq, hash FROM auth_audit.head").fetchone() == (seq, head_hash)


async def test_concurrent_appends_form_one_chain_and_rollbacks_leave_no_gap(platform) -> None:
    settings = make_settings()
    engine = create_engine(settings.service_database_url, schema="auth")
    factory = create_session_factory(engine)
    target = str(uuid.uuid4())

    async def append(n: int) -> int:
        async with session_scope(factory) as session:
            event = await AUDIT_LOG.record(
                session,
                actor=Actor.service_client("test-client"),
                action="test.concurrent",
                target_type="test",
                target_id=target,
                after={"n": n, "ratio": 1.0, "when": datetime(2026, 1, 2, tzinfo=UTC)},
                origin=Origin("192.0.2.1", f"req-{n}"),
            )
            return event.seq

    async def failing_action() -> None:
        async with session_scope(factory) as session:
            await AUDIT_LOG.record(
                session,
                actor=Actor.user("nobody"),
                action="test.rolled_back",
                target_type="test",
                target_id=target,
            )
            raise RuntimeError("the action failed")

    try:
        seqs = await asyncio.gather(*(append(n) for n in range(8)))
        with pytest.raises(RuntimeError):
            await failing_action()
        after = await append(8)
        async with engine.connect() as connection:
            verdict = await AUDIT_LOG.verify(connection)
            rows = (
                await connection.exec_driver_sql(
                    "SELECT action, after FROM auth_audit.events WHERE target_id = $1 ORDER BY seq",
                    (target,),
                )
            ).all()
    finally:
        await engine.dispose()
    assert len(set(seqs)) == 8
    assert after == max(seqs) + 1  # the rolled-back append left no hole
    assert verdict.ok, verdict
    assert [row.action for row in rows] == ["test.concurrent"] * 9
    assert rows[0].after["ratio"] == 1
    assert rows[0].after["when"] == "2026-01-02T00:00:00+00:00"


async def test_verify_finds_an_edited_row_and_a_deleted_row(client, api, platform) -> None:
    user, _ = await api.new_user()
    headers, _ = await admin_headers(api)
    for change in ({"role": "admin"}, {"role": "user"}):
        await client.patch(f"/api/auth/users/{user['id']}", headers=headers, json=change)
    rows = await audit_of(client, headers, target_id=user["id"])
    older, newest = sorted(row["seq"] for row in rows)

    intact = verify_command()
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert intact.stdout == (
        f"auth: audit chain intact, {newest} rows, head {newest} {rows[0]['hash']}\n"
    )

    # Done as the administrative connection: the service's own role cannot change a row.
    with psycopg.connect(platform.admin_url, autocommit=True) as admin:
        # Lets the restore below put rows back behind the head (a superuser's privilege).
        admin.execute("SET session_replication_role = replica")
        admin.execute(
            "CREATE TEMP TABLE saved AS SELECT * FROM auth_audit.events WHERE seq >= %s", (older,)
        )
        admin.execute("CREATE TEMP TABLE saved_head AS SELECT * FROM auth_audit.head")
        try:
            admin.execute(
                """UPDATE auth_audit.events SET after = '{"role": "user"}' WHERE seq = %s""",
                (older,),
            )
            edited = verify_command()
            restore(admin)
            admin.execute("DELETE FROM auth_audit.events WHERE seq = %s", (older,))
            deleted = verify_command()
            restore(admin)
            admin.execute("DELETE FROM auth_audit.events WHERE seq = %s", (newest,))
            truncated = verify_command()
            restore(admin)
            admin.execute("DELETE FROM auth_audit.head")
            headless = verify_command()
        finally:
            restore(admin)

    assert (edited.returncode, edited.stdout) == (
        1,
        f"auth: audit chain broken at row {older} (tampered): row {older} was changed after it "
        f"was written; {older - 1} rows before it check out\n",
    )
    assert (deleted.returncode, deleted.stdout) == (
        1,
        f"auth: audit chain broken at row {older} (missing): row {older} is missing; "
        f"{older - 1} rows before it check out\n",
    )
    # The newest row gone: the head still names it.
    assert (truncated.returncode, truncated.stdout) == (
        1,
        f"auth: audit chain broken at row {newest} (missing): row {newest} is missing; "
        f"{newest - 1} rows before it check out\n",
    )
    # The head gone: every row lies past it.
    assert (headless.returncode, headless.stdout) == (
        1,
        "auth: audit chain broken at row 1 (head): row 1 lies past the head (row 0); "
        "0 rows before it check out\n",
    )
    assert verify_command().returncode == 0


def restore(admin: psycopg.Connection) -> None:
    admin.execute("DELETE FROM auth_audit.events WHERE seq IN (SELECT seq FROM saved)")
    admin.execute("INSERT INTO auth_audit.events SELECT * FROM saved")
    admin.execute("DELETE FROM auth_audit.head")
    admin.execute("INSERT INTO auth_audit.head SELECT * FROM saved_head")
