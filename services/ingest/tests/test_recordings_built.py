"""The e-Stat-format tables built by services/ingest/scripts/build_recordings.py."""

import csv
import gzip
import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

SERVICE = Path(__file__).resolve().parents[1]
TABLES = SERVICE / "recordings" / "tables"
BUILDER = SERVICE / "scripts" / "build_recordings.py"
SHARED = SERVICE.parents[2] / "shared" / "data"
TABLE_IDS = (
    "0003445099",
    "ssdse-b-2023",
    "ssdse-a-2023",
    "census-c01-1920-2015",
    "census-0003410379",
    "census-0003410380",
    "census-2015-on-2020-areas",
    "census-japanese-2010-2015",
)
VALUE_KEYS = ("@tab", "@cat01", "@area", "@time")


@cache
def raw(stats_data_id: str) -> bytes:
    return gzip.decompress((TABLES / f"{stats_data_id}.json.gz").read_bytes())


@cache
def data(stats_data_id: str) -> dict[str, Any]:
    return json.loads(raw(stats_data_id))["GET_STATS_DATA"]["STATISTICAL_DATA"]


def classes(stats_data_id: str, class_id: str) -> list[dict[str, str]]:
    objs = data(stats_data_id)["CLASS_INF"]["CLASS_OBJ"]
    found = next(obj["CLASS"] for obj in objs if obj["@id"] == class_id)
    return found if isinstance(found, list) else [found]


def _key(value: dict[str, str]) -> tuple[str, ...]:
    key = [value.get(name, "") for name in VALUE_KEYS]
    if "@cat02" in value:
        key.insert(2, value["@cat02"])
    return tuple(key)


@cache
def cells(stats_data_id: str) -> dict[tuple[str, ...], str]:
    """Cells keyed on (tab, cat01, area, time), with cat02 after cat01 where the table has one."""
    table = {_key(v): v["$"] for v in data(stats_data_id)["DATA_INF"]["VALUE"]}
    assert len(table) == len(data(stats_data_id)["DATA_INF"]["VALUE"])
    return table


def cat01_code(stats_data_id: str, name: str) -> str:
    (code,) = [c["@code"] for c in classes(stats_data_id, "cat01") if c["@name"] == name]
    return code


@pytest.mark.parametrize("stats_data_id", TABLE_IDS)
def test_envelope_is_a_complete_unpaged_response(stats_data_id: str) -> None:
    body = json.loads(raw(stats_data_id))["GET_STATS_DATA"]
    assert body["RESULT"]["STATUS"] == 0
    assert body["RESULT"]["ERROR_MSG"] == "正常に終了しました。"
    assert body["PARAMETER"]["STATS_DATA_ID"] == stats_data_id
    result_inf = body["STATISTICAL_DATA"]["RESULT_INF"]
    total = len(body["STATISTICAL_DATA"]["DATA_INF"]["VALUE"])
    assert result_inf == {"TOTAL_NUMBER": total, "FROM_NUMBER": 1, "TO_NUMBER": total}
    assert body["STATISTICAL_DATA"]["TABLE_INF"]["@id"] == stats_data_id


@pytest.mark.parametrize("stats_data_id", TABLE_IDS)
def test_encoding_follows_estat(stats_data_id: str) -> None:
    text = raw(stats_data_id).decode("ascii")
    assert text.startswith('{"GET_STATS_DATA":{"RESULT":{"STATUS":0,"ERROR_MSG":"\\u6B63\\u5E38')
    compact = json.dumps(json.loads(text), ensure_ascii=True, separators=(",", ":"))
    estat_style = re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), compact)
    assert text == estat_style.translate({ord(c): f"\\u{ord(c):04X}" for c in "<>&='"})
    gz = (TABLES / f"{stats_data_id}.json.gz").read_bytes()
    assert gz[4:8] == b"\x00\x00\x00\x00"  # gzip mtime 0


@pytest.mark.parametrize("stats_data_id", TABLE_IDS)
def test_values_are_strings_in_estat_key_order(stats_data_id: str) -> None:
    for value in data(stats_data_id)["DATA_INF"]["VALUE"]:
        assert isinstance(value["$"], str)
        keys = list(value)
        assert keys[-1] == "$"
        assert keys.index("@area") < keys.index("@time")


def test_census_2020_is_the_captured_table() -> None:
    assert data("0003445099")["RESULT_INF"]["TOTAL_NUMBER"] == 16344
    assert len(classes("0003445099", "area")) == 4086
    table = cells("0003445099")
    tokyo_2015 = int(table[("2020_03", "", "13000", "2020000000")])
    tokyo_change = int(table[("2020_34", "", "13000", "2020000000")])
    assert (tokyo_2015, tokyo_change) == (13515272, 532322)
    assert tokyo_2015 + tokyo_change == 14047594  # 2020 census population of Tokyo
    assert table[("2020_47", "", "13000", "2020000000")] == "2194.03"
    assert sum(v == "-" for v in table.values()) == 4
    notes = data("0003445099")["DATA_INF"]["NOTE"]
    assert {"@char": "-", "$": "当該数値がないもの"} in notes


