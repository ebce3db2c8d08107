"""``chiiki-stack``: run the platform locally (``make up``, ``make down``, ``make ps``, ...)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

from chiiki_devstack.backup import BackupFailed
from chiiki_devstack.config import SERVICES
from chiiki_devstack.stack import Stack, StackFailed

if TYPE_CHECKING:
    from chiiki_shared.settings import ServiceSettings


def _service_settings() -> list[ServiceSettings]:
    from chiiki_analytics.config import AnalyticsSettings
    from chiiki_auth.config import AuthSettings
    from chiiki_ingest.config import IngestSettings
    from chiiki_stats.config import StatsSettings

    return [AuthSettings(), StatsSettings(), IngestSettings(), AnalyticsSettings()]


def migrate() -> None:
    """Create the database, roles and schemas, then bring every service's schema to head."""
    from chiiki_shared.migrations import upgrade
    from chiiki_shared.provisioning import provision

    services = _service_settings()
    provision(services[0].database_url, services)
    for settings in services:
        upgrade(settings)


def backup(target: str | None) -> None:
    """Dump every service's schema of DATABASE_URL's database into a new folder."""
    from datetime import UTC, datetime
    from pathlib import Path

    from chiiki_devstack import backup as backups

    services = _service_settings()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = Path(target) if target else Stack.from_env().settings.run_dir / "backups" / stamp
    manifest = backups.backup(services[0].database_url, services, folder)
    print(f"backed up {', '.join(manifest['schemas'])} of {manifest['database']} into {folder}")


def restore(source: str) -> None:
    """Restore a backup folder into DATABASE_URL's database (empty or missing), then migrate."""
    from pathlib import Path

    from chiiki_devstack import backup as backups

    services = _service_settings()
    manifest = backups.restore(services[0].database_url, services, Path(source))
    migrate()
    schemas = ", ".join(manifest["schemas"])
    print(f"restored {schemas} from {source} (taken {manifest['created_at']})")


def new_migration(service: str, message: str) -> None:
    from alembic import command

    from chiiki_shared.migrations import alembic_config

    settings = next(s for s in _service_settings() if s.service_name == service)
    command.revision(alembic_config(settings), message=message, autogenerate=True)


def up(stack: Stack) -> None:
    from chiiki_devstack import frontend

    # Before anything starts: a failed build stops make up with npm's own words.
    built = frontend.ensure_built(stack.settings)
    restarted = stack.up(load_demo_data=True)
    url = stack.settings.gateway_url
    print(f"Chiiki is up. Gateway: {url}")
    print(f"  app:      {url}/  ({built})")
    if restarted:
        print(f"  restarted after a crash: {', '.join(restarted)}")
    print(f"  health:   {url}/api/health")
    for service in SERVICES:
        print(f"  {service + ':':<10}{url}/api/{service}/docs")
    print(f"  logs:     {stack.settings.log_dir}")
    _print_ingestion(stack)
    if stack.service_clients_file.exists() and not os.environ.get("AUTH_BOOTSTRAP_CLIENTS"):
        names = ", ".join(str(c["name"]) for c in stack.service_clients().values())
        kept = stack.service_clients_file
        print(f"  clients:  {names}  (the workers' service accounts, kept in {kept})")
        if not _clients_get_tokens(stack):
            print(
                "  warning:  a worker's client already existed in this database with another id"
                "\n            or secret; `make clean` drops the development database and starts"
                "\n            afresh."
            )
    if stack.dev_admin_file.exists() and not os.environ.get("BOOTSTRAP_ADMIN_EMAIL"):
        email, password = stack.dev_admin()
        print(
            f"  admin:    {email} / {password}  (development only, kept in {stack.dev_admin_file})"
        )
        if not _can_log_in(stack, email, password):
            # The account is only created when missing: one made earlier (before the run folder
            # was removed, or by another checkout on the same database) keeps its password.
            print(
                f"  warning:  {email} already existed in this database with another password;"
                "\n            `make clean` drops the development database and starts afresh,"
                "\n            or set BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD."
            )


def _can_log_in(stack: Stack, email: str, password: str) -> bool:
    import httpx

    response = httpx.post(
        f"{stack.gateway_url()}/api/auth/login",
        json={"email": email, "password": password},
        timeout=10,
        verify=stack.gateway_verify(),
    )
    return response.status_code == 200


def _clients_get_tokens(stack: Stack) -> bool:
    import httpx

    for client in stack.service_clients().values():
        response = httpx.post(
            f"{stack.gateway_url()}/api/auth/token",
            data={"grant_type": "client_credentials"},
            auth=(str(client["id"]), str(client["secret"])),
            timeout=10,
            verify=stack.gateway_verify(),
        )
        if response.status_code != 200:
            return False
    return True


