"""The replay server over real HTTP: e-Stat's bytes, statuses, quirks, paging and the fault API."""

from __future__ import annotations

import gzip
import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from chiiki_ingest.replay.encoding import dumps
from chiiki_ingest.replay.pages import RenderedPages, page_key
from chiiki_ingest.replay.tables import read_section

RAW = Path(__file__).resolve().parents[1] / "recordings" / "raw"
CENSUS = "getStatsData_v3.0_0003445099_census2020_all_areas_raw.json"
SCHOOL = "getStatsData_v3.0_0003146500_school_health_raw.json"
LABOUR = "getStatsData_v3.0_0003005798_labour_force_2024-01_from_tsx.json"
PAGE_RECORDING = "getStatsData_v3.0_0000020202_ssds_municipal_limit10_nextkey.json"
LIST_RECORDING = "getStatsList_census2015_limit10_nextkey.json"
LABOUR_CSV = "getSimpleStatsData_v3.0_0003005798_labour_force_2024-01_from_tsx.csv"
DATA = "/rest/3.0/app/json/getStatsData"
META = "/rest/3.0/app/json/getMetaInfo"
LIST = "/rest/3.0/app/json/getStatsList"
CSV = "/rest/3.0/app/getSimpleStatsData"
AUTH_MESSAGE = "認証に失敗しました。アプリケーションIDを確認して下さい。"
CENSUS_TABS = "2020_03,2020_34,2020_47,2020_48"
SCHOOL_FILTERS = {
    "cdCat01": "60,110",
    "cdCat02": "10,20,30,40,50,60,70,80,90,100,110,120,130",
    "cdCat03": "0000010",
    "cdCat04": "0000010,0000020",
}


def _without_date(text: str) -> str:
    return re.sub(r'"DATE":"[^"]*"', '"DATE":""', text)


async def _get(http: httpx.AsyncClient, path: str, **params: Any) -> httpx.Response:
    return await http.get(path, params=params)


async def _body(http: httpx.AsyncClient, path: str, root: str, **params: Any) -> dict[str, Any]:
    response = await _get(http, path, **params)
    assert response.status_code == 200
    return response.json()[root]


