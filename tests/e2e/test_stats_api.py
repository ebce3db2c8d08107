"""The stats service on the real stack: data arrive as bus tasks sent by name to the running stats
worker, and every question is asked through nginx with an access token."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import httpx
import pytest

from chiiki_devstack.config import REPO_ROOT
from chiiki_devstack.pytest_plugin import import_test_helper
from chiiki_devstack.stack import Stack
from chiiki_shared.bus import create_celery_app
from chiiki_stats.config import StatsSettings

pytestmark = pytest.mark.e2e

TABLES = (
    "0003445099",
    "census-c01-1920-2015",
    "ssdse-b-2023",
    "census-0003410379",
    "census-0003410380",
)
C01 = "census-c01-1920-2015"
# Men: only c01 has them for these years (the total also comes from census-0003410379).
C01_QUERY = "/api/population/13000?from=1990&to=2005&indicators=population.male"


def _helper() -> ModuleType:
    """The stats tests' builder of bus payloads from the recorded e-Stat tables."""
    return import_test_helper(REPO_ROOT / "services" / "stats" / "tests" / "estat_bus.py")


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.settings.gateway_url, timeout=15) as client:
        yield client


@pytest.fixture(scope="module")
def estat() -> ModuleType:
    return _helper()


@pytest.fixture(scope="module")
def publish(
    stack: Stack, gateway: httpx.Client, admin_headers: Callable[[], dict[str, str]]
) -> Callable[[Any], None]:
    """Publish a table as ingest does, on the run's bus, and wait until stats serves it."""
    bus = create_celery_app(StatsSettings())

    def send(table: Any) -> None:
        batches, payload = table.messages()
        for batch in batches:
            bus.send_task("stats.apply_batch", args=[batch])
        bus.send_task("stats.publish_version", args=[payload])
        deadline = time.monotonic() + 90
        while True:
            response = gateway.get(f"/api/datasets/{table.stats_data_id}", headers=admin_headers())
            if response.status_code == 200 and (
                response.json()["content_hash"] == payload["content_hash"]
            ):
                return
            assert time.monotonic() < deadline, f"{table.stats_data_id} was not applied"
            time.sleep(0.3)

    return send


@pytest.fixture(scope="module")
def loaded(publish: Callable[[Any], None], estat: ModuleType) -> None:
    for stats_data_id in TABLES:
        publish(estat.table(stats_data_id))


def test_tokyo_in_the_2020_census(
    loaded: None, gateway: httpx.Client, admin_headers: Callable[[], dict[str, str]]
) -> None:
    response = gateway.get(
        "/api/population/13000",
        params={"period": "CY2020", "indicators": "population.total"},
        headers=admin_headers(),
    )
    assert response.status_code == 200
    assert response.headers["x-served-by"] == "stats"
    (series,) = response.json()["indicators"]
    (point,) = series["points"]
    # The published census series comes first; the 2020 census table's own sum agrees with it.
    assert (point["value"], point["period"], point["sources"]) == (
        14047594,
        "2020",
        ["census-0003410379"],
    )


def test_a_token_is_required(loaded: None, gateway: httpx.Client) -> None:
    response = gateway.get("/api/population/13000")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401


def test_cache_and_conditional_requests_through_nginx(
    loaded: None, gateway: httpx.Client, admin_headers: Callable[[], dict[str, str]]
) -> None:
    url = "/api/population?level=prefecture&period=2019&indicators=vital.deaths"
    first = gateway.get(url, headers=admin_headers())
    second = gateway.get(url, headers=admin_headers())
    assert first.status_code == second.status_code == 200
    # From a cache: the gateway's (its stored answer, headers included) or, when the two reads
    # straddle a second's boundary, stats' own in Redis.
    assert (second.headers["cache-status"], second.headers["x-cache"]) in (
        ("chiiki-gateway; hit", first.headers["x-cache"]),
        ("chiiki-gateway; fwd=stale; fwd-status=304", first.headers["x-cache"]),
        ("chiiki-gateway; fwd=stale", "HIT"),
    )
    assert first.content == second.content
    assert first.headers["cache-control"] == "private, no-cache"
    etag = first.headers["etag"]
    conditional = gateway.get(url, headers={**admin_headers(), "If-None-Match": etag})
    assert conditional.status_code == 304
    assert conditional.headers["etag"] == etag
    assert conditional.content == b""


