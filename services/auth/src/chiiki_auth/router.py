"""HTTP routes of the auth service: thin, each one a call into ``AuthService``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from chiiki_auth.deps import AuthServiceDep, ComponentsDep, LoginCredentials
from chiiki_auth.schemas import (
    LoginRequest,
    MeUpdate,
    PasswordChange,
    RefreshRequest,
    RegisterRequest,
    SettingsRead,
    SettingsWrite,
    TokenResponse,
    UserAdminUpdate,
    UserPage,
    UserRead,
)
from chiiki_auth.service import RefreshReused, SettingsDocument
from chiiki_auth.tokens import TokenPair
from chiiki_shared.audit.api import OriginDep
from chiiki_shared.deps import ClientIp
from chiiki_shared.errors import ApiError, problem_response
from chiiki_shared.security import (
    AdminUser,
    CurrentUser,
    admin_required,
    authentication_required,
    get_token_guard,
)

router = APIRouter(prefix="/api/auth", tags=["auth"])
# Reached by the gateway's auth_request only; the gateway routes no public path here.
internal_router = APIRouter(include_in_schema=False)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

_LOGIN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": LoginRequest.model_json_schema()},
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {
                        "username": {"type": "string", "description": "The account's email"},
                        "password": {"type": "string", "format": "password"},
                        "grant_type": {"type": "string", "enum": ["password"]},
                    },
                }
            },
        },
    }
}


def _tokens(pair: TokenPair, response: Response) -> TokenResponse:
    response.headers.update(NO_STORE)
    return TokenResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        refresh_expires_in=pair.refresh_expires_in,
    )


def _settings(document: SettingsDocument) -> SettingsRead:
    return SettingsRead(
        version=document.version, settings=document.settings, updated_at=document.updated_at
    )


@router.post("/register", status_code=201, summary="Create an account")
async def register(body: RegisterRequest, service: AuthServiceDep, ip: ClientIp) -> UserRead:
    user = await service.register(
        email=body.email, password=body.password, display_name=body.display_name, client_ip=ip
    )
    return UserRead.of(user)


@router.post(
    "/login",
    summary="Log in: an access token and a refresh token",
    openapi_extra=_LOGIN_BODY,
)
async def login(
    credentials: LoginCredentials, service: AuthServiceDep, ip: ClientIp, response: Response
) -> TokenResponse:
    pair = await service.login(email=credentials.email, password=credentials.password, client_ip=ip)
    return _tokens(pair, response)


@router.post(
    "/refresh",
    summary="Rotate a refresh token: new access and refresh tokens",
    response_model=TokenResponse,
)
async def refresh(
    body: RefreshRequest, service: AuthServiceDep, request: Request, response: Response
) -> Any:
    outcome = await service.refresh(body.refresh_token)
    if isinstance(outcome, RefreshReused):
        # Answered without raising so that the family's revocation is committed.
        return _problem(request, outcome.error)
    return _tokens(outcome, response)


@router.post("/logout", status_code=204, summary="End this session")
async def logout(principal: CurrentUser, service: AuthServiceDep) -> Response:
    await service.logout(principal)
    return Response(status_code=204)


@router.get("/me", summary="The signed-in user")
async def me(principal: CurrentUser, service: AuthServiceDep) -> UserRead:
    return UserRead.of(await service.me(principal))


@router.patch("/me", summary="Change the signed-in user's profile")
async def update_me(body: MeUpdate, principal: CurrentUser, service: AuthServiceDep) -> UserRead:
    return UserRead.of(await service.update_me(principal, display_name=body.display_name))


@router.post(
    "/me/password",
    summary="Change the password; every session ends and a new one starts",
)
async def change_password(
    body: PasswordChange,
    principal: CurrentUser,
    service: AuthServiceDep,
    ip: ClientIp,
    response: Response,
) -> TokenResponse:
    pair = await service.change_password(
        principal, current=body.current_password, new=body.new_password, client_ip=ip
    )
    return _tokens(pair, response)


@router.get("/me/settings", summary="The saved dashboard settings")
async def get_settings(principal: CurrentUser, service: AuthServiceDep) -> SettingsRead:
    return _settings(await service.get_settings(principal))


@router.put(
    "/me/settings",
    summary="Save the dashboard settings (409 when the version is stale)",
)
async def put_settings(
    body: SettingsWrite, principal: CurrentUser, service: AuthServiceDep
) -> SettingsRead:
    document = await service.put_settings(principal, document=body.settings, version=body.version)
    return _settings(document)


@router.get("/users", summary="Users, paginated and searchable (admin)")
async def list_users(
    admin: AdminUser,
    service: AuthServiceDep,
    q: Annotated[str | None, Query(max_length=100, description="Part of an email or name")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> UserPage:
    users, total = await service.list_users(search=q, page=page, page_size=page_size)
    return UserPage(
        items=[UserRead.of(user) for user in users], total=total, page=page, page_size=page_size
    )


@router.patch("/users/{user_id}", summary="Change a user's role or disable them (admin)")
async def update_user(
    user_id: uuid.UUID,
    body: UserAdminUpdate,
    admin: AdminUser,
    service: AuthServiceDep,
    origin: OriginDep,
) -> UserRead:
    user = await service.update_user(
        admin, user_id, role=body.role, disabled=body.disabled, origin=origin
    )
    return UserRead.of(user)


@router.get("/.well-known/jwks.json", summary="The public keys that verify access tokens")
async def jwks(components: ComponentsDep) -> JSONResponse:
    return JSONResponse(
        components.keys.jwks(datetime.now(UTC)),
        headers={"Cache-Control": "public, max-age=60"},
    )


@internal_router.get("/internal/verify")
async def verify(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_required_role: Annotated[str | None, Header()] = None,
) -> Response:
    """204 with the identity, or the problem the gateway turns into its own answer."""
    try:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise authentication_required()
        principal = await get_token_guard(request).authenticate(token.strip())
        if x_required_role == "admin" and not principal.is_admin:
            raise admin_required()
    except ApiError as exc:
        exc.headers = {**exc.headers, "X-Problem-Code": exc.code, "X-Problem-Detail": exc.detail}
        raise
    return Response(
        status_code=204, headers={"X-User-Id": principal.user_id, "X-User-Role": principal.role}
    )


def _problem(request: Request, error: ApiError) -> JSONResponse:
    return problem_response(
        request,
        status=error.status,
        code=error.code,
        title=error.title,
        detail=error.detail,
        headers=error.headers,
    )