async def _data(http: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    return await _body(http, DATA, "GET_STATS_DATA", **params)


# --- byte fidelity ------------------------------------------------------------------------------


async def test_generated_census_answer_is_byte_identical_to_the_real_one(http):
    response = await _get(http, DATA, statsDataId="0003445099", cdTab=CENSUS_TABS, metaGetFlg="Y")

    recorded = (RAW / CENSUS).read_text(encoding="utf-8")
    assert _without_date(response.text) == _without_date(recorded)
    assert len(response.content) == 1_839_472


async def test_generated_school_health_answer_is_byte_identical_to_the_real_one(http):
    response = await _get(http, DATA, statsDataId="0003146500", **SCHOOL_FILTERS)

    recorded = (RAW / SCHOOL).read_text(encoding="utf-8")
    assert _without_date(response.text) == _without_date(recorded)
    assert "\\u003Cbr\\u003E" in response.text


async def test_body_is_compact_ascii_with_upper_case_escapes(http):
    response = await _get(http, DATA, statsDataId="0003146500", cdCat01="60")

    assert response.content.isascii()
    assert b"\n" not in response.content
    assert b"<" not in response.content
    assert b": " not in response.content
    assert re.search(rb"\\u[0-9A-F]{4}", response.content)
    assert not re.search(rb"\\u(?=[0-9A-Fa-f]{4})[0-9A-F]{0,3}[a-f]", response.content)
    assert response.json()["GET_STATS_DATA"]["RESULT"]["ERROR_MSG"] == "正常に終了しました。"


def test_escaping_rules():
    assert dumps({"k": "<br>&='\"\\ 人𠮷\n"}) == (
        '{"k":"\\u003Cbr\\u003E\\u0026\\u003D\\u0027\\"\\\\ \\u4EBA\\uD842\\uDFB7\\n"}'
    )
    assert dumps({"n": 1, "list": [True, None], "s": "ascii/ok"}) == (
        '{"n":1,"list":[true,null],"s":"ascii/ok"}'
    )


async def test_result_date_is_now_in_japan_time(http):
    body = await _data(http, statsDataId="0003445099", cdArea="13000", cdTab="2020_03")

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+09:00", body["RESULT"]["DATE"])
    assert body["RESULT"]["DATE"] != "2026-07-19T01:41:19.932+09:00"


# --- recordings ---------------------------------------------------------------------------------


async def test_page_recording_is_replayed_for_its_own_request(http):
    body = await _data(http, statsDataId="0000020202", limit="10")

    recorded = json.loads((RAW / PAGE_RECORDING).read_text(encoding="utf-8"))["GET_STATS_DATA"]
    assert body == recorded
    assert body["RESULT"]["DATE"] == "2025-07-16T11:39:54.831+09:00"
    assert body["STATISTICAL_DATA"]["RESULT_INF"] == {
        "TOTAL_NUMBER": 403227,
        "FROM_NUMBER": 1,
        "TO_NUMBER": 10,
        "NEXT_KEY": 11,
    }


async def test_other_pages_of_a_page_recording_are_refused_not_invented(http):
    response = await _get(http, DATA, statsDataId="0000020202", limit="10", startPosition="11")

    assert response.status_code == 501
    assert response.headers["X-Replay-Error"] == "not-recorded"


async def test_page_recording_still_answers_count_and_metadata(http):
    count = await _data(http, statsDataId="0000020202", cntGetFlg="Y")
    meta = await _body(http, META, "GET_META_INFO", statsDataId="0000020202")

    assert count["STATISTICAL_DATA"]["RESULT_INF"] == {"TOTAL_NUMBER": 403227}
    objs = {o["@id"]: o for o in meta["METADATA_INF"]["CLASS_INF"]["CLASS_OBJ"]}
    assert len(objs["area"]["CLASS"]) == 1913
    assert len(objs["time"]["CLASS"]) == 44
    units = {c["@code"]: c["@unit"] for c in objs["cat01"]["CLASS"]}
    assert (units["B1101"], units["B1103"]) == ("ｈａ", "ｈａ")
    assert objs["tab"]["CLASS"] == {"@code": "00001", "@name": "観測値", "@level": "1"}


async def test_narrowed_recording_serves_requests_inside_its_narrowing_only(http):
    inside = await _data(http, statsDataId="0003005798", cdTime="2024000101", cdCat03="1")
    outside = await _get(http, DATA, statsDataId="0003005798")

    values = inside["STATISTICAL_DATA"]["DATA_INF"]["VALUE"]
    assert [(v["@cat02"], v["$"]) for v in values] == [
        ("00", "5311"),
        ("01", "3774"),
        ("02", "3682"),
        ("08", "92"),
        ("09", "1534"),
    ]
    assert outside.status_code == 501
    assert outside.headers["X-Replay-Error"] == "not-recorded"


async def test_labour_force_answer_matches_the_recording(http):
    body = await _data(http, statsDataId="0003005798", cdTime="2024000101")

    recorded = json.loads((RAW / LABOUR).read_text(encoding="utf-8"))["GET_STATS_DATA"]
    assert body["RESULT"]["DATE"] == recorded["RESULT"]["DATE"]  # replayed as recorded
    assert body == recorded
    assert body["PARAMETER"]["NARROWING_COND"] == {"CODE_TIME_SELECT": 2024000101}


async def test_tables_named_only_by_older_api_recordings_exist_but_are_not_replayed(http):
    data = await _get(http, DATA, statsDataId="0003065345")
    meta = await _get(http, META, statsDataId="0003065345")

    for response in (data, meta):
        assert response.status_code == 501
        assert response.headers["X-Replay-Error"] == "not-recorded"


async def test_recorded_meta_info_with_four_digit_time_codes(http):
    body = await _body(http, META, "GET_META_INFO", statsDataId="0004021110")

    time_obj = body["METADATA_INF"]["CLASS_INF"]["CLASS_OBJ"][-1]
    assert [c["@code"] for c in time_obj["CLASS"]] == ["2016", "2017", "2018", "2019", "2020"]


# --- getStatsData parameters --------------------------------------------------------------------


async def test_limit_gives_next_key_only_while_rows_remain(http):
    first = await _data(http, statsDataId="0003445099", limit="10000")
    last = await _data(http, statsDataId="0003445099", limit="10000", startPosition="10001")

    assert first["STATISTICAL_DATA"]["RESULT_INF"] == {
        "TOTAL_NUMBER": 16344,
        "FROM_NUMBER": 1,
        "TO_NUMBER": 10000,
        "NEXT_KEY": 10001,
    }
    assert len(first["STATISTICAL_DATA"]["DATA_INF"]["VALUE"]) == 10000
    assert last["STATISTICAL_DATA"]["RESULT_INF"] == {
        "TOTAL_NUMBER": 16344,
        "FROM_NUMBER": 10001,
        "TO_NUMBER": 16344,
    }
    assert len(last["STATISTICAL_DATA"]["DATA_INF"]["VALUE"]) == 6344
    assert first["PARAMETER"]["LIMIT"] == 10000


async def test_limit_defaults_to_and_is_capped_at_100000_with_bounded_memory(http, replay):
    default = await _get(http, DATA, statsDataId="synthetic-cap", metaGetFlg="N")
    capped = await _data(http, statsDataId="synthetic-cap", limit="150000", metaGetFlg="N")
    rest = await _data(http, statsDataId="synthetic-cap", startPosition="100001")

    default_data = default.json()["GET_STATS_DATA"]["STATISTICAL_DATA"]
    assert default.headers.get("transfer-encoding") == "chunked"
    assert default_data["RESULT_INF"] == {
        "TOTAL_NUMBER": 130752,
        "FROM_NUMBER": 1,
        "TO_NUMBER": 100000,
        "NEXT_KEY": 100001,
    }
    assert len(default_data["DATA_INF"]["VALUE"]) == 100000
    assert len(capped["STATISTICAL_DATA"]["DATA_INF"]["VALUE"]) == 100000
    assert len(rest["STATISTICAL_DATA"]["DATA_INF"]["VALUE"]) == 30752
    assert "NEXT_KEY" not in rest["STATISTICAL_DATA"]["RESULT_INF"]
    assert replay.rss_kib() < 400 * 1024


async def test_meta_get_flg_n_leaves_class_inf_out(http):
    with_meta = await _data(http, statsDataId="0003445099", cdArea="13000")
    without = await _data(http, statsDataId="0003445099", cdArea="13000", metaGetFlg="N")

    assert "CLASS_INF" in with_meta["STATISTICAL_DATA"]
    assert "CLASS_INF" not in without["STATISTICAL_DATA"]
    assert without["PARAMETER"]["METAGET_FLG"] == "N"
    assert without["STATISTICAL_DATA"]["DATA_INF"] == with_meta["STATISTICAL_DATA"]["DATA_INF"]


async def test_count_only_answer(http):
    body = await _data(http, statsDataId="0003445099", cntGetFlg="Y", cdArea="13000,27000")

    assert body["RESULT"]["STATUS"] == 0
    assert body["PARAMETER"]["CNT_GET_FLG"] == "Y"
    assert body["STATISTICAL_DATA"]["RESULT_INF"] == {"TOTAL_NUMBER": 8}
    assert "CLASS_INF" not in body["STATISTICAL_DATA"]
    assert not body["STATISTICAL_DATA"]["DATA_INF"]


async def test_one_remaining_value_is_an_object_and_classes_are_narrowed(http):
    body = await _data(http, statsDataId="0003445099", cdArea="13000", cdTab="2020_03")

    data = body["STATISTICAL_DATA"]
    assert data["DATA_INF"]["VALUE"] == {
        "@tab": "2020_03",
        "@area": "13000",
        "@time": "2020000000",
        "@unit": "人",
        "$": "13515272",
    }
    tab, area, time_obj = data["CLASS_INF"]["CLASS_OBJ"]
    assert tab["CLASS"] == {
        "@code": "2020_03",
        "@name": "2015年（平成27年）の人口（組替）",
        "@level": "",
        "@unit": "人",
    }
    assert tab["EXPLANATION"]["@id"] == "2020_03"
    assert area["CLASS"] == {
        "@code": "13000",
        "@name": "東京都",
        "@level": "2",
        "@parentCode": "00000",
    }
    assert isinstance(time_obj["CLASS"], dict)
    assert body["PARAMETER"]["NARROWING_COND"] == {
        "CODE_TAB_SELECT": "2020_03",
        "CODE_AREA_SELECT": 13000,
    }
    assert data["DATA_INF"]["NOTE"] == [
        {"@char": "***", "$": "当該数値がないもの"},
        {"@char": "-", "$": "当該数値がないもの"},
    ]


async def test_area_codes_with_letters(http):
    body = await _data(http, statsDataId="0003445099", cdArea="0120B", cdTab="2020_03")

    assert body["STATISTICAL_DATA"]["DATA_INF"]["VALUE"]["$"] == "254157"
    area = body["STATISTICAL_DATA"]["CLASS_INF"]["CLASS_OBJ"][1]["CLASS"]
    assert area == {
        "@code": "0120B",
        "@name": "（旧：函館市）",
        "@level": "7",
        "@parentCode": "01000",
    }


async def test_level_filter_selects_prefectures(http):
    body = await _data(http, statsDataId="0003445099", lvArea="2", cdTab="2020_03")

    values = body["STATISTICAL_DATA"]["DATA_INF"]["VALUE"]
    assert len(values) == 47
    assert values[12] == {
        "@tab": "2020_03",
        "@area": "13000",
        "@time": "2020000000",
        "@unit": "人",
        "$": "13515272",
    }
    assert body["PARAMETER"]["NARROWING_COND"] == {
        "CODE_TAB_SELECT": "2020_03",
        "LEVEL_AREA_COND": 2,
    }
    ranged = await _data(
        http, statsDataId="0003445099", lvArea="1-2", cdTab="2020_03", cntGetFlg="Y"
    )
    assert ranged["STATISTICAL_DATA"]["RESULT_INF"]["TOTAL_NUMBER"] == 48


async def test_values_without_unit_and_single_object_classes(http):
    body = await _data(
        http, statsDataId="0003146500", cdCat01="60", cdCat02="10", cdCat04="0000010"
    )

    values = body["STATISTICAL_DATA"]["DATA_INF"]["VALUE"]
    assert [v["$"] for v in values] == ["110.3", "110.3", "110.3", "110.4", "110.4"]
    assert all("@unit" not in v for v in values)
    objs = body["STATISTICAL_DATA"]["CLASS_INF"]["CLASS_OBJ"]
    assert [type(o["CLASS"]).__name__ for o in objs] == [
        "dict",
        "dict",
        "dict",
        "dict",
        "dict",
        "dict",
        "list",
    ]


# --- RESULT.STATUS ------------------------------------------------------------------------------


async def test_status_1_when_nothing_matches(http):
    response = await _get(http, DATA, statsDataId="0003445099", cdArea="99999")

    assert response.status_code == 200
    body = response.json()["GET_STATS_DATA"]
    assert body["RESULT"]["STATUS"] == 1
    assert body["RESULT"]["ERROR_MSG"] == "正常に終了しましたが、該当データはありませんでした。"
    assert body["STATISTICAL_DATA"]["RESULT_INF"] == {"TOTAL_NUMBER": 0}
    assert "DATA_INF" not in body["STATISTICAL_DATA"]


@pytest.mark.parametrize("given", [None, "", "wrong-id"])
async def test_status_100_for_a_missing_or_wrong_app_id(replay, given):
    params = {"statsDataId": "0003445099"} | ({"appId": given} if given is not None else {})
    async with httpx.AsyncClient(base_url=replay.base) as anonymous:
        response = await anonymous.get(DATA, params=params)

    assert response.status_code == 200
    body = response.json()["GET_STATS_DATA"]
    assert body["RESULT"]["STATUS"] == 100
    assert body["RESULT"]["ERROR_MSG"] == AUTH_MESSAGE
    assert body["PARAMETER"] == {"DATA_FORMAT": "J"}
    assert "STATISTICAL_DATA" not in body


async def test_firewall_403_xml_mode(http, replay):
    replay.auth_failure("http403")
    response = await _get(http, LIST, appId="wrong-id", searchWord="人口")

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/xml")
    assert "<GET_STATS_LIST>" in response.text
    assert "<STATUS>100</STATUS>" in response.text
    assert f"<ERROR_MSG>{AUTH_MESSAGE}</ERROR_MSG>" in response.text
    ok = await _get(http, LIST, searchWord="人口")
    assert ok.status_code == 200


async def test_unknown_stats_data_id(http):
    for path, root in ((DATA, "GET_STATS_DATA"), (META, "GET_META_INFO")):
        body = await _body(http, path, root, statsDataId="0009999999")
        assert body["RESULT"]["STATUS"] == 101
        assert body["RESULT"]["ERROR_MSG"] == "statsDataId=[0009999999]のデータは存在しません。"


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        (
            {"statsDataId": "0003445099", "limit": "0"},
            102,
            "パラメータ「limit」の値が正しくありません。",
        ),
        (
            {"statsDataId": "0003445099", "limit": "ten"},
            102,
            "パラメータ「limit」の値が正しくありません。",
        ),
        (
            {"statsDataId": "0003445099", "startPosition": "0"},
            102,
            "パラメータ「startPosition」の値が正しくありません。",
        ),
        (
            {"statsDataId": "0003445099", "metaGetFlg": "X"},
            102,
            "パラメータ「metaGetFlg」の値が正しくありません。",
        ),
        (
            {"statsDataId": "0003445099", "lvArea": "2-1-"},
            102,
            "パラメータ「lvArea」の値が正しくありません。",
        ),
        ({}, 103, "必須パラメータ「statsDataId」が指定されていません。"),
    ],
)
async def test_request_errors(http, params, status, message):
    body = await _data(http, **params)

    assert (body["RESULT"]["STATUS"], body["RESULT"]["ERROR_MSG"]) == (status, message)


