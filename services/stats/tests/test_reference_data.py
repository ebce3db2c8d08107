"""The reference data built by services/stats/scripts/build_reference.py."""

import csv
import gzip
import importlib.util
import json
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

SERVICE = Path(__file__).resolve().parents[1]
REFERENCE = SERVICE / "src" / "chiiki_stats" / "reference"
BUILDER = SERVICE / "scripts" / "build_reference.py"
TABLES = SERVICE.parent / "ingest" / "recordings" / "tables"
SHARED = SERVICE.parents[2] / "shared" / "data"
OUTPUTS = (
    "regions.csv",
    "prefectures.geojson",
    "municipalities.topojson",
    "wards.topojson",
    "indicators.yaml",
)


@cache
def regions() -> dict[str, dict[str, str]]:
    with (REFERENCE / "regions.csv").open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row for row in csv.DictReader(handle)}


@cache
def geojson() -> dict[str, Any]:
    return json.loads((REFERENCE / "prefectures.geojson").read_text(encoding="utf-8"))


@cache
def catalog() -> dict[str, Any]:
    return yaml.safe_load((REFERENCE / "indicators.yaml").read_text(encoding="utf-8"))


@cache
def table_classes(stats_data_id: str) -> dict[str, dict[str, str]]:
    body = json.loads(gzip.decompress((TABLES / f"{stats_data_id}.json.gz").read_bytes()))
    result = {}
    for obj in body["GET_STATS_DATA"]["STATISTICAL_DATA"]["CLASS_INF"]["CLASS_OBJ"]:
        items = obj["CLASS"] if isinstance(obj["CLASS"], list) else [obj["CLASS"]]
        result[obj["@id"]] = {item["@code"]: item["@name"] for item in items}
    return result


def indicator(code: str) -> dict[str, Any]:
    (found,) = [entry for entry in catalog()["indicators"] if entry["code"] == code]
    return found


def test_regions_cover_the_census_area_list() -> None:
    assert len(regions()) == 4086
    assert set(regions()) == set(table_classes("0003445099")["area"])
    assert Counter(row["level"] for row in regions().values()) == {
        "nation": 1,
        "prefecture": 47,
        "municipality": 1741,
        "ward": 175,
        "other": 2122,
    }


def test_regions_include_every_ssdse_a_municipality() -> None:
    ssdse_a = set(table_classes("ssdse-a-2023")["area"])
    assert len(ssdse_a) == 1741
    assert {code for code, row in regions().items() if row["level"] == "municipality"} == ssdse_a


def test_prefectures() -> None:
    prefectures = [row for row in regions().values() if row["level"] == "prefecture"]
    assert [row["code"] for row in prefectures] == [f"{n:02d}000" for n in range(1, 48)]
    assert all(row["parent_code"] == "00000" for row in prefectures)
    tokyo = regions()["13000"]
    assert (tokyo["name_ja"], tokyo["name_kana"], tokyo["name_en"]) == (
        "東京都",
        "とうきょうと",
        "Tokyo",
    )
    assert tokyo["area_km2"] == "2194.03"


def test_hierarchy_is_closed() -> None:
    for code, row in regions().items():
        assert row["parent_code"] in regions() or code == "00000"
        assert row["prefecture_code"] in ("", code[:2] + "000")


def test_municipality_rows() -> None:
    sapporo, chuo = regions()["01100"], regions()["01101"]
    assert (sapporo["level"], sapporo["parent_code"], sapporo["area_km2"]) == (
        "municipality",
        "01000",
        "1121.26",
    )
    assert (chuo["level"], chuo["parent_code"], chuo["name_ja"]) == (
        "ward",
        "01100",
        "札幌市中央区",
    )
    assert chuo["name_kana"] == "さっぽろし ちゅうおうく"
    assert chuo["name_en"] == "Sapporo-shi Chuo-ku"
    assert regions()["13101"]["name_en"] == "Chiyoda-ku"
    assert regions()["13100"]["level"] == "other"  # 特別区部, the 23 wards together


def test_letter_codes_are_old_municipalities() -> None:
    old_hakodate = regions()["0120B"]
    assert (old_hakodate["level"], old_hakodate["name_ja"]) == ("other", "（旧：函館市）")
    assert old_hakodate["estat_level"] == "7"


def test_prefecture_geojson() -> None:
    features = geojson()["features"]
    assert len(features) == 47
    assert [f["properties"]["code"] for f in features] == [f"{n:02d}000" for n in range(1, 48)]
    names = {r["code"]: r["name_ja"] for r in regions().values() if r["level"] == "prefecture"}
    assert all(f["properties"]["name_ja"] == names[f["properties"]["code"]] for f in features)
    assert (REFERENCE / "prefectures.geojson").stat().st_size < 400_000


def test_prefecture_rings_are_valid() -> None:
    for feature in geojson()["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"]
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        for ring in (ring for polygon in polygons for ring in polygon):
            assert len(ring) >= 4
            assert ring[0] == ring[-1]
            for lng, lat in ring:
                assert 122 < lng < 154
                assert 20 < lat < 46
                assert [round(lng, 4), round(lat, 4)] == [lng, lat]


def test_indicator_catalog_shape() -> None:
    entries = catalog()["indicators"]
    codes = [entry["code"] for entry in entries]
    assert len(codes) == len(set(codes)) == 52
    required = {"code", "name_ja", "name_en", "category", "unit", "higher_is_better", "sources"}
    for entry in entries:
        assert required <= set(entry)
        assert entry["higher_is_better"] in (True, False, None)
        assert [s["priority"] for s in entry["sources"]] == list(
            range(1, len(entry["sources"]) + 1)
        )


