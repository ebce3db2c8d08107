"""The TypeScript client the frontend uses is generated from each service's OpenAPI document,
says what every operation takes and answers (no ``unknown``), and is checked in as generated.

Regenerate with ``make client`` (needs ``npm ci --prefix frontend``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chiiki_devstack.config import REPO_ROOT
from chiiki_devstack.pytest_plugin import import_test_helper

CONTRACT = REPO_ROOT / "tools" / "contract"
SERVICES = ("auth", "stats", "ingest", "analytics")


generate = import_test_helper(CONTRACT / "generate.py")
unknowns = import_test_helper(CONTRACT / "unknowns.py")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not generate.GENERATOR.exists():
        pytest.fail("openapi-typescript is not installed: npm ci --prefix frontend")
    return generate.generate(tmp_path_factory.mktemp("client"))


@pytest.mark.parametrize("service", SERVICES)
def test_no_operation_takes_or_answers_unknown(fresh: dict[str, Path], service: str) -> None:
    found = unknowns.unknowns(fresh[service].read_text())
    assert found == [], f"{service}: {len(found)} unknown(s):\n" + "\n".join(found)


@pytest.mark.parametrize("service", SERVICES)
def test_the_checked_in_client_is_the_generated_one(fresh: dict[str, Path], service: str) -> None:
    checked_in = generate.GENERATED / f"{service}.ts"
    assert checked_in.exists(), f"{checked_in} is missing: run make client"
    assert checked_in.read_text() == fresh[service].read_text(), (
        f"{checked_in.relative_to(REPO_ROOT)} differs from what {service}'s OpenAPI document "
        "generates: run make client and commit the result"
    )


def test_the_finder_sees_unknown_answers_and_parameters() -> None:
    """The check itself can fail: an open object answer and an untyped parameter are found,
    a typed answer and the open headers every answer has are not."""
    source = """export interface paths {}
export interface components {
    schemas: {
        Open: {
            /** Bag */
            bag: {
                [key: string]: unknown;
            };
        };
        Typed: {
            name: string;
        };
    };
}
export interface operations {
    typed_get: {
        parameters: {
            query: {
                limit?: number;
            };
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Typed"];
                };
            };
        };
    };
    open_get: {
        parameters: {
            query: {
                thing?: unknown;
            };
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Open"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
        };
    };
}
"""
    assert unknowns.unknowns(source) == ["open_get: parameters", "open_get: 200 -> Open"]
