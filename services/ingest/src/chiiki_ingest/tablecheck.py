"""A catalog entry checked against its table's metadata (e-Stat's getMetaInfo) before it is
accepted: the table exists, its area and time dimensions are dimensions of the table, and every
narrowing filter names a dimension, codes and levels the table has. Without it an entry with a
typo was accepted and only its first run failed, hours later.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from chiiki_ingest.catalog import EntrySpec
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.estat import (
    Dimension,
    EStatAuthError,
    EStatClient,
    EStatError,
    EStatRequestError,
    MetaInfo,
)
from chiiki_ingest.estat.client import Guard
from chiiki_shared.errors import ServiceUnavailable, UnprocessableInput

# cdArea, cdCat01From, lvTime...: (cd|lv), the dimension, an optional bound.
_FILTER = re.compile(r"(cd|lv)(Tab|Time|Area|Cat(?:0[1-9]|1[0-5]))(From|To)?")
# The metadata is one small request: an admin waits for it, so it is not retried for minutes.
_TIMEOUT_SECONDS = 15.0
_ATTEMPTS = 2
_RETRY_SECONDS = 5.0
RETRY_AFTER_SECONDS = 30


class TableUnknown(UnprocessableInput):
    code, title = "estat-table-unknown", "The source has no such table"


class EntryDoesNotFit(UnprocessableInput):
    code, title = "catalog-entry-mismatch", "The table has no such dimension, code or level"


class SourceUnavailable(ServiceUnavailable):
    code, title = "estat-unavailable", "The statistics source cannot be asked right now"


async def verify(settings: IngestSettings, spec: EntrySpec, guard: Guard | None = None) -> MetaInfo:
    """The table's metadata, once the entry fits it; the problems otherwise (4xx/503)."""
    meta = await meta_info(settings, spec.stats_data_id, guard)
    errors = mismatches(spec, meta)
    if errors:
        names = ", ".join(error["field"].removeprefix("body.") for error in errors)
        raise EntryDoesNotFit(
            f"{spec.stats_data_id} does not have what the entry names ({names}).",
            extra={"errors": errors},
        )
    return meta


async def meta_info(
    settings: IngestSettings, stats_data_id: str, guard: Guard | None = None
) -> MetaInfo:
    problem = settings.estat_app_id_problem()
    if problem:
        raise SourceUnavailable(f"e-Stat cannot be asked: {problem}.")
    client = EStatClient(
        settings.estat_api_base_url,
        settings.estat_app_id.get_secret_value(),
        timeout=min(settings.estat_timeout_seconds, _TIMEOUT_SECONDS),
        max_attempts=_ATTEMPTS,
        max_retry_seconds=_RETRY_SECONDS,
        # An admin's request waits for a slot no longer than for the source itself.
        guard=replace(guard, slot_wait_seconds=min(guard.slot_wait_seconds, _TIMEOUT_SECONDS))
        if guard
        else None,
    )
    try:
        async with client:
            return await client.get_meta_info(stats_data_id)
    except EStatRequestError as error:
        raise TableUnknown(
            f"e-Stat does not know {stats_data_id}: {error}",
            extra={"errors": [_error("body.stats_data_id", str(error), "unknown_table")]},
        ) from None
    except (EStatAuthError, EStatError) as error:
        raise SourceUnavailable(
            f"getMetaInfo for {stats_data_id} failed ({type(error).__name__}); try again later.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None


def mismatches(spec: EntrySpec, meta: MetaInfo) -> list[dict[str, Any]]:
    """What the entry names that the table lacks, one error per field."""
    ids = [dimension.id for dimension in meta.dimensions]
    errors = [
        _error(f"body.{field}", f"{value!r} is not a dimension of the table ({', '.join(ids)})")
        for field, value in (
            ("area_dimension", spec.area_dimension),
            ("time_dimension", spec.time_dimension),
        )
        if value not in ids
    ]
    for name, value in spec.filters.items():
        problem = _filter_problem(name, value, meta)
        if problem is not None:
            errors.append(_error(f"body.filters.{name}", *problem))
    return errors


def _filter_problem(name: str, value: Any, meta: MetaInfo) -> tuple[str, str, list[str]] | None:
    match = _FILTER.fullmatch(name)
    if match is None:  # the spec's own validation refuses these; kept total for safety
        return f"{name!r} is not an e-Stat narrowing parameter", "unknown_filter", []
    kind, dimension_name, _ = match.groups()
    dimension = meta.dimension(dimension_name.lower())
    if dimension is None:
        return f"the table has no {dimension_name.lower()} dimension", "unknown_dimension", []
    values = [value] if isinstance(value, str) else [str(v) for v in value]
    values = [part for item in values for part in item.split(",")]
    missing = (
        _missing_codes(dimension, values) if kind == "cd" else _missing_levels(dimension, values)
    )
    if not missing:
        return None
    what = "codes" if kind == "cd" else "levels"
    return (
        f"{dimension.id} has no {what} {', '.join(missing)}",
        f"unknown_{what[:-1]}",
        missing,
    )


def _missing_codes(dimension: Dimension, codes: list[str]) -> list[str]:
    return [code for code in codes if dimension.item(code) is None]


def _missing_levels(dimension: Dimension, levels: list[str]) -> list[str]:
    """e-Stat levels are ``2`` or a range ``1-3`` (either end may be left out)."""
    known = {item.level for item in dimension.items if item.level is not None}
    return [text for text in levels if not any(_within(level, text) for level in known)]


_LEVELS = re.compile(r"(\d+)|(\d*)-(\d*)")


def _within(level: int, text: str) -> bool:
    """Whether ``level`` is the level, or in the range, ``text`` names (never for nonsense)."""
    match = _LEVELS.fullmatch(text)
    if match is None or text == "-":
        return False
    single, low, high = match.groups()
    if single is not None:
        return level == int(single)
    return (not low or level >= int(low)) and (not high or level <= int(high))


def _error(
    field: str, message: str, kind: str = "unknown_dimension", unknown: Any = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"field": field, "message": message, "type": kind}
    if unknown:
        error["unknown"] = unknown
    return error
