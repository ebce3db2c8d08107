"""The gateway with TLS=1: HTTPS (HTTP/2, HSTS) in front of the running services, its plain port
sending callers there, and the development certificates of `make certs`."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from chiiki_devstack import certs
from chiiki_devstack.pytest_plugin import free_port, second_gateway
from chiiki_devstack.stack import Stack

pytestmark = pytest.mark.e2e

HSTS = "max-age=31536000; includeSubDomains"


@pytest.fixture(scope="module")
def tls_gateway(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    files, made = certs.ensure(tmp_path_factory.mktemp("certs"), "127.0.0.1")
    assert made
    tls_port = free_port()
    with second_gateway(
        TLS="1",
        GATEWAY_TLS_PORT=str(tls_port),
        GATEWAY_TLS_CERT=str(files.cert),
        GATEWAY_TLS_KEY=str(files.key),
    ) as plain:
        yield {"plain": plain, "https": f"https://127.0.0.1:{tls_port}", "ca": files.ca_cert}


def trusting(ca: Path, **tls: ssl.TLSVersion) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca)
    if "maximum" in tls:
        context.maximum_version = tls["maximum"]
    return context


def test_https_answers_with_hsts_on_every_answer_errors_included(tls_gateway, admin_headers):
    with httpx.Client(base_url=tls_gateway["https"], verify=trusting(tls_gateway["ca"])) as client:
        health = client.get("/api/health")
        assert health.status_code == 200
        assert health.headers["strict-transport-security"] == HSTS
        missing = client.get("/api/no-such-route")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.headers["strict-transport-security"] == HSTS
        kpi = client.get("/api/kpi", params={"region": "13000"}, headers=admin_headers())
        assert kpi.status_code == 200
        assert kpi.json()["region"]["code"] == "13000"
        assert kpi.headers["strict-transport-security"] == HSTS


def test_the_plain_port_redirects_every_request_to_https_keeping_method_and_target(tls_gateway):
    https = tls_gateway["https"]
    with httpx.Client(base_url=tls_gateway["plain"]) as client:
        for method, target in (("GET", "/api/kpi?region=13000"), ("POST", "/api/auth/login")):
            response = client.request(method, target)
            assert response.status_code == 308
            assert response.headers["location"] == f"{https}{target}"
            assert "strict-transport-security" not in response.headers


def test_the_certificate_is_checked_and_http2_is_offered(tls_gateway):
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{tls_gateway['https']}/api/health")
    port = int(tls_gateway["https"].rsplit(":", 1)[1])
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        context = trusting(tls_gateway["ca"], maximum=version)
        context.set_alpn_protocols(["h2", "http/1.1"])
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            assert tls.version() == version.name.replace("_", ".")
            assert tls.selected_alpn_protocol() == "h2"


def test_make_certs_keeps_what_is_good_and_renews_what_is_not(tmp_path):
    files, made = certs.ensure(tmp_path, "127.0.0.1")
    assert made
    assert oct(files.key.stat().st_mode & 0o777) == "0o600"
    assert oct(files.ca_key.stat().st_mode & 0o777) == "0o600"
    leaf = x509.load_pem_x509_certificate(files.cert.read_bytes())
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    lifetime = leaf.not_valid_after_utc - datetime.now(UTC)
    assert timedelta(days=89) < lifetime <= timedelta(days=certs.LEAF_DAYS)
    first = files.cert.read_bytes()
    assert certs.ensure(tmp_path, "127.0.0.1") == (files, False)
    assert files.cert.read_bytes() == first
    # Another host: a new certificate from the same authority.
    ca = files.ca_cert.read_bytes()
    _, made = certs.ensure(tmp_path, "chiiki.internal")
    assert made
    assert files.ca_cert.read_bytes() == ca
    renewed = x509.load_pem_x509_certificate(files.cert.read_bytes())
    sans = renewed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost", "chiiki.internal"]
