"""Swagger UI for every service, served by the service itself: no CDN, nothing from elsewhere.

The page and its OAuth2 redirect page come from FastAPI; Swagger UI's files come from a pinned
package (``fastapi-offline``, which ships swagger-ui-dist) and are served under
``/api/<service>/docs/static/``. Each page carries a Content-Security-Policy that allows only the
platform's own origin, plus the SHA-256 of the page's one inline script.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse

from chiiki_shared.errors import NotFound

ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon.png": "image/png",
}
# Assets never change within a release of the package: let browsers keep them a day.
ASSET_CACHE_CONTROL = "public, max-age=86400"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def content_security_policy(html: str) -> str:
    """Own origin only; the page's inline scripts by hash; never framed."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'"
    )


def _page(response: HTMLResponse) -> HTMLResponse:
    html = bytes(response.body).decode()
    headers = {"Content-Security-Policy": content_security_policy(html)}
    return HTMLResponse(html, headers=headers)


def docs_router(app: FastAPI, service: str) -> APIRouter:
    """``/api/<service>/docs``, its OAuth2 redirect page and its static files."""
    base = f"/api/{service}/docs"
    static = f"{base}/static"
    router = APIRouter(include_in_schema=False)
    docs_page = _page(
        get_swagger_ui_html(
            openapi_url=f"/api/{service}/openapi.json",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{static}/swagger-ui-bundle.js",
            swagger_css_url=f"{static}/swagger-ui.css",
            swagger_favicon_url=f"{static}/favicon.png",
            oauth2_redirect_url=f"{base}/oauth2-redirect",
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
    )
    redirect_page = _page(get_swagger_ui_oauth2_redirect_html())

    @router.get(base)
    async def docs() -> HTMLResponse:
        return docs_page

    @router.get(f"{base}/oauth2-redirect")
    async def oauth2_redirect() -> HTMLResponse:
        return redirect_page

    @router.get(f"{static}/{{name}}")
    async def asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise NotFound(f"No Swagger UI file is named {name!r}")
        return FileResponse(
            ASSETS_DIR / name,
            media_type=ASSETS[name],
            headers={"Cache-Control": ASSET_CACHE_CONTROL},
        )

    return router