async def test_requests_the_replay_cannot_answer_truthfully_get_501(http):
    ranged = await _get(http, DATA, statsDataId="0003445099", cdAreaFrom="01000")
    english = await _get(http, DATA, statsDataId="0003445099", lang="E")
    catalog = await _get(http, "/rest/3.0/app/json/getDataCatalog")

    for response in (ranged, english, catalog):
        assert response.status_code == 501
        assert response.headers["X-Replay-Error"] == "unsupported"


# --- getStatsList, getMetaInfo, getSimpleStatsData -------------------------------------------


async def test_recorded_stats_list_is_replayed(http):
    body = await _body(
        http,
        LIST,
        "GET_STATS_LIST",
        statsCode="00200521",
        surveyYears="2015",
        searchWord="人口等基本集計",
        limit="10",
    )

    recorded = json.loads((RAW / LIST_RECORDING).read_text(encoding="utf-8"))["GET_STATS_LIST"]
    assert body == recorded
    assert body["DATALIST_INF"]["RESULT_INF"]["NEXT_KEY"] == 11


async def test_generated_stats_list(http):
    one = await _body(
        http, LIST, "GET_STATS_LIST", searchWord="学校保健統計調査", statsCode="00400"
    )
    paged = await _body(http, LIST, "GET_STATS_LIST", searchWord="国勢調査", limit="5")
    none = await _body(http, LIST, "GET_STATS_LIST", searchWord="存在しない語")

    assert one["DATALIST_INF"]["NUMBER"] == 2  # 0003146500 and its test-only variant
    assert [t["@id"] for t in one["DATALIST_INF"]["TABLE_INF"]] == ["0003146500", "quirks-marks"]
    single = await _body(http, LIST, "GET_STATS_LIST", searchWord="学校保健統計調査", limit="1")
    assert single["DATALIST_INF"]["TABLE_INF"]["@id"] == "0003146500"
    assert single["DATALIST_INF"]["RESULT_INF"] == {"FROM_NUMBER": 1, "TO_NUMBER": 1, "NEXT_KEY": 2}
    assert paged["DATALIST_INF"]["RESULT_INF"]["NEXT_KEY"] == 6
    assert paged["PARAMETER"] == {
        "LANG": "J",
        "SEARCH_WORD": "国勢調査",
        "DATA_FORMAT": "J",
        "LIMIT": 5,
    }
    assert none["RESULT"]["STATUS"] == 1
    assert none["DATALIST_INF"]["NUMBER"] == 0
    assert "TABLE_INF" not in none["DATALIST_INF"]


