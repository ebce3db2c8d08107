"""Flower (compose's `monitoring` profile) watches the platform's broker under its key prefix."""

from __future__ import annotations

import importlib.util
import time
from types import ModuleType

from celery import Celery
from celery.contrib.testing.worker import start_worker

from chiiki_ingest.config import IngestSettings
from chiiki_shared.bus import create_celery_app

from .test_compose import COMPOSE, ROOT

FLOWER_APP = ROOT / "deploy" / "compose" / "flower" / "chiiki_flower.py"


def _flower_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chiiki_flower", FLOWER_APP)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_flower_gets_the_platforms_broker_and_key_prefix() -> None:
    flower = COMPOSE["services"]["flower"]
    common = COMPOSE["x-common-env"]
    assert flower["command"] == ["celery", "-A", "chiiki_flower", "flower", "--port=5555"]
    for name in ("REDIS_URL", "REDIS_KEY_PREFIX"):
        assert flower["environment"][name] == common[name]
    assert flower["environment"]["PYTHONPATH"] == "/etc/chiiki-flower"
    assert flower["volumes"] == ["./flower/chiiki_flower.py:/etc/chiiki-flower/chiiki_flower.py:ro"]
    assert (ROOT / "deploy" / "compose" / "flower" / "chiiki_flower.py").is_file()


def _pinged(app: Celery, hostname: str, within: float = 10) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=0.5)
        if any(hostname in reply for reply in replies):
            return True
    return False


def test_flowers_app_reaches_a_worker_of_the_platform(platform) -> None:
    # The module reads REDIS_URL and REDIS_KEY_PREFIX, as compose gives them (here: this run's).
    flower_app: Celery = _flower_module().app
    settings = IngestSettings()
    assert flower_app.conf.broker_transport_options == {
        "global_keyprefix": settings.redis_key_prefix
    }
    worker_app = create_celery_app(settings)
    unprefixed = Celery("unprefixed", broker=platform.redis_url)
    hostname = f"flower-check-{time.time_ns()}@test"
    with start_worker(
        worker_app, queues=["ingest"], perform_ping_check=False, pool="solo", hostname=hostname
    ):
        assert _pinged(flower_app, hostname)
        # What compose's Flower did before: the plain broker URL reaches no worker.
        assert not any(hostname in reply for reply in unprefixed.control.ping(timeout=1))
    unprefixed.close()
    flower_app.close()
