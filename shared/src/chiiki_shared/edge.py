"""Checks of client input at the edge of every service, before any route sees it.

``InputGuard`` (ASGI middleware) refuses, as problem documents:

- a path or query string with a control character or lone surrogate, or a query value longer
  than ``MAX_QUERY_VALUE_LENGTH`` (422 ``validation-failed``);
- a JSON body that does not parse (400 ``invalid-json``; NaN and Infinity are not JSON), that
  nests deeper than ``MAX_JSON_DEPTH`` (400 ``json-too-deep``), or that has a string (key or
  value) with a control character other than tab/CR/LF, a lone surrogate, or more than
  ``MAX_JSON_STRING_LENGTH`` characters (422 ``validation-failed``);
- a form body with what a query string may not have (422 ``validation-failed``).

``single_valued_query`` (an app-wide dependency) refuses a query parameter given twice when the
route takes one value (422); list-valued parameters keep accepting repeats.
The limits are documented in docs/api-conventions.md.
"""

from __future__ import annotations

import json
import types
from collections.abc import Iterator
from typing import Annotated, Any, Union, get_args, get_origin
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chiiki_shared.errors import PROBLEM_MEDIA_TYPE, UnprocessableInput, problem_body
from chiiki_shared.limits import (
    MAX_JSON_DEPTH,
    MAX_JSON_STRING_LENGTH,
    MAX_QUERY_VALUE_LENGTH,
    describe,
    forbidden_character,
)

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS = 1000
_SEQUENCES = (list, tuple, set, frozenset)


