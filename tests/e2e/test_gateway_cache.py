"""The gateway's read cache on the real stack (docs/gateway.md#the-read-cache): repeated reads
served by nginx, a new dataset version visible within a second, tokens checked on every read,
per-user answers never kept, conditional requests answered from the cache."""

from __future__ import annotations

import gzip
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any, ClassVar

import httpx
import pytest

from chiiki_devstack.config import REPO_ROOT
from chiiki_devstack.pytest_plugin import import_test_helper, second_gateway
from chiiki_devstack.stack import Stack
from chiiki_shared.bus import create_celery_app
from chiiki_stats.config import StatsSettings

pytestmark = pytest.mark.e2e

PASSWORD = "lantern-basalt-orchid"
C01 = "census-c01-1920-2015"
C01_QUERY = "/api/population/13000?from=1990&to=2005&indicators=population.male"
HIT = "chiiki-gateway; hit"
# One of each kind of read the dashboards repeat (the forecast is fitted on demand when the
# worker has not stored it: the same bytes either way).
READS = [
    "/api/kpi?region=13000",
    "/api/population/13000?indicators=population.total",
    "/api/comparison?regions=13000,27000&indicators=population.total",
    "/api/population?level=prefecture&period=2015&indicators=population.total&format=geojson",
    "/api/regions?level=prefecture",
    "/api/forecasts?indicator=population.total&region=13000&horizon=3",
]


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.settings.gateway_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def estat() -> ModuleType:
    return import_test_helper(REPO_ROOT / "services" / "stats" / "tests" / "estat_bus.py")


@pytest.fixture(scope="module")
def publish(stack: Stack, admin_headers: Callable[[], dict[str, str]]) -> Callable[[Any], float]:
    """Publish a table as ingest does; returns the monotonic time at which the stats service
    itself (asked directly, past the gateway) first serves the new version."""
    bus = create_celery_app(StatsSettings())

    def send(table: Any) -> float:
        batches, payload = table.messages()
        for batch in batches:
            bus.send_task("stats.apply_batch", args=[batch])
        bus.send_task("stats.publish_version", args=[payload])
        deadline = time.monotonic() + 90
        with httpx.Client(base_url=stack.settings.service_url("stats"), timeout=10) as direct:
            while True:
                response = direct.get(
                    f"/api/datasets/{table.stats_data_id}", headers=admin_headers()
                )
                if response.status_code == 200 and (
                    response.json()["content_hash"] == payload["content_hash"]
                ):
                    return time.monotonic()
                assert time.monotonic() < deadline, f"{table.stats_data_id} was not applied"
                time.sleep(0.05)

    return send


@pytest.fixture(scope="module")
def loaded(publish: Callable[[Any], float], estat: ModuleType) -> None:
    for stats_data_id in (C01, "census-0003410379"):
        publish(estat.table(stats_data_id))


@pytest.fixture(scope="module")
def user(gateway: httpx.Client) -> Callable[[], dict[str, str]]:
    """``user()``: a new registered user's tokens."""

    def make() -> dict[str, str]:
        email = f"gwcache-{uuid.uuid4().hex[:12]}@chiiki.example"
        gateway.post(
            "/api/auth/register", json={"email": email, "password": PASSWORD, "display_name": "C"}
        ).raise_for_status()
        login = gateway.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        login.raise_for_status()
        return dict(login.json())

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def a_hit(
    gateway: httpx.Client, url: str, headers: dict[str, str]
) -> tuple[httpx.Response, httpx.Response]:
    """A read and the same read again, until the second is answered from the cache. An answer
    is kept until the end of the second it was fetched in, so a pair straddling a second's
    boundary is a revalidation instead: a few pairs are enough."""
    for _ in range(5):
        first = gateway.get(url, headers=headers)
        assert first.status_code == 200, (url, first.text[:300])
        second = gateway.get(url, headers=headers)
        if second.headers.get("cache-status") == HIT:
            return first, second
    raise AssertionError(f"{url}: no hit in 5 pairs ({second.headers.get('cache-status')})")


