"""Request and response bodies of the auth API."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from chiiki_auth.models import User
from chiiki_shared.limits import NonNegInt32


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
            role=user.role,  # type: ignore[arg-type]
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
    settings: dict[str, Any]
    updated_at: datetime | None


class SettingsWrite(BaseModel):
    version: NonNegInt32 = Field(description="The version this change is based on (0 for none)")
    settings: dict[str, Any]


class UserPage(BaseModel):
    items: list[UserRead]
    total: int
    page: int
    page_size: int


class UserAdminUpdate(BaseModel):
    role: Literal["user", "admin"] | None = None
    disabled: bool | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> UserAdminUpdate:
        if self.role is None and self.disabled is None:
            raise ValueError("give role, disabled or both")
        return self
