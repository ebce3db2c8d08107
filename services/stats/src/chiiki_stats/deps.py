"""Dependencies of the stats routes: the read snapshot, the request context, and validation.

Every query parameter is parsed here; all the problems of one request are reported together in
one 422 (``errors``: one ``{field, message, type}`` per problem), in the common error format.
Unknown regions, indicators and datasets are 404s naming them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_shared.cache import QueryCache, cached_response, digest_of, query_cache
from chiiki_shared.deps import get_runtime
from chiiki_shared.errors import NotFound, UnprocessableInput
from chiiki_stats import repository
from chiiki_stats.catalog import Reference, RegionInfo
from chiiki_stats.config import StatsSettings
from chiiki_stats.formats import Format, Result, render
from chiiki_stats.periods import (
    ANNUAL_KINDS,
    MAX_YEAR,
    MIN_YEAR,
    InvalidPeriod,
    PeriodKind,
    YearSpan,
    parse_year,
)
from chiiki_stats.repository import DatasetState

# Bump when the shape of a response changes, so cached bodies of the old shape are not served.
REPRESENTATION_VERSION = "1"
REGION_CODE = re.compile(r"[0-9]{2}[0-9A-Z]{3}")
INDICATOR_CODE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")
QUERY_LEVELS = ("prefecture", "municipality", "ward")
MAX_YEARS = 150


# -- the read snapshot ---------------------------------------------------------------------------


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One read-only REPEATABLE READ transaction per request: every statement of the request sees
    the same snapshot, so a version applied meanwhile is seen entirely or not at all."""
    runtime = get_runtime(request)
    async with runtime.sessions() as session, session.begin():
        await session.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]


@dataclass
class Context:
    """What a route needs: its snapshot, the reference data, dataset versions and the cache."""

    request: Request
    session: AsyncSession
    reference: Reference
    datasets: dict[str, DatasetState]
    cache: QueryCache
    cache_control: str

    @property
    def notes(self) -> dict[str, dict[str, str]]:
        return {dataset_id: state.notes for dataset_id, state in self.datasets.items()}

    def attribution(self, dataset_ids: Iterable[str]) -> list[str]:
        found = [
            self.datasets[d].attribution for d in sorted(set(dataset_ids)) if d in self.datasets
        ]
        return list(dict.fromkeys(found))

    async def respond(
        self,
        route: str,
        params: dict[str, Any],
        *,
        datasets: Iterable[str],
        fmt: Format,
        produce: Callable[[], Awaitable[Result]],
    ) -> Response:
        # The version number and the content hash: a number alone could come back with other
        # content if a dataset were ever removed and published anew.
        versions = {
            d: f"{self.datasets[d].version}:{self.datasets[d].content_hash}"
            if d in self.datasets
            else "absent"
            for d in datasets
        }
        digest = digest_of(
            route,
            {**params, "format": fmt.value},
            versions,
            reference=self.reference.content_hash,
            representation=REPRESENTATION_VERSION,
        )

        async def make() -> Any:
            return render(await produce(), fmt, self.reference)

        return await cached_response(
            self.request, self.cache, digest=digest, cache_control=self.cache_control, produce=make
        )


async def get_context(request: Request, session: ReadSessionDep) -> Context:
    runtime = get_runtime(request)
    reference = runtime.extras["reference"]
    assert isinstance(reference, Reference)
    settings = runtime.settings
    assert isinstance(settings, StatsSettings)
    return Context(
        request=request,
        session=session,
        reference=reference,
        datasets=await repository.dataset_states(session),
        cache=query_cache(runtime),
        cache_control=settings.response_cache_control,
    )


ContextDep = Annotated[Context, Depends(get_context)]


# -- validation ----------------------------------------------------------------------------------


