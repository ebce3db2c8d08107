"""The last step of ``make bench``: every scenario of issues 15 and 10 against its target.

Reads the figures the benchmarks of this run wrote (``chiiki_devstack.bench_results``), writes
them together to ``bench/results/<UTC timestamp>.json`` and the table between the
``bench-summary`` markers of ``docs/performance.md``. A scenario whose figures are missing says
so instead of being left out. It judges nothing it did not measure, and never fails.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chiiki_devstack.bench_results import machine, results_dir
from chiiki_devstack.config import REPO_ROOT
from chiiki_devstack.markdown import replace_section

DOC = REPO_ROOT / "docs" / "performance.md"
START, END = "<!-- bench-summary:start -->", "<!-- bench-summary:end -->"


@dataclass(frozen=True)
class Verdict:
    scenario: str
    target: str
    measured: str
    met: bool


Document = dict[str, Any]


def cached_reads(document: Document) -> Iterator[Verdict]:
    for name, read in document["reads"].items():
        cached, static = read["gateway, read cache"], read["static file"]
        ratio = cached["rps"] / static["rps"]
        yield Verdict(
            f"cached read through the gateway: {name}",
            "p95 <= 10 ms, >= 0.30 of static nginx",
            f"p95 {cached['p95_ms']:.1f} ms, {cached['rps']:,.0f}/s, {ratio:.2f} of static",
            cached["p95_ms"] <= 10 and ratio >= 0.30,
        )


def uncached_reads(document: Document) -> Iterator[Verdict]:
    for name, (_p50, p95, _p99, _rps) in document["uncached"].items():
        yield Verdict(
            f"uncached read, one client: {name}",
            "p95 <= 100 ms",
            f"p95 {p95:.0f} ms",
            p95 <= 100,
        )


def one_worker(document: Document) -> Iterator[Verdict]:
    for url, figures in document.get("cached", {}).items():
        yield Verdict(
            f"cached read, straight to one stats worker: `{url}`",
            ">= 2,000 requests per worker process (per CPU-second)",
            f"{figures['requests_per_cpu_second']:,.0f} per CPU-second "
            f"({figures['cpu_ms_per_request']:.2f} ms), {figures['requests_per_second']:,.0f}/s",
            figures["requests_per_cpu_second"] >= 2000,
        )
    for url, figures in document.get("uncached", {}).items():
        slowest = max(figures["wall_first_ms"], figures["wall_max_after_ms"])
        yield Verdict(
            f"uncached read, one client, one worker: `{url}`",
            "p95 <= 100 ms",
            f"max {slowest:.0f} ms (first {figures['wall_first_ms']:.0f}, then "
            f"{figures['wall_max_after_ms']:.0f}; CPU {figures['cpu_first_ms']:.0f} / "
            f"{figures['cpu_mean_after_ms']:.0f})",
            slowest <= 100,
        )


def mixed_load(document: Document) -> Iterator[Verdict]:
    result = document["result"]
    errors = result["error_status"] + result["error_socket"] + result["error_timeout"]
    yield Verdict(
        f"mixed load, {document['connections']} connections, 80% repeated / 20% distinct",
        "p99 <= 200 ms, no errors",
        f"p99 {result['p99_ms']:.0f} ms, {result['rps']:,.0f}/s, {errors:.0f} errors",
        result["p99_ms"] <= 200 and errors == 0,
    )


def logins(document: Document) -> Iterator[Verdict]:
    login = document["login_concurrent"]
    yield Verdict(
        f"login, {login['clients']} at once",
        "p95 <= 150 ms",
        f"p95 {login['p95_ms']:.0f} ms, {login['logins_per_second']:.0f}/s; one core hashes "
        f"{document['argon2id_per_core_per_second']:.0f}/s",
        login["p95_ms"] <= 150,
    )


def ingestion(document: Document) -> Iterator[Verdict]:
    for table in document["results"]:
        ratio = table["pipeline_cells_per_second"] / table["copy_cells_per_second"]
        yield Verdict(
            f"ingestion, {table['table']} ({table['cells']:,} cells)",
            ">= 200,000 cells/s, >= 25% of COPY, worker <= 300 MB",
            f"{table['pipeline_cells_per_second']:,} cells/s, {ratio:.1%} of COPY, "
            f"{table['worker_rss_peak_mb']:.0f} MB",
            table["pipeline_cells_per_second"] >= 200_000
            and ratio >= 0.25
            and table["worker_rss_peak_mb"] <= 300,
        )


def idle_memory(document: Document) -> Iterator[Verdict]:
    for service, figures in document["services"].items():
        yield Verdict(
            f"{service}, idle",
            "RSS <= 120 MB",
            f"{figures['rss_mb']:.1f} MB",
            figures["rss_mb"] <= 120,
        )


def first_load(document: Document) -> Iterator[Verdict]:
    kilobytes, cold = document["first_load_js_gzip_kb"], document["cold"]
    yield Verdict(
        "dashboard, first load: JavaScript",
        "<= 300 kB gzip",
        f"{kilobytes:.1f} kB",
        kilobytes <= 300,
    )
    yield Verdict(
        "dashboard, first load: KPI cards visible (cold)",
        "<= 1.5 s",
        f"p50 {cold['p50_ms']} ms, max {cold['max_ms']} ms ({cold['runs']} runs)",
        cold["p50_ms"] <= 1500,
    )


JUDGES: dict[str, Callable[[Document], Iterator[Verdict]]] = {
    "gateway-cache": cached_reads,
    "stats": uncached_reads,
    "stats-worker": one_worker,
    "mixed-load": mixed_load,
    "auth": logins,
    "ingest": ingestion,
    "idle-rss": idle_memory,
    "frontend": first_load,
}


def main() -> int:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H-%MZ")
    documents = {
        name: json.loads(path.read_text())
        for name in JUDGES
        if (path := results_dir() / f"{name}.json").exists()
    }
    verdicts = [
        verdict
        for name, judge in JUDGES.items()
        if name in documents
        for verdict in judge(documents[name])
    ]
    missing = [name for name in JUDGES if name not in documents]
    here = machine()
    out = REPO_ROOT / "bench" / "results" / f"{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "machine": here,
        "verdicts": [asdict(verdict) for verdict in verdicts],
        "not_measured": missing,
        "scenarios": documents,
    }
    out.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    table = _table(stamp, here, verdicts, missing, out)
    print(table)
    replace_section(DOC, START, END, table)
    return 0


def _table(
    stamp: str, here: dict[str, Any], verdicts: list[Verdict], missing: list[str], out: Path
) -> str:
    lines = [
        f"Last `make bench`: {stamp}, {here['cpus']} vCPUs ({here['cpu']}), load average "
        f"{here['load_average'][0]} at the end, {here['nginx']}, {here['postgres']}, Python "
        f"{here['python']}; raw figures: `{out.relative_to(REPO_ROOT)}`.",
        "",
        "| scenario | target | measured | met |",
        "|---|---|---|---|",
    ]
    for verdict in verdicts:
        met = "yes" if verdict.met else "**no**"
        lines.append(f"| {verdict.scenario} | {verdict.target} | {verdict.measured} | {met} |")
    if missing:
        lines += ["", f"Not measured in that run: {', '.join(missing)}."]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
