"""Reference data: the region list, the indicator catalog and the boundaries, shipped in the
package.

``ensure_reference_data`` runs when the API (or a worker) starts. It compares the content hash of
each packaged file with the one last loaded and reloads only what changed, under an advisory lock
so several processes starting together load once. A data migration would freeze a copy of the
files into the migration history and need a new migration for every rebuild of them; loading
from the package keeps the database equal to the code that is deployed, and costs one SELECT
when nothing changed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from decimal import Decimal
from importlib.resources import files
from typing import Any

import structlog
import yaml
from sqlalchemy import delete, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_shared.locks import xact_lock
from chiiki_stats.catalog import (
    Catalog,
    IndicatorDef,
    Reference,
    RegionIndex,
    RegionInfo,
    Source,
)
from chiiki_stats.models import Boundary as BoundaryRow
from chiiki_stats.models import Indicator, IndicatorSource, ReferenceState, Region
from chiiki_stats.services.boundaries import LEVEL_FILES, Boundary

logger = structlog.get_logger(__name__)

REFERENCE = files("chiiki_stats") / "reference"
FILES = {
    "regions": "regions.csv",
    "indicators": "indicators.yaml",
    **{f"boundaries.{level}": filename for level, filename in LEVEL_FILES.items()},
}
_LOCK = "chiiki_stats.reference"


def read_file(name: str) -> bytes:
    return (REFERENCE / name).read_bytes()


def content_hash(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


async def ensure_reference_data(session: AsyncSession) -> dict[str, str]:
    """Load whichever reference file changed since it was last loaded; return their hashes."""
    await xact_lock(session, _LOCK, "reference")
    rows = await session.execute(select(ReferenceState.name, ReferenceState.content_hash))
    stored = {row.name: row.content_hash for row in rows}
    hashes: dict[str, str] = {}
    for name, filename in FILES.items():
        data = read_file(filename)
        hashes[name] = content_hash(data)
        if stored.get(name) == hashes[name]:
            continue
        if name == "regions":
            await _load_regions(session, data)
        elif name == "indicators":
            await _load_indicators(session, data)
        else:
            await _load_boundary(session, name.removeprefix("boundaries."), data, hashes[name])
        await session.execute(
            pg_insert(ReferenceState)
            .values(name=name, content_hash=hashes[name])
            .on_conflict_do_update(
                index_elements=[ReferenceState.name],
                set_={"content_hash": hashes[name], "loaded_at": text("now()")},
            )
        )
        logger.info("reference_loaded", file=filename, content_hash=hashes[name])
    return hashes


def _optional(value: str) -> str | None:
    return value or None


def _decimal(value: str) -> Decimal | None:
    return Decimal(value) if value else None


def parse_regions(data: bytes) -> list[dict[str, Any]]:
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    codes = {row["code"] for row in rows}
    regions = []
    for position, row in enumerate(rows):
        parent = _optional(row["parent_code"])
        if parent is not None and parent not in codes:
            raise ValueError(f"region {row['code']} has unknown parent {parent}")
        regions.append(
            {
                "code": row["code"],
                "level": row["level"],
                "parent_code": parent,
                "prefecture_code": _optional(row["prefecture_code"]),
                "name_ja": row["name_ja"],
                "name_kana": _optional(row["name_kana"]),
                "name_en": _optional(row["name_en"]),
                "estat_level": _optional(row["estat_level"]),
                "area_km2": _decimal(row["area_km2"]),
                "lat": _decimal(row["lat"]),
                "lng": _decimal(row["lng"]),
                "position": position,
            }
        )
    return regions


async def _load_regions(session: AsyncSession, data: bytes) -> None:
    regions = parse_regions(data)
    await session.execute(delete(Region))
    await session.execute(insert(Region), regions)


def parse_catalog(data: bytes) -> Catalog:
    document = yaml.safe_load(data)
    definitions = []
    for entry in document["indicators"]:
        sources = []
        for source in entry["sources"]:
            if "derived" in source:
                sources.append(Source(source["priority"], formula=source["derived"]))
                continue
            scale = source.get("scale")
            sources.append(
                Source(
                    priority=source["priority"],
                    dataset_id=str(source["dataset"]),
                    series={key: str(value) for key, value in source["series"].items()},
                    scale=Decimal(str(scale)) if scale is not None else None,
                    label=source.get("label"),
                    published_unit=source.get("published_unit"),
                )
            )
        definitions.append(
            IndicatorDef(
                code=entry["code"],
                name_ja=entry["name_ja"],
                name_en=entry["name_en"],
                category=entry["category"],
                unit=entry["unit"],
                unit_en=entry["unit_en"],
                definition=entry["definition"],
                higher_is_better=entry["higher_is_better"],
                sources=tuple(sorted(sources, key=lambda source: source.priority)),
            )
        )
    return Catalog.build(definitions)


async def _load_indicators(session: AsyncSession, data: bytes) -> None:
    catalog = parse_catalog(data)  # validates formulas before anything is replaced
    await session.execute(delete(Indicator))
    indicators, sources = [], []
    for position, indicator in enumerate(catalog):
        indicators.append(
            {
                "code": indicator.code,
                "name_ja": indicator.name_ja,
                "name_en": indicator.name_en,
                "category": indicator.category,
                "unit": indicator.unit,
                "unit_en": indicator.unit_en,
                "definition": indicator.definition,
                "higher_is_better": indicator.higher_is_better,
                "position": position,
            }
        )
        for source in indicator.sources:
            sources.append(
                {
                    "indicator_code": indicator.code,
                    "priority": source.priority,
                    "dataset_id": source.dataset_id,
                    "series": dict(source.series) if source.series is not None else None,
                    "scale": source.scale,
                    "label": source.label,
                    "published_unit": source.published_unit,
                    "formula": dict(source.formula) if source.formula is not None else None,
                }
            )
    await session.execute(insert(Indicator), indicators)
    await session.execute(insert(IndicatorSource), sources)


async def _load_boundary(session: AsyncSession, level: str, data: bytes, digest: str) -> None:
    topology = json.loads(data)
    row = {
        "level": level,
        "release": topology["release"],
        "content_hash": digest,
        "topology": topology,
    }
    statement = pg_insert(BoundaryRow)
    # The row is bound as parameters, not written into the statement: a statement's values stay
    # in SQLAlchemy's compiled cache with it, and a topology is megabytes.
    upsert = statement.on_conflict_do_update(
        index_elements=[BoundaryRow.level],
        set_={
            **{name: statement.excluded[name] for name in row},
            "loaded_at": text("now()"),
        },
    )
    await session.execute(upsert, row)


async def read_boundaries(session: AsyncSession) -> dict[str, Boundary]:
    """The boundary topology of each level, as the database holds them."""
    rows = (await session.execute(select(BoundaryRow))).scalars()
    return {
        row.level: Boundary(row.level, row.release, row.content_hash, row.topology) for row in rows
    }


async def read_catalog(session: AsyncSession) -> Catalog:
    """The indicator catalog as the database holds it."""
    indicator_rows = (
        await session.execute(select(Indicator).order_by(Indicator.position))
    ).scalars()
    source_rows = await session.execute(
        select(IndicatorSource).order_by(IndicatorSource.indicator_code, IndicatorSource.priority)
    )
    sources: dict[str, list[Source]] = {}
    for row in source_rows.scalars():
        sources.setdefault(row.indicator_code, []).append(
            Source(
                priority=row.priority,
                dataset_id=row.dataset_id,
                series=row.series,
                scale=row.scale,
                label=row.label,
                published_unit=row.published_unit,
                formula=row.formula,
            )
        )
    return Catalog.build(
        [
            IndicatorDef(
                code=row.code,
                name_ja=row.name_ja,
                name_en=row.name_en,
                category=row.category,
                unit=row.unit,
                unit_en=row.unit_en,
                definition=row.definition,
                higher_is_better=row.higher_is_better,
                sources=tuple(sources.get(row.code, ())),
            )
            for row in indicator_rows
        ]
    )


def _float(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


async def read_regions(session: AsyncSession) -> RegionIndex:
    """The regions as the database holds them."""
    rows = await session.execute(select(*Region.__table__.columns))
    return RegionIndex(
        RegionInfo(
            code=row.code,
            level=row.level,
            parent_code=row.parent_code,
            prefecture_code=row.prefecture_code,
            name_ja=row.name_ja,
            name_kana=row.name_kana,
            name_en=row.name_en,
            estat_level=row.estat_level,
            area_km2=_float(row.area_km2),
            lat=_float(row.lat),
            lng=_float(row.lng),
            position=row.position,
        )
        for row in rows
    )


def combined_hash(hashes: dict[str, str]) -> str:
    return content_hash(
        "|".join(f"{name}={value}" for name, value in sorted(hashes.items())).encode()
    )


async def load_catalog(session: AsyncSession) -> Catalog:
    """Bring the database's reference data up to the package's and read the catalog."""
    await ensure_reference_data(session)
    return await read_catalog(session)


async def load_reference(session: AsyncSession) -> Reference:
    """Bring the database's reference data up to the package's and read it into memory."""
    hashes = await ensure_reference_data(session)
    return Reference(
        await read_catalog(session),
        await read_regions(session),
        combined_hash(hashes),
        await read_boundaries(session),
    )