async def test_meta_info_from_a_table(http):
    body = await _body(http, META, "GET_META_INFO", statsDataId="0003445099")

    objs = body["METADATA_INF"]["CLASS_INF"]["CLASS_OBJ"]
    assert [o["@id"] for o in objs] == ["tab", "area", "time"]
    assert len(objs[1]["CLASS"]) == 4086
    assert body["PARAMETER"] == {"LANG": "J", "STATS_DATA_ID": "0003445099", "DATA_FORMAT": "J"}


async def test_simple_stats_data_csv_matches_the_recorded_csv(http):
    response = await _get(
        http, CSV, statsDataId="0003005798", cdTime="2024000101", sectionHeaderFlg="2"
    )

    recorded = (RAW / LABOUR_CSV).read_text(encoding="utf-8")
    assert response.headers["content-type"].startswith("text/csv")
    assert (
        response.text == recorded + "\n"
    )  # the recording lost its final newline in a template literal


# --- fault injection and the request log -------------------------------------------------------


async def test_fault_api_validates_lists_and_clears(replay):
    bad = replay.control.post("/faults", json={"kind": "explode"})
    assert bad.status_code == 400

    replay.faults({"kind": "status", "status": 503, "count": 2, "statsDataId": "0003445099"})
    listed = replay.control.get("/faults").json()["faults"]
    assert listed[0]["match"] == {"statsDataId": "0003445099"}
    assert listed[0]["count"] == 2
    replay.control.delete("/faults")
    assert replay.control.get("/faults").json()["faults"] == []


