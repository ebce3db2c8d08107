"""Feed the recorded tables to the stats service through its bus consumer, as ingest would.

The payloads are those of docs/bus-contract.md (``stats.apply_batch`` and
``stats.publish_version``), built from the complete e-Stat bodies recorded in
services/ingest/recordings/tables by the stats tests' ``estat_bus``. A table already current in
stats (same content hash) is not published again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from chiiki_devstack.pytest_plugin import import_test_helper
from chiiki_shared.db import session_scope
from chiiki_shared.runtime import Runtime

# The stats tests' builder of contract payloads from the recorded tables: one implementation.
ESTAT_BUS = Path(__file__).resolve().parents[2] / "stats" / "tests" / "estat_bus.py"


def messages(
    table: str, keep: Callable[[dict[str, str]], bool] = lambda _: True
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The batches and the publish payload of ``table``, with only the cells ``keep`` accepts."""
    return import_test_helper(ESTAT_BUS).table(table).where(keep).messages()


async def publish(runtime: Runtime, batches: list[dict], payload: dict) -> tuple[str, list]:
    """Apply one version through stats' consumer; its status and the messages it would send."""
    from chiiki_stats import consumer
    from chiiki_stats.versions import VERSIONS_EXTRA, DatasetVersions

    for batch in batches:
        async with session_scope(runtime.sessions) as session:
            await consumer.stage_batch(session, batch)
    async with session_scope(runtime.sessions) as session:
        outcome = await consumer.publish_version(session, payload)
    # Stats' web app learns versions by NOTIFY and a 2 s refresh; a test that reads right after
    # applying must not race that, so the app's map is refreshed before it returns.
    versions = runtime.extras.get(VERSIONS_EXTRA)
    if isinstance(versions, DatasetVersions):
        await versions.refresh()
    return outcome.status, [(message.TASK, message.payload()) for message in outcome.messages]
