"""Who the client is, through the real gateway: never what the client claims in X-Forwarded-For,
only what the gateway saw (or a trusted load balancer in front of it said).

A stack of its own: a low per-IP login limit, its own Redis key space (the throttle's windows
start empty) and 127.0.0.2 as the load balancer the gateway trusts (GATEWAY_TRUSTED_PROXIES).
"""

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chiiki_devstack.pytest_plugin import Platform, log_lines, running_stack
from chiiki_devstack.stack import Stack

pytestmark = pytest.mark.e2e

MAX_FAILURES = 3
LOAD_BALANCER = "127.0.0.2"


@pytest.fixture(scope="module")
def throttled_stack(platform: Platform) -> Iterator[Stack]:
    run_dir = Path(tempfile.mkdtemp(prefix="chiiki-e2e-xff-"))
    run_dir.chmod(0o711)
    try:
        with running_stack(
            platform,
            run_dir,
            REDIS_KEY_PREFIX=f"{platform.redis_key_prefix}xff-{uuid.uuid4().hex[:8]}:",
            AUTH_LOGIN_IP_MAX_FAILURES=str(MAX_FAILURES),
            AUTH_REGISTER_IP_MAX="100",
            GATEWAY_TRUSTED_PROXIES=LOAD_BALANCER,
            INGEST_SCHEDULE_ENABLED="false",
        ) as running:
            yield running
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def failed_login(client: httpx.Client, forwarded_for: str) -> tuple[int, str]:
    """A failed login (a new unknown account each time) claiming ``forwarded_for``: its status
    and request id."""
    request_id = f"xff-{uuid.uuid4().hex}"
    response = client.post(
        "/api/auth/login",
        headers={"X-Forwarded-For": forwarded_for, "X-Request-ID": request_id},
        json={"email": f"{request_id}@chiiki.example", "password": "not-the-password"},
    )
    return response.status_code, request_id


def test_a_forged_forwarded_for_changes_neither_throttle_nor_log(throttled_stack: Stack) -> None:
    with httpx.Client(base_url=throttled_stack.settings.gateway_url, timeout=10) as client:
        attempts = [failed_login(client, f"198.51.100.{n}") for n in range(MAX_FAILURES + 1)]
    # A new claimed address each time, one client all the same: the per-IP limit holds.
    assert [status for status, _ in attempts] == [401] * MAX_FAILURES + [429]
    # The security log names the address the gateway saw, not the claimed one.
    events = ["login_failed"] * MAX_FAILURES + ["login_throttled"]
    for (_, request_id), event in zip(attempts, events, strict=True):
        [line] = log_lines(throttled_stack, "api-auth", request_id, event=event)
        assert line["client_ip"] == "127.0.0.1"


def test_a_trusted_load_balancer_names_the_client(throttled_stack: Stack) -> None:
    transport = httpx.HTTPTransport(local_address=LOAD_BALANCER)
    url = throttled_stack.settings.gateway_url
    with httpx.Client(base_url=url, transport=transport, timeout=10) as balancer:
        # The load balancer appends the client it saw; anything before it is the client's claim.
        status, request_id = failed_login(balancer, "203.0.113.50, 192.0.2.77")
    assert status == 401
    [line] = log_lines(throttled_stack, "api-auth", request_id, event="login_failed")
    assert line["client_ip"] == "192.0.2.77"
    [access] = log_lines(throttled_stack, "gateway-access", request_id)
    assert access["client"] == "192.0.2.77"