async def test_status_fault_with_retry_after_and_count(http, replay):
    replay.faults(
        {"kind": "status", "status": 429, "retry_after": 7, "count": 2, "statsDataId": "0003445099"}
    )

    other = await _get(http, DATA, statsDataId="0003146500", cdCat01="60")
    first = await _get(http, DATA, statsDataId="0003445099", cdArea="13000")
    second = await _get(http, DATA, statsDataId="0003445099", cdArea="13000")
    third = await _get(http, DATA, statsDataId="0003445099", cdArea="13000")

    assert other.status_code == 200
    assert (first.status_code, first.headers["Retry-After"]) == (429, "7")
    assert second.status_code == 429
    assert third.status_code == 200
    log = replay.requests()
    assert [(e["fault"], e["http_status"]) for e in log] == [
        (None, 200),
        ("status", 429),
        ("status", 429),
        (None, 200),
    ]


async def test_request_log_never_keeps_the_app_id(http, replay, app_id):
    await _get(http, DATA, statsDataId="0003445099", cdArea="13000")
    await _get(http, DATA, appId="someone-else", statsDataId="0003445099")

    raw_log = replay.control.get("/requests").text
    assert app_id not in raw_log
    assert "someone-else" not in raw_log
    entries = replay.requests()
    assert [e["app_id"] for e in entries] == ["valid", "invalid"]
    assert entries[0]["params"] == {
        "appId": "[redacted]",
        "statsDataId": "0003445099",
        "cdArea": "13000",
    }