def test_ssdse_b_counts() -> None:
    assert len(classes("ssdse-b-2023", "area")) == 47
    assert [c["@code"] for c in classes("ssdse-b-2023", "time")] == [
        f"{year}100000" for year in range(2009, 2021)
    ]
    assert len(classes("ssdse-b-2023", "cat01")) == 109
    assert data("ssdse-b-2023")["RESULT_INF"]["TOTAL_NUMBER"] == 47 * 12 * 109 == 61476
    assert "NOTE" not in data("ssdse-b-2023")["DATA_INF"]


def test_ssdse_b_codes() -> None:
    codes = {c["@name"]: c["@code"] for c in classes("ssdse-b-2023", "cat01")}
    assert codes["総人口"] == "A1101"
    assert codes["出生数"] == "A4101"
    assert codes["合計特殊出生率"] == "A4103"
    assert codes["転入者数（日本人移動者）"] == "A5101"
    assert codes["年平均気温"] == "X6BD5E3"  # no SSDS code in SSDSE-E/A: hash-derived
    assert sum(code.startswith("X") for code in codes.values()) == 56


def test_ssdse_b_values_match_the_csv() -> None:
    table = cells("ssdse-b-2023")
    assert table[("00001", "A1101", "01000", "2020100000")] == "5224614"
    assert table[("00001", "A1101", "01000", "2009100000")] == "5524000"
    assert table[("00001", "A1101", "13000", "2020100000")] == "14047594"
    assert table[("00001", "A4103", "13000", "2012100000")] == "1.09"
    assert table[("00001", "A5102", "47000", "2015100000")] == "25425"
    temperature = cat01_code("ssdse-b-2023", "年平均気温")
    assert table[("00001", temperature, "47000", "2015100000")] == "23.6"


def test_ssdse_b_units_only_where_certain() -> None:
    units = {c["@name"]: c.get("@unit") for c in classes("ssdse-b-2023", "cat01")}
    assert units["総人口"] == "人"
    assert units["出生数（男）"] == "人"
    assert units["延べ宿泊者数"] is None
    assert units["消費支出（二人以上の世帯）"] is None


def test_ssdse_a_counts_and_values() -> None:
    assert len(classes("ssdse-a-2023", "area")) == 1741
    assert len(classes("ssdse-a-2023", "cat01")) == 125
    assert data("ssdse-a-2023")["RESULT_INF"]["TOTAL_NUMBER"] == 1741 * 125 == 217625
    table = cells("ssdse-a-2023")
    assert table[("00001", "A1101", "01100", "2020100000")] == "1973395"
    assert table[("00001", "A1101", "47382", "2020100000")] == "1676"
    assert table[("00001", "A5101", "01100", "2021100000")] == "115389"
    assert table[("00001", "I6100", "13101", "2020100000")] == "1870"
    sapporo = classes("ssdse-a-2023", "area")[0]
    assert sapporo == {
        "@code": "01100",
        "@name": "北海道 札幌市",
        "@level": "2",
        "@parentCode": "01000",
    }


def test_ssdse_a_area_unit_comes_from_ssds() -> None:
    (area,) = [c for c in classes("ssdse-a-2023", "cat01") if c["@code"] == "B1101"]
    assert area["@unit"] == "ｈａ"
    assert cells("ssdse-a-2023")[("00001", "B1101", "01100", "2021100000")] == "112126"


def test_census_c01_counts_and_values() -> None:
    assert len(classes("census-c01-1920-2015", "area")) == 48
    assert len(classes("census-c01-1920-2015", "time")) == 20
    assert [c["@name"] for c in classes("census-c01-1920-2015", "cat01")] == ["総数", "男", "女"]
    assert data("census-c01-1920-2015")["RESULT_INF"]["TOTAL_NUMBER"] == 48 * 20 * 3
    table = cells("census-c01-1920-2015")
    assert table[("001", "0", "13000", "1920000000")] == "3699428"
    assert table[("001", "2", "13000", "1920000000")] == "1746439"
    assert table[("001", "0", "00000", "2015000000")] == "127094745"
    assert table[("001", "0", "00000", "1945000000")] == "71998104"


def test_census_c01_okinawa_1945_is_marked() -> None:
    table = cells("census-c01-1920-2015")
    assert [table[("001", sex, "47000", "1945000000")] for sex in "012"] == ["-", "-", "-"]
    assert [v for v in table.values() if not v.isdigit()] == ["-", "-", "-"]
    note = data("census-c01-1920-2015")["DATA_INF"]["NOTE"]
    assert note == {"@char": "-", "$": "当該数値がないもの"}  # one item: an object


def test_single_items_are_objects() -> None:
    objs = data("ssdse-b-2023")["CLASS_INF"]["CLASS_OBJ"]
    tab = next(obj for obj in objs if obj["@id"] == "tab")
    assert tab["CLASS"] == {"@code": "00001", "@name": "観測値", "@level": "1"}


