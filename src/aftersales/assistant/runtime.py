"""One built assistant per knowledge base version, shared by all requests of a process."""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy.orm import Session

from aftersales.assistant.engine import ANSWER_THRESHOLD, Assistant
from aftersales.assistant.knowledge import Entry

log = logging.getLogger("aftersales.assistant")
# Up to this size a rebuild takes a few seconds and is done in the request, so a new entry answers at once;
# a larger knowledge base (10,000 entries take minutes) is rebuilt in the background while the old one serves.
SYNC_REBUILD_MAX_ENTRIES = 1000


class AssistantCache:
    """Rebuilds the models when the knowledge base changed (a cheap fingerprint query per message)."""

    def __init__(self, threshold: float = ANSWER_THRESHOLD) -> None:
        self.threshold = threshold
        self._lock = threading.Lock()
        self._fingerprint: tuple[Any, ...] | None = None
        self._building: tuple[Any, ...] | None = None
        self._assistant: Assistant | None = None

    def get(self, db: Session) -> Assistant | None:
        from aftersales.kb import service as kb

        current = kb.fingerprint(db)
        if current == self._fingerprint or current == self._building:
            return self._assistant
        entries = kb.active_entries(db)
        if self._assistant is not None and len(entries) > SYNC_REBUILD_MAX_ENTRIES:
            self._building = current
            threading.Thread(target=self._build, args=(entries, current), daemon=True).start()
            return self._assistant
        self._build(entries, current)
        return self._assistant

    def _build(self, entries: list[Entry], fingerprint: tuple[Any, ...]) -> None:
        with self._lock:
            if fingerprint == self._fingerprint:
                return
            try:
                assistant = Assistant(entries, threshold=self.threshold) if entries else None
            except Exception:  # keep serving the previous version rather than failing every message
                log.exception("rebuilding the assistant failed; the previous knowledge base version stays in use")
                return
            self._assistant, self._fingerprint = assistant, fingerprint
