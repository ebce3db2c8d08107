"""Paths of the shared input files, relative to the shared data folder."""

import csv
import json
from pathlib import Path
from typing import Any

CENSUS_2020 = "estat/getStatsData_v3.0_0003445099_census2020_all_areas_raw.json"
SSDSE_A = "municipality/ssdse_A_2023_municipality_utf8.csv"
LOCALGOV = "municipality/code4fukui_localgovjp_municipalities.csv"
PREFECTURES = "prefecture/code4fukui_prefjp.csv"
BOUNDARIES = "geo/smri_prefectures_s0001.geojson"
MUNICIPAL_BOUNDARIES = "geo/smri_municipalities_designated_city_s0001.topojson"
WARD_BOUNDARIES = "geo/smri_municipalities_wards_s0001.topojson"


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_dicts(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def class_items(body: dict[str, Any], class_id: str) -> list[dict[str, str]]:
    """The CLASS entries of one CLASS_OBJ of a getStatsData body, always as a list."""
    class_objs = body["GET_STATS_DATA"]["STATISTICAL_DATA"]["CLASS_INF"]["CLASS_OBJ"]
    items = next(obj["CLASS"] for obj in class_objs if obj["@id"] == class_id)
    return items if isinstance(items, list) else [items]


def values(body: dict[str, Any]) -> list[dict[str, str]]:
    found = body["GET_STATS_DATA"]["STATISTICAL_DATA"]["DATA_INF"]["VALUE"]
    return found if isinstance(found, list) else [found]