class Problems:
    """Collects the problems of one request's parameters; ``done`` raises them as one 422."""

    def __init__(self, request: Request, allowed: Iterable[str] = ()) -> None:
        self.request = request
        self.errors: list[dict[str, str]] = []
        self.allowed = set(allowed)
        for name in request.query_params:
            if self.allowed and name not in self.allowed:
                self.add(
                    name,
                    f"unknown parameter (accepted: {', '.join(sorted(self.allowed))})",
                    "extra_forbidden",
                )

    def add(self, name: str, message: str, kind: str = "value_error") -> None:
        self.errors.append({"field": f"query.{name}", "message": message, "type": kind})

    def add_path(self, name: str, message: str, kind: str = "value_error") -> None:
        self.errors.append({"field": f"path.{name}", "message": message, "type": kind})

    def done(self) -> None:
        if self.errors:
            names = ", ".join(dict.fromkeys(error["field"] for error in self.errors))
            raise UnprocessableInput(f"Invalid value for: {names}", extra={"errors": self.errors})

    # -- single values

    def format(self, value: str | None, allowed: Iterable[Format]) -> Format:
        allowed = sorted(allowed, key=list(Format).index)
        if value is None:
            return Format.JSON
        try:
            fmt = Format(value.lower())
        except ValueError:
            fmt = None
        if fmt is None or fmt not in allowed:
            names = ", ".join(f.value for f in allowed)
            self.add("format", f"{value!r} is not available here (use one of: {names})", "enum")
            return Format.JSON
        return fmt

    def choice(self, name: str, value: str | None, allowed: Sequence[str], default: str) -> str:
        if value is None:
            return default
        if value not in allowed:
            self.add(name, f"{value!r} is not one of: {', '.join(allowed)}", "enum")
            return default
        return value

    def integer(self, name: str, value: str | None, default: int, low: int, high: int) -> int:
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            self.add(name, f"{value!r} is not an integer", "int_parsing")
            return default
        if not low <= number <= high:
            self.add(name, f"must be between {low} and {high}, got {number}", "limit")
            return default
        return number

    def region_code(self, name: str, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not REGION_CODE.fullmatch(value):
            self.add(name, f"{value!r} is not a region code (5 characters, e.g. 13000 or 0120B)")
            return None
        return value

    def indicator_code(self, name: str, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not INDICATOR_CODE.fullmatch(value):
            self.add(name, f"{value!r} is not an indicator code (e.g. population.total)")
            return None
        return value

    def required(self, name: str, value: str | None) -> str | None:
        if value is None or not value.strip():
            self.add(name, "is required", "missing")
            return None
        return value

    # -- lists

    def split(self, name: str) -> list[str] | None:
        values = self.request.query_params.getlist(name)
        if not values:
            return None
        return [part.strip() for value in values for part in value.split(",") if part.strip()]

    def list_of(
        self, name: str, check: Callable[[str, str], str | None], *, limit: int, what: str
    ) -> list[str] | None:
        values = self.split(name)
        if values is None:
            return None
        if len(values) > limit:
            self.add(name, f"at most {limit} {what} per request, got {len(values)}", "too_long")
            return None
        parsed = [check(name, value) for value in values]
        if any(value is None for value in parsed):
            return None
        return list(dict.fromkeys(value for value in parsed if value is not None))

    # -- years

    def years(
        self,
        period: str | None,
        first: str | None,
        last: str | None,
        *,
        period_name: str = "period",
    ) -> YearSpan | None:
        """``period=2020`` or ``from=2010&to=2020``; ``CY``/``FY`` prefixes restrict the kind.
        ``None`` when none of them is given."""
        if period is not None and (first is not None or last is not None):
            self.add(period_name, f"give either {period_name} or from/to, not both")
            return None
        if period is not None:
            single = self._year(period_name, period)
            return YearSpan(single[0], single[0], single[1]) if single else None
        if first is None and last is None:
            return None
        low = self._year("from", first) if first is not None else (MIN_YEAR, ANNUAL_KINDS)
        high = self._year("to", last) if last is not None else (MAX_YEAR, ANNUAL_KINDS)
        if low is None or high is None:
            return None
        if low[0] > high[0]:
            self.add("from", f"from ({low[0]}) is after to ({high[0]})")
            return None
        if first is not None and last is not None and high[0] - low[0] + 1 > MAX_YEARS:
            self.add("to", f"at most {MAX_YEARS} years per request, got {high[0] - low[0] + 1}")
            return None
        kinds = low[1] & high[1]
        if not kinds:
            self.add("to", "from and to ask for different kinds of year (CY/FY)")
            return None
        return YearSpan(low[0], high[0], kinds)

    def _year(self, name: str, value: str) -> tuple[int, frozenset[PeriodKind]] | None:
        try:
            return parse_year(value)
        except InvalidPeriod as exc:
            self.add(name, str(exc), "period")
            return None


def require_regions(reference: Reference, codes: Iterable[str]) -> list[RegionInfo]:
    codes = list(codes)
    unknown = [code for code in codes if code not in reference.regions]
    if unknown:
        raise NotFound(
            f"No region with code {', '.join(unknown)}",
            extra={"resource": "region", "missing": unknown},
        )
    return [reference.regions[code] for code in codes]


def require_indicators(reference: Reference, codes: Iterable[str]) -> list[str]:
    codes = list(codes)
    unknown = [code for code in codes if code not in reference.catalog]
    if unknown:
        raise NotFound(
            f"No indicator with code {', '.join(unknown)}",
            extra={"resource": "indicator", "missing": unknown},
        )
    return codes
