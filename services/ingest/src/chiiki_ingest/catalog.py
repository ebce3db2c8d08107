"""The declarative catalog: ``catalog.yaml`` lists the tables to ingest and when.

The file is the baseline; the ``catalog_entries`` table is the live catalog the scheduler reads,
and the admin API can add entries or change them. ``sync`` applies the file: an entry is written
when it is new or when the file's entry changed since it was last applied (its hash differs), so
an admin's change survives until someone edits that entry in the file. Entries that leave the file
are disabled, not deleted.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_ingest import repository
from chiiki_ingest.estat import filter_params
from chiiki_ingest.quality import ADJUSTABLE, Check, Severity

if TYPE_CHECKING:
    from celery.schedules import crontab

DAILY = "daily"
# A run may publish at most 10 % fewer cells than the served version unless it allows more.
DEFAULT_MAX_SHRINK = 0.1
MANUAL = "manual"
# As stats accepts them (e-Stat ids are 10 digits; built tables have short names).
STATS_DATA_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
DIMENSION = r"^(tab|time|area|cat(0[1-9]|1[0-5]))$"
_CRON_FIELDS = 5


def parse_cron(expression: str) -> crontab:
    """A five-field cron expression (minute hour day-of-month month day-of-week)."""
    # Imported here: the API process needs Celery only when a cron schedule is given.
    from celery.schedules import crontab

    fields = expression.split()
    if len(fields) != _CRON_FIELDS:
        raise ValueError(f"{expression!r} is not a five-field cron expression")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    return crontab(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
    )


def check_schedule(value: str) -> str:
    value = " ".join(value.split())
    if value not in (DAILY, MANUAL):
        parse_cron(value)
    return value


def check_filters(value: dict[str, Any]) -> dict[str, Any]:
    filter_params(value)  # raises ValueError for anything but e-Stat's cd*/lv* parameters
    return value


class EntrySpec(BaseModel):
    """One table of the catalog, as written in catalog.yaml or sent to the admin API."""

    model_config = ConfigDict(extra="forbid")

    stats_data_id: str = Field(pattern=STATS_DATA_ID)
    title: str | None = None
    attribution: str | None = None
    enabled: bool = True
    schedule: str = Field(
        default=DAILY,
        description="`daily` (INGEST_SCHEDULE_DAILY), `manual` or a five-field cron expression",
    )
    area_dimension: str = Field(default="area", pattern=DIMENSION)
    time_dimension: str = Field(default="time", pattern=DIMENSION)
    filters: dict[str, str | list[str]] = Field(
        default_factory=dict, description="e-Stat narrowing parameters (cdCat01, lvArea...)"
    )
    quality: dict[str, Literal["block", "warn"]] = Field(
        default_factory=dict, description="severity overrides, e.g. {jump: block}"
    )
    max_shrink: float = Field(
        default=DEFAULT_MAX_SHRINK,
        ge=0,
        le=1,
        description="largest fall in cells from the served version a run may publish (0.1: 10 %)",
    )

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        return check_schedule(value)

    @field_validator("filters")
    @classmethod
    def _filters(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_filters(value)

    @field_validator("quality")
    @classmethod
    def _adjustable(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if name not in {check.value for check in ADJUSTABLE}:
                allowed = ", ".join(sorted(check.value for check in ADJUSTABLE))
                raise ValueError(f"{name!r} is not an adjustable check ({allowed})")
        return value

    @model_validator(mode="after")
    def _distinct_dimensions(self) -> EntrySpec:
        if self.area_dimension == self.time_dimension:
            raise ValueError("area_dimension and time_dimension must differ")
        return self

    def spec_hash(self) -> str:
        # An entry at the default max_shrink hashes as before the field existed, so adding it
        # did not make every file entry look edited (which would undo admins' API changes).
        unset = {"max_shrink"} if self.max_shrink == DEFAULT_MAX_SHRINK else set()
        fields = self.model_dump(mode="json", exclude=unset)
        text = json.dumps(fields, sort_keys=True, ensure_ascii=False)
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    def row_values(self) -> dict[str, Any]:
        return {**self.model_dump(mode="json"), "spec_hash": self.spec_hash()}


class CatalogFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    tables: list[EntrySpec]

    @field_validator("tables")
    @classmethod
    def _unique(cls, tables: list[EntrySpec]) -> list[EntrySpec]:
        seen: set[str] = set()
        for table in tables:
            if table.stats_data_id in seen:
                raise ValueError(f"{table.stats_data_id} is listed twice")
            seen.add(table.stats_data_id)
        return tables


def load(path: Path) -> list[EntrySpec]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return CatalogFile.model_validate(document).tables


async def sync(session: AsyncSession, specs: list[EntrySpec]) -> None:
    for spec in specs:
        await repository.upsert_catalog_spec(session, spec.row_values())
    await repository.disable_removed_specs(session, [spec.stats_data_id for spec in specs])


def severity_overrides(quality: dict[str, Any] | None) -> dict[str, str]:
    return {Check(name).value: Severity(value).value for name, value in (quality or {}).items()}