def clean(stack: Stack) -> None:
    """Stop the stack, drop the development database it created, remove the run folder."""
    import shutil

    from chiiki_devstack import infra
    from chiiki_shared.provisioning import drop_database

    stopped = stack.down()
    print(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")
    # Only the database make up chose itself: one named by DATABASE_URL is the operator's.
    if not os.environ.get("DATABASE_URL") and infra.port_answers("127.0.0.1", 5432):
        drop_database(infra.LOCAL_POSTGRES_URL)
        print(f"dropped: {infra.LOCAL_POSTGRES_URL}")
    shutil.rmtree(stack.settings.run_dir, ignore_errors=True)
    print(f"removed: {stack.settings.run_dir}")


def _print_ingestion(stack: Stack) -> None:
    source = os.environ.get("ESTAT_API_BASE_URL")
    if not source:
        port = stack.settings.replay_port_file.read_text().strip()
        source = f"replay server http://127.0.0.1:{port} (recorded tables)"
    print(f"  e-Stat:   {source}")
    print(
        "  data:     the catalog is being ingested in the background (tables without a version);"
        f"\n            watch: tail -f {stack.table.log_path('worker-ingest')}"
        f"\n            or, as admin: GET {stack.settings.gateway_url}/api/ingest/runs"
    )


# Enough of a crashed process's last log line to recognise it.
LAST_LINE_CHARS = 160


def ps(stack: Stack) -> None:
    """One line per process: ``up``, or ``crashed`` with its last log line (``make up`` restarts
    it); then the gateway's health."""
    print(f"{'process':<20}{'pid':>8}  state")
    for name in stack.table.names():
        running = stack.table.running(name)
        if running:
            print(f"{name:<20}{running.pid:>8}  up")
            continue
        crashed = stack.table.crashed(name)
        pid = crashed.pid if crashed else "-"
        last = (crashed.last_log_line if crashed else None) or "(empty log)"
        print(f"{name:<20}{pid:>8}  crashed  last log line: {last[:LAST_LINE_CHARS]}")
    health = stack.health()
    print(json.dumps(health, indent=2) if health else "gateway: not answering")


def logs(stack: Stack, lines: int) -> None:
    for path in sorted(stack.settings.log_dir.glob("*.log")):
        print(f"==> {path} <==")
        print("\n".join(path.read_text(errors="replace").splitlines()[-lines:]))


def make_certs(stack: Stack) -> None:
    from chiiki_devstack import certs

    files, made = certs.ensure(stack.settings.cert_dir, stack.settings.gateway_host)
    print(
        f"{'made' if made else 'still valid'}: {files.cert} (key {files.key}), signed by "
        f"{files.ca_cert}\n  trust it: curl --cacert {files.ca_cert}, "
        f"SSL_CERT_FILE={files.ca_cert} for Python, or import it into the browser's authorities"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chiiki-stack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="start everything and wait until it is healthy")
    commands.add_parser("down", help="stop exactly what `up` started")
    commands.add_parser("clean", help="down, drop the development database, remove the run folder")
    commands.add_parser("ps", help="show processes and health")
    log_parser = commands.add_parser("logs", help="show the end of every log")
    log_parser.add_argument("-n", "--lines", type=int, default=50)
    commands.add_parser("migrate", help="provision the database and run every migration")
    backup_parser = commands.add_parser("backup", help="dump every service schema into a folder")
    backup_parser.add_argument("--to", help="the folder (default: RUN_DIR/backups/<UTC time>)")
    restore_parser = commands.add_parser(
        "restore", help="restore a backup folder into an empty DATABASE_URL database"
    )
    restore_parser.add_argument("source", help="the folder `backup` wrote")
    commands.add_parser("render-gateway", help="write the nginx config and print its path")
    commands.add_parser("certs", help="a development CA and the gateway's certificate (TLS=1)")
    migration = commands.add_parser("migration", help="autogenerate a migration for a service")
    migration.add_argument("service", choices=SERVICES)
    migration.add_argument("message")
    args = parser.parse_args(argv)

    stack = Stack.from_env()
    try:
        if args.command == "up":
            up(stack)
        elif args.command == "down":
            stopped = stack.down()
            print(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")
        elif args.command == "clean":
            clean(stack)
        elif args.command == "ps":
            ps(stack)
        elif args.command == "logs":
            logs(stack, args.lines)
        elif args.command == "migrate":
            migrate()
        elif args.command == "backup":
            backup(args.to)
        elif args.command == "restore":
            restore(args.source)
        elif args.command == "certs":
            make_certs(stack)
        elif args.command == "render-gateway":
            from chiiki_devstack.gateway import render

            print(render(stack.settings))
        else:
            new_migration(args.service, args.message)
    except (StackFailed, BackupFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