async def test_latency_fault(http, replay):
    replay.faults({"kind": "latency", "seconds": 0.3})
    started = time.monotonic()
    response = await _get(http, DATA, statsDataId="0003445099", cdArea="13000")

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


async def test_timeout_fault_outlasts_the_client(http, replay):
    replay.faults({"kind": "timeout", "seconds": 5})
    with pytest.raises(httpx.ReadTimeout):
        await http.get(DATA, params={"statsDataId": "0003445099"}, timeout=0.3)
    assert replay.requests()[0]["fault"] == "timeout"


async def test_truncate_fault_cuts_small_and_streamed_bodies(http, replay):
    replay.faults({"kind": "truncate", "bytes": 40}, {"kind": "truncate", "bytes": 1000})
    small = await _get(http, META, statsDataId="0004021110")
    streamed = await _get(http, DATA, statsDataId="0003445099")

    assert small.status_code == 200
    assert small.headers["content-length"] == "40"
    assert small.content == b'{"GET_META_INFO":{"RESULT":{"STATUS":0,"'
    assert len(streamed.content) == 1000
    with pytest.raises(json.JSONDecodeError):
        streamed.json()


async def test_reset_fault_drops_the_connection_mid_body(http, replay):
    replay.faults({"kind": "reset", "bytes": 100})
    with pytest.raises(httpx.RemoteProtocolError):
        await _get(http, DATA, statsDataId="0003445099")
    after = await _get(http, DATA, statsDataId="0003445099", cdArea="13000")
    assert after.status_code == 200


