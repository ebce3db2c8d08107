"""Hostile input to the auth API: a 4xx problem document, never a 500, and no throttle slot spent.

Each case answered 500 before the input guard (chiiki_shared.edge) and the bounded integer types
(chiiki_shared.limits): PostgreSQL refuses NUL in text and integers beyond a column's range, and
Python's JSON parser fails on deep nesting with RecursionError.
"""

from __future__ import annotations

import json

import httpx

from .conftest import assert_problem


def nested(levels: int) -> str:
    """``levels`` arrays inside each other, as JSON text."""
    return "[" * levels + "]" * levels


def settings_body(version: int, value: str) -> str:
    return '{"version": ' + str(version) + ', "settings": {"a": ' + value + "}}"


async def _spends_no_slot(client, api, email: str) -> None:
    """With a budget of one failure per account, the next wrong password is a 401, not a 429
    (the account and IP windows are reserved together, so neither was touched)."""
    wrong = {"email": email, "password": "wrong-password!"}
    assert (await client.post("/api/auth/login", json=wrong)).status_code == 401
    assert (await client.post("/api/auth/login", json=wrong)).status_code == 429


async def test_nul_in_login_email_is_422_and_spends_no_slot(auth_app, api) -> None:
    async with auth_app(login_account_max_failures=1) as client:
        api.client = client
        user = await api.register()
        for _ in range(3):
            response = await client.post(
                "/api/auth/login", json={"email": user["email"] + "\u0000", "password": "x"}
            )
            body = assert_problem(
                response, 422, "validation-failed", "Invalid value for: body.email"
            )
            assert body["errors"] == [
                {
                    "field": "body.email",
                    "message": "must not contain the control character U+0000",
                    "type": "control_character",
                }
            ]
        await _spends_no_slot(client, api, user["email"])


