"""The e-Stat request metrics a worker counts, as the ingest API's /metrics shows them."""

from __future__ import annotations

import asyncio
import re
import time

from chiiki_devstack.pytest_plugin import METRICS_TOKEN

from .conftest import Api, Source

SCRAPER = {"Authorization": f"Bearer {METRICS_TOKEN}"}
SAMPLE = re.compile(r"^(ingest_estat_\w+)(\{[^}]*\})? (\S+)$", re.MULTILINE)


async def _fresh_metrics(api: Api) -> dict[str, float]:
    """The e-Stat samples of a snapshot taken after this call began."""
    asked_at = time.time()
    deadline = time.monotonic() + 30
    while True:
        text = (await api.anonymous.get("/metrics", headers=SCRAPER)).text
        taken = re.search(r"^ingest_metrics_snapshot_timestamp_seconds (\S+)$", text, re.M)
        if taken is not None and float(taken.group(1)) > asked_at:
            return {name + (labels or ""): float(v) for name, labels, v in SAMPLE.findall(text)}
        assert time.monotonic() < deadline, text
        await asyncio.sleep(0.1)


def _delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    changed = {k: v - before.get(k, 0.0) for k, v in after.items()}
    return {k: v for k, v in changed.items() if v and not k.endswith("_created")}


async def test_a_runs_requests_and_retries_are_counted_exactly(
    api: Api, source: Source, unique
) -> None:
    stats_data_id = unique("census-estat-metrics")
    source.copy("census-c01-1920-2015", stats_data_id)
    source.faults(
        {"kind": "status", "status": 503, "count": 1, "match": {"statsDataId": stats_data_id}}
    )
    before = await _fresh_metrics(api)

    await api.ingest(stats_data_id)
    after = await _fresh_metrics(api)

    asked = source.requests(stats_data_id)
    assert [(e["endpoint"], e["http_status"]) for e in asked] == [
        ("getStatsData", 503),
        ("getStatsData", 200),
    ]
    changed = _delta(before, after)
    latency = 'ingest_estat_request_duration_seconds_{}{{endpoint="getStatsData"{}}}'
    le_inf = latency.format("bucket", ',le="+Inf"')
    assert {k: v for k, v in changed.items() if "_sum" not in k and "le=" not in k} == {
        'ingest_estat_responses_total{endpoint="getStatsData",estat_status="none",'
        'http_status="503"}': 1.0,
        'ingest_estat_responses_total{endpoint="getStatsData",estat_status="0",'
        'http_status="200"}': 1.0,
        'ingest_estat_retries_total{endpoint="getStatsData",reason="http_503"}': 1.0,
        latency.format("count", ""): 2.0,
    }
    assert changed[le_inf] == 2.0
    assert changed[latency.format("sum", "")] > 0
    assert (
        "# TYPE ingest_estat_responses_total counter"
        in (await api.anonymous.get("/metrics", headers=SCRAPER)).text
    )
