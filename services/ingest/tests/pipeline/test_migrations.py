"""The ingest migrations build exactly the models."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from chiiki_ingest.models import Base

from .conftest import Api


async def test_migrations_match_the_models(api: Api) -> None:
    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_schemas": True,
                "include_name": lambda name, type_, _: type_ != "schema" or name == "ingest",
                "include_object": lambda obj, name, type_, *_: name != "alembic_version",
                "compare_type": True,
            },
        )
        return list(compare_metadata(context, Base.metadata))

    # As the migrations run: the service's role, without the search_path of the app's engine.
    engine = create_async_engine(api.runtime.settings.service_database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(diff) == []
    finally:
        await engine.dispose()
