"""kombu's Redis transport with one fix: losing Redis while a task runs no longer kills the worker.

When the broker connection drops, Celery closes it, and closing the channel puts the
unacknowledged messages back on their queue, which needs the connection the transport has just
let go of: kombu 5.7 raises ``AttributeError`` (``conninfo.hostname`` of ``None``), which Celery
treats as unrecoverable, so the worker exits instead of reconnecting; acknowledging a task that
finishes after the loss fails the same way. Here both are skipped when there is no connection
left to do them with. Nothing is lost: the messages stay in the
transport's unacked set, the running task still finishes, and a message whose acknowledgement
never arrives is handed out again after the visibility timeout (tasks are idempotent).
"""

from __future__ import annotations

from typing import Any

import structlog
from kombu.transport import redis

logger = structlog.get_logger(__name__)

TRANSPORT = "chiiki_shared.redis_transport:Transport"


class QoS(redis.QoS):
    def _connection_gone(self) -> bool:
        transport = self.channel.connection
        return transport is None or transport.client is None

    def restore_unacked(self, client: Any = None) -> None:
        if client is None and self._connection_gone():
            logger.warning("bus_unacked_left_for_redelivery", unacked=len(self._delivered or ()))
            return
        super().restore_unacked(client)

    def ack(self, delivery_tag: str) -> None:
        # A task that finishes after its channel was lost cannot be acknowledged on it.
        if self._connection_gone():
            logger.warning("bus_ack_after_connection_lost", delivery_tag=delivery_tag)
            if self._delivered is not None:
                self._delivered.pop(delivery_tag, None)
            return
        super().ack(delivery_tag)


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
