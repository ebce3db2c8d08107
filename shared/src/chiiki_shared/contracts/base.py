"""What every bus message has: its task name, its schema version, validation on both ends.

A message is built as a model (so it is validated before it leaves) and read back with
``receive`` (so a worker never acts on a payload the contract does not allow). A payload of another
``schema_version`` is refused like any other bad payload: changing a message's shape means a new
version, which both ends must know before the sender uses it.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError

logger = structlog.get_logger(__name__)

# How many validation errors a refused message logs (the rest only inflate the log line).
LOGGED_ERRORS = 5


class BusMessage(BaseModel):
    """One task's single JSON argument. Subclasses set ``TASK`` (the task it is sent to)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    TASK: ClassVar[str]
    schema_version: Literal[1] = Field(1, description="The version of this message's shape.")

    def payload(self) -> dict[str, Any]:
        """The JSON object the task receives."""
        return self.model_dump(mode="json")

    @classmethod
    def receive(cls, raw: object) -> Self | None:
        """The validated message, or ``None`` (logged) when ``raw`` breaks the contract."""
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            logger.warning("bus_message_rejected", task=cls.TASK, errors=describe(exc))
            return None


def describe(exc: ValidationError) -> str:
    """The first validation errors as one line, without the values (they may be large)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'payload'}: {error['msg']}"
        for error in exc.errors()[:LOGGED_ERRORS]
    )
