"""Backup and restore, one dump per service schema (see docs/operations.md).

``backup`` runs ``pg_dump --schema=<service> --format=custom`` for every service, as the
administrative role of ``DATABASE_URL``, and writes a manifest with each file's SHA-256 and the
schema's Alembic revision. ``restore`` loads such a folder into an empty database: it provisions
the database, the roles and the schemas (each owned by its service's role, as ``make migrate``
does), then restores every dump without its ``CREATE SCHEMA`` and with ``--no-owner
--no-privileges --role=<service role>``, so every restored table, sequence and index belongs to
the service's role again, whatever role owned it where the dump was made.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from chiiki_shared.provisioning import provision
from chiiki_shared.settings import ServiceSettings

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


class BackupFailed(RuntimeError):
    pass


def backup(admin_url: str, services: Sequence[ServiceSettings], target: Path) -> dict[str, Any]:
    """Dump every service's schema into ``target`` (created; must not hold a backup yet)."""
    if (target / MANIFEST).exists():
        raise BackupFailed(f"{target} already holds a backup")
    target.mkdir(parents=True, exist_ok=True)
    url = make_url(admin_url)
    major = _server_major(url)
    entries = {}
    for settings in services:
        schema = settings.db_schema
        path = target / f"{schema}.dump"
        _run(
            [_tool("pg_dump", major), "--format=custom", f"--schema={schema}", f"--file={path}"],
            url,
        )
        entries[schema] = {
            "file": path.name,
            "sha256": _sha256(path),
            "role": settings.db_role,
            "alembic_revision": _alembic_revision(url, schema),
        }
    manifest = {
        "format": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": url.database,
        "server_major": major,
        "schemas": entries,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def restore(admin_url: str, services: Sequence[ServiceSettings], source: Path) -> dict[str, Any]:
    """Restore the backup in ``source`` into ``admin_url``'s database, which must hold none of
    the services' tables (it is created when missing)."""
    manifest = read_manifest(source, services)
    provision(admin_url, services)
    url = make_url(admin_url)
    occupied = _tables_in(url, [s.db_schema for s in services])
    if occupied:
        raise BackupFailed(
            f"{url.database} is not empty ({', '.join(occupied[:5])}...): restore into an empty "
            "database (a new DATABASE_URL), never over live data"
        )
    major = _server_major(url)
    pg_restore = _tool("pg_restore", major)
    for settings in services:
        entry = manifest["schemas"][settings.db_schema]
        dump = source / entry["file"]
        listing = source / f".{settings.db_schema}.restore-list"
        listing.write_text(_without_schema_entry(pg_restore, dump, url))
        try:
            _run(
                [
                    pg_restore,
                    "--no-owner",
                    "--no-privileges",
                    f"--role={settings.db_role}",
                    "--exit-on-error",
                    "--single-transaction",
                    f"--use-list={listing}",
                    str(dump),
                ],
                url,
            )
        finally:
            listing.unlink(missing_ok=True)
    return manifest


def read_manifest(source: Path, services: Sequence[ServiceSettings]) -> dict[str, Any]:
    """The backup's manifest, once every dump it names is present and intact."""
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupFailed(f"{source} holds no readable {MANIFEST}: {exc}") from exc
    for settings in services:
        entry = manifest.get("schemas", {}).get(settings.db_schema)
        if entry is None:
            raise BackupFailed(f"{source} has no dump of the {settings.db_schema} schema")
        path = source / entry["file"]
        if not path.exists() or _sha256(path) != entry["sha256"]:
            raise BackupFailed(f"{path} is missing or does not match its SHA-256 in {MANIFEST}")
    return manifest


def _without_schema_entry(pg_restore: str, dump: Path, url: URL) -> str:
    """The dump's table of contents without its ``SCHEMA`` entry: provisioning made the schema,
    owned by the service's role, and the restore must not try to create it again."""
    listing = _run([pg_restore, "--list", str(dump)], url, capture=True, connect=False)
    return "".join(line for line in listing.splitlines(keepends=True) if " SCHEMA - " not in line)


def _run(
    argv: list[str],
    url: URL,
    *,
    capture: bool = False,
    connect: bool = True,
) -> str:
    """Run a PostgreSQL client tool against ``url``; the password travels in the environment,
    never on a command line."""
    env = dict(os.environ)
    if connect:
        argv = [*argv[:1], *_connection_args(url), *argv[1:]]
        if url.password:
            env["PGPASSWORD"] = str(url.password)
    result = subprocess.run(argv, env=env, capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise BackupFailed(f"{Path(argv[0]).name} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout if capture else ""


def _connection_args(url: URL) -> list[str]:
    args = [f"--host={url.host or '127.0.0.1'}", f"--port={url.port or 5432}"]
    if url.username:
        args.append(f"--username={url.username}")
    return [*args, f"--dbname={url.database}"]


def _conninfo(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _server_major(url: URL) -> int:
    with psycopg.connect(_conninfo(url)) as conn:
        return conn.info.server_version // 10000


def _tool(name: str, major: int) -> str:
    """``pg_dump``/``pg_restore`` of the server's major version when installed side by side
    (Debian's /usr/lib/postgresql/<major>/bin), else the one on PATH."""
    versioned = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if versioned.exists():
        return str(versioned)
    found = shutil.which(name)
    if not found:
        raise BackupFailed(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _tables_in(url: URL, schemas: list[str]) -> list[str]:
    with psycopg.connect(_conninfo(url)) as conn:
        rows = conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema = ANY(%s) ORDER BY 1",
            (schemas,),
        ).fetchall()
    return [row[0] for row in rows]


def _alembic_revision(url: URL, schema: str) -> str | None:
    query = sql.SQL("SELECT version_num FROM {}.alembic_version").format(sql.Identifier(schema))
    with psycopg.connect(_conninfo(url)) as conn:
        try:
            row = conn.execute(query).fetchone()
        except psycopg.errors.UndefinedTable:
            return None
    return row[0] if row else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