class InputRefused(Exception):
    """A request refused at the edge, answered as the problem document these fields make."""

    def __init__(self, status: int, code: str, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.extra = extra


def _invalid(errors: list[dict[str, str]]) -> InputRefused:
    names = ", ".join(dict.fromkeys(error["field"] for error in errors))
    return InputRefused(
        422, "validation-failed", "Invalid input", f"Invalid value for: {names}", errors=errors
    )


def _printable(name: str) -> str:
    """A field name fit to echo back: its control characters replaced."""
    char = forbidden_character(name)
    while char is not None:
        name = name.replace(char, "?")
        char = forbidden_character(name)
    return name[:100]


def _text_error(
    field: str, value: str, *, multi_line: bool, max_length: int
) -> dict[str, Any] | None:
    char = forbidden_character(value, multi_line=multi_line)
    if char is not None:
        return {
            "field": field,
            "message": f"must not contain the control character {describe(char)}",
            "type": "control_character",
        }
    if len(value) > max_length:
        return {
            "field": field,
            "message": f"at most {max_length} characters, got {len(value)}",
            "type": "string_too_long",
        }
    return None


def check_pairs(location: str, pairs: list[tuple[str, str]]) -> None:
    """Query strings and forms: names and values single-line, values of bounded length."""
    errors = []
    for name, value in pairs:
        field = f"{location}.{_printable(name)}"
        for text, limit in ((name, 100), (value, MAX_QUERY_VALUE_LENGTH)):
            error = _text_error(field, text, multi_line=False, max_length=limit)
            if error:
                errors.append(error)
                break
    if errors:
        raise _invalid(errors)


def check_path(path: str) -> None:
    error = _text_error("path", path, multi_line=False, max_length=MAX_QUERY_VALUE_LENGTH)
    if error:
        raise _invalid([error])


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def check_json(body: bytes) -> None:
    try:
        document = json.loads(body, parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep() from None
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, NaN, integers of 4300+ digits
        raise InputRefused(
            400, "invalid-json", "Malformed JSON", f"The request body is not JSON: {exc}"
        ) from None
    errors = []
    for field, text in _strings(document):
        error = _text_error(field, text, multi_line=True, max_length=MAX_JSON_STRING_LENGTH)
        if error:
            errors.append(error)
    if errors:
        raise _invalid(errors[:20])


def _too_deep() -> InputRefused:
    return InputRefused(
        400,
        "json-too-deep",
        "JSON nested too deeply",
        f"The request body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels",
        max_depth=MAX_JSON_DEPTH,
    )


def _strings(document: Any) -> Iterator[tuple[str, str]]:
    """Every string of ``document`` (keys included) with its place; raises when too deep."""
    stack: list[tuple[Any, str, int]] = [(document, "body", 0)]
    while stack:
        value, place, depth = stack.pop()
        if isinstance(value, str):
            yield place, value
            continue
        if isinstance(value, dict | list) and depth >= MAX_JSON_DEPTH:
            raise _too_deep()
        if isinstance(value, dict):
            # A key is checked as a string at its member's place, just before its value.
            items: list[tuple[Any, str, int]] = []
            for key, item in value.items():
                field = f"{place}.{_printable(key)}"
                items.extend(((key, field, depth), (item, field, depth + 1)))
        elif isinstance(value, list):
            items = [(item, f"{place}.{index}", depth + 1) for index, item in enumerate(value)]
        else:
            continue
        # Pushed in reverse so that problems are listed in the document's order.
        stack.extend(reversed(items))


def _media_type(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"content-type":
            return bytes(value).decode("latin-1").split(";", 1)[0].strip().lower()
    return None


def _is_json(media_type: str | None) -> bool:
    # FastAPI reads a body without a content type as JSON, so it is checked as JSON too.
    if media_type is None or media_type == "":
        return True
    maintype, _, subtype = media_type.partition("/")
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))


def check_request(scope: Scope, body: bytes) -> None:
    check_path(scope["path"])
    query = scope.get("query_string", b"").decode("latin-1")
    check_pairs("query", parse_qsl(query, keep_blank_values=True))
    if not body:
        return
    media_type = _media_type(scope)
    if _is_json(media_type):
        check_json(body)
    elif media_type == FORM_MEDIA_TYPE:
        form = body.decode("utf-8", "replace")
        try:
            pairs = parse_qsl(form, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        except ValueError:
            raise InputRefused(
                400, "bad-request", "Bad request", f"A form has at most {MAX_FORM_FIELDS} fields"
            ) from None
        check_pairs("body", pairs)


class InputGuard:
    """Pure ASGI middleware: the checks above, on the whole request, before the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body, disconnected = await _read_body(receive)
        try:
            check_request(scope, body)
        except InputRefused as refused:
            await _answer(scope, refused, receive, send)
            return
        await self.app(scope, _replay(body, disconnected, receive), send)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _replay(body: bytes, disconnected: bool, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if disconnected:
            return {"type": "http.disconnect"}
        return await receive()

    return replay


async def _answer(scope: Scope, refused: InputRefused, receive: Receive, send: Send) -> None:
    body = problem_body(
        status=refused.status,
        code=refused.code,
        title=refused.title,
        detail=refused.detail,
        instance=_printable(scope["path"]),
        **refused.extra,
    )
    response = JSONResponse(body, status_code=refused.status, media_type=PROBLEM_MEDIA_TYPE)
    await response(scope, receive, send)


# -- one value per single-valued query parameter -------------------------------------------------


def _is_sequence(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _is_sequence(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return any(_is_sequence(arg) for arg in get_args(annotation) if arg is not type(None))
    return origin in _SEQUENCES or annotation in _SEQUENCES


def _single_valued(alias: str, annotation: Any) -> set[str]:
    """A parameter's single-valued names: itself, or the fields of a query-parameter model."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {
            field.alias or name
            for name, field in annotation.model_fields.items()
            if not _is_sequence(field.annotation)
        }
    return set() if _is_sequence(annotation) else {alias}


def single_valued_names(dependant: Dependant) -> frozenset[str]:
    """The query parameters of a route (its dependencies' included) that take one value."""
    names: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        for field in current.query_params:
            names.update(_single_valued(field.alias, field.field_info.annotation))
        pending.extend(current.dependencies)
    return frozenset(names)


_NAMES_ATTRIBUTE = "chiiki_single_valued_query"


async def single_valued_query(request: Request) -> None:  # async: FastAPI runs a def in a thread
    """422 when a single-valued query parameter is repeated (``?limit=1&limit=2``), instead of
    silently taking one of the values."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params:
        return
    names = getattr(route, _NAMES_ATTRIBUTE, None)
    if names is None:
        names = single_valued_names(dependant)
        setattr(route, _NAMES_ATTRIBUTE, names)
    repeated = [
        name
        for name in dict.fromkeys(request.query_params)
        if name in names and len(request.query_params.getlist(name)) > 1
    ]
    if repeated:
        errors = [
            {"field": f"query.{name}", "message": "give this parameter once", "type": "repeated"}
            for name in repeated
        ]
        names_text = ", ".join(error["field"] for error in errors)
        raise UnprocessableInput(f"Invalid value for: {names_text}", extra={"errors": errors})
