"""Request and response bodies of the auth API."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from chiiki_auth.models import Client, User
from chiiki_shared.json_value import JsonValue
from chiiki_shared.limits import NonNegInt32
from chiiki_shared.pagination import Page
from chiiki_shared.security import SCOPES


def normalise_email(value: str) -> str:
    """The stored form of an email: validated syntax, then lowercased as a whole."""
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return checked.normalized.lower()


def clean_display_name(value: str) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise ValueError("must not be blank")
    if any(unicodedata.category(char).startswith("C") for char in value):
        raise ValueError("must not contain control characters")
    return value


Email = Annotated[str, Field(max_length=254), AfterValidator(normalise_email)]
DisplayName = Annotated[str, Field(max_length=100), AfterValidator(clean_display_name)]
# Policy (length, common passwords) is checked by the service; this only bounds the input.
PasswordInput = Annotated[str, Field(min_length=1, max_length=1024)]


class RegisterRequest(BaseModel):
    email: Email
    password: PasswordInput
    display_name: DisplayName


class LoginRequest(BaseModel):
    """JSON login; the OAuth2 password form (``username``, ``password``) is accepted too."""

    email: str = Field(min_length=1, max_length=320)
    password: PasswordInput


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int = Field(description="Seconds the access token is valid")
    refresh_expires_in: int = Field(description="Seconds until the session's absolute expiry")


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    display_name: str
    role: Literal["user", "admin"]
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserRead:
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=user.role,
            disabled=user.is_disabled,
            created_at=user.created_at,
        )


class MeUpdate(BaseModel):
    display_name: DisplayName | None = None


class PasswordChange(BaseModel):
    current_password: PasswordInput
    new_password: PasswordInput


class SettingsRead(BaseModel):
    version: int = Field(description="0 until settings are first saved")
    settings: dict[str, JsonValue]
    updated_at: datetime | None


class SettingsWrite(BaseModel):
    version: NonNegInt32 = Field(description="The version this change is based on (0 for none)")
    settings: dict[str, JsonValue]


class SessionRead(BaseModel):
    """One of the user's sessions (a login on some device), as its user sees it."""

    id: uuid.UUID
    created_at: datetime = Field(description="When the session started (the login)")
    last_used_at: datetime = Field(description="The login or the latest refresh")
    expires_at: datetime = Field(description="The session's absolute end")
    user_agent: str | None = Field(description="The User-Agent of the latest use")
    address: str | None = Field(description="The client address of the latest use")
    current: bool = Field(description="Whether this is the session of the calling token")


class SessionList(BaseModel):
    items: list[SessionRead]


class UserPage(Page[UserRead]):
    """A page of users, oldest first."""


class UserAdminUpdate(BaseModel):
    role: Literal["user", "admin"] | None = None
    disabled: bool | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> UserAdminUpdate:
        if self.role is None and self.disabled is None:
            raise ValueError("give role, disabled or both")
        return self


# -- service accounts (client-credentials grant) ---------------------------------------------------

ScopeName = Literal[SCOPES]  # type: ignore[valid-type] # the closed set, as an enum in OpenAPI


class ClientCreate(BaseModel):
    name: DisplayName
    scopes: list[ScopeName] = Field(min_length=1, max_length=len(SCOPES))


class ClientRead(BaseModel):
    id: uuid.UUID = Field(description="The client id: `client_id` of the token request")
    name: str
    scopes: list[str]
    created_at: datetime
    created_by: uuid.UUID | None = Field(description="The admin; null when bootstrapped")
    secret_rotated_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, client: Client) -> ClientRead:
        return cls(
            id=client.id,
            name=client.name,
            scopes=list(client.scopes),
            created_at=client.created_at,
            created_by=client.created_by,
            secret_rotated_at=client.secret_rotated_at,
            revoked_at=client.revoked_at,
        )


class ClientSecretRead(ClientRead):
    client_secret: str = Field(description="Shown this once; only its hash is kept")


class ClientPage(Page[ClientRead]):
    """A page of service accounts, oldest first."""


class ClientTokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int = Field(description="Seconds the access token is valid")
    scope: str = Field(description="The granted scopes, space-separated")


class PublicJwk(BaseModel):
    """An EC public key (RFC 7517/7518) that verifies access tokens: the members the key ring
    publishes (``keys.SigningKey.public_jwk``), no other."""

    model_config = ConfigDict(extra="forbid")

    kty: Literal["EC"]
    crv: Literal["P-256"]
    x: str
    y: str
    kid: str
    use: Literal["sig"]
    alg: Literal["ES256"]


class Jwks(BaseModel):
    keys: list[PublicJwk]
