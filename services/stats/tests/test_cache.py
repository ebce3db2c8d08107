"""Redis caching keyed on dataset versions, conditional requests, and Redis being down."""

import asyncio
import time

import httpx
import redis.asyncio as aioredis

from chiiki_devstack.pytest_plugin import serve_app

C01 = "census-c01-1920-2015"
# Depends only on the c01 table: SSDSE-B starts in 2009 and the 2020 census table in 2020.
# Males: c01 is their only census source (0003410379 has both sexes together).
C01_QUERY = "/api/population/13000?from=1990&to=2005&indicators=population.male"
# Depends only on 0003445099.
CENSUS_QUERY = "/api/population/13101?indicators=population.density"


async def served_anew(client: httpx.AsyncClient, url: str, etag: str) -> httpx.Response:
    """The first answer to ``url`` with another ETag than ``etag``: a web process learns of a
    new version when PostgreSQL delivers its NOTIFY (milliseconds), so it is polled, for 1 s."""
    deadline = time.monotonic() + 1.0
    while True:
        response = await client.get(url)
        if response.headers["etag"] != etag or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.01)


async def test_a_second_request_is_served_from_redis(loaded, client, runtime, platform) -> None:
    url = "/api/population?level=prefecture&period=2016&indicators=vital.births"
    first = await client.get(url)
    second = await client.get(url)
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("MISS", "HIT")
    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]
    assert first.headers["etag"].startswith('W/"')
    assert first.headers["cache-control"] == "public, no-cache"
    keys = await runtime.redis.keys(f"{platform.redis_key_prefix}stats:q:*")
    assert keys


async def test_csv_is_cached_with_its_headers(loaded, client) -> None:
    url = "/api/comparison?regions=01000&indicators=population.total&period=2010&format=csv"
    first, second = await client.get(url), await client.get(url)
    assert second.headers["x-cache"] == "HIT"
    assert second.headers["content-type"] == "text/csv; charset=utf-8"
    assert second.headers["content-disposition"] == first.headers["content-disposition"]


