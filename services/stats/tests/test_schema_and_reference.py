"""The migrations build exactly the models, and the reference data loads once."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from chiiki_shared.db import session_scope
from chiiki_stats.models import Base, Indicator, IndicatorSource, ReferenceState, Region
from chiiki_stats.reference import _load_boundary, content_hash, ensure_reference_data, read_file


async def test_migrations_match_the_models(runtime) -> None:
    def diff(connection):
        context = MigrationContext.configure(
            connection,
            opts={
                "include_schemas": True,
                "include_name": lambda name, type_, _: type_ != "schema" or name == "stats",
                "include_object": lambda obj, name, type_, *_: name != "alembic_version",
                "compare_type": True,
            },
        )
        return compare_metadata(context, Base.metadata)

    # As the migrations run: the service's role, without the search_path of the app's engine.
    engine = create_async_engine(runtime.settings.service_database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(diff) == []
    finally:
        await engine.dispose()


async def test_reference_data_is_loaded_once(runtime) -> None:
    async with session_scope(runtime.sessions) as session:
        loaded_at = dict(
            (await session.execute(select(ReferenceState.name, ReferenceState.loaded_at))).all()
        )
        hashes = await ensure_reference_data(session)
        again = dict(
            (await session.execute(select(ReferenceState.name, ReferenceState.loaded_at))).all()
        )
        counts = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (Region, Indicator, IndicatorSource)
        ]
    assert set(hashes) == {
        "regions",
        "indicators",
        "boundaries.municipality",
        "boundaries.ward",
    }
    assert again == loaded_at
    assert counts == [4086, 52, 77]


async def test_loading_a_boundary_leaves_no_topology_in_the_statement_cache(runtime) -> None:
    # A compiled statement stays in the engine's cache with the values written into it: a
    # topology held there is megabytes for the life of the process (issue 15).
    data = read_file("wards.topojson")
    async with runtime.sessions() as session:
        await _load_boundary(session, "ward", data, content_hash(data))
        cache = (await session.connection()).sync_engine._compiled_cache
        await session.rollback()
    assert cache is not None
    held: list[Any] = [
        bind.value for compiled in list(cache.values()) for bind in compiled.binds.values()
    ]
    assert [value for value in held if isinstance(value, dict) and "arcs" in value] == []
