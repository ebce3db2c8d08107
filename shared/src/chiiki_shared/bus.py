"""The Celery bus on Redis: one queue per service, JSON only, late acks, tasks sent by name.

Tasks are named ``<service>.<verb>_<noun>`` and routed to the queue named by their prefix, so a
service sends another's task by name (``send_task("stats.apply_batch", ...)``), never importing
its code.
Celery and kombu (about 6 MB, docs/performance.md "Idle memory") are imported when an app is made,
not with this module: a web process imports them on its first send (``LazyCelery``).
The request id of the HTTP request (or task) that sends a task travels in the task's headers and
is bound to every log line the worker writes for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import anyio
from asgi_correlation_id import correlation_id

from chiiki_shared.contracts import BusMessage
from chiiki_shared.observability import new_request_id
from chiiki_shared.runtime import REDIS_HEALTH_CHECK_SECONDS, REDIS_TIMEOUT_SECONDS
from chiiki_shared.settings import ServiceSettings

if TYPE_CHECKING:
    from celery import Celery


SERVICE_QUEUES = ("auth", "stats", "ingest", "analytics")
REQUEST_ID_TASK_HEADER = "request_id"


def queue_for(task_name: str) -> str:
    """The queue of the service that owns ``task_name`` (its prefix before the first dot)."""
    service = task_name.split(".", 1)[0]
    if service not in SERVICE_QUEUES:
        raise ValueError(f"task {task_name!r} does not start with a service name")
    return service


def _route_by_prefix(name: str, *_: Any, **__: Any) -> dict[str, str]:
    return {"queue": queue_for(name)}


def create_celery_app(settings: ServiceSettings) -> Celery:
    """The Celery app of one service: it consumes its own queue and can send to any other."""
    from celery import Celery
    from kombu import Queue

    from chiiki_shared import redis_transport

    _connect_request_id_signals()
    prefix = settings.redis_key_prefix
    app = Celery(settings.service_name, broker=settings.redis_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        # A worker killed mid-task leaves its message unacknowledged, so it is delivered again.
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=settings.service_name,
        task_queues=[Queue(settings.service_name)],
        task_routes=(_route_by_prefix,),
        task_time_limit=3600,
        task_soft_time_limit=3300,
        broker_connection_retry_on_startup=True,
        # kombu's Redis transport with the fix that keeps a worker alive when Redis goes away
        # while a task runs (see chiiki_shared.redis_transport).
        broker_transport=redis_transport.TRANSPORT,
        broker_transport_options={
            "global_keyprefix": prefix,
            # Longer than any task may run, so Redis does not redeliver a task still running.
            "visibility_timeout": 3900,
            # After a Redis restart, stale pooled connections are found by a PING and replaced
            # instead of failing the first command on each (see runtime.redis_client).
            "health_check_interval": REDIS_HEALTH_CHECK_SECONDS,
            "retry_on_timeout": True,
            "socket_keepalive": True,
            "socket_timeout": REDIS_TIMEOUT_SECONDS * 5,
            "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        },
        # The same for a result backend, should a service configure one.
        redis_backend_health_check_interval=REDIS_HEALTH_CHECK_SECONDS,
        redis_retry_on_timeout=True,
        redis_socket_keepalive=True,
        result_backend_transport_options={"retry_policy": {"max_retries": 3}},
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        enable_utc=True,
        timezone="Asia/Tokyo",
        beat_schedule={},
    )
    return app


class LazyCelery:
    """A Celery app made by ``factory`` when first asked for, once, from any thread: a web
    process that only sends tasks pays for importing Celery on its first send, not at start-up."""

    def __init__(self, factory: Callable[[], Celery]) -> None:
        self._factory = factory
        self._app: Celery | None = None
        self._lock = threading.Lock()

    @property
    def made(self) -> bool:
        return self._app is not None

    def get(self) -> Celery:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = self._factory()
        return self._app

    def close(self) -> None:
        """Close the app's connections, if it was ever made."""
        if self._app is not None:
            self._app.close()


def send(app: Celery, message: BusMessage) -> None:
    """Send ``message`` to its task, by name, as its one JSON argument."""
    app.send_task(message.TASK, args=[message.payload()])


@dataclass
class Outbox:
    """Messages collected during a transaction, sent once it has committed: a message never
    announces what a rollback undid (``task_runtime.TaskRuntime.transaction``, the ingest API)."""

    messages: list[BusMessage] = field(default_factory=list)

    def add(self, message: BusMessage) -> None:
        self.messages.append(message)

    def flush(self, app: Celery) -> None:
        messages, self.messages = self.messages, []
        for message in messages:
            send(app, message)

    async def flush_async(self, app: Celery) -> None:
        """From an event loop: sending talks to Redis synchronously, so it runs in a thread."""
        if self.messages:
            await anyio.to_thread.run_sync(self.flush, app)


@cache
def _connect_request_id_signals() -> None:
    """Once per process, with the first app: Celery's signals are global to the process."""
    from celery import signals

    signals.before_task_publish.connect(_attach_request_id, weak=False)
    signals.task_prerun.connect(_bind_request_id, weak=False)
    signals.task_postrun.connect(_unbind_request_id, weak=False)


def _attach_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    if headers is not None and REQUEST_ID_TASK_HEADER not in headers:
        headers[REQUEST_ID_TASK_HEADER] = correlation_id.get() or new_request_id()


def _bind_request_id(task: Any = None, **_: Any) -> None:
    request_id = getattr(task.request, REQUEST_ID_TASK_HEADER, None) if task else None
    correlation_id.set(request_id or new_request_id())


def _unbind_request_id(**_: Any) -> None:
    correlation_id.set(None)


def configure_worker_logging(settings: ServiceSettings) -> None:
    """Make a worker log like the HTTP services (Celery otherwise installs its own handlers)."""
    from celery import signals

    from chiiki_shared.logging import configure_logging

    @signals.setup_logging.connect(weak=False)
    def _setup(**_: Any) -> None:
        configure_logging(settings.service_name, level=settings.log_level, fmt=settings.log_format)
