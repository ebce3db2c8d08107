"""Everything analytics reads from the stats service, over its HTTP API; the contract lives here.

Endpoints and fields used (JSON format):

- ``GET /api/indicators/{code}``: ``code``, ``name_ja``, ``name_en``, ``unit``, ``unit_en``,
  ``category``. 404 means the indicator does not exist.
- ``GET /api/regions/{code}``: ``code``, ``name_ja``, ``name_en``, ``level``; 404 when unknown.
- ``GET /api/regions?level=prefecture&limit=100``: ``items[].code``, ``name_ja``, ``name_en``,
  ``level``, and ``next`` (the next page's URL, followed until null).
- ``GET /api/comparison?regions=..&indicators=..&national=false``: ``regions[]`` (``code``,
  ``name_ja``, ``name_en``, ``level``), ``attribution[]`` and ``series[]`` with ``indicator``,
  ``region`` and ``points[]`` (``year``, ``period``, ``value``, ``sources``). At most 20
  regions and 10 indicators per call.
  404 with ``resource`` = ``region`` or ``indicator`` names what does not exist.
- ``GET /api/datasets?limit=500``: ``items[].id`` and ``items[].version``, which say which
  version of each dataset the values came from, and ``next``, followed until null.

Each call forwards the request id and the caller's ``Authorization`` header (stats checks the
token itself), and gives up after the configured timeout with a 503 naming stats.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from asgi_correlation_id import correlation_id

from chiiki_shared.errors import (
    ApiError,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    UnprocessableInput,
)
from chiiki_shared.observability import REQUEST_ID_HEADER

logger = structlog.get_logger(__name__)

MAX_REGIONS_PER_CALL = 20
MAX_INDICATORS_PER_CALL = 10
MAX_DATASETS_PER_PAGE = 500  # stats' bound for /api/datasets


@dataclass(frozen=True)
class IndicatorInfo:
    code: str
    name_ja: str
    name_en: str
    unit: str | None
    unit_en: str | None
    category: str | None

    def summary(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_ja": self.name_ja,
            "name_en": self.name_en,
            "unit": self.unit,
            "unit_en": self.unit_en,
        }


@dataclass(frozen=True)
class RegionInfo:
    code: str
    name_ja: str
    name_en: str
    level: str | None

    def summary(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "level": self.level,
            "name_ja": self.name_ja,
            "name_en": self.name_en,
        }


@dataclass
class Observations:
    """Yearly values by indicator and region, and the datasets they came from."""

    values: dict[str, dict[str, dict[int, float | None]]] = field(default_factory=dict)
    # The period label stats gives each year ("2020", "FY2020"), by indicator and region.
    labels: dict[str, dict[str, dict[int, str]]] = field(default_factory=dict)
    regions: dict[str, RegionInfo] = field(default_factory=dict)
    datasets: set[str] = field(default_factory=set)
    attribution: list[str] = field(default_factory=list)

    def series(self, indicator: str, region: str) -> dict[int, float | None]:
        return self.values.get(indicator, {}).get(region, {})

    def period_labels(self, indicator: str, region: str) -> dict[int, str]:
        return self.labels.get(indicator, {}).get(region, {})

    def merge(self, other: Observations) -> None:
        for indicator, by_region in other.values.items():
            self.values.setdefault(indicator, {}).update(by_region)
        for indicator, labels in other.labels.items():
            self.labels.setdefault(indicator, {}).update(labels)
        self.regions.update(other.regions)
        self.datasets |= other.datasets
        self.attribution = list(dict.fromkeys([*self.attribution, *other.attribution]))


class StatsClient:
    """Calls stats over ``http`` on behalf of whoever ``authorization`` (a bearer header) names."""

    def __init__(self, http: httpx.AsyncClient, authorization: str | None = None) -> None:
        self._http = http
        self._authorization = authorization

    @classmethod
    def connect(
        cls,
        base_url: str,
        *,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
        authorization: str | None = None,
    ) -> StatsClient:
        http = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)
        return cls(http, authorization)

    def with_authorization(self, authorization: str | None) -> StatsClient:
        """The same connection pool, calling on behalf of another caller."""
        return StatsClient(self._http, authorization)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def indicator(self, code: str) -> IndicatorInfo:
        body = await self._get(f"/api/indicators/{code}", {})
        return IndicatorInfo(
            code=body["code"],
            name_ja=body["name_ja"],
            name_en=body["name_en"],
            unit=body.get("unit"),
            unit_en=body.get("unit_en"),
            category=body.get("category"),
        )

    async def region(self, code: str) -> RegionInfo:
        return _region(await self._get(f"/api/regions/{code}", {}))

    async def prefectures(self, *, page_size: int = 100) -> list[RegionInfo]:
        params = {"level": "prefecture", "limit": str(page_size)}
        return [_region(item) for item in await self._every("/api/regions", params)]

    async def dataset_versions(self, *, page_size: int = MAX_DATASETS_PER_PAGE) -> dict[str, int]:
        items = await self._every("/api/datasets", {"limit": str(page_size)})
        return {item["id"]: int(item["version"]) for item in items}

    async def _every(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """The items of every page of a stats list, following ``next`` until it is null."""
        body = await self._get(path, params)
        items: list[dict[str, Any]] = list(body["items"])
        seen: set[str] = set()
        while (following := body["next"]) is not None:
            if following in seen:  # a list that loops would never end
                raise ServiceUnavailable(
                    f"The stats service repeated a page of {path}", code="stats-unavailable"
                )
            seen.add(following)
            # ``next`` is a relative URL with the query already in it (the same filters and the
            # next cursor): no params, which would replace that query.
            body = await self._get(following)
            items += body["items"]
        return items

    async def observations(self, indicators: Sequence[str], regions: Sequence[str]) -> Observations:
        """Every year of ``indicators`` for ``regions``, in as few calls as the limits allow."""
        calls = [
            self._comparison(indicator_chunk, region_chunk)
            for indicator_chunk in _chunks(indicators, MAX_INDICATORS_PER_CALL)
            for region_chunk in _chunks(regions, MAX_REGIONS_PER_CALL)
        ]
        combined = Observations()
        for part in await asyncio.gather(*calls):
            combined.merge(part)
        return combined

    async def _comparison(self, indicators: Sequence[str], regions: Sequence[str]) -> Observations:
        params = {
            "regions": ",".join(regions),
            "indicators": ",".join(indicators),
            "national": "false",
        }
        body = await self._get("/api/comparison", params)
        found = Observations(
            regions={r["code"]: _region(r) for r in body["regions"]},
            attribution=list(body.get("attribution") or []),
        )
        for series in body["series"]:
            by_year = found.values.setdefault(series["indicator"], {}).setdefault(
                series["region"], {}
            )
            labels = found.labels.setdefault(series["indicator"], {}).setdefault(
                series["region"], {}
            )
            for point in series["points"]:
                if point.get("year") is None:
                    continue
                value = point.get("value")
                by_year[int(point["year"])] = float(value) if value is not None else None
                if point.get("period"):
                    labels[int(point["year"])] = str(point["period"])
                found.datasets.update(point.get("sources") or [])
        return found

    async def _get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if request_id := correlation_id.get():
            headers[REQUEST_ID_HEADER] = request_id
        if self._authorization:
            headers["Authorization"] = self._authorization
        try:
            response = await self._http.get(path, params=params, headers=headers)
        except httpx.HTTPError as exc:
            logger.warning("stats_unreachable", path=path, error=type(exc).__name__)
            # Name the real cause: a refused or reset connection is not a slow answer.
            slow = isinstance(exc, httpx.TimeoutException)
            cause = "did not answer in time" if slow else "is not available"
            raise ServiceUnavailable(
                f"The stats service {cause}; try again shortly", code="stats-unavailable"
            ) from exc
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
        raise _translate(response)


def _translate(response: httpx.Response) -> ApiError:
    """Stats' answer passed on where it concerns the caller (their input or their token), else
    a 503: stats failing is not the caller's fault."""
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    detail = problem.get("detail") or f"stats answered {response.status_code}"
    extra = {key: problem[key] for key in ("resource", "missing", "errors") if key in problem}
    if response.status_code == 404 and "resource" in problem:
        return NotFound(detail, extra=extra)
    if response.status_code == 401:
        return Unauthorized(detail, code=problem.get("code", "unauthorized"))
    if response.status_code == 403:
        return Forbidden(detail)
    if response.status_code == 422:
        return UnprocessableInput(detail, extra=extra)
    logger.warning("stats_error", status=response.status_code, detail=detail)
    return ServiceUnavailable(
        f"The stats service could not answer ({response.status_code})", code="stats-unavailable"
    )


def _region(item: dict[str, Any]) -> RegionInfo:
    return RegionInfo(item["code"], item["name_ja"], item["name_en"], item.get("level"))


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    return (items[start : start + size] for start in range(0, len(items), size))