@pytest.mark.parametrize("url", READS)
def test_a_repeated_read_is_a_hit_with_the_same_body_and_etag(
    loaded: None, gateway: httpx.Client, admin_headers: Callable[[], dict[str, str]], url: str
) -> None:
    first, second = a_hit(gateway, url, admin_headers())
    assert first.headers["cache-status"].startswith("chiiki-gateway; ")
    assert second.content == first.content
    assert second.headers.get("etag") == first.headers.get("etag")
    assert second.headers["content-type"] == first.headers["content-type"]
    # The gateway's own headers are on a cached answer too.
    assert second.headers["x-content-type-options"] == "nosniff"
    assert second.headers["x-request-id"] != first.headers["x-request-id"]


def test_each_compression_is_its_own_variant(
    loaded: None, gateway: httpx.Client, admin_headers: Callable[[], dict[str, str]]
) -> None:
    url = "/api/population?level=prefecture&period=2015&indicators=population.total"
    plain_headers = {**admin_headers(), "Accept-Encoding": "identity"}
    gzip_headers = {**admin_headers(), "Accept-Encoding": "gzip, deflate, br"}
    _, plain = a_hit(gateway, url, plain_headers)
    _, zipped = a_hit(gateway, url, gzip_headers)
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    # httpx decodes gzip itself: the same document either way.
    assert json.loads(plain.content) == json.loads(zipped.content)
    raw = gateway.get(url, headers={**admin_headers(), "Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in raw.headers


def test_a_new_version_is_visible_within_a_second(
    loaded: None,
    gateway: httpx.Client,
    admin_headers: Callable[[], dict[str, str]],
    publish: Callable[[Any], float],
    estat: ModuleType,
) -> None:
    def years() -> list[int]:
        response = gateway.get(C01_QUERY, headers=admin_headers())
        return [point["year"] for point in response.json()["indicators"][0]["points"]]

    def served_within_a_second(published: float, wanted: list[int]) -> None:
        # Every read that starts more than a second after stats serves the version must get
        # it; reads until then may still get the previous one.
        while True:
            started = time.monotonic()
            if years() == wanted:
                return
            assert started - published <= 1.0, "the gateway served the old version after 1 s"
            time.sleep(0.02)

    a_hit(gateway, C01_QUERY, admin_headers())
    assert years() == [1990, 1995, 2000, 2005]
    published = publish(estat.table(C01).where(lambda codes: codes["time"] <= "2000000000"))
    served_within_a_second(published, [1990, 1995, 2000])
    published = publish(estat.table(C01))
    served_within_a_second(published, [1990, 1995, 2000, 2005])


def test_a_cached_read_still_needs_a_valid_token(
    loaded: None,
    gateway: httpx.Client,
    admin_headers: Callable[[], dict[str, str]],
    user: Callable[[], dict[str, str]],
) -> None:
    url = READS[0]
    a_hit(gateway, url, admin_headers())
    for headers in ({}, bearer("not-a-jwt")):
        refused = gateway.get(url, headers=headers)
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] in ("authentication-required", "invalid-token")
        assert "cache-status" not in refused.headers
    tokens = user()
    assert gateway.get(url, headers=bearer(tokens["access_token"])).status_code == 200
    logout = gateway.post("/api/auth/logout", headers=bearer(tokens["access_token"]))
    assert logout.status_code == 204
    # Refused once the gateway's token-check cache (GATEWAY_AUTH_CACHE, 5 s at most) lets go,
    # while the answer itself stays in the read cache for everyone else.
    logged_out = time.monotonic()
    while True:
        response = gateway.get(url, headers=bearer(tokens["access_token"]))
        if response.status_code == 401:
            break
        assert response.status_code == 200
        assert time.monotonic() - logged_out < 5, "a revoked token still read after 5 s"
        time.sleep(0.1)
    assert response.json()["detail"] == "The session of this access token has ended"
    # Refused by the gateway's check, or by the service's own when the read went up to
    # revalidate the stored answer: never from the cache.
    assert response.headers.get("cache-status", "") != HIT
    a_hit(gateway, url, admin_headers())


def test_per_user_answers_are_never_kept(
    loaded: None, gateway: httpx.Client, user: Callable[[], dict[str, str]]
) -> None:
    alice, bob = user(), user()
    policy = {
        "name": f"gwcache {uuid.uuid4().hex[:8]}",
        "region": "13000",
        "start_period": 2015,
        "target_indicators": ["population.total"],
    }
    created = gateway.post(
        "/api/analytics/policies", json=policy, headers=bearer(alice["access_token"])
    )
    assert created.status_code == 201, created.text
    try:
        for path, differs in (("/api/auth/me", "email"), ("/api/analytics/policies", "items")):
            answers = {}
            for name, tokens in (("alice", alice), ("bob", bob), ("alice", alice)):
                response = gateway.get(path, headers=bearer(tokens["access_token"]))
                assert response.status_code == 200, response.text
                assert "cache-status" not in response.headers, path
                answers.setdefault(name, response.json()[differs])
                assert response.json()[differs] == answers[name], path
            assert answers["alice"] != answers["bob"], path
        assert [item["name"] for item in answers["alice"]] == [policy["name"]]
        assert answers["bob"] == []
    finally:
        gateway.delete(
            f"/api/analytics/policies/{created.json()['id']}",
            headers=bearer(alice["access_token"]),
        )


def test_if_none_match_on_a_cached_answer_is_a_304(
    loaded: None, gateway: httpx.Client, admin_headers: Callable[[], dict[str, str]]
) -> None:
    url = READS[1]
    first, _ = a_hit(gateway, url, admin_headers())
    etag = first.headers["etag"]
    for _ in range(5):
        conditional = gateway.get(url, headers={**admin_headers(), "If-None-Match": etag})
        assert conditional.status_code == 304
        assert conditional.headers["etag"] == etag
        assert conditional.content == b""
        if conditional.headers.get("cache-status") == HIT:
            break
    assert conditional.headers["cache-status"] == HIT
    other = gateway.get(url, headers={**admin_headers(), "If-None-Match": 'W/"other"'})
    assert other.status_code == 200
    assert other.content == first.content


class _Origin(BaseHTTPRequestHandler):
    """A stand-in for stats: each path answers with one property the cache must respect,
    and every request is counted."""

    counts: ClassVar[dict[str, int]] = {}
    lock = threading.Lock()
    HEADERS: ClassVar[dict[str, dict[str, str]]] = {
        "/api/regions/plain": {},
        "/api/regions/no-store": {"Cache-Control": "no-store"},
        "/api/regions/cookie": {"Set-Cookie": "session=abc; HttpOnly"},
        "/api/regions/vary-token": {"Vary": "Authorization"},
        "/api/regions/gzip": {"Vary": "Accept-Encoding"},
    }

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        with self.lock:
            self.counts[path] = self.counts.get(path, 0) + 1
        status = 500 if path == "/api/regions/error" else 200
        status = 404 if path == "/api/regions/missing" else status
        body = json.dumps({"path": path}).encode()
        headers = {"Content-Type": "application/json", **self.HEADERS.get(path, {})}
        if path == "/api/regions/gzip" and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_what_the_origin_marks_as_not_shareable_is_never_kept(
    admin_headers: Callable[[], dict[str, str]],
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Origin)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        upstream = f"127.0.0.1:{server.server_address[1]}"
        with second_gateway(STATS_UPSTREAM=upstream) as url, httpx.Client(base_url=url) as client:
            for path in (*_Origin.HEADERS, "/api/regions/error", "/api/regions/missing"):
                for _ in range(3):
                    client.get(path, headers=admin_headers())
            for encoding in ("gzip", "identity", "gzip", "identity"):
                response = client.get(
                    "/api/regions/gzip", headers={**admin_headers(), "Accept-Encoding": encoding}
                )
                assert response.json() == {"path": "/api/regions/gzip"}
                wanted = "gzip" if encoding == "gzip" else None
                assert response.headers.get("content-encoding") == wanted, encoding
    finally:
        server.shutdown()
        server.server_close()
    counts = _Origin.counts
    # Kept: asked once a second at most (the three reads may straddle a second's boundary).
    assert counts["/api/regions/plain"] in (1, 2)
    # One stored variant per compression: 7 reads, 2 of them needed (more only across a
    # second's boundary).
    assert 2 <= counts["/api/regions/gzip"] <= 5
    for never in ("no-store", "cookie", "vary-token", "error", "missing"):
        assert counts[f"/api/regions/{never}"] == 3, never