def test_every_direct_source_exists_in_its_table() -> None:
    datasets = {d["id"] for d in catalog()["datasets"]}
    assert datasets == {
        "0003445099",
        "ssdse-b-2023",
        "ssdse-a-2023",
        "census-c01-1920-2015",
        "census-0003410379",
        "census-0003410380",
        "census-2015-on-2020-areas",
        "census-japanese-2010-2015",
    }
    for entry in catalog()["indicators"]:
        for source in entry["sources"]:
            if "dataset" in source:
                classes = table_classes(source["dataset"])
                for class_id, code in source["series"].items():
                    assert classes[class_id][code] == source["label"]


def test_derived_sources_use_catalog_indicators() -> None:
    codes = {entry["code"] for entry in catalog()["indicators"]}
    for entry in catalog()["indicators"]:
        for source in entry["sources"]:
            formula = source.get("derived")
            if formula is None:
                continue
            operands = formula.get("terms") or [
                v for k, v in formula.items() if k not in ("op", "scale")
            ]
            assert set(operands) <= codes - {entry["code"]}


def test_core_indicator_sources() -> None:
    total = indicator("population.total")["sources"]
    assert total[0] == {
        "priority": 1,
        "dataset": "ssdse-b-2023",
        "series": {"cat01": "A1101"},
        "label": "総人口",
        "published_unit": "人",
    }
    assert total[2]["dataset"] == "census-0003410379"
    assert total[3]["dataset"] == "census-c01-1920-2015"
    assert total[3]["series"] == {"cat01": "0"}
    assert total[4]["derived"] == {
        "op": "sum",
        "terms": ["population.total_2015_recombined", "population.change_2015_2020"],
    }
    share = indicator("population.aged_65_plus_share")["sources"][0]["derived"]
    assert share == {
        "op": "ratio",
        "numerator": "population.aged_65_plus",
        "denominator": "population.known_age",
        "scale": 100,
    }
    net = indicator("migration.net")["sources"][0]["derived"]
    assert net == {"op": "difference", "minuend": "migration.in", "subtrahend": "migration.out"}
    assert indicator("population.male")["sources"][2]["series"] == {"cat01": "1"}


def test_provenance_is_present() -> None:
    text = (REFERENCE / "PROVENANCE.md").read_text(encoding="utf-8")
    for name in OUTPUTS:
        assert name in text
    assert "国土数値情報（行政区域データ）（国土交通省）を加工して作成" in text


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data folder not present")
@pytest.mark.skipif(importlib.util.find_spec("pykakasi") is None, reason="pykakasi missing")
def test_builder_is_byte_reproducible(tmp_path: Path) -> None:
    for run in ("first", "second"):
        subprocess.run(
            [sys.executable, str(BUILDER), str(SHARED), "--out", str(tmp_path / run)],
            check=True,
            capture_output=True,
        )
    for name in OUTPUTS:
        first = (tmp_path / "first" / name).read_bytes()
        assert first == (tmp_path / "second" / name).read_bytes()
        assert first == (REFERENCE / name).read_bytes(), f"{name} is stale: rerun the builder"


def _topology(name: str) -> dict[str, Any]:
    return json.loads((REFERENCE / name).read_text(encoding="utf-8"))


def test_municipal_boundaries_cover_the_municipalities() -> None:
    levels = {code: row["level"] for code, row in regions().items()}
    for name, level, count in (
        ("municipalities.topojson", "municipality", 1736),
        ("wards.topojson", "ward", 175),
    ):
        topology = _topology(name)
        assert topology["release"] == "N03-21_210101"
        geometries = topology["objects"]["regions"]["geometries"]
        codes = [geometry["id"] for geometry in geometries]
        assert codes == sorted(set(codes))
        assert len(codes) == count
        assert all(g["properties"] == {"code": g["id"]} for g in geometries)
        assert {levels.get(code, "unknown") for code in codes} <= {level, "unknown"}
        used = {i if i >= 0 else ~i for g in geometries for i in _flat(g["arcs"])}
        assert used == set(range(len(topology["arcs"])))
    assert (REFERENCE / "municipalities.topojson").stat().st_size < 450_000


def _flat(arcs: Any) -> list[int]:
    return [arcs] if isinstance(arcs, int) else [i for item in arcs for i in _flat(item)]


# Municipalities whose polygon the 0.1% simplification emptied (no geometry, or a ring that
# collapsed to one arc out and back).
EMPTIED = [
    *("13362", "13402", "23424", "26208", "30422", "31384"),
    *("38356", "44322", "47354", "47355", "47356"),
]


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data folder not present")
def test_municipal_boundaries_against_the_shared_file() -> None:
    """Every coded geometry of the N03 file is kept but the emptied ones, listed exactly."""
    for name, source, level in (
        ("municipalities.topojson", "smri_municipalities_designated_city_s0001.topojson", "m"),
        ("wards.topojson", "smri_municipalities_wards_s0001.topojson", "ward"),
    ):
        shipped = json.loads((SHARED / "geo" / source).read_text(encoding="utf-8"))
        (collection,) = shipped["objects"].values()
        coded = {g["properties"]["N03_007"] for g in collection["geometries"]} - {None}
        if level == "ward":
            coded = {code for code in coded if regions().get(code, {}).get("level") == "ward"}
        else:
            coded = {code for code in coded if regions().get(code, {}).get("level") != "ward"}
        kept = {g["id"] for g in _topology(name)["objects"]["regions"]["geometries"]}
        dropped = sorted(coded - kept)
        expected = EMPTIED if level == "m" else []
        assert kept <= coded
        assert dropped == expected
