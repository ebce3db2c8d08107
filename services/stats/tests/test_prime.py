"""Each process primes its own memory before it says it is ready (``chiiki_stats.prime``): its
first municipal reader reads no observation."""

import asyncio
import time

import httpx
import pytest
from sqlalchemy import event

from chiiki_devstack.pytest_plugin import serve_app
from chiiki_stats import published
from chiiki_stats.prime import PRIMER_EXTRA, ComputeOnly, Primer, check_primed
from chiiki_stats.services import kpi, latest, sections
from chiiki_stats.versions import VERSIONS_EXTRA
from chiiki_stats.warm import livability_answer, render


def forget_everything() -> None:
    published.clear()
    latest._known.clear()
    sections._known.clear()
    sections._held[0] = 0
    kpi._card_sets.clear()
    kpi._rankings.clear()


async def ready_within(client: httpx.AsyncClient, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (await client.get("/readyz")).status_code == 200:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_not_ready_until_the_first_round_has_ended(runtime) -> None:
    primer = Primer(runtime, runtime.extras[VERSIONS_EXTRA], 1.0)
    runtime.extras[PRIMER_EXTRA] = primer
    try:
        with pytest.raises(RuntimeError, match="priming"):
            await check_primed(runtime)
        primer.rounds = 1
        await check_primed(runtime)
    finally:
        del runtime.extras[PRIMER_EXTRA]


async def test_a_primed_process_reads_no_observation_for_its_first_municipal_reader(
    loaded,
) -> None:
    from chiiki_stats.config import StatsSettings
    from chiiki_stats.main import create_app

    forget_everything()
    app = create_app(StatsSettings(anonymous_read=True, prime_memory=True))
    async with serve_app(app) as client:
        runtime = app.state.runtime
        assert await ready_within(client, 120)
        primer: Primer = runtime.extras[PRIMER_EXTRA]
        assert (primer.rounds, primer.last_failed) == (1, [])
        statements: list[str] = []

        def count(_conn, _cursor, statement, *_args) -> None:
            statements.append(statement)

        event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
        try:
            versions = runtime.extras[VERSIONS_EXTRA]
            # ComputeOnly neither reads nor stores: the answer is computed here.
            key = await render(
                runtime, versions, livability_answer(level="municipality"), ComputeOnly(runtime)
            )
        finally:
            event.remove(runtime.engine.sync_engine, "before_cursor_execute", count)
        assert key
        assert [s for s in statements if "observations" in s] == []
    forget_everything()
