"""``python -m chiiki_shared.audit verify --service auth``: recompute a service's audit chain.

Connects as the service's own role (it may read its log) with the service's settings from the
environment. Exit status 0 when the chain is whole, 1 at the first changed, unlinked or missing
row, which is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import create_async_engine

from chiiki_shared.audit.log import AuditLog, Verdict
from chiiki_shared.settings import ServiceSettings


def service_settings(service: str) -> ServiceSettings:
    """The shared settings of ``service``, read with its prefix (``AUTH_DSN``...)."""
    config = {**ServiceSettings.model_config, "env_prefix": f"{service.upper()}_"}
    settings_class = type(
        f"{service.title()}AuditSettings",
        (ServiceSettings,),
        {"service_name": service, "model_config": config, "__annotations__": {}},
    )
    settings: ServiceSettings = settings_class()
    return settings


async def verify(settings: ServiceSettings) -> Verdict:
    engine = create_async_engine(settings.service_database_url)
    try:
        async with engine.connect() as connection:
            snapshot = await connection.execution_options(isolation_level="REPEATABLE READ")
            return await AuditLog(settings.service_name).verify(snapshot)
    finally:
        await engine.dispose()


def report(service: str, verdict: Verdict) -> str:
    if verdict.problem is None:
        return (
            f"{service}: audit chain intact, {verdict.checked} rows, "
            f"head {verdict.head_seq} {verdict.head_hash}"
        )
    return (
        f"{service}: audit chain broken at row {verdict.problem.seq} "
        f"({verdict.problem.kind}): {verdict.problem.detail}; "
        f"{verdict.checked} rows before it check out"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chiiki_shared.audit")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="recompute the hash chain of a service's log")
    check.add_argument("--service", required=True, choices=("auth", "ingest"))
    args = parser.parse_args(argv)
    verdict = asyncio.run(verify(service_settings(args.service)))
    print(report(args.service, verdict))
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
