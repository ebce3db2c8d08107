"""Signing keys: configuration, development keys, rotation and what the JWKS publishes."""

import os
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from chiiki_auth.config import AuthSettings
from chiiki_auth.keys import (
    KeyConfigurationError,
    KeyRing,
    SigningKey,
    generate_key_file,
    load_key_ring,
    private_key_pem,
)
from chiiki_auth.main import create_app
from chiiki_auth.schemas import Jwks
from chiiki_devstack.pytest_plugin import serve_app

from .conftest import make_settings, signing_keys_json

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LIFETIME = timedelta(minutes=15)


def key(kid: str, activated: datetime) -> SigningKey:
    return SigningKey(kid, ec.generate_private_key(ec.SECP256R1()), activated)


def test_the_newest_active_key_signs_and_a_future_key_is_published_early() -> None:
    old, current, upcoming = (
        key("old", NOW - timedelta(days=30)),
        key("current", NOW - timedelta(hours=1)),
        key("upcoming", NOW + timedelta(hours=1)),
    )
    ring = KeyRing([upcoming, old, current], LIFETIME)
    assert ring.signing_key(NOW).kid == "current"
    assert [k.kid for k in ring.published(NOW)] == ["current", "upcoming"]
    assert ring.signing_key(NOW + timedelta(hours=2)).kid == "upcoming"


def test_a_replaced_key_stays_published_while_its_tokens_can_live() -> None:
    ring = KeyRing([key("old", NOW - timedelta(days=1)), key("new", NOW)], LIFETIME)
    assert [k.kid for k in ring.published(NOW + LIFETIME - timedelta(seconds=1))] == ["old", "new"]
    assert [k.kid for k in ring.published(NOW + LIFETIME)] == ["new"]


def test_jwks_entries_are_public_es256_keys() -> None:
    ring = KeyRing([key("k1", NOW)], LIFETIME)
    [entry] = ring.jwks(NOW)["keys"]
    assert set(entry) == {"kty", "crv", "x", "y", "kid", "use", "alg"}
    Jwks.model_validate(ring.jwks(NOW))  # the published schema names each member, no other
    assert (entry["kty"], entry["crv"], entry["kid"], entry["use"], entry["alg"]) == (
        "EC",
        "P-256",
        "k1",
        "sig",
        "ES256",
    )


def test_development_generates_a_key_once_into_the_run_folder(tmp_path) -> None:
    settings = AuthSettings(ENVIRONMENT="development", RUN_DIR=tmp_path)
    first = load_key_ring(settings)
    files = list((tmp_path / "auth-keys").glob("*.pem"))
    assert len(files) == 1
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"
    second = load_key_ring(settings)
    assert first.keys[0].kid == second.keys[0].kid == files[0].stem


@pytest.mark.parametrize("environment", ["test", "production"])
def test_outside_development_a_missing_key_refuses_to_start(tmp_path, environment) -> None:
    settings = AuthSettings(
        ENVIRONMENT=environment, RUN_DIR=tmp_path, db_password="a-real-secret-value"
    )
    with pytest.raises(KeyConfigurationError, match="no signing key"):
        load_key_ring(settings)
    assert not (tmp_path / "auth-keys").exists()
    empty = tmp_path / "keys"
    empty.mkdir()
    with pytest.raises(KeyConfigurationError, match="no signing key"):
        load_key_ring(settings.model_copy(update={"keys_dir": empty}))


def test_a_key_directory_uses_modification_times_as_activation(tmp_path) -> None:
    older = generate_key_file(tmp_path)
    newer = generate_key_file(tmp_path)
    os.utime(older, (time.time() - 7200, time.time() - 7200))
    os.utime(newer, (time.time() - 60, time.time() - 60))
    ring = load_key_ring(AuthSettings(keys_dir=tmp_path))
    assert ring.signing_key(datetime.now(UTC)).kid == newer.stem


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json", "not JSON"),
        ('{"kid": "a"}', "must be a JSON list"),
        ('[{"kid": "a"}]', "needs kid and private_key"),
        ('[{"kid": "bad kid!", "private_key": "x"}]', "must match"),
        ('[{"kid": "a", "private_key": "not a pem"}]', "not a PEM private key"),
    ],
)
def test_bad_key_configuration_is_refused(value: str, message: str) -> None:
    with pytest.raises(KeyConfigurationError, match=message):
        load_key_ring(AuthSettings(signing_keys=value))


def test_a_non_p256_key_is_refused() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(KeyConfigurationError, match="not a P-256"):
        load_key_ring(
            AuthSettings(signing_keys=signing_keys_json(("k", p384, "2020-01-01T00:00:00+00:00")))
        )


async def test_rotation_through_the_api(platform) -> None:
    old_key, new_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    now = datetime.now(UTC)
    keys = signing_keys_json(
        ("rot-old", old_key, (now - timedelta(days=1)).isoformat()),
        ("rot-new", new_key, (now - timedelta(minutes=5)).isoformat()),
    )
    app = create_app(make_settings(signing_keys=keys))
    async with serve_app(app) as client:
        published = (await client.get("/api/auth/.well-known/jwks.json")).json()["keys"]
        assert [entry["kid"] for entry in published] == ["rot-old", "rot-new"]
        tokens = (
            await client.post(
                "/api/auth/login",
                json={"email": "root-admin@chiiki.example", "password": "granite-meadow-compass"},
            )
        ).json()
        assert jwt.get_unverified_header(tokens["access_token"])["kid"] == "rot-new"
        # A token the old key signed four minutes before the rotation still verifies.
        issued = int(time.time()) - 540
        old_token = jwt.encode(
            {
                "iss": "chiiki-auth",
                "aud": "chiiki-api",
                "sub": "u-1",
                "iat": issued,
                "nbf": issued,
                "exp": issued + 900,
                "jti": "j-1",
                "sid": "s-1",
                "role": "user",
            },
            old_key,
            algorithm="ES256",
            headers={"kid": "rot-old", "typ": "at+jwt"},
        )
        verified = await client.get(
            "/internal/verify", headers={"Authorization": f"Bearer {old_token}"}
        )
        assert verified.status_code == 204
    assert private_key_pem(old_key).startswith(b"-----BEGIN PRIVATE KEY-----")