async def test_if_none_match_gives_304(loaded, client) -> None:
    first = await client.get(CENSUS_QUERY)
    etag = first.headers["etag"]
    again = await client.get(CENSUS_QUERY, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "public, no-cache"
    strong = etag.removeprefix("W/")
    listed = await client.get(CENSUS_QUERY, headers={"If-None-Match": f'"other", {strong}'})
    assert listed.status_code == 304
    other = await client.get(CENSUS_QUERY, headers={"If-None-Match": '"other"'})
    assert other.status_code == 200
    different = await client.get(CENSUS_QUERY + "&lang=en", headers={"If-None-Match": etag})
    assert different.status_code == 200


async def test_a_new_version_is_visible_within_a_second(loaded, client, apply_table, estat) -> None:
    full = estat.table(C01)
    before = await client.get(C01_QUERY)
    assert (await client.get(C01_QUERY)).headers["x-cache"] == "HIT"
    census_before = await client.get(CENSUS_QUERY)
    years = [point["year"] for point in before.json()["indicators"][0]["points"]]
    assert years == [1990, 1995, 2000, 2005]

    await apply_table(full.where(lambda codes: codes["time"] <= "2000000000"))
    after = await served_anew(client, C01_QUERY, before.headers["etag"])
    assert after.headers["x-cache"] == "MISS"
    assert after.headers["etag"] != before.headers["etag"]
    assert [point["year"] for point in after.json()["indicators"][0]["points"]] == [
        1990,
        1995,
        2000,
    ]
    stale = await client.get(C01_QUERY, headers={"If-None-Match": before.headers["etag"]})
    assert stale.status_code == 200
    # A query that does not read c01 keeps its key and its cached body.
    census_after = await client.get(CENSUS_QUERY)
    assert census_after.headers["etag"] == census_before.headers["etag"]
    assert census_after.headers["x-cache"] == "HIT"

    await apply_table(full)
    restored = await served_anew(client, C01_QUERY, after.headers["etag"])
    assert restored.json() == before.json()


async def test_queries_answer_from_postgres_when_redis_is_down(loaded, platform) -> None:
    from chiiki_stats.config import StatsSettings
    from chiiki_stats.main import create_app

    app = create_app(StatsSettings(anonymous_read=True, REDIS_URL="redis://127.0.0.1:1/0"))
    async with serve_app(app) as client:
        first = await client.get("/api/population/13000?period=CY2020&indicators=population.total")
        second = await client.get("/api/population/13000?period=CY2020&indicators=population.total")
        conditional = await client.get(
            "/api/population/13000?period=CY2020&indicators=population.total",
            headers={"If-None-Match": first.headers["etag"]},
        )
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.headers["x-cache"] == second.headers["x-cache"] == "BYPASS"
    assert first.json()["indicators"][0]["points"][0]["value"] == 14047594
    assert conditional.status_code == 304


async def test_cache_entries_expire(loaded, client, runtime, platform) -> None:
    await client.get("/api/regions/47000")
    client_redis = aioredis.Redis.from_url(platform.redis_url)
    try:
        keys = await client_redis.keys(f"{platform.redis_key_prefix}stats:q:*")
        ttls = [await client_redis.ttl(key) for key in keys]
    finally:
        await client_redis.aclose()
    assert ttls
    assert all(0 < ttl <= 3600 for ttl in ttls)


async def test_a_large_answer_is_gzipped_once_and_kept_so(loaded, client, runtime) -> None:
    import gzip

    from chiiki_shared.cache import Rendered
    from chiiki_stats.deps import GZIP_MINIMUM_SIZE

    url = "/api/population?level=prefecture&period=2015&indicators=population.total"
    zipped = {"Accept-Encoding": "gzip"}
    made = await client.get(url, headers=zipped)
    hit = await client.get(url, headers=zipped)
    plain = await client.get(url, headers={"Accept-Encoding": "identity"})
    assert (made.headers["x-cache"], hit.headers["x-cache"]) == ("MISS", "HIT")
    assert len(plain.content) >= GZIP_MINIMUM_SIZE
    for response in (made, hit):
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.content == plain.content  # httpx decodes the gzip
    assert "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Encoding"
    assert plain.headers["etag"] == hit.headers["etag"]
    (key,) = await runtime.redis.keys(runtime.redis_key("q", hit.headers["etag"][3:-1]))
    stored = Rendered.unpack(await runtime.redis.get(key))
    assert stored.gzipped is not None
    assert gzip.decompress(stored.gzipped) == stored.body == plain.content
    assert int(hit.headers["content-length"]) == len(stored.gzipped)


async def test_a_boundary_body_is_gzipped_once_per_process(loaded, client, runtime) -> None:
    import gzip

    from chiiki_stats.deps import reference_of
    from chiiki_stats.formats import Format
    from chiiki_stats.routers.boundaries import rendered_body

    # The boundaries are not cached answers: their route keeps the body and its gzipped bytes.
    path = "/api/boundaries/ward?format=geojson"
    zipped = await client.get(path, headers={"Accept-Encoding": "gzip"})
    plain = await client.get(path, headers={"Accept-Encoding": "identity"})
    reference = reference_of(runtime)
    kept = rendered_body(reference, reference.boundaries["ward"], Format.GEOJSON)
    assert kept.gzipped is not None
    assert (zipped.status_code, plain.status_code) == (200, 200)
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) == len(kept.gzipped)
    assert "content-encoding" not in plain.headers
    assert zipped.content == plain.content == kept.body == gzip.decompress(kept.gzipped)
    for response in (zipped, plain):
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["etag"] == zipped.headers["etag"]


async def test_answers_that_are_not_cached_are_still_gzipped(client) -> None:
    # The OpenAPI document is neither a cached answer nor a boundary: GZipMiddleware compresses it.
    document = await client.get("/api/stats/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert document.status_code == 200
    assert document.headers["content-encoding"] == "gzip"
    assert document.headers["vary"] == "Accept-Encoding"
    assert document.json()["openapi"].startswith("3.")