async def test_nul_in_login_form_is_422(client) -> None:
    response = await client.post(
        "/api/auth/login",
        content=b"username=a%00b%40chiiki.example&password=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    body = assert_problem(response, 422, "validation-failed", "Invalid value for: body.username")
    assert body["errors"][0]["type"] == "control_character"


async def test_deep_json_login_is_400_and_spends_no_slot(auth_app, api) -> None:
    async with auth_app(login_account_max_failures=1) as client:
        api.client = client
        user = await api.register()
        for body in ("[" * 4000, nested(4000), nested(33)):
            response = await client.post(
                "/api/auth/login", content=body, headers={"Content-Type": "application/json"}
            )
            problem = assert_problem(
                response,
                400,
                "json-too-deep",
                "The request body nests arrays and objects deeper than 32 levels",
            )
            assert problem["max_depth"] == 32
        await _spends_no_slot(client, api, user["email"])


async def test_malformed_json_login_keeps_its_invalid_json_code(client) -> None:
    for body in ("{", '{"email": NaN, "password": "x"}', "1" * 5000):
        response = await client.post(
            "/api/auth/login", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, body
        assert response.json()["code"] == "invalid-json"


async def test_nul_in_registration_spends_no_slot(auth_app, api) -> None:
    # A client address of its own (the in-process peer is a trusted proxy), so that no other
    # test's registrations count against the budget of one.
    via = {"X-Forwarded-For": "198.51.100.7"}
    async with auth_app(register_ip_max=1) as client:

        async def register(**changes: str) -> httpx.Response:
            data = {"email": api.unique_email(), "password": api.password, "display_name": "T"}
            data.update(changes)
            return await client.post("/api/auth/register", json=data, headers=via)

        for field in ("email", "password", "display_name"):
            response = await register(**{field: "x\x00"})
            assert_problem(response, 422, "validation-failed", f"Invalid value for: body.{field}")
        assert (await register()).status_code == 201
        assert (await register()).status_code == 429


async def test_lone_surrogate_is_422(client) -> None:
    response = await client.post(
        "/api/auth/register",
        content='{"email": "a@chiiki.example", "password": "p", "display_name": "\\ud800"}',
        headers={"Content-Type": "application/json"},
    )
    body = assert_problem(
        response, 422, "validation-failed", "Invalid value for: body.display_name"
    )
    assert body["errors"][0]["message"] == "must not contain the control character U+D800"


async def test_settings_values_with_nul_are_422(api) -> None:
    _, tokens = await api.new_user()
    response = await api.client.put(
        "/api/auth/me/settings",
        json={"version": 0, "settings": {"theme": "dark\u0000", "ok\u0000": 1}},
        headers=api.bearer(tokens["access_token"]),
    )
    body = assert_problem(
        response,
        422,
        "validation-failed",
        "Invalid value for: body.settings.theme, body.settings.ok?",
    )
    assert {error["field"] for error in body["errors"]} == {
        "body.settings.theme",
        "body.settings.ok?",
    }
    # Tab and line breaks are text, not control: they are kept.
    saved = await api.client.put(
        "/api/auth/me/settings",
        json={"version": 0, "settings": {"note": "a\tb\nc\r\n"}},
        headers=api.bearer(tokens["access_token"]),
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["settings"] == {"note": "a\tb\nc\r\n"}


async def test_settings_depth_limit_is_32_levels(api) -> None:
    _, tokens = await api.new_user()
    headers = {**api.bearer(tokens["access_token"]), "Content-Type": "application/json"}
    # The body object and the settings object are two of the 32 levels.
    deepest = settings_body(0, nested(30))
    saved = await api.client.put("/api/auth/me/settings", content=deepest, headers=headers)
    assert saved.status_code == 200, saved.text
    too_deep = settings_body(1, nested(31))
    response = await api.client.put("/api/auth/me/settings", content=too_deep, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "json-too-deep"
    for levels in (300, 400, 5000):
        body = settings_body(1, nested(levels))
        response = await api.client.put("/api/auth/me/settings", content=body, headers=headers)
        assert response.status_code == 400, levels


async def test_settings_version_beyond_int32_is_422(api) -> None:
    _, tokens = await api.new_user()
    headers = api.bearer(tokens["access_token"])
    for version in (2**31, 2**63, 10**30):
        response = await api.client.put(
            "/api/auth/me/settings", json={"version": version, "settings": {}}, headers=headers
        )
        body = assert_problem(response, 422, "validation-failed", "Invalid value for: body.version")
        assert body["errors"][0]["type"] == "less_than_equal"
    # The largest version the column holds is merely stale.
    stale = await api.client.put(
        "/api/auth/me/settings", json={"version": 2**31 - 1, "settings": {}}, headers=headers
    )
    assert stale.status_code == 409


async def test_repeated_single_valued_query_parameter_is_422(api) -> None:
    tokens = await api.admin()
    response = await api.client.get(
        "/api/auth/users?limit=1&limit=2&q=x", headers=api.bearer(tokens["access_token"])
    )
    body = assert_problem(response, 422, "validation-failed", "Invalid value for: query.limit")
    assert body["errors"] == [
        {"field": "query.limit", "message": "give this parameter once", "type": "repeated"}
    ]


async def test_control_characters_in_query_are_422(api) -> None:
    tokens = await api.admin()
    for query in ("q=a%00b", "q=a%0Ab", "q=%7F", "q%01=x"):
        response = await api.client.get(
            f"/api/auth/users?{query}", headers=api.bearer(tokens["access_token"])
        )
        assert response.status_code == 422, query
        assert response.json()["errors"][0]["type"] == "control_character"


async def test_errors_are_declared_as_problem_documents(client) -> None:
    document = (await client.get("/api/auth/openapi.json")).json()
    assert "HTTPValidationError" not in json.dumps(document)
    login = document["paths"]["/api/auth/login"]["post"]["responses"]
    for status in ("400", "422", "429", "500"):
        assert login[status]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    users = document["paths"]["/api/auth/users"]["get"]["responses"]
    assert {"401", "403", "422"} <= set(users)
    assert document["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "code",
        "title",
        "status",
        "detail",
        "instance",
        "request_id",
    ]
