"""The token endpoint's side of OAuth 2.0 (RFC 6749 §4.4 and §5): reading a client-credentials
request and answering its errors.

Errors keep the RFC's ``error`` (and ``error_description``) inside the platform's problem
document, so OAuth client libraries and our own clients both understand them.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, unquote_plus

from fastapi import Request

from chiiki_shared.errors import ApiError
from chiiki_shared.security import REALM

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
CLIENT_CREDENTIALS = "client_credentials"
MAX_TOKEN_REQUEST_BYTES = 4096
MAX_PARAMETER_LENGTH = 512
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

_ERRORS = {
    "invalid_request": (400, "Invalid token request"),
    "invalid_client": (401, "Client authentication failed"),
    "invalid_grant": (400, "Invalid grant"),
    "unauthorized_client": (400, "Unauthorized client"),
    "unsupported_grant_type": (400, "Unsupported grant type"),
    "invalid_scope": (400, "Invalid scope"),
}


def oauth_error(error: str, description: str) -> ApiError:
    """An RFC 6749 §5.2 error as a problem document (``code`` is the error in kebab case)."""
    status, title = _ERRORS[error]
    headers = dict(NO_STORE)
    if error == "invalid_client":
        headers["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    return ApiError(
        description,
        status=status,
        code=error.replace("_", "-"),
        title=title,
        headers=headers,
        extra={"error": error, "error_description": description},
    )


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str
    method: Literal["client_secret_basic", "client_secret_post"]


@dataclass(frozen=True)
class TokenRequest:
    grant_type: str
    scope: str | None
    credentials: ClientCredentials | None


async def read_token_request(request: Request) -> TokenRequest:
    """The form of a token request and the client's credentials (HTTP Basic or form fields)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != FORM_MEDIA_TYPE:
        raise oauth_error("invalid_request", f"Send the token request as {FORM_MEDIA_TYPE}")
    body = await request.body()
    if len(body) > MAX_TOKEN_REQUEST_BYTES:
        raise oauth_error("invalid_request", "The token request is too large")
    form = _form(body)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise oauth_error("invalid_request", "The grant_type parameter is missing")
    basic = _basic_credentials(request.headers.get("authorization"))
    posted = _posted_credentials(form)
    if basic and "client_secret" in form:
        raise oauth_error("invalid_request", "Authenticate the client with one method only")
    return TokenRequest(grant_type=grant_type, scope=form.get("scope"), credentials=basic or posted)


def _form(body: bytes) -> dict[str, str]:
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=16)
    except (UnicodeDecodeError, ValueError):
        raise oauth_error("invalid_request", "The token request is not a valid form") from None
    repeated = sorted(name for name, values in fields.items() if len(values) > 1)
    if repeated:
        raise oauth_error("invalid_request", f"Parameters given more than once: {repeated}")
    if any(len(values[0]) > MAX_PARAMETER_LENGTH for values in fields.values()):
        raise oauth_error("invalid_request", "A parameter of the token request is too long")
    return {name: values[0] for name, values in fields.items()}


def _basic_credentials(authorization: str | None) -> ClientCredentials | None:
    """``Authorization: Basic`` with the form-encoded id and secret (RFC 6749 §2.3.1)."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise oauth_error("invalid_client", "Authenticate the client with HTTP Basic")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise oauth_error("invalid_client", "The Basic credentials are malformed") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id or not secret:
        raise oauth_error("invalid_client", "The Basic credentials are malformed")
    return ClientCredentials(unquote_plus(client_id), unquote_plus(secret), "client_secret_basic")


def _posted_credentials(form: dict[str, str]) -> ClientCredentials | None:
    client_id, secret = form.get("client_id"), form.get("client_secret")
    if not client_id or not secret:
        return None
    return ClientCredentials(client_id, secret, "client_secret_post")