async def test_health(replay):
    assert replay.control.get("/health").json() == {"status": "ok"}


def test_meta_sections_are_read_from_json_written_with_spaces(tmp_path: Path) -> None:
    # A table file written by json.dumps (", " and ": ") is as valid as e-Stat's compact one:
    # getMetaInfo must answer from it, not report it unrecorded.
    tables = Path(__file__).resolve().parents[1] / "recordings" / "tables"
    document = json.loads(gzip.decompress((tables / "census-c01-1920-2015.json.gz").read_bytes()))
    path = tmp_path / "spaced.json.gz"
    path.write_bytes(gzip.compress(json.dumps(document).encode()))

    inf = read_section(path, "TABLE_INF")
    objs = read_section(path, "CLASS_INF")

    assert inf is not None
    assert objs is not None
    assert inf["@id"] == document["GET_STATS_DATA"]["STATISTICAL_DATA"]["TABLE_INF"]["@id"]
    assert [o["@id"] for o in objs["CLASS_OBJ"]] == ["tab", "cat01", "area", "time"]


async def test_a_page_asked_again_is_the_same_bytes_from_memory(http, replay):
    params = {"statsDataId": "synthetic-cap", "limit": "50000", "startPosition": "1"}
    first = await _get(http, DATA, **params)
    again = await _get(http, DATA, **params, metaGetFlg="N")
    narrowed = await _data(http, **params, cdArea="13000")

    assert first.status_code == again.status_code == 200
    first_data = first.json()["GET_STATS_DATA"]["STATISTICAL_DATA"]
    again_data = again.json()["GET_STATS_DATA"]["STATISTICAL_DATA"]
    assert "CLASS_INF" in first_data
    assert "CLASS_INF" not in again_data
    assert len(first_data["DATA_INF"]["VALUE"]) == 50000
    value_text = first.text[first.text.index('"VALUE":') :]
    assert again.text.endswith(value_text)
    # Another filter is another page, never the cached one.
    values = narrowed["STATISTICAL_DATA"]["DATA_INF"]["VALUE"]
    assert {value["@area"] for value in values} == {"13000"}
    assert narrowed["STATISTICAL_DATA"]["RESULT_INF"]["TOTAL_NUMBER"] == len(values)


def test_rendered_pages_are_bounded_by_characters() -> None:
    pages = RenderedPages(max_chars=10)
    calls: list[str] = []

    def render(text: str) -> Any:
        return lambda: calls.append(text) or [text]

    assert pages.get(page_key({"area": {"1"}}, 1, 5), render("aaaaaa")) == ("aaaaaa",)
    assert pages.get(page_key({"area": {"1"}}, 1, 5), render("zzzzzz")) == ("aaaaaa",)
    assert pages.get(page_key({}, 6, 5), render("bbbbbb")) == ("bbbbbb",)
    assert len(pages) == 1  # 12 characters > 10: the least recently used page went
    assert pages.get(page_key({"area": {"1"}}, 1, 5), render("cccccc")) == ("cccccc",)
    assert calls == ["aaaaaa", "bbbbbb", "cccccc"]
