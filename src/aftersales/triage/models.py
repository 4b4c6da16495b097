"""The brand's edits to its industry pack's triage rules: one row per saved version (who, when, what changed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.kit.db import Base, BigId, JsonType, UTCDateTime


class TriageRuleVersion(Base):
    """The whole overlay as saved; the highest version of a pack is in force (its number is the cache stamp)."""

    __tablename__ = "triage_rule_versions"
    # The unique index doubles as the cheap "latest version" lookup and refuses two saves of the same version.
    __table_args__ = (UniqueConstraint("pack", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    pack: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    overlay: Mapped[dict[str, Any]] = mapped_column(JsonType)
    change: Mapped[str] = mapped_column(String(300))
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_by_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
