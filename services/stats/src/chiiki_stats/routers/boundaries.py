"""``/api/boundaries/{level}``: the geometry of a map layer alone, for clients that join the
values themselves (MapLibre feature-state by the numeric ``id``, values from the JSON answer).

The body depends only on the boundary release, so it is rendered once per process (and gzipped
once: compressing the 497 kB municipal body took 75-90 ms of CPU on every request) and sent with
a strong ETag (the boundary's content hash) and a long ``Cache-Control``: a browser fetches it
once per release and revalidates it at most daily.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request, Response

from chiiki_shared.cache import Rendered, accepts_gzip
from chiiki_shared.deps import get_runtime
from chiiki_shared.errors import NotFound
from chiiki_stats.catalog import Reference
from chiiki_stats.deps import GZIP_MINIMUM_SIZE, reference_of, settings_of
from chiiki_stats.formats import Format, json
from chiiki_stats.formats import geojson as geojson_format
from chiiki_stats.formats import topojson as topojson_format
from chiiki_stats.params import BoundaryLevel, BoundaryQuery
from chiiki_stats.routers.common import stats_router
from chiiki_stats.schemas import answer
from chiiki_stats.services.boundaries import Boundary

router = stats_router("boundaries")
MAX_AGE_SECONDS = 86_400
_RENDERED: dict[tuple[str, str], Rendered] = {}


def _properties(reference: Reference, boundary: Boundary) -> dict[str, dict[str, Any]]:
    properties = {}
    for code in boundary.codes:
        region = reference.regions.by_code.get(code)
        properties[code] = {
            "code": code,
            "name_ja": region.name_ja if region else None,
            "name_en": region.name_en if region else None,
        }
    return properties


def media_type_of(fmt: Format) -> str:
    return topojson_format.MEDIA_TYPE if fmt is Format.TOPOJSON else "application/geo+json"


def rendered_body(reference: Reference, boundary: Boundary, fmt: Format) -> Rendered:
    """The body of ``boundary`` as ``fmt``, with its gzipped bytes, made once per process."""
    key = (boundary.content_hash, fmt.value)
    if key not in _RENDERED:
        properties = _properties(reference, boundary)
        metadata = {
            "level": boundary.level,
            "release": boundary.release,
            "version": boundary.content_hash,
            "features": len(boundary.codes),
        }
        if fmt is Format.TOPOJSON:
            document = boundary.subset(boundary.codes, properties)
        else:
            geometries = boundary.geometries()
            document = {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "id": int(code),
                        "properties": properties[code],
                        "geometry": geometries[code],
                    }
                    for code in boundary.codes
                ],
            }
        document["metadata"] = metadata
        document["attribution"] = [geojson_format.BOUNDARY_ATTRIBUTION]
        body = Rendered(json.dumps(document), media_type_of(fmt))
        _RENDERED[key] = body.with_gzip(GZIP_MINIMUM_SIZE)
    return _RENDERED[key]


@router.get(
    "/api/boundaries/{level}",
    responses=answer(None, Format.GEOJSON, Format.TOPOJSON),
    response_class=Response,
    summary="The municipal or ward boundaries alone (TopoJSON or GeoJSON), one body per release",
)
async def boundaries(
    request: Request,
    level: Annotated[BoundaryLevel, Path(description="municipality or ward")],
    params: Annotated[BoundaryQuery, Query()],
) -> Response:
    runtime = get_runtime(request)
    reference = reference_of(runtime)
    boundary = reference.boundaries.get(level)
    if boundary is None:
        raise NotFound(
            f"No boundaries for {level}", extra={"resource": "boundary", "missing": [level]}
        )
    output = params.output
    scope = "public" if settings_of(runtime).anonymous_read else "private"
    etag = f'"{boundary.content_hash.removeprefix("sha256:")}-{output.value}"'
    headers = {"ETag": etag, "Cache-Control": f"{scope}, max-age={MAX_AGE_SECONDS}"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    rendered = rendered_body(reference, boundary, output)
    body = rendered.body
    if rendered.gzipped is not None:
        headers["Vary"] = "Accept-Encoding"
        if accepts_gzip(request):
            body = rendered.gzipped
            headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=rendered.media_type, headers=headers)
