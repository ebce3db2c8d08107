"""Alembic, once for all services: each service's ``env.py`` is two lines that call in here.

A service's migrations run as its own role, touch only its own schema, and keep their version
table in that schema, so the four histories never meet.
"""

from __future__ import annotations

import asyncio
from importlib.resources import files

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from chiiki_shared.settings import ServiceSettings


def alembic_config(settings: ServiceSettings) -> Config:
    """The Alembic config of a service, found in its package (``chiiki_<service>.migrations``)."""
    config = Config()
    location = files(f"chiiki_{settings.service_name}") / "migrations"
    config.set_main_option("script_location", str(location))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["settings"] = settings
    return config


def upgrade(settings: ServiceSettings, revision: str = "head") -> None:
    command.upgrade(alembic_config(settings), revision)


def run_env(settings: ServiceSettings, metadata: MetaData) -> None:
    """The body of a service's ``env.py``: migrate its schema online, as its role."""
    configured = context.config.attributes.get("settings")
    settings = configured if configured is not None else settings
    asyncio.run(_migrate(settings, metadata))


async def _migrate(settings: ServiceSettings, metadata: MetaData) -> None:
    engine = create_async_engine(settings.service_database_url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure_and_run, settings.db_schema, metadata)
            await connection.commit()
    finally:
        await engine.dispose()


def _configure_and_run(connection: Connection, schema: str, metadata: MetaData) -> None:
    def only_own_schema(name: str | None, type_: str, _: object) -> bool:
        return type_ != "schema" or name == schema

    # Reflect the service's schema by name (the role's search_path does not include it), so
    # autogenerate compares the models with what is really there.
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=schema,
        include_schemas=True,
        include_name=only_own_schema,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
