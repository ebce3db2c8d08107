"""The e-Stat API 3.0 client and its typed models."""

from chiiki_ingest.estat.client import DEFAULT_BASE_URL, EStatClient, filter_params
from chiiki_ingest.estat.errors import (
    EStatAuthError,
    EStatError,
    EStatHTTPError,
    EStatRequestError,
    EStatServerError,
    EStatStatusError,
    EStatUnavailable,
)
from chiiki_ingest.estat.models import (
    Cell,
    ClassItem,
    Dimension,
    MetaInfo,
    StatsDataPage,
    StatsList,
    TableInfo,
)
from chiiki_ingest.estat.normalise import parse_stats_data
from chiiki_ingest.estat.periods import Period, parse_period

__all__ = [
    "DEFAULT_BASE_URL",
    "Cell",
    "ClassItem",
    "Dimension",
    "EStatAuthError",
    "EStatClient",
    "EStatError",
    "EStatHTTPError",
    "EStatRequestError",
    "EStatServerError",
    "EStatStatusError",
    "EStatUnavailable",
    "MetaInfo",
    "Period",
    "StatsDataPage",
    "StatsList",
    "TableInfo",
    "filter_params",
    "parse_period",
    "parse_stats_data",
]
