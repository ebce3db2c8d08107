"""The e-Stat client against the replay server over real HTTP: paging, cells, errors, retries."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from pathlib import Path

import pytest
import structlog

from chiiki_ingest.estat import (
    EStatAuthError,
    EStatClient,
    EStatHTTPError,
    EStatRequestError,
    EStatUnavailable,
    parse_period,
)
from chiiki_ingest.estat import client as estat_client
from chiiki_ingest.estat.normalise import parse_table_info, parse_value
from chiiki_ingest.estat.retrying import parse_retry_after

RAW = Path(__file__).resolve().parents[1] / "recordings" / "raw"
CENSUS = "getStatsData_v3.0_0003445099_census2020_all_areas_raw.json"
SCHOOL_NOTES = {
    "***": "計数の出現があり得ない場合又は調査対象とならなかった場合",
    "0.00": "計数が単位未満の場合",
    "X": "標本サイズが小さい、または標準誤差が大きいため統計数値を公表しない場合",
    "－": "該当者なし",
}


def _census_values() -> dict[tuple[str, str], str]:
    document = json.loads((RAW / CENSUS).read_text(encoding="utf-8"))
    values = document["GET_STATS_DATA"]["STATISTICAL_DATA"]["DATA_INF"]["VALUE"]
    return {(v["@tab"], v["@area"]): v["$"] for v in values}


def _fast_client(replay, app_id: str, **overrides) -> EStatClient:
    settings = {"timeout": 2.0, "max_attempts": 4, "max_retry_seconds": 10.0}
    settings |= {"backoff_initial": 0.01, "backoff_max": 0.05} | overrides
    return EStatClient(replay.api, app_id, **settings)


# --- paging -------------------------------------------------------------------------------------


async def test_paging_yields_every_cell_of_the_table_exactly_once(client, replay):
    pages = [page async for page in client.iter_stats_data("0003445099", page_size=5000)]

    assert [(p.from_number, p.to_number, p.next_key) for p in pages] == [
        (1, 5000, 5001),
        (5001, 10000, 10001),
        (10001, 15000, 15001),
        (15001, 16344, None),
    ]
    cells = [cell for page in pages for cell in page.cells]
    keys = [(c.code("tab"), c.code("area")) for c in cells]
    source = _census_values()
    assert len(keys) == len(set(keys)) == len(source) == 16344
    assert {key: c.raw for key, c in zip(keys, cells, strict=True)} == source
    requests = replay.requests("getStatsData")
    assert [e["params"]["startPosition"] for e in requests] == ["1", "5001", "10001", "15001"]
    assert [e["params"]["metaGetFlg"] for e in requests] == ["Y", "N", "N", "N"]
    assert all(p.dimensions == pages[0].dimensions for p in pages)


async def test_one_page_when_the_table_fits(client):
    pages = [page async for page in client.iter_stats_data("0003445099")]

    assert len(pages) == 1
    assert (pages[0].total_number, pages[0].next_key, len(pages[0].cells)) == (16344, None, 16344)


async def test_a_retried_page_in_the_middle_is_not_duplicated(client, replay):
    replay.faults({"kind": "status", "status": 502, "startPosition": "10001"})

    cells = [
        c async for page in client.iter_stats_data("0003445099", page_size=5000) for c in page.cells
    ]

    assert len(cells) == len({(c.code("tab"), c.code("area")) for c in cells}) == 16344
    starts = [e["params"]["startPosition"] for e in replay.requests("getStatsData")]
    assert starts == ["1", "5001", "10001", "10001", "15001"]


# --- values from real data ----------------------------------------------------------------------


async def test_tokyo_population_2020_from_census_cells(client):
    page = await client.get_stats_data("0003445099", filters={"cdArea": "13000"})

    cells = {cell.code("tab"): cell for cell in page.cells}
    population_2015 = cells["2020_03"]  # 2015 population on 2020 boundaries
    change = cells["2020_34"]  # change over the five years to 2020
    assert population_2015.value == Decimal("13515272")
    assert change.value == Decimal("532322")
    assert population_2015.value + change.value == Decimal("14047594")
    assert (cells["2020_47"].value, cells["2020_47"].unit) == (Decimal("2194.03"), "km2")
    assert (cells["2020_48"].value, cells["2020_48"].unit) == (Decimal("6402.6"), "1km2当たり")
    assert population_2015.unit == "人"
    period = population_2015.period
    assert (period.kind, period.year, period.fiscal, period.code) == (
        "year",
        2020,
        False,
        "2020000000",
    )
    tokyo = page.dimension("area").item("13000")
    assert (tokyo.name, tokyo.level, tokyo.parent_code) == ("東京都", 2, "00000")
    tab = page.dimension("tab").item("2020_03")
    assert (tab.level, tab.unit) == (None, "人")
    assert tab.explanation.startswith("令和２年10月１日現在の市区町村の境域に基づいて")


async def test_a_filter_leaving_one_value(client):
    page = await client.get_stats_data(
        "0003445099", filters={"cdArea": "13000", "cdTab": "2020_03"}
    )

    assert [c.value for c in page.cells] == [Decimal("13515272")]
    assert [len(d.items) for d in page.dimensions] == [1, 1, 1]


async def test_area_codes_with_letters(client):
    page = await client.get_stats_data(
        "0003445099", filters={"cdArea": ["0120B", "0122B"], "cdTab": "2020_03"}
    )

    assert [(c.code("area"), c.value) for c in page.cells] == [
        ("0120B", Decimal("254157")),
        ("0122B", Decimal("18582")),
    ]
    area = page.dimension("area")
    assert (area.item("0122B").name, area.item("0122B").level) == ("（旧：士別市）", 7)


async def test_declared_marks_become_none_with_their_meaning(client):
    page = await client.get_stats_data(
        "0003445099", filters={"cdArea": "07543", "cdTab": "2020_03"}
    )

    (cell,) = page.cells
    assert (cell.value, cell.mark, cell.mark_meaning) == (None, "-", "当該数値がないもの")
    assert not cell.undeclared_mark
    assert dict(page.notes) == {"***": "当該数値がないもの", "-": "当該数値がないもの"}


async def test_full_width_and_other_marks_and_undeclared_text(client):
    page = await client.get_stats_data(
        "quirks-marks", filters={"cdCat02": "10", "cdCat04": "0000010"}
    )

    by_key = {(c.code("cat01"), c.code("time")): c for c in page.cells}
    marks = {
        key: (c.value, c.mark, c.mark_meaning, c.undeclared_mark)
        for key, c in by_key.items()
        if c.mark is not None
    }
    assert marks == {
        ("60", "2019100000"): (None, "－", "該当者なし", False),
        ("60", "2018100000"): (None, "***", SCHOOL_NOTES["***"], False),
        ("60", "2017100000"): (None, "X", SCHOOL_NOTES["X"], False),
        # Declared in NOTE: "less than the unit", a mark, never the number 0.
        ("60", "2016100000"): (None, "0.00", "計数が単位未満の場合", False),
        ("60", "2015100000"): (None, "abc", None, True),
        ("110", "2019100000"): (None, "1,234", None, True),
    }
    plain = by_key[("110", "2018100000")]
    assert (plain.value, plain.mark, plain.undeclared_mark) == (Decimal("109.4"), None, False)
    assert dict(page.notes) == SCHOOL_NOTES


async def test_single_object_classes_and_values_without_unit(client):
    page = await client.get_stats_data("0003146500", filters={"cdCat01": "110", "cdCat02": "130"})

    assert [(d.id, len(d.items)) for d in page.dimensions] == [
        ("tab", 1),
        ("cat01", 1),
        ("cat02", 1),
        ("cat03", 1),
        ("cat04", 2),
        ("area", 1),
        ("time", 5),
    ]
    heights = [c for c in page.cells if c.code("cat04") == "0000010"]
    assert [(c.period.year, c.value) for c in heights] == [
        (2019, Decimal("157.9")),
        (2018, Decimal("157.8")),
        (2017, Decimal("157.8")),
        (2016, Decimal("157.8")),
        (2015, Decimal("157.9")),
    ]
    assert all(c.unit is None and c.period.fiscal for c in page.cells)
    assert page.dimension("tab").items[0].level is None
    assert page.table.survey_date == "201904-202003"


async def test_unit_falls_back_to_the_class_item(client):
    page = await client.get_stats_data("quirks-units", filters={"cdCat02": "08"})

    assert [(c.code("cat03"), c.value, c.unit) for c in page.cells] == [
        ("0", Decimal("163"), "万人"),
        ("1", Decimal("92"), "万人"),
        ("2", Decimal("70"), "万人"),
    ]
    assert page.cells[0].period.kind == "month"
    assert (page.cells[0].period.year, page.cells[0].period.month) == (2024, 1)


async def test_monthly_table_info_with_description_object(client):
    page = await client.get_stats_data("0003005798", filters={"cdTime": "2024000101"})

    table = page.table
    assert (table.id, table.title_no, table.cycle, table.survey_date) == (
        "0003005798",
        "1-1-1",
        "月次",
        None,
    )
    assert table.description is None
    assert table.description_parts["TABULATION_SUB_CATEGORY_EXPLANATION1"].startswith(
        "労働力調査では"
    )
    assert table.statistics_name_spec["TABULATION_SUB_CATEGORY3"] == "月次"
    assert len(page.cells) == 15


# --- metadata, lists, counts --------------------------------------------------------------------


async def test_meta_info_with_four_digit_time_codes(client):
    meta = await client.get_meta_info("0004021110")

    times = meta.dimension("time").items
    assert [t.code for t in times] == ["2016", "2017", "2018", "2019", "2020"]
    assert [parse_period(t.code).kind for t in times] == ["year"] * 5
    assert parse_period("2016").year == 2016
    assert meta.dimension("tab").items[0].unit == "千人"
    over_65 = meta.dimension("cat03").item("006")
    assert (over_65.name, over_65.level, over_65.parent_code) == ("65～74歳", 2, "003")
    assert len(meta.dimension("area").items) == 48
    assert meta.table.stat_name == "人口推計"
    assert meta.table.open_date == date(2024, 9, 30)


async def test_meta_info_from_the_page_recording(client):
    meta = await client.get_meta_info("0000020202")

    sapporo = meta.dimension("area").item("01100")
    assert (sapporo.name, sapporo.level, sapporo.parent_code) == ("北海道 札幌市", 2, "01000")
    assert meta.dimension("cat01").item("B1101").unit == "ｈａ"
    assert meta.table.title == "Ｂ\u3000自然環境"


async def test_only_the_recorded_page_of_a_page_recording(client, replay):
    pages = client.iter_stats_data("0000020202", page_size=10)

    first = await anext(pages)
    assert (len(first.cells), first.total_number, first.next_key) == (10, 403227, 11)
    assert (first.cells[0].raw, first.cells[0].unit) == ("111801", "ｈａ")
    with pytest.raises(EStatHTTPError) as refused:
        await anext(pages)
    assert refused.value.http_status == 501
    assert len(replay.requests()) == 2  # refusals are not retried


async def test_count(client):
    assert await client.count("0003445099") == 16344
    assert await client.count("0003445099", {"cdArea": ["13000", "27000"]}) == 8
    assert await client.count("0003445099", {"lvArea": "2", "cdTab": "2020_03"}) == 47
    assert await client.count("0003445099", {"cdArea": "99999"}) == 0


async def test_status_1_is_an_empty_result_not_an_error(client):
    page = await client.get_stats_data("0003445099", filters={"cdArea": "99999"})
    pages = [p async for p in client.iter_stats_data("0003445099", filters={"cdArea": "99999"})]

    assert (page.status, page.total_number, page.cells) == (1, 0, ())
    assert pages == []


async def test_stats_lists(client):
    recorded = await client.get_stats_list(
        statsCode="00200521", surveyYears=2015, searchWord="人口等基本集計", limit=10
    )
    single = await client.get_stats_list(searchWord="学校保健統計調査", limit=1)
    empty = await client.get_stats_list(searchWord="存在しない語")

    assert (recorded.number, recorded.next_key, len(recorded.tables)) == (61, 11, 10)
    assert recorded.tables[0].id == "0003148500"
    assert recorded.tables[0].survey_date == "201510"
    assert (single.number, [t.id for t in single.tables]) == (2, ["0003146500"])
    assert single.tables[0].gov_org == "文部科学省"
    assert (empty.status, empty.number, empty.tables) == (1, 0, ())


# --- normalisation of shapes the replay data does not show --------------------------------------


def test_table_info_with_plain_title_and_numeric_survey_date():
    info = parse_table_info(
        {
            "@id": "0000000001",
            "TITLE": "地域メッシュ統計",
            "SURVEY_DATE": 201510,
            "DESCRIPTION": "",
            "OPEN_DATE": "",
            "OVERALL_TOTAL_NUMBER": "12",
        }
    )

    assert (info.title, info.title_no, info.survey_date) == ("地域メッシュ統計", None, "201510")
    assert (info.description, info.open_date, info.overall_total_number) == (None, None, 12)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("-948646", (Decimal("-948646"), None, None, False)),
        ("0", (Decimal("0"), None, None, False)),
        ("…", (None, "…", None, True)),
        ("", (None, "", None, True)),
    ],
)
def test_parse_value(raw, expected):
    assert parse_value(raw, {}) == expected


@pytest.mark.parametrize(
    ("code", "kind", "year", "fiscal", "month", "quarter"),
    [
        ("2020000000", "year", 2020, False, None, None),
        ("2020100000", "year", 2020, True, None, None),
        ("2024000101", "month", 2024, False, 1, None),
        ("2024001212", "month", 2024, False, 12, None),
        ("2024000103", "quarter", 2024, False, None, 1),
        ("2024001012", "quarter", 2024, False, None, 4),
        ("2024100406", "quarter", 2024, True, None, 1),
        ("2016", "year", 2016, False, None, None),
        ("202404", "month", 2024, False, 4, None),
        ("2024009999", "unknown", 2024, False, None, None),
        ("H27", "unknown", None, False, None, None),
    ],
)
def test_parse_period(code, kind, year, fiscal, month, quarter):
    period = parse_period(code)

    assert (period.code, period.kind, period.year, period.fiscal) == (code, kind, year, fiscal)
    assert (period.month, period.quarter) == (month, quarter)


def test_retry_after_as_seconds_or_http_date():
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)

    assert parse_retry_after("2") == 2.0
    assert 28 <= parse_retry_after(soon) <= 30
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# --- errors -------------------------------------------------------------------------------------


async def test_wrong_app_id_is_an_auth_error_and_not_retried(replay):
    async with _fast_client(replay, "not-the-right-id") as wrong:
        with pytest.raises(EStatAuthError) as raised:
            await wrong.get_stats_data("0003445099")

    assert raised.value.status == 100
    assert "認証に失敗しました。アプリケーションIDを確認して下さい。" in str(raised.value)
    assert "not-the-right-id" not in str(raised.value)
    assert len(replay.requests()) == 1


async def test_firewall_403_is_an_auth_error_and_not_retried(replay):
    replay.auth_failure("http403")
    async with _fast_client(replay, "not-the-right-id") as wrong:
        with pytest.raises(EStatAuthError) as raised:
            await wrong.get_meta_info("0003445099")

    assert (raised.value.status, raised.value.http_status) == (100, 403)
    assert len(replay.requests()) == 1


async def test_unknown_id_is_a_request_error(client, replay):
    with pytest.raises(EStatRequestError) as raised:
        await client.get_stats_data("0009999999")

    assert raised.value.status == 101
    assert raised.value.error_msg == "statsDataId=[0009999999]のデータは存在しません。"
    assert len(replay.requests()) == 1


async def test_bad_parameter_is_a_request_error(client):
    with pytest.raises(EStatRequestError) as raised:
        await client.get_stats_data("0003445099", filters={"lvArea": "high"})

    assert (raised.value.status, raised.value.error_msg) == (
        102,
        "パラメータ「lvArea」の値が正しくありません。",
    )


async def test_filters_must_be_narrowing_parameters(client, replay):
    with pytest.raises(ValueError, match="cdPrefecture"):
        await client.count("0003445099", {"cdPrefecture": "13000"})
    with pytest.raises(ValueError, match="page size"):
        await client.get_stats_data("0003445099", limit=100_001)
    assert replay.requests() == []


# --- retries ------------------------------------------------------------------------------------


def _faults_seen(replay) -> list[str | None]:
    return [entry["fault"] for entry in replay.requests()]


async def test_5xx_is_retried_until_it_succeeds(client, replay):
    replay.faults({"kind": "status", "status": 503, "count": 2})

    assert await client.count("0003445099") == 16344
    assert _faults_seen(replay) == ["status", "status", None]


async def test_retry_after_is_honoured(client, replay):
    replay.faults({"kind": "status", "status": 429, "retry_after": 1})

    started = time.monotonic()
    assert await client.count("0003445099") == 16344
    assert 1.0 <= time.monotonic() - started < 3.0
    assert _faults_seen(replay) == ["status", None]


async def test_a_hung_request_times_out_and_is_retried(replay, app_id):
    replay.faults({"kind": "timeout", "seconds": 5})

    async with _fast_client(replay, app_id, timeout=0.4) as impatient:
        started = time.monotonic()
        assert await impatient.count("0003445099") == 16344
    assert 0.4 <= time.monotonic() - started < 3.0
    assert _faults_seen(replay) == ["timeout", None]


async def test_a_truncated_body_is_retried(client, replay):
    replay.faults({"kind": "truncate", "bytes": 500})

    page = await client.get_stats_data("0003445099", filters={"cdArea": "13000"})
    assert len(page.cells) == 4
    assert _faults_seen(replay) == ["truncate", None]


def test_a_body_is_read_with_or_without_a_byte_order_mark() -> None:
    body = '{"GET_STATS_DATA": {"RESULT": {"STATUS": 1, "ERROR_MSG": "該当データはありません。"}}}'
    expected = {"RESULT": {"STATUS": 1, "ERROR_MSG": "該当データはありません。"}}
    for content in (body.encode(), b"\xef\xbb\xbf" + body.encode()):
        assert estat_client._body_of("getStatsData", content) == expected


async def test_a_dropped_connection_is_retried(client, replay):
    replay.faults({"kind": "reset", "bytes": 100})

    pages = [p async for p in client.iter_stats_data("0003445099")]
    assert sum(len(p.cells) for p in pages) == 16344
    assert _faults_seen(replay) == ["reset", None]


async def test_latency_is_only_waited_out(client, replay):
    replay.faults({"kind": "latency", "seconds": 0.3})

    started = time.monotonic()
    assert await client.count("0003445099") == 16344
    assert time.monotonic() - started >= 0.3
    assert _faults_seen(replay) == ["latency"]


async def test_attempts_are_bounded(client, replay):
    replay.faults({"kind": "status", "status": 500, "count": 10})

    with pytest.raises(EStatUnavailable) as raised:
        await client.count("0003445099")
    assert raised.value.attempts == 4
    assert "HTTP 500" in str(raised.value)
    assert len(replay.requests()) == 4


async def test_total_retry_time_is_bounded(replay, app_id):
    replay.faults({"kind": "status", "status": 429, "retry_after": 30})

    async with _fast_client(replay, app_id, max_retry_seconds=2.0) as client:
        started = time.monotonic()
        with pytest.raises(EStatUnavailable):
            await client.count("0003445099")
    assert time.monotonic() - started < 1.5
    assert len(replay.requests()) == 1


async def test_connection_refused_is_retried_then_unavailable(app_id):
    async with EStatClient(
        "http://127.0.0.1:9/rest/3.0/app/json",
        app_id,
        max_attempts=2,
        backoff_initial=0.01,
        backoff_max=0.02,
    ) as unreachable:
        with pytest.raises(EStatUnavailable) as raised:
            await unreachable.count("0003445099")
    assert raised.value.attempts == 2
    assert "connection failed" in str(raised.value)


# --- the application id stays secret ------------------------------------------------------------


async def test_app_id_never_reaches_logs_errors_or_reprs(
    replay, app_id, caplog, request, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    # A service's logging set-up, run by an earlier test, replaces the root's handlers (caplog's
    # included) and caches structlog loggers on first use, which capture_logs cannot reach. So
    # httpx's records are read from its own logger, and the client gets a logger not yet used.
    httpx_logger = logging.getLogger("httpx")
    httpx_logger.addHandler(caplog.handler)
    request.addfinalizer(lambda: httpx_logger.removeHandler(caplog.handler))
    monkeypatch.setattr(estat_client, "log", structlog.get_logger("chiiki_ingest.estat"))
    replay.faults({"kind": "status", "status": 503}, {"kind": "reset"})
    texts: list[str] = []
    with structlog.testing.capture_logs() as logs:
        async with _fast_client(replay, app_id) as client:
            texts.append(repr(client))
            await client.get_stats_data("0003445099", filters={"cdArea": "13000"})
            for call in (client.get_stats_data("0009999999"), client.get_meta_info("0003005798")):
                with pytest.raises(Exception) as raised:  # noqa: PT011 - any error type is fine here
                    await call
                texts += _exception_texts(raised.value)
        async with EStatClient("http://127.0.0.1:9/x", app_id, max_attempts=1) as unreachable:
            with pytest.raises(EStatUnavailable) as raised:
                await unreachable.count("0003445099")
            texts += [*_exception_texts(raised.value), repr(unreachable)]

    assert logs, "the client logs each request"
    request_logs = [entry for entry in logs if entry["event"] == "estat.request"]
    assert {
        "endpoint",
        "statsDataId",
        "startPosition",
        "attempt",
        "elapsed",
        "status",
    } <= request_logs[0].keys()
    assert [e.get("status") for e in request_logs[:3]] == [503, "transport_error", 200]
    texts += [str(entry) for entry in logs] + [r.getMessage() for r in caplog.records]
    assert any("appId=[redacted]" in r.getMessage() for r in caplog.records if r.name == "httpx")
    assert not [text for text in texts if app_id in text]


def _exception_texts(error: BaseException | None) -> list[str]:
    texts = []
    while error is not None:
        texts += [str(error), repr(error), repr(vars(error))]
        error = error.__cause__ or error.__context__
    return texts
