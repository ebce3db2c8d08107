"""The auth service's command line, for bootstrap without the API (production included).

::

    python -m chiiki_auth clients create --name analytics-worker --scopes stats:read
    python -m chiiki_auth clients list
    python -m chiiki_auth clients revoke <client id>

It reads the auth service's own settings (``AUTH_*``, ``DATABASE_URL``, ``REDIS_URL``...) and acts
as the auth service would; the answer is one line of JSON on stdout (``create``: the client id
and its secret, shown this once).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from chiiki_auth.client_service import ClientService
from chiiki_auth.config import AuthSettings
from chiiki_auth.keys import load_key_ring
from chiiki_auth.throttle import Throttle
from chiiki_shared.db import session_scope
from chiiki_shared.errors import ApiError
from chiiki_shared.runtime import Runtime
from chiiki_shared.security import SCOPES, RevocationList


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chiiki_auth")
    groups = parser.add_subparsers(dest="group", required=True)
    clients = groups.add_parser("clients", help="service accounts (client credentials)")
    commands = clients.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a client; prints its secret once")
    create.add_argument("--name", required=True)
    create.add_argument("--scopes", required=True, nargs="+", choices=SCOPES)
    commands.add_parser("list", help="every client, revoked ones included")
    revoke = commands.add_parser("revoke", help="revoke a client and end its tokens")
    revoke.add_argument("client_id", type=uuid.UUID)
    return parser


async def _with_service(work: Callable[[ClientService], Awaitable[Any]]) -> Any:
    settings = AuthSettings()
    runtime = Runtime.open(settings)
    try:
        async with session_scope(runtime.sessions) as session:
            service = ClientService(
                session=session,
                settings=settings,
                keys=load_key_ring(settings),
                throttle=Throttle(runtime.redis, f"{settings.redis_key_prefix}auth:"),
                revocations=RevocationList(runtime.redis, settings.redis_key_prefix),
            )
            return await work(service)
    finally:
        await runtime.close()


def _summary(client: Any) -> dict[str, Any]:
    return {
        "id": str(client.id),
        "name": client.name,
        "scopes": list(client.scopes),
        "revoked_at": client.revoked_at.isoformat() if client.revoked_at else None,
    }


async def _run(args: argparse.Namespace) -> Any:
    if args.command == "create":

        async def create(service: ClientService) -> dict[str, Any]:
            made = await service.create(name=args.name, scopes=args.scopes, created_by=None)
            return {**_summary(made.client), "client_secret": made.secret}

        return await _with_service(create)
    if args.command == "list":

        async def listing(service: ClientService) -> list[dict[str, Any]]:
            found, after = [], None
            while True:
                clients, more = await service.page(limit=200, after=after)
                found += [_summary(client) for client in clients]
                if not more:
                    return found
                after = (clients[-1].created_at, clients[-1].id)

        return await _with_service(listing)

    async def revoke(service: ClientService) -> dict[str, Any]:
        return _summary(await service.revoke(args.client_id, by=None))

    return await _with_service(revoke)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        result = asyncio.run(_run(args))
    except ApiError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
