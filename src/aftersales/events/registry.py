"""Internal event handlers: functions run by the dispatcher inside the transaction that marks the event done.

A handler only writes to the database through the session it is given: a batch is first tried in one
savepoint and, if any handler fails, rolled back and retried event by event, so a handler may run more than once
but only one run's writes are ever committed. Anything that leaves the process (mail, HTTP) is a notification
or webhook row, sent later by the dispatcher with retries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from sqlalchemy.orm import Session

from aftersales.kit.outbox import OutboxEvent
from aftersales.kit.settings import Settings


@dataclass
class HandlerContext:
    now: datetime
    settings: Settings
    # Per-batch memo for lookups every event repeats (active webhook endpoints, signers).
    cache: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Session, OutboxEvent, HandlerContext], None]


class Registry:
    """Topic patterns (``ticket.*``, ``*``) to handlers, run in registration order."""

    def __init__(self) -> None:
        self._handlers: list[tuple[str, str, Handler]] = []

    def on(self, pattern: str) -> Callable[[Handler], Handler]:
        def add(handler: Handler) -> Handler:
            self._handlers.append((pattern, f"{handler.__module__}.{handler.__qualname__}", handler))
            return handler

        return add

    def handlers_for(self, topic: str) -> list[tuple[str, Handler]]:
        return [(name, handler) for pattern, name, handler in self._handlers if fnmatchcase(topic, pattern)]

    def names(self) -> list[str]:
        return [f"{pattern} -> {name}" for pattern, name, _ in self._handlers]


registry = Registry()
_loaded = False


def default_registry() -> Registry:
    """The registry with every domain's handlers; importing the modules registers them."""
    global _loaded
    if not _loaded:
        import aftersales.channels.handlers
        import aftersales.events.webhooks
        import aftersales.surveys.handlers  # noqa: F401

        _loaded = True
    return registry
