"""The gateway serving the dashboard's build (FRONTEND_DIST) at /: caching, the app's own routes,
compression, its Content-Security-Policy, and a clear answer when there is no build.

Each test runs a gateway of its own over a small build made here (not the real app's), in
front of the session stack's services."""

import gzip
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chiiki_devstack.pytest_plugin import second_gateway
from chiiki_devstack.stack import Stack

pytestmark = pytest.mark.e2e

# Above gzip_min_length (256 bytes), like a real one.
INDEX = (
    '<!doctype html><html lang="ja"><head><meta charset="UTF-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1.0">'
    "<title>Chiiki: 地域統計ダッシュボード</title>"
    '<link rel="icon" href="/favicon.svg"><link rel="stylesheet" href="/assets/index-C9d2e1.css">'
    '<script type="module" src="/assets/index-Bx7f3a.js"></script>'
    '</head><body><div id="app"></div></body></html>\n'
)
# Long enough to be worth compressing (above gzip_min_length).
SCRIPT = "export const regions = [" + ",".join(f'"{code:05d}"' for code in range(400)) + "];\n"
STYLE = ".card { margin: 0; }\n" * 40
PRECOMPRESSED = "export const built = 'by the build, compressed beforehand';\n" * 20
FRONTEND_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "worker-src": "'self' blob:",
    "child-src": "'self' blob:",
    "manifest-src": "'self'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
}
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
IMMUTABLE = "public, max-age=31536000, immutable"


def readable_dir() -> Path:
    """A folder nginx's workers (not root) can read: pytest's own temp folders are private."""
    path = Path(tempfile.mkdtemp(prefix="chiiki-dist-"))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def dist() -> Iterator[Path]:
    """A build as Vite lays it out: index.html, hashed files under assets/, a precompressed one."""
    root = readable_dir()
    assets = root / "assets"
    assets.mkdir(mode=0o755)
    (root / "index.html").write_text(INDEX)
    (root / "favicon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (assets / "index-Bx7f3a.js").write_text(SCRIPT)
    (assets / "index-C9d2e1.css").write_text(STYLE)
    (assets / "vendor-D4e5f6.js").write_text("// not what is sent\n")
    (assets / "vendor-D4e5f6.js.gz").write_bytes(gzip.compress(PRECOMPRESSED.encode()))
    for path in root.rglob("*"):
        if path.is_file():
            path.chmod(0o644)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def frontend(stack: Stack, dist: Path) -> Iterator[httpx.Client]:
    with (
        second_gateway(FRONTEND_DIST=str(dist)) as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        yield client


def policy(response: httpx.Response) -> dict[str, str]:
    [header] = response.headers.get_list("content-security-policy")
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def test_index_is_served_at_the_root_and_revalidated(frontend: httpx.Client) -> None:
    page = frontend.get("/")
    assert page.status_code == 200
    assert page.text == INDEX
    assert page.headers["content-type"] == "text/html"
    assert page.headers["cache-control"] == "no-cache"
    etag = page.headers["etag"]
    again = frontend.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag


@pytest.mark.parametrize(
    "path", ["/map", "/population/13000", "/policy/7/effect", "/dashboard?lang=en"]
)
def test_the_apps_own_routes_fall_back_to_index(frontend: httpx.Client, path: str) -> None:
    page = frontend.get(path)
    assert page.status_code == 200
    assert page.text == INDEX
    assert page.headers["cache-control"] == "no-cache"


def test_hashed_assets_are_cached_for_good(frontend: httpx.Client) -> None:
    script = frontend.get("/assets/index-Bx7f3a.js", headers={"Accept-Encoding": "identity"})
    assert script.status_code == 200
    assert script.text == SCRIPT
    assert script.headers["content-type"] == "application/javascript"
    assert script.headers["cache-control"] == IMMUTABLE
    style = frontend.get("/assets/index-C9d2e1.css")
    assert (style.headers["content-type"], style.headers["cache-control"]) == (
        "text/css",
        IMMUTABLE,
    )
    # Files outside assets/ have no hash in their name: revalidated like index.html.
    icon = frontend.get("/favicon.svg")
    assert (icon.headers["content-type"], icon.headers["cache-control"]) == (
        "image/svg+xml",
        "no-cache",
    )


def test_a_missing_asset_is_a_404_not_the_app(frontend: httpx.Client) -> None:
    # index.html under a script's name would be cached for a year as that script.
    response = frontend.get("/assets/index-old000.js")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "cache-control" not in response.headers
    body = response.json()
    assert (body["code"], body["instance"]) == ("not-found", "/assets/index-old000.js")
    assert body["detail"] == "The dashboard has no file at this path."


@pytest.mark.parametrize("path", ["/api/nowhere", "/api", "/api/", "/metrics", "/api/authx/x"])
def test_api_paths_never_fall_back(frontend: httpx.Client, path: str) -> None:
    response = frontend.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["code"], body["instance"], body["detail"]) == (
        "not-found",
        path,
        "No API route matches this path.",
    )


def test_the_app_is_compressed(frontend: httpx.Client) -> None:
    # httpx decompresses; the raw stream shows what went over the wire.
    with frontend.stream(
        "GET", "/assets/index-Bx7f3a.js", headers={"Accept-Encoding": "gzip"}
    ) as r:
        raw = b"".join(r.iter_raw())
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(raw).decode() == SCRIPT
    assert len(raw) < len(SCRIPT) / 2
    page = frontend.get("/", headers={"Accept-Encoding": "gzip"})
    assert (page.headers["content-encoding"], page.text) == ("gzip", INDEX)


def test_a_precompressed_file_is_sent_as_built(frontend: httpx.Client) -> None:
    response = frontend.get("/assets/vendor-D4e5f6.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.text == PRECOMPRESSED
    assert response.headers["cache-control"] == IMMUTABLE


def test_pages_allow_only_the_platforms_own_origin(frontend: httpx.Client) -> None:
    for path in ("/", "/map", "/assets/index-Bx7f3a.js"):
        response = frontend.get(path)
        assert policy(response) == FRONTEND_POLICY, path
        assert {name: response.headers[name] for name in SECURITY_HEADERS} == SECURITY_HEADERS
        assert response.headers["x-request-id"]
    for value in FRONTEND_POLICY.values():
        assert "unsafe" not in value
        assert "://" not in value
        assert "*" not in value
    # API answers keep the API's own policy.
    assert frontend.get("/api/nowhere").headers.get_list("content-security-policy") == [API_POLICY]


def test_without_a_build_the_root_says_so(stack: Stack) -> None:
    missing = readable_dir()
    try:
        with (
            second_gateway(FRONTEND_DIST=str(missing / "dist")) as url,
            httpx.Client(base_url=url, timeout=10) as client,
        ):
            for path in ("/", "/map", "/index.html"):
                response = client.get(path)
                assert response.status_code == 503
                assert response.headers["content-type"] == "application/problem+json"
                assert response.headers["cache-control"] == "no-store"
                body = response.json()
                assert (body["code"], body["title"], body["instance"]) == (
                    "frontend-not-built",
                    "Frontend not built",
                    path,
                )
                assert body["detail"].startswith("The dashboard is not built: `make up` builds it")
                assert body["request_id"] == response.headers["x-request-id"]
            # The API is served all the same.
            assert client.get("/api/health").json()["status"] == "ok"
    finally:
        shutil.rmtree(missing, ignore_errors=True)
