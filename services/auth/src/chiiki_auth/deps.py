"""FastAPI dependencies of the auth service, as ``Annotated`` aliases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from chiiki_auth.client_service import ClientService
from chiiki_auth.config import AuthSettings
from chiiki_auth.keys import KeyRing
from chiiki_auth.models import USER_AGENT_MAX_LENGTH
from chiiki_auth.oauth import TokenRequest, read_token_request
from chiiki_auth.passwords import Passwords
from chiiki_auth.schemas import LoginRequest
from chiiki_auth.service import AuthService
from chiiki_auth.throttle import Throttle
from chiiki_shared.deps import SessionDep, client_ip, get_runtime
from chiiki_shared.errors import ApiError
from chiiki_shared.security import RevocationList

COMPONENTS_EXTRA = "auth"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
MAX_LOGIN_BODY_BYTES = 8192


@dataclass(frozen=True)
class AuthComponents:
    """What the auth service builds once at start-up and every request shares."""

    keys: KeyRing
    passwords: Passwords
    throttle: Throttle
    revocations: RevocationList


# The dependencies of this module are ``async def`` although they never wait: FastAPI runs a plain
# ``def`` dependency in a worker thread, a hop per dependency per request.


async def get_components(request: Request) -> AuthComponents:
    return get_runtime(request).extras[COMPONENTS_EXTRA]  # type: ignore[return-value]


async def get_settings(request: Request) -> AuthSettings:
    return get_runtime(request).settings  # type: ignore[return-value]


async def caller_ip(request: Request) -> str:
    return client_ip(request)


ComponentsDep = Annotated[AuthComponents, Depends(get_components)]
SettingsDep = Annotated[AuthSettings, Depends(get_settings)]


async def get_auth_service(
    session: SessionDep, settings: SettingsDep, components: ComponentsDep
) -> AuthService:
    return AuthService(
        session=session,
        settings=settings,
        keys=components.keys,
        passwords=components.passwords,
        throttle=components.throttle,
        revocations=components.revocations,
    )


async def get_client_service(
    session: SessionDep, settings: SettingsDep, components: ComponentsDep
) -> ClientService:
    return ClientService(
        session=session,
        settings=settings,
        keys=components.keys,
        throttle=components.throttle,
        revocations=components.revocations,
    )


async def user_agent(request: Request) -> str | None:
    """The caller's User-Agent as sessions store it: printable, at most 256 characters."""
    value = "".join(char for char in request.headers.get("user-agent", "") if char.isprintable())
    return value.strip()[:USER_AGENT_MAX_LENGTH] or None


async def login_credentials(request: Request) -> LoginRequest:
    """JSON ``{email, password}``, or the OAuth2 password form (``username``, ``password``)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    body = await request.body()
    if len(body) > MAX_LOGIN_BODY_BYTES:
        raise ApiError("The login request is too large", status=413, code="body-too-large")
    data: Any
    if media_type == FORM_MEDIA_TYPE:
        fields = parse_qs(
            body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=16
        )
        form = {name: values[0] for name, values in fields.items()}
        if form.get("grant_type", "password") != "password":
            raise ApiError("Only grant_type=password is supported", code="unsupported-grant-type")
        data = {"email": form.get("username"), "password": form.get("password")}
    elif media_type in ("application/json", ""):
        try:
            data = await request.json()
        except ValueError:
            raise ApiError("The request body is not JSON", code="invalid-json") from None
    else:
        raise ApiError(
            "Send JSON or an application/x-www-form-urlencoded form",
            status=415,
            code="unsupported-media-type",
            title="Unsupported media type",
        )
    try:
        return LoginRequest.model_validate(data)
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        raise RequestValidationError(errors) from None


AuthServiceDep = Annotated[AuthService, Depends(get_auth_service)]
ClientServiceDep = Annotated[ClientService, Depends(get_client_service)]
TokenRequestDep = Annotated[TokenRequest, Depends(read_token_request)]
UserAgent = Annotated[str | None, Depends(user_agent)]
ClientIp = Annotated[str, Depends(caller_ip)]
LoginCredentials = Annotated[LoginRequest, Depends(login_credentials)]
