"""Stats' lists are the platform's pages (docs/api-conventions.md): ``{items, next}``, ``limit``
and ``cursor``, ``next`` the same query with the next cursor, also as a ``Link`` header in every
format, and a cursor the list did not issue is a 422 on ``query.cursor``."""

import csv
import io
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from chiiki_shared.pagination import encode_cursor

C01 = "census-c01-1920-2015"
NOT_OURS = {"field": "query.cursor", "message": "not a cursor this list issued", "type": "cursor"}


def _query(url: str) -> list[tuple[str, str]]:
    return [(name, value) for name, value in parse_qsl(urlsplit(url).query) if name != "cursor"]


def _link(response: httpx.Response) -> str | None:
    header = response.headers.get("link")
    if header is None:
        return None
    target, _, relation = header.partition(">; ")
    assert relation == 'rel="next"', header
    assert target.startswith("<"), header
    return target[1:]


async def walk(client: httpx.AsyncClient, url: str) -> tuple[list[dict], int]:
    """Every item of a JSON list, following ``next`` to the end; each page's ``next`` keeps the
    first URL's path and parameters and is also its ``Link`` header (absent on the last)."""
    items: list[dict] = []
    pages = 0
    while url is not None:
        response = await client.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next"}
        assert _link(response) == body["next"]
        items += body["items"]
        pages += 1
        if body["next"] is not None:
            assert urlsplit(body["next"]).path == urlsplit(url).path
            assert _query(body["next"]) == _query(url)
        url = body["next"]
    return items, pages


async def test_regions_are_walked_to_the_end_with_their_filters(loaded, client) -> None:
    items, pages = await walk(client, "/api/regions?level=prefecture&limit=20")
    assert pages == 3
    assert [item["code"] for item in items] == [f"{n:02d}000" for n in range(1, 48)]
    special, pages = await walk(client, "/api/regions?parent=13100&level=municipality&limit=7")
    assert pages == 4  # Tokyo's 23 special wards: 7, 7, 7, 2
    assert [item["code"] for item in special] == [f"{n}" for n in range(13101, 13124)]
    exact = (await client.get("/api/regions?parent=13100&level=municipality&limit=23")).json()
    assert (len(exact["items"]), exact["next"]) == (23, None)


async def test_the_indicator_catalog_is_paged_in_its_order(loaded, client) -> None:
    whole = (await client.get("/api/indicators")).json()
    assert (len(whole["items"]), whole["next"]) == (52, None)
    items, pages = await walk(client, "/api/indicators?limit=20")
    assert pages == 3
    assert items == whole["items"]
    health, pages = await walk(client, "/api/indicators?category=health&limit=4")
    assert pages == 2
    assert [item["code"] for item in health] == [
        "health.general_hospitals",
        "health.general_clinics",
        "health.physicians",
        "health.hospitals_per_100k",
        "health.clinics_per_100k",
        "health.physicians_per_100k",
    ]
    assert {item["category"] for item in health} == {"health"}


async def test_datasets_are_paged_by_id_each_with_the_estat_notice(loaded, client) -> None:
    whole = (await client.get("/api/datasets?limit=500")).json()
    ids = [item["id"] for item in whole["items"]]
    assert whole["next"] is None
    assert set(ids) >= {"0003445099", C01, "ssdse-a-2023", "ssdse-b-2023"}
    items, pages = await walk(client, "/api/datasets?limit=2")
    assert pages == (len(ids) + 1) // 2
    assert items == whole["items"]
    assert {item["notice"] for item in items} == {
        "このサービスは、政府統計総合窓口(e-Stat)のAPI機能を使用していますが、"
        "サービスの内容は国によって保証されたものではありません。"
    }


async def test_observations_are_walked_with_their_filters(loaded, client) -> None:
    women, pages = await walk(client, f"/api/datasets/{C01}/observations?cat01=2&limit=500")
    assert pages == 2
    assert len(women) == len({(row["area"], row["time"]) for row in women}) == 960
    assert {row["cat01"] for row in women} == {"2"}
    keys = [(row["area"], row["time"]) for row in women]
    assert keys == sorted(keys)  # one series: (area, time) order


async def test_a_csv_page_links_the_next_one(loaded, client) -> None:
    url: str | None = "/api/regions?level=prefecture&limit=20&format=csv"
    codes: list[str] = []
    pages = 0
    while url is not None:
        response = await client.get(url)
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        codes += [row["code"] for row in rows]
        pages += 1
        url = _link(response)
        if url is not None:
            assert _query(url) == [("level", "prefecture"), ("limit", "20"), ("format", "csv")]
    assert pages == 3
    assert codes == [f"{n:02d}000" for n in range(1, 48)]


async def test_a_geojson_page_links_the_next_one(loaded, client) -> None:
    def on_page(response: httpx.Response) -> list[str]:
        # The prefecture layer draws all 47 polygons; the page's regions carry their names.
        features = response.json()["features"]
        assert len(features) == 47
        return [f["properties"]["code"] for f in features if f["properties"]["name_ja"]]

    response = await client.get("/api/regions?level=prefecture&limit=40&format=geojson")
    assert on_page(response) == [f"{n:02d}000" for n in range(1, 41)]
    rest = await client.get(_link(response))
    assert on_page(rest) == [f"{n:02d}000" for n in range(41, 48)]
    assert _link(rest) is None


async def test_a_cached_page_keeps_its_next_and_etag(loaded, client) -> None:
    url = "/api/regions?level=municipality&prefecture=13000&limit=5"
    first = await client.get(url)
    again = await client.get(url)
    assert again.headers["x-cache"] == "HIT"
    assert again.content == first.content
    assert (again.headers["etag"], again.headers["link"]) == (
        first.headers["etag"],
        first.headers["link"],
    )
    assert first.json()["next"] == _link(first)
    unchanged = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        ("/api/regions", "nonsense"),
        ("/api/regions", encode_cursor(["population.total"])),  # an indicators' cursor
        ("/api/regions", encode_cursor([-1])),
        ("/api/indicators", encode_cursor([3])),  # a regions' cursor
        ("/api/indicators", encode_cursor(["no.such_indicator"])),
        ("/api/datasets", encode_cursor([1, 2, "13000", "2015000000"])),
        (f"/api/datasets/{C01}/observations", encode_cursor(["0003445099"])),  # a datasets'
        (f"/api/datasets/{C01}/observations", encode_cursor([1, "2", "13000", "2015000000"])),
    ],
)
async def test_a_cursor_the_list_did_not_issue_is_422(loaded, client, path, cursor) -> None:
    response = await client.get(path, params={"cursor": cursor})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["code"], body["errors"]) == ("validation-failed", [NOT_OURS])
    assert body["detail"] == "Invalid value for: query.cursor"