def test_provenance_covers_every_table() -> None:
    text = (TABLES / "PROVENANCE.md").read_text(encoding="utf-8")
    for stats_data_id in TABLE_IDS:
        assert stats_data_id in text
    assert "SSDSE（独立行政法人統計センター）" in text


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data folder not present")
def test_builder_is_byte_reproducible(tmp_path: Path) -> None:
    for run in ("first", "second"):
        subprocess.run(
            [sys.executable, str(BUILDER), str(SHARED), "--out", str(tmp_path / run)],
            check=True,
            capture_output=True,
        )
    for stats_data_id in TABLE_IDS:
        name = f"{stats_data_id}.json.gz"
        first = (tmp_path / "first" / name).read_bytes()
        assert first == (tmp_path / "second" / name).read_bytes()
        assert first == (TABLES / name).read_bytes(), f"{name} is stale: rerun the builder"
    captured = SHARED / "estat" / "getStatsData_v3.0_0003445099_census2020_all_areas_raw.json"
    assert raw("0003445099") == captured.read_bytes()


def _shared_rows(name: str) -> list[dict[str, str]]:
    with (SHARED / "prefecture" / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _area_codes() -> dict[str, str]:
    return {c["@name"]: c["@code"] for c in classes("census-0003410379", "area")}


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data folder not present")
def test_census_prefectures_1920_2020_every_cell_is_the_source_value() -> None:
    rows = _shared_rows("jlstat_census_population_by_prefecture_1920_2020.csv")
    assert len(rows) == 987 == 47 * 21
    table = cells("census-0003410379")
    assert len(table) == 987
    codes = _area_codes()
    for row in rows:
        key = ("001", "0", codes[row["地域_時系列"]], row["時間軸(調査年)"][:-1] + "000000")
        assert table[key] == ("-" if row["value"] == "NA" else row["value"]), key


def test_census_prefectures_okinawa_1945_is_marked() -> None:
    table = cells("census-0003410379")
    assert table[("001", "0", "47000", "1945000000")] == "-"
    assert [v for v in table.values() if not v.isdigit()] == ["-"]
    note = data("census-0003410379")["DATA_INF"]["NOTE"]
    assert note == {"@char": "-", "$": "当該数値がないもの"}
    assert table[("001", "0", "13000", "2020000000")] == "14047594"


def test_census_prefectures_agree_with_c01_on_every_overlapping_cell() -> None:
    """1920-2015 x 47: the two tables give the same count except where listed (none today)."""
    new, c01 = cells("census-0003410379"), cells("census-c01-1920-2015")
    overlap = [key for key in new if key[3] != "2020000000"]
    assert len(overlap) == 47 * 20
    differ = {key: (new[key], c01[key]) for key in overlap if new[key] != c01[key]}
    assert differ == {}


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data folder not present")
def test_census_pyramid_every_cell_is_the_source_value() -> None:
    rows = _shared_rows("jlstat_census_pyramid_national_1920_2020.csv")
    assert len(rows) == 780
    table = cells("census-0003410380")
    assert len(table) == 780
    sexes = {c["@name"]: c["@code"] for c in classes("census-0003410380", "cat01")}
    ages = {c["@name"]: c["@code"] for c in classes("census-0003410380", "cat02")}
    assert sexes == {"男性": "1", "女性": "2"}
    assert list(ages)[:2] == ["0~4歳", "5~9歳"]
    assert list(ages)[-1] == "100歳以上"
    for row in rows:
        key = ("001", sexes[row["sex"]], ages[row["age"]], "00000", row["year"] + "000000")
        assert table[key] == row["value"], key


def test_census_pyramid_adds_up_to_the_census_population_of_known_age() -> None:
    """1920: no age unknown, the 36 groups sum to c01's 55,963,053 (so 85~89歳 holds all 85+)."""
    pyramid = cells("census-0003410380")
    total_1920 = sum(int(v) for k, v in pyramid.items() if k[4] == "1920000000")
    assert total_1920 == int(cells("census-c01-1920-2015")[("001", "0", "00000", "1920000000")])


def test_census_2015_on_2020_areas_is_the_2020_tables_2015_column() -> None:
    captured = cells("0003445099")
    moved = cells("census-2015-on-2020-areas")
    expected = {
        (tab, cat01, area, "2015000000"): value
        for (tab, cat01, area, _), value in captured.items()
        if tab == "2020_03"
    }
    assert moved == expected
    assert len(moved) == 4086
    assert moved[("2020_03", "", "13101", "2015000000")] == "58406"


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data folder not present")
def test_census_japanese_every_cell_is_the_source_value() -> None:
    path = (
        SHARED / "municipality" / "code4fukui_estat_lod_population_japanese_2010_2015_by_lgcode.csv"
    )
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["lgcode"][:5]: row for row in csv.DictReader(handle)}
    areas = {c["@code"] for c in classes("0003445099", "area")}
    table = cells("census-japanese-2010-2015")
    expected = {
        ("001", "", code, f"{year}000000"): row[year]
        for code, row in rows.items()
        if code in areas
        for year in ("2010", "2015")
        if row[year] != ""
    }
    assert table == expected
    assert table[("001", "", "13000", "2015000000")] == "12948463"
    assert table[("001", "", "00000", "2010000000")] == "125358854"