def test_a_map_layer_compressed_on_the_wire(
    loaded: None, gateway: httpx.Client, admin_headers: Callable[[], dict[str, str]]
) -> None:
    response = gateway.get(
        "/api/livability",
        params={"period": "2020", "format": "geojson"},
        headers={**admin_headers(), "Accept-Encoding": "gzip"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    assert response.headers["content-encoding"] == "gzip"
    document = response.json()
    assert document["type"] == "FeatureCollection"
    assert len(document["features"]) == 47
    ranks = sorted(feature["properties"]["rank"] for feature in document["features"])
    assert ranks == list(range(1, 48))


def test_the_municipal_map_through_the_gateway(
    loaded: None, gateway: httpx.Client, admin_headers: Callable[[], dict[str, str]]
) -> None:
    params = {"level": "municipality", "period": "2020", "indicators": "population.total"}
    answer = gateway.get("/api/population", params=params, headers=admin_headers()).json()
    response = gateway.get(
        "/api/population",
        params={**params, "format": "topojson"},
        headers={**admin_headers(), "Accept-Encoding": "gzip"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/topo+json"
    assert response.headers["content-encoding"] == "gzip"
    assert response.num_bytes_downloaded <= 400_000
    topology = response.json()
    geometries = topology["objects"]["regions"]["geometries"]
    assert len(geometries) == 1736
    boundaries = topology["metadata"]["boundaries"]
    assert len(boundaries["regions_without_polygon"]) == 11
    assert boundaries["polygons_without_data"] == [f"0169{n}" for n in range(5, 10)] + ["01700"]
    drawn = {g["id"]: g["properties"] for g in geometries}
    for region in answer["regions"]:
        if region["code"] in drawn:
            cell = region["values"]["population.total"]
            assert drawn[region["code"]]["value"] == cell["value"]
            assert drawn[region["code"]]["rank"] == cell["rank"]
    alone = gateway.get("/api/boundaries/municipality", headers=admin_headers())
    assert alone.status_code == 200
    assert alone.headers["cache-control"] == "private, max-age=86400"
    again = gateway.get(
        "/api/boundaries/municipality",
        headers={**admin_headers(), "If-None-Match": alone.headers["etag"]},
    )
    assert again.status_code == 304
    wrong = gateway.get("/api/population", params={"format": "topojson"}, headers=admin_headers())
    assert wrong.status_code == 422
    assert wrong.headers["content-type"] == "application/problem+json"
    assert wrong.json()["errors"][0]["field"] == "query.format"


def test_one_prefectures_municipalities_and_a_citys_wards_as_geojson(
    loaded: None, gateway: httpx.Client, admin_headers: Callable[[], dict[str, str]]
) -> None:
    params = {"period": "2020", "indicators": "population.total", "format": "geojson"}
    tokyo = gateway.get(
        "/api/population",
        params={**params, "level": "municipality", "parent": "13000"},
        headers=admin_headers(),
    )
    assert tokyo.status_code == 200
    assert tokyo.headers["content-type"] == "application/geo+json"
    features = {f["properties"]["code"]: f["properties"] for f in tokyo.json()["features"]}
    assert len(features) == 60
    assert all(code.startswith("13") for code in features)
    # SSDSE-A-2023 (../shared/data/municipality): 世田谷区 943,664.
    assert features["13112"]["value"] == 943664
    boundaries = tokyo.json()["metadata"]["boundaries"]
    assert boundaries["regions_without_polygon"] == ["13362", "13402"]
    assert boundaries["polygons_without_data"] == []
    # A designated city is whole at the municipal level and drawn as its wards at the ward level.
    sapporo = gateway.get(
        "/api/population",
        params={**params, "level": "ward", "parent": "01100"},
        headers=admin_headers(),
    ).json()
    codes = [f["properties"]["code"] for f in sapporo["features"]]
    assert codes == [f"0110{n}" for n in range(1, 10)] + ["01110"]
    assert sapporo["metadata"]["boundaries"]["level"] == "ward"
    hokkaido = gateway.get(
        "/api/population",
        params={**params, "level": "municipality", "parent": "01000"},
        headers=admin_headers(),
    ).json()
    cities = {f["properties"]["code"]: f["properties"] for f in hokkaido["features"]}
    assert cities["01100"]["value"] == 1973395  # SSDSE-A-2023: 札幌市 1,973,395
    assert "01101" not in cities


def test_comparison_for_chartjs(
    loaded: None, gateway: httpx.Client, admin_headers: Callable[[], dict[str, str]]
) -> None:
    response = gateway.get(
        "/api/comparison",
        params={
            "regions": "13000,27000",
            "indicators": "population.total",
            "period": "2020",
            "format": "chartjs",
            "lang": "en",
        },
        headers=admin_headers(),
    )
    assert response.json() == {
        "labels": ["Tokyo", "Osaka", "Japan"],
        "datasets": [
            {
                "label": "Total population",
                "data": [14047594, 8837685, 126146099],
                "unit": "persons",
                "yAxisID": "y-persons",
            }
        ],
        "axes": [{"id": "y-persons", "unit": "persons", "position": "left"}],
    }


def test_errors_keep_their_shape_through_the_gateway(
    loaded: None, gateway: httpx.Client, admin_headers: Callable[[], dict[str, str]]
) -> None:
    missing = gateway.get("/api/regions/99000", headers=admin_headers())
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert (missing.json()["detail"], missing.json()["missing"]) == (
        "No region with code 99000",
        ["99000"],
    )
    too_many = gateway.get(
        "/api/comparison",
        params={"regions": ",".join(f"{n:02d}000" for n in range(1, 22)), "indicators": "x.y"},
        headers=admin_headers(),
    )
    assert too_many.status_code == 422
    assert too_many.json()["errors"] == [
        {
            "field": "query.regions",
            "message": "at most 20 regions per request, got 21",
            "type": "too_long",
        }
    ]
    assert too_many.json()["request_id"] == too_many.headers["x-request-id"]


def test_a_new_version_from_the_bus_is_served_at_once(
    loaded: None,
    gateway: httpx.Client,
    admin_headers: Callable[[], dict[str, str]],
    publish: Callable[[Any], None],
    estat: ModuleType,
) -> None:
    before = gateway.get(C01_QUERY, headers=admin_headers())
    years = [point["year"] for point in before.json()["indicators"][0]["points"]]
    assert years == [1990, 1995, 2000, 2005]
    publish(estat.table(C01).where(lambda codes: codes["time"] <= "2000000000"))
    after = _read_once_fresh(gateway, admin_headers(), before.headers["etag"])
    assert [point["year"] for point in after.json()["indicators"][0]["points"]] == [
        1990,
        1995,
        2000,
    ]
    publish(estat.table(C01))
    restored = _read_once_fresh(gateway, admin_headers(), after.headers["etag"])
    assert restored.json() == before.json()


def _read_once_fresh(
    gateway: httpx.Client, headers: dict[str, str], old_etag: str
) -> httpx.Response:
    """C01_QUERY once its answer is no longer ``old_etag``: at once from stats, within a second
    through the gateway's read cache (which keeps an answer until the end of its second)."""
    deadline = time.monotonic() + 1.5
    while True:
        response = gateway.get(C01_QUERY, headers=headers)
        if response.headers["etag"] != old_etag:
            return response
        assert time.monotonic() < deadline, "the old version was still served"
        time.sleep(0.05)


def test_observations_cell_by_cell_through_the_gateway(
    loaded: None,
    gateway: httpx.Client,
    admin_headers: Callable[[], dict[str, str]],
    estat: ModuleType,
) -> None:
    body = gateway.get(
        "/api/datasets/0003445099/observations",
        params={"area": "13000,07545", "tab": "2020_03"},
        headers=admin_headers(),
    ).json()
    rows = {row["area"]: row for row in body["items"]}
    assert rows["13000"]["value"] == 13515272
    assert (rows["07545"]["value"], rows["07545"]["mark"]) == (None, "-")
    assert estat.cell("0003445099", tab="2020_03", area="07545", time="2020000000")[1] == "-"


def test_the_national_pyramid_through_the_gateway(
    loaded: None,
    gateway: httpx.Client,
    admin_headers: Callable[[], dict[str, str]],
    estat: ModuleType,
) -> None:
    chart = gateway.get(
        "/api/population/00000/pyramid",
        params={"period": "2020", "format": "chartjs"},
        headers=admin_headers(),
    )
    assert chart.status_code == 200
    assert chart.headers["x-served-by"] == "stats"
    body = chart.json()
    assert (body["labels"][0], body["labels"][-1]) == ("100歳以上", "0~4歳")
    male, female = body["datasets"]
    young = {"tab": "001", "cat02": "001", "area": "00000", "time": "2020000000"}
    assert male["data"][-1] == -estat.number("census-0003410380", cat01="1", **young)
    assert female["data"][-1] == estat.number("census-0003410380", cat01="2", **young)
    frames = gateway.get(
        "/api/population/00000/pyramid",
        params={"from": "1920", "to": "2020"},
        headers=admin_headers(),
    ).json()["frames"]
    assert [frame["year"] for frame in frames] == list(range(1920, 2021, 5))
    assert frames[-1]["total"] == 123214261
    again = gateway.get(
        "/api/population/00000/pyramid",
        params={"period": "2020", "format": "chartjs"},
        headers={**admin_headers(), "If-None-Match": chart.headers["etag"]},
    )
    assert again.status_code == 304
    missing = gateway.get("/api/population/13000/pyramid", headers=admin_headers())
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
