"""The Celery bus: routing by task name, JSON only, and request ids carried into workers."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from asgi_correlation_id import correlation_id
from celery import Celery
from celery.contrib.testing.worker import start_worker

from chiiki_shared.bus import LazyCelery, create_celery_app, queue_for
from chiiki_stats.config import StatsSettings


@pytest.mark.parametrize(
    ("task", "queue"),
    [("stats.apply_batch", "stats"), ("ingest.run_ingestion", "ingest"), ("auth.ping", "auth")],
)
def test_tasks_route_to_the_queue_of_their_service(task: str, queue: str) -> None:
    assert queue_for(task) == queue


def test_a_task_without_a_service_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="does not start with a service name"):
        queue_for("apply_batch")


def test_the_bus_is_json_only_with_late_acks(platform) -> None:
    conf = create_celery_app(StatsSettings()).conf
    assert conf.accept_content == ["json"]
    assert conf.task_serializer == "json"
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["global_keyprefix"] == platform.redis_key_prefix


def test_the_bus_checks_and_replaces_stale_redis_connections(platform) -> None:
    conf = create_celery_app(StatsSettings()).conf
    options = conf.broker_transport_options
    assert options["health_check_interval"] == 10
    assert options["retry_on_timeout"] is True
    assert options["socket_keepalive"] is True
    assert options["socket_timeout"] > 1  # longer than a BRPOP's wait
    assert conf.redis_backend_health_check_interval == 10
    assert conf.redis_retry_on_timeout is True
    assert conf.redis_socket_keepalive is True


def test_request_id_travels_from_sender_to_worker(platform) -> None:
    app = create_celery_app(StatsSettings())
    app.conf.task_ignore_result = False
    app.conf.result_backend = platform.redis_url
    seen: list[str | None] = []

    @app.task(name="stats.record_request_id")
    def record_request_id() -> str | None:
        seen.append(correlation_id.get())
        return correlation_id.get()

    with start_worker(app, queues=["stats"], perform_ping_check=False, pool="solo"):
        token = correlation_id.set("req-from-http-42")
        try:
            result = app.send_task("stats.record_request_id")
        finally:
            correlation_id.reset(token)
        assert result.get(timeout=10) == "req-from-http-42"
    assert seen == ["req-from-http-42"]


def test_a_lazy_app_is_made_once_on_first_use_from_any_thread(platform) -> None:
    made: list[object] = []

    def factory() -> Celery:
        app = create_celery_app(StatsSettings())
        made.append(app)
        return app

    lazy = LazyCelery(factory)
    assert (lazy.made, made) == (False, [])
    lazy.close()  # closing one never made does not make it
    assert made == []

    with ThreadPoolExecutor(8) as pool:
        apps = list(pool.map(lambda _: lazy.get(), range(32)))

    assert len(made) == 1
    assert lazy.made is True
    assert {id(app) for app in apps} == {id(made[0])}
    assert made[0].conf.task_serializer == "json"
    lazy.close()
