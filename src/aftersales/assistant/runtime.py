"""One built assistant per knowledge base version, shared by all requests of a process."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy.orm import Session

from aftersales.assistant.engine import Assistant


class AssistantCache:
    """Rebuilds the models when the knowledge base changed (a cheap fingerprint query per message)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fingerprint: tuple[Any, ...] | None = None
        self._assistant: Assistant | None = None

    def get(self, db: Session) -> Assistant | None:
        from aftersales.kb import service as kb

        current = kb.fingerprint(db)
        if current == self._fingerprint:
            return self._assistant
        with self._lock:
            if current != self._fingerprint:
                entries = kb.active_entries(db)
                self._assistant = Assistant(entries) if entries else None
                self._fingerprint = current
        return self._assistant
