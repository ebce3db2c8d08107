"""Create the platform's database, one role per service and each service's schema.

Run once per environment with an administrative URL (``DATABASE_URL``); every step is idempotent.
Each role owns its schema and has no rights on any other, so a service cannot read another's
tables even by mistake. The services then migrate and connect as their own role. An audited
service also gets an audit schema owned by a role that cannot log in, where its own role may only
read and append (see ``chiiki_shared.audit``).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

import psycopg
from psycopg import errors, sql
from sqlalchemy.engine import make_url

from chiiki_shared.audit import schema as audit
from chiiki_shared.settings import ServiceSettings


def _conninfo(url: str, database: str | None = None) -> str:
    parsed = make_url(url)
    if database:
        parsed = parsed.set(database=database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _database_name(admin_url: str) -> str:
    database = make_url(admin_url).database
    if not database:
        raise ValueError("DATABASE_URL must name a database")
    return database


def create_database(admin_url: str) -> None:
    database = _database_name(admin_url)
    with psycopg.connect(_conninfo(admin_url, "postgres"), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if found.fetchone():
            return
        with suppress(errors.DuplicateDatabase):  # another run may create it at the same time
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def drop_database(admin_url: str) -> None:
    database = _database_name(admin_url)
    with psycopg.connect(_conninfo(admin_url, "postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        )


def _ensure_role(conn: psycopg.Connection, role: str, password: str) -> None:
    try:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
    except errors.DuplicateObject:
        conn.execute(
            sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )


def _ensure_owner_role(conn: psycopg.Connection, role: str) -> None:
    with suppress(errors.DuplicateObject):
        conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
    conn.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(role)))


def provision_audit_log(conn: psycopg.Connection, settings: ServiceSettings) -> None:
    """The service's audit schema and tables, owned by a role of their own (audit/schema.py).

    Created here rather than by the service's migrations: those run as the service's role, which
    may only add rows to the log, never create, change or drop it.
    """
    service, role = settings.service_name, sql.Identifier(settings.db_role)
    owner, schema = audit.audit_owner_role(service), audit.audit_schema(service)
    _ensure_owner_role(conn, owner)
    conn.execute(
        sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
            sql.Identifier(schema), sql.Identifier(owner)
        )
    )
    with conn.transaction():
        conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(owner)))
        for statement in audit.ddl(service):
            conn.execute(statement.encode())  # our own DDL, no parameters
    events, head = sql.Identifier(schema, audit.EVENTS), sql.Identifier(schema, audit.HEAD)
    grants = [
        sql.SQL("REVOKE ALL ON {}, {} FROM PUBLIC").format(events, head),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), role),
        sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(events, role),
        sql.SQL("GRANT SELECT ON {} TO {}").format(head, role),
    ]
    for grant in grants:
        conn.execute(grant)


def provision(admin_url: str, services: Iterable[ServiceSettings]) -> None:
    """Create the database, the service roles and schemas, and lock everything else down."""
    create_database(admin_url)
    database = _database_name(admin_url)
    with psycopg.connect(_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database))
        )
        conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        for settings in services:
            role, schema = settings.db_role, settings.db_schema
            _ensure_role(conn, role, settings.db_password.get_secret_value())
            conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
                    sql.Identifier(schema), sql.Identifier(role)
                )
            )
            conn.execute(
                sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
                    sql.Identifier(database), sql.Identifier(role)
                )
            )
            if settings.audited:
                provision_audit_log(conn, settings)
