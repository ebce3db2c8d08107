"""``chiiki-ingest`` against the real ingest app and the real auth app over real HTTP: a service
client's token from auth's client-credentials grant, runs executed by this package's workers."""

from __future__ import annotations

import asyncio
import io
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from chiiki_auth.config import AuthSettings
from chiiki_auth.keys import private_key_pem
from chiiki_auth.main import create_app as create_auth_app
from chiiki_devstack.pytest_plugin import serve_http
from chiiki_ingest import cli
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.main import create_app as create_ingest_app

from .conftest import Api, Source, assert_same_cells, source_cells, stats_cells, stats_version
from .test_rollback import edited_census

CENSUS = "census-c01-1920-2015"


@dataclass
class Servers:
    ingest_url: str
    auth_url: str
    client_id: str
    client_secret: str


@pytest.fixture(scope="module")
async def servers(settings: IngestSettings, api: Api) -> AsyncIterator[Servers]:
    """auth (with a bootstrapped ingest client) and ingest, each under uvicorn; ingest checks
    tokens against auth's JWKS, as deployed. ``api`` loaded the revocation list they share."""
    client_id, secret = str(uuid.uuid4()), uuid.uuid4().hex * 2
    key = ec.generate_private_key(ec.SECP256R1())
    auth_settings = AuthSettings(
        REDIS_KEY_PREFIX=settings.redis_key_prefix,
        signing_keys=json.dumps(
            [
                {
                    "kid": "cli-test",
                    "private_key": private_key_pem(key).decode(),
                    "activated_at": "2020-01-01T00:00:00+00:00",
                }
            ]
        ),
        bootstrap_clients=[
            {
                "id": client_id,
                "name": f"cli-{client_id[:8]}",
                "secret": secret,
                "scopes": ["ingest:read", "ingest:write"],
            }
        ],
    )
    async with serve_http(create_auth_app(auth_settings)) as auth_url:
        ingest_settings = IngestSettings(
            **{**settings.model_dump(by_alias=True), "AUTH_INTERNAL_URL": auth_url}
        )
        async with serve_http(create_ingest_app(ingest_settings)) as ingest_url:
            yield Servers(ingest_url, auth_url, client_id, secret)


@dataclass
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture
def chiiki_ingest(servers: Servers, monkeypatch, capsys):
    """Run ``chiiki-ingest ARGS`` (its main(), in a thread: the servers share this loop)."""
    monkeypatch.setenv(cli.ENV_CLIENT_ID, servers.client_id)
    monkeypatch.setenv(cli.ENV_CLIENT_SECRET, servers.client_secret)

    async def run(*args: str) -> Outcome:
        argv = ["--url", servers.ingest_url, "--auth-url", servers.auth_url, *args]
        out = io.StringIO()
        capsys.readouterr()
        code = await asyncio.to_thread(cli.main, argv, out)
        return Outcome(code, out.getvalue(), capsys.readouterr().err)

    return run


async def test_catalog_list_and_show(chiiki_ingest) -> None:
    listed = await chiiki_ingest("catalog", "list")
    assert (listed.code, listed.err) == (0, "")
    rows = {line.split("\t")[0]: line.split("\t") for line in listed.out.splitlines()}
    assert rows["census-c01-1920-2015"][1:3] == ["enabled", "daily"]
    assert len(rows) >= 8

    shown = await chiiki_ingest("catalog", "show", "census-c01-1920-2015")
    assert shown.code == 0, shown.err
    entry = json.loads(shown.out)
    assert (entry["stats_data_id"], entry["area_dimension"]) == ("census-c01-1920-2015", "area")


async def test_run_is_watched_to_completion_and_listed_by_status(
    chiiki_ingest, source: Source, unique
) -> None:
    stats_data_id = unique("cli-run")
    source.copy(CENSUS, stats_data_id)

    ran = await chiiki_ingest("run", stats_data_id, "--watch", "--interval", "0.2")

    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    run_id = lines[0]
    assert uuid.UUID(run_id)
    assert lines[-1] == "succeeded (published)"
    assert lines[-2] == f"[{'#' * 30}] 100%  pages 1  cells 2880/2880  succeeded"
    succeeded = await chiiki_ingest(
        "runs", "--status", "succeeded", "--stats-data-id", stats_data_id
    )
    assert succeeded.code == 0, succeeded.err
    assert [line.split("\t")[:4] for line in succeeded.out.splitlines()] == [
        [run_id, stats_data_id, "succeeded", "api"]
    ]
    failed = await chiiki_ingest("runs", "--status", "failed", "--stats-data-id", stats_data_id)
    assert (failed.code, failed.out) == (0, "")


