"""Hostile input to the analytics API: 4xx problem documents, never a 500.

Offsets beyond PostgreSQL's bigint and NUL in text answered 500 before the bounded integer types
and the input guard (chiiki_shared.limits, chiiki_shared.edge).
"""

import json
import uuid

import pytest

BASE = "/api/analytics/policies"
POLICY = {
    "name": "Hostile input check",
    "region": "13000",
    "start_period": 2015,
    "target_indicators": ["population.total"],
}


@pytest.mark.parametrize("cursor", ["", "!!", "bnVsbA", "WzEsMl0", "WyJ4IiwieSJd", "x" * 201])
async def test_cursors_this_list_did_not_issue_are_422(api, login, problem, cursor) -> None:
    """Empty, not base64, JSON null, a list of numbers, wrong members, too long."""
    response = await api.get(BASE, params={"cursor": cursor}, headers=login("hostile-cursor"))
    body = problem(response, 422, "validation-failed")
    assert [error["field"] for error in body["errors"]] == ["query.cursor"]


@pytest.mark.parametrize(
    ("member", "value", "message"),
    [
        ("name", "Tokyo\u0000", "must not contain the control character U+0000"),
        ("name", "two\nlines", "Value error, must not contain the control character U+000A"),
        ("description", "bell\u0007", "must not contain the control character U+0007"),
        ("name", "\ud800", "must not contain the control character U+D800"),
    ],
)
async def test_control_characters_in_policy_text_are_422(
    api, login, problem, member, value, message
) -> None:
    # Escaped JSON: a lone surrogate cannot be sent as UTF-8.
    response = await api.post(
        BASE,
        content=json.dumps({**POLICY, member: value}),
        headers={**login("hostile-text"), "Content-Type": "application/json"},
    )
    body = problem(response, 422, "validation-failed")
    assert body["errors"][0]["field"] == f"body.{member}"
    assert body["errors"][0]["message"] == message


async def test_descriptions_keep_tabs_and_line_breaks(api, login) -> None:
    owner = login(f"hostile-{uuid.uuid4()}")
    text = "first line\n\tsecond line\r\n"
    response = await api.post(BASE, json={**POLICY, "description": text}, headers=owner)
    assert response.status_code == 201, response.text
    assert response.json()["description"] == text
    await api.delete(f"{BASE}/{response.json()['id']}", headers=owner)


async def test_nul_in_a_query_value_is_422(api, login, problem) -> None:
    response = await api.get(
        "/api/forecasts?indicator=population.total%00&region=13000", headers=login("hostile")
    )
    body = problem(response, 422, "validation-failed")
    assert body["errors"] == [
        {
            "field": "query.indicator",
            "message": "must not contain the control character U+0000",
            "type": "control_character",
        }
    ]


async def test_a_repeated_single_valued_parameter_is_422(api, login, problem) -> None:
    response = await api.get(f"{BASE}?limit=1&limit=2", headers=login("hostile"))
    body = problem(response, 422, "validation-failed")
    assert body["errors"][0] == {
        "field": "query.limit",
        "message": "give this parameter once",
        "type": "repeated",
    }


async def test_deep_json_is_400(api, login, problem) -> None:
    body = '{"kind": "forecast", "indicator": ' + "[" * 2000 + "]" * 2000 + "}"
    response = await api.post(
        "/api/analytics/jobs",
        content=body,
        headers={**login("hostile"), "Content-Type": "application/json"},
    )
    problem(response, 400, "json-too-deep")
