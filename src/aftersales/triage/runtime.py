"""The pack triage uses for new tickets: the shipped pack with the brand's saved edits, cached per process.

Every intake asks the database for the version number in force (one index lookup), so an edit saved by any
process — another server, the CLI — is used by the next ticket everywhere, without a restart.
"""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session

from aftersales.triage import overlay as ov
from aftersales.triage import service
from aftersales.triage.engine import IndustryPack, load_pack


class PackRules:
    def __init__(self, name: str) -> None:
        self.name = name
        self.base = load_pack(name)
        self._lock = threading.Lock()
        self._version = 0
        self._pack = self.base

    def pack(self, db: Session) -> IndustryPack:
        """The pack in force; rebuilt only when the stored version number moved."""
        if service.stamp(db, self.name) == self._version:
            return self._pack
        row = service.current(db, self.name)
        version = row.version if row else 0
        pack = ov.apply(self.base, row.overlay) if row else self.base
        with self._lock:
            self._pack, self._version = pack, version
        return pack