async def test_a_running_run_is_cancelled(chiiki_ingest, source: Source, unique) -> None:
    stats_data_id = unique("cli-cancel")
    source.copy(CENSUS, stats_data_id)
    source.faults({"kind": "latency", "seconds": 5, "count": 1, "statsDataId": stats_data_id})
    try:
        started = await chiiki_ingest("run", stats_data_id)
        run_id = started.out.strip()
        deadline = time.monotonic() + 60
        while not source.requests(stats_data_id):  # the worker is reading its first page
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)

        cancelled = await chiiki_ingest("cancel", run_id)
        watched = await chiiki_ingest("watch", run_id, "--interval", "0.2")
    finally:
        source.clear_faults()

    assert (cancelled.code, cancelled.out) == (0, f"{run_id}\trunning\n")
    assert watched.code == 1
    assert watched.err.startswith(f"error: run {run_id} cancelled: cancelled: ")

    retried = await chiiki_ingest("retry", run_id, "--watch", "--interval", "0.2")
    assert retried.code == 0, retried.err
    retry_id = retried.out.splitlines()[0]
    assert retry_id != run_id
    assert retried.out.splitlines()[-1] == "succeeded (published)"
    listed = await chiiki_ingest("runs", "--stats-data-id", stats_data_id)
    assert [line.split("\t")[:4] for line in listed.out.splitlines()] == [
        [retry_id, stats_data_id, "succeeded", "retry"],
        [run_id, stats_data_id, "cancelled", "api"],
    ]


async def test_a_table_is_added_run_twice_and_rolled_back(
    chiiki_ingest, source: Source, platform, unique, tmp_path: Path
) -> None:
    stats_data_id = unique("cli-rollback")
    first_document = source.copy(CENSUS, stats_data_id)
    entry = tmp_path / "entry.yaml"
    entry.write_text(f"stats_data_id: {stats_data_id}\nschedule: manual\n")

    added = await chiiki_ingest("catalog", "add", str(entry))
    assert added.code == 0, added.err
    assert json.loads(added.out)["stats_data_id"] == stats_data_id
    first = await chiiki_ingest("run", stats_data_id, "--watch", "--interval", "0.2")
    source.put(stats_data_id, edited_census())
    second = await chiiki_ingest("run", stats_data_id, "--watch", "--interval", "0.2")
    assert (first.code, second.code) == (0, 0), (first.err, second.err)
    assert stats_version(platform, stats_data_id) == 2

    rolled = await chiiki_ingest(
        "rollback", stats_data_id, "--version", "1", "--watch", "--interval", "0.2"
    )

    assert rolled.code == 0, rolled.err
    assert rolled.out.splitlines()[-1] == "succeeded (published)"
    assert stats_version(platform, stats_data_id) == 3  # version 1's cells, as the next version
    assert_same_cells(source_cells(first_document), stats_cells(platform, stats_data_id))
    listed = await chiiki_ingest("runs", "--stats-data-id", stats_data_id)
    assert [line.split("\t")[3] for line in listed.out.splitlines()] == ["rollback", "api", "api"]


async def test_the_schedule_runs_a_table_now(
    chiiki_ingest, api: Api, source: Source, unique, tmp_path: Path
) -> None:
    stats_data_id = unique("cli-run-now")
    source.copy(CENSUS, stats_data_id)
    entry = tmp_path / "entry.yaml"
    entry.write_text(f"stats_data_id: {stats_data_id}\nschedule: daily\n")
    added = await chiiki_ingest("catalog", "add", str(entry))
    assert added.code == 0, added.err
    try:
        started = await chiiki_ingest("schedule", "--run-now", stats_data_id)

        assert started.code == 0, started.err
        run_id = started.out.strip()
        watched = await chiiki_ingest("watch", run_id, "--interval", "0.2")
        assert watched.code == 0, watched.err
        assert watched.out.splitlines()[-1] == "succeeded (published)"
        listed = await chiiki_ingest("runs", "--stats-data-id", stats_data_id)
        assert [line.split("\t")[:4] for line in listed.out.splitlines()] == [
            [run_id, stats_data_id, "succeeded", "run-now"]
        ]
    finally:  # no daily table of this test's left for other tests' ticks
        await api.admin.patch(f"/api/ingest/catalog/{stats_data_id}", json={"enabled": False})


async def test_the_schedule_is_listed(chiiki_ingest) -> None:
    listed = await chiiki_ingest("schedule")
    assert listed.code == 0, listed.err
    rows = {line.split("\t")[0]: line.split("\t") for line in listed.out.splitlines()}
    assert rows["census-c01-1920-2015"][1] == "0 3 * * *"


async def test_errors_print_the_problem_detail_and_exit_1(
    chiiki_ingest, servers: Servers, monkeypatch, tmp_path: Path
) -> None:
    missing = await chiiki_ingest("catalog", "show", "t-no-such-table")
    assert (missing.code, missing.out) == (1, "")
    assert missing.err == (
        "error: t-no-such-table is not in the catalog. (404 catalog-entry-not-found)\n"
    )

    entry = tmp_path / "entry.yaml"
    entry.write_text(
        "stats_data_id: t-unknown-table\ntitle: nothing\nattribution: nobody\n"
        "area_dimension: area\ntime_dimension: time\n"
    )
    unknown = await chiiki_ingest("catalog", "add", str(entry))
    assert unknown.code == 1
    assert unknown.err.startswith("error: e-Stat does not know t-unknown-table: ")
    assert "(422 estat-table-unknown)\n  body.stats_data_id: " in unknown.err

    monkeypatch.setenv(cli.ENV_CLIENT_SECRET, "not-the-secret-" + uuid.uuid4().hex)
    refused = await chiiki_ingest("runs")
    assert refused.code == 1
    assert refused.err.startswith(f"error: no token from {servers.auth_url}: ")
    assert "(401 invalid-client)" in refused.err
