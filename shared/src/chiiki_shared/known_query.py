"""Unknown query parameters are refused, not ignored: ``?limt=5`` is a 422 naming ``limt``.

An app-wide dependency (``create_service_app(..., reject_unknown_query=True)``): the names a
route accepts are the query parameters of its dependency tree, the members of query-parameter
models included, computed once per route.
"""

from __future__ import annotations

import inspect

from fastapi import Request
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel

from chiiki_shared.errors import UnprocessableInput

_NAMES_ATTRIBUTE = "chiiki_known_query"


def accepted_query_names(dependant: Dependant) -> frozenset[str]:
    names: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        for field in current.query_params:
            model = field.field_info.annotation
            if inspect.isclass(model) and issubclass(model, BaseModel):
                names.update(f.alias or name for name, f in model.model_fields.items())
            else:
                names.add(field.alias)
        pending.extend(current.dependencies)
    return frozenset(names)


async def known_query_only(request: Request) -> None:  # async: FastAPI runs a def in a thread
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params:
        return
    accepted = getattr(route, _NAMES_ATTRIBUTE, None)
    if accepted is None:
        accepted = accepted_query_names(dependant)
        setattr(route, _NAMES_ATTRIBUTE, accepted)
    unknown = [name for name in dict.fromkeys(request.query_params) if name not in accepted]
    if not unknown:
        return
    message = (
        f"unknown parameter (accepted: {', '.join(sorted(accepted))})"
        if accepted
        else "this operation takes no query parameters"
    )
    errors = [
        {"field": f"query.{name}", "message": message, "type": "extra_forbidden"}
        for name in unknown
    ]
    fields = ", ".join(error["field"] for error in errors)
    raise UnprocessableInput(f"Unknown query parameter: {fields}", extra={"errors": errors})
