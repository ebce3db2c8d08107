"""HTTP routes of the auth service: thin, each one a call into ``AuthService``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from chiiki_auth.client_service import ClientWithSecret
from chiiki_auth.deps import (
    AuthServiceDep,
    ClientIp,
    ClientServiceDep,
    ComponentsDep,
    LoginCredentials,
    TokenRequestDep,
    UserAgent,
)
from chiiki_auth.oauth import FORM_MEDIA_TYPE
from chiiki_auth.schemas import (
    ClientCreate,
    ClientPage,
    ClientRead,
    ClientSecretRead,
    ClientTokenResponse,
    Jwks,
    LoginRequest,
    MeUpdate,
    PasswordChange,
    RefreshRequest,
    RegisterRequest,
    SessionList,
    SessionRead,
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
from chiiki_shared.errors import ApiError, problem_response
from chiiki_shared.lang import ACCEPTS_LANG
from chiiki_shared.openapi import problem_responses
from chiiki_shared.pagination import CursorQuery, decode_time_id, next_link, time_id_key
from chiiki_shared.security import (
    AdminUser,
    CurrentUser,
    admin_required,
    authentication_required,
    check_client_scope,
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


_TOKEN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            FORM_MEDIA_TYPE: {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "scope": {"type": "string", "description": "Space-separated scopes"},
                        "client_id": {"type": "string", "description": "Instead of Basic"},
                        "client_secret": {"type": "string", "format": "password"},
                    },
                }
            }
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


@router.post(
    "/register",
    status_code=201,
    summary="Create an account",
    responses=problem_responses(409, 429, d409="An account with this email already exists"),
)
async def register(body: RegisterRequest, service: AuthServiceDep, ip: ClientIp) -> UserRead:
    user = await service.register(
        email=body.email, password=body.password, display_name=body.display_name, client_ip=ip
    )
    return UserRead.of(user)


@router.post(
    "/login",
    summary="Log in: an access token and a refresh token",
    openapi_extra=_LOGIN_BODY,
    responses=problem_responses(400, 401, 413, 415, 429),
)
async def login(
    credentials: LoginCredentials,
    service: AuthServiceDep,
    ip: ClientIp,
    agent: UserAgent,
    response: Response,
) -> TokenResponse:
    pair = await service.login(
        email=credentials.email, password=credentials.password, client_ip=ip, user_agent=agent
    )
    return _tokens(pair, response)


@router.post(
    "/refresh",
    summary="Rotate a refresh token: new access and refresh tokens",
    response_model=TokenResponse,
    responses=problem_responses(401),
)
async def refresh(
    body: RefreshRequest,
    service: AuthServiceDep,
    ip: ClientIp,
    agent: UserAgent,
    request: Request,
    response: Response,
) -> Any:
    outcome = await service.refresh(body.refresh_token, client_ip=ip, user_agent=agent)
    if isinstance(outcome, RefreshReused):
        # Answered without raising so that the family's revocation is committed.
        return _problem(request, outcome.error)
    return _tokens(outcome, response)


@router.post("/logout", status_code=204, summary="End this session")
async def logout(principal: CurrentUser, service: AuthServiceDep) -> Response:
    await service.logout(principal)
    return Response(status_code=204)


@router.get(
    "/me",
    summary="The signed-in user",
    responses=problem_responses(404),
    dependencies=[ACCEPTS_LANG],
)
async def me(principal: CurrentUser, service: AuthServiceDep) -> UserRead:
    return UserRead.of(await service.me(principal))


@router.patch(
    "/me", summary="Change the signed-in user's profile", responses=problem_responses(404)
)
async def update_me(body: MeUpdate, principal: CurrentUser, service: AuthServiceDep) -> UserRead:
    return UserRead.of(await service.update_me(principal, display_name=body.display_name))


@router.post(
    "/me/password",
    summary="Change the password; every session ends and a new one starts",
    responses=problem_responses(403, 404, 429, d403="The current password is incorrect"),
)
async def change_password(
    body: PasswordChange,
    principal: CurrentUser,
    service: AuthServiceDep,
    ip: ClientIp,
    agent: UserAgent,
    response: Response,
) -> TokenResponse:
    pair = await service.change_password(
        principal,
        current=body.current_password,
        new=body.new_password,
        client_ip=ip,
        user_agent=agent,
    )
    return _tokens(pair, response)


@router.get(
    "/me/sessions", summary="The signed-in user's active sessions", dependencies=[ACCEPTS_LANG]
)
async def list_sessions(
    principal: CurrentUser, service: AuthServiceDep, response: Response
) -> SessionList:
    response.headers.update(NO_STORE)
    sessions = await service.live_sessions(principal)
    return SessionList(
        items=[
            SessionRead(
                id=login.id,
                created_at=login.created_at,
                last_used_at=login.last_used_at,
                expires_at=login.expires_at,
                user_agent=login.user_agent,
                address=login.client_ip,
                current=str(login.id) == principal.session_id,
            )
            for login in sessions
        ]
    )


@router.delete(
    "/me/sessions",
    status_code=204,
    summary="Log out everywhere else: end every session but this one",
)
async def end_other_sessions(principal: CurrentUser, service: AuthServiceDep) -> Response:
    await service.end_other_sessions(principal)
    return Response(status_code=204)


@router.delete(
    "/me/sessions/{session_id}",
    status_code=204,
    summary="End one of the signed-in user's sessions (404 for any other id)",
)
async def end_session(
    session_id: uuid.UUID, principal: CurrentUser, service: AuthServiceDep
) -> Response:
    await service.end_session(principal, session_id)
    return Response(status_code=204)


@router.get(
    "/me/settings",
    summary="The saved dashboard settings",
    responses=problem_responses(404),
    dependencies=[ACCEPTS_LANG],
)
async def get_settings(principal: CurrentUser, service: AuthServiceDep) -> SettingsRead:
    return _settings(await service.get_settings(principal))


@router.put(
    "/me/settings",
    summary="Save the dashboard settings (409 when the version is stale)",
    responses=problem_responses(404, 409, 413, d409="The version is stale"),
)
async def put_settings(
    body: SettingsWrite, principal: CurrentUser, service: AuthServiceDep
) -> SettingsRead:
    document = await service.put_settings(principal, document=body.settings, version=body.version)
    return _settings(document)


@router.get(
    "/users", summary="Users, paginated and searchable (admin)", dependencies=[ACCEPTS_LANG]
)
async def list_users(
    admin: AdminUser,
    service: AuthServiceDep,
    request: Request,
    q: Annotated[str | None, Query(max_length=100, description="Part of an email or name")] = None,
    role: Annotated[Literal["user", "admin"] | None, Query(description="Only this role")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Users per page")] = 50,
    cursor: CursorQuery = None,
) -> UserPage:
    after = decode_time_id(cursor) if cursor is not None else None
    users, more = await service.list_users(search=q, role=role, limit=limit, after=after)
    last = time_id_key(users[-1].created_at, users[-1].id) if more and users else None
    return UserPage(items=[UserRead.of(user) for user in users], next=next_link(request, last))


@router.patch(
    "/users/{user_id}",
    summary="Change a user's role or disable them (admin)",
    responses=problem_responses(409, d409="The last admin cannot be demoted or disabled"),
)
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


@router.post(
    "/token",
    summary="OAuth 2.0 client-credentials grant: an access token for a service account",
    openapi_extra=_TOKEN_BODY,
    responses=problem_responses(
        400, 401, 429, d400="An OAuth error: invalid_request, unsupported_grant_type, invalid_scope"
    ),
)
async def token(
    body: TokenRequestDep, service: ClientServiceDep, ip: ClientIp, response: Response
) -> ClientTokenResponse:
    granted = await service.grant(body, client_ip=ip)
    response.headers.update(NO_STORE)
    return ClientTokenResponse(
        access_token=granted.access_token, expires_in=granted.expires_in, scope=granted.scope
    )


def _with_secret(created: ClientWithSecret, response: Response) -> ClientSecretRead:
    response.headers.update(NO_STORE)
    read = ClientRead.of(created.client)
    return ClientSecretRead(**read.model_dump(), client_secret=created.secret)


@router.post(
    "/clients",
    status_code=201,
    summary="Create a service account (admin)",
    responses=problem_responses(409, d409="An active client already has this name"),
)
async def create_client(
    body: ClientCreate,
    admin: AdminUser,
    service: ClientServiceDep,
    origin: OriginDep,
    response: Response,
) -> ClientSecretRead:
    created = await service.create(
        name=body.name,
        scopes=list(body.scopes),
        created_by=uuid.UUID(admin.user_id),
        origin=origin,
    )
    return _with_secret(created, response)


@router.get(
    "/clients",
    summary="Service accounts, revoked ones included (admin)",
    dependencies=[ACCEPTS_LANG],
)
async def list_clients(
    request: Request,
    admin: AdminUser,
    service: ClientServiceDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Clients per page")] = 50,
    cursor: CursorQuery = None,
) -> ClientPage:
    after = decode_time_id(cursor) if cursor is not None else None
    clients, more = await service.page(limit=limit, after=after)
    last = time_id_key(clients[-1].created_at, clients[-1].id) if more and clients else None
    return ClientPage(items=[ClientRead.of(c) for c in clients], next=next_link(request, last))


@router.get(
    "/clients/{client_id}", summary="A service account (admin)", dependencies=[ACCEPTS_LANG]
)
async def get_client(
    client_id: uuid.UUID, admin: AdminUser, service: ClientServiceDep
) -> ClientRead:
    return ClientRead.of(await service.get(client_id))


@router.delete(
    "/clients/{client_id}", status_code=204, summary="Revoke a service account and its tokens"
)
async def revoke_client(
    client_id: uuid.UUID, admin: AdminUser, service: ClientServiceDep, origin: OriginDep
) -> Response:
    await service.revoke(client_id, by=admin, origin=origin)
    return Response(status_code=204)


@router.post(
    "/clients/{client_id}/secret",
    summary="Rotate a service account's secret; tokens issued with the old one end (admin)",
    responses=problem_responses(409, d409="The client is revoked"),
)
async def rotate_client_secret(
    client_id: uuid.UUID,
    admin: AdminUser,
    service: ClientServiceDep,
    origin: OriginDep,
    response: Response,
) -> ClientSecretRead:
    rotated = await service.rotate_secret(client_id, by=admin, origin=origin)
    return _with_secret(rotated, response)


@router.get(
    "/.well-known/jwks.json",
    summary="The public keys that verify access tokens",
    responses={200: {"model": Jwks}},
)
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
    x_required_scope: Annotated[str | None, Header()] = None,
) -> Response:
    """204 with the identity, or the problem the gateway turns into its own answer.

    User tokens are checked against the location's role, client tokens against its scope (a
    location without one, such as the account routes, is closed to clients)."""
    try:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise authentication_required()
        principal = await get_token_guard(request).authenticate(token.strip())
        if principal.is_client:
            check_client_scope(principal, x_required_scope or None)
        elif x_required_role == "admin" and not principal.is_admin:
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
