"""The conventions of docs/api-conventions.md, checked on a service's OpenAPI document.

``violations(document)`` lists every place a document breaks one, as ``"<rule>: <where>"``:

- ``lang``: a GET operation (a read) without a ``lang`` query parameter;
- ``page``: a list answer (a JSON array, or an object with an ``items`` array) that is not
  ``{items, next}``, or whose operation does not take ``limit`` and ``cursor``;
- ``problem``: an error answer (4xx, 5xx) that is not the ``Problem`` schema under
  ``application/problem+json``;
- ``region``: a region-shaped object (a schema whose name ends in ``Region``, ``RegionRef`` or
  ``RegionDetail``, or the object with a code or a name under a member named ``region``,
  ``regions``, ``parent``, ``prefecture``, ``national``, ``children`` or
  ``comparison_regions``) without ``code``, ``level``, ``name_ja`` and ``name_en``.

Schemas are followed through ``$ref``, ``allOf``, ``anyOf``/``oneOf`` and arrays.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

Schema = dict[str, Any]

REGION_MEMBERS = frozenset(
    {"region", "regions", "parent", "prefecture", "national", "children", "comparison_regions"}
)
REGION_FIELDS = ("code", "level", "name_ja", "name_en")
# Names of region schemas; not e.g. RegionLivabilityComponent (an indicator of a region's).
REGION_NAME = re.compile(r"Region(Ref|Detail)?$")
PAGE_FIELDS = {"items", "next"}
PAGE_PARAMETERS = {"limit", "cursor"}
PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"


class Document:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.schemas: dict[str, Schema] = document.get("components", {}).get("schemas", {})

    def resolve(self, schema: Schema) -> Schema:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def objects(self, schema: Schema) -> Iterator[Schema]:
        """The object schemas ``schema`` can be: through refs, unions and arrays."""
        schema = self.resolve(schema)
        for key in ("anyOf", "oneOf", "allOf"):
            for part in schema.get(key, []):
                yield from self.objects(part)
        if schema.get("type") == "array" and "items" in schema:
            yield from self.objects(schema["items"])
        if "properties" in schema:
            yield schema

    def operations(self) -> Iterator[tuple[str, str, Schema]]:
        for path, item in self.document.get("paths", {}).items():
            for method, operation in item.items():
                if method in {"get", "put", "post", "patch", "delete", "head", "options"}:
                    yield method, path, operation


def violations(document: dict[str, Any], *, not_reads: frozenset[str] = frozenset()) -> list[str]:
    """Every convention ``document`` breaks; ``not_reads`` are GET paths that are no read of
    the API (health, docs, keys), which need no ``lang``."""
    doc = Document(document)
    found: list[str] = []
    for method, path, operation in doc.operations():
        where = f"{method.upper()} {path}"
        query = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
        if method == "get" and path not in not_reads and "lang" not in query:
            found.append(f"lang: {where}")
        found += [f"page: {where}: {m}" for m in _page_problems(doc, operation, query)]
        found += [f"problem: {where}: {m}" for m in _error_problems(operation)]
    found += [f"region: {name}" for name in sorted(_regions_without_fields(doc))]
    return found


def _success_schemas(operation: Schema) -> Iterator[Schema]:
    for status, response in operation.get("responses", {}).items():
        if str(status).startswith("2"):
            content = response.get("content", {}).get("application/json", {})
            if "schema" in content:
                yield content["schema"]


def _page_problems(doc: Document, operation: Schema, query: set[str]) -> Iterator[str]:
    for schema in _success_schemas(operation):
        answer = doc.resolve(schema)
        if answer.get("type") == "array":
            yield "answers a bare array, not {items, next}"
            continue
        properties = answer.get("properties", {})
        if doc.resolve(properties.get("items", {})).get("type") != "array":
            continue
        if set(properties) != PAGE_FIELDS:
            yield f"answers {sorted(properties)}, not {sorted(PAGE_FIELDS)}"
        if missing := PAGE_PARAMETERS - query:
            yield f"lists without taking {sorted(missing)}"


def _error_problems(operation: Schema) -> Iterator[str]:
    for status, response in operation.get("responses", {}).items():
        if str(status)[:1] not in {"4", "5"}:
            continue
        content = response.get("content", {})
        if set(content) != {PROBLEM_MEDIA_TYPE}:
            yield f"{status} is {sorted(content)}, not {PROBLEM_MEDIA_TYPE}"
        elif (schema := content[PROBLEM_MEDIA_TYPE].get("schema", {})).get("$ref") != PROBLEM_REF:
            yield f"{status} is {schema}, not the Problem schema"


def _regions_without_fields(doc: Document) -> set[str]:
    """Names of region-shaped schemas missing one of the region fields."""
    found: set[str] = set()

    def check(name: str, schema: Schema) -> None:
        missing = [f for f in REGION_FIELDS if f not in schema.get("properties", {})]
        if missing:
            found.add(f"{name} lacks {missing}")

    for name, schema in doc.schemas.items():
        if REGION_NAME.search(name) and "code" in schema.get("properties", {}):
            check(name, schema)
        for member, inner in schema.get("properties", {}).items():
            if member not in REGION_MEMBERS:
                continue
            # An object naming a region (it has a code or a name); per-region entries such as
            # an anomaly's assessment hold one under ``region`` and are checked there.
            for index, region in enumerate(doc.objects(inner)):
                if {"code", "name_ja", "name_en"} & set(region.get("properties", {})):
                    check(f"{name}.{member}" + (f"[{index}]" if index else ""), region)
    return found
