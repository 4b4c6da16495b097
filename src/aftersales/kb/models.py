"""Knowledge entries and their version history (every create, update and retirement is a new version row)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.kit.db import Base, BigId, JsonType, UTCDateTime


class KbEntry(Base):
    __tablename__ = "kb_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    intent: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), default="faq")
    questions: Mapped[list[str]] = mapped_column(JsonType, default=list)
    answer: Mapped[str] = mapped_column(Text)
    uses_facts: Mapped[list[str]] = mapped_column(JsonType, default=list)
    products: Mapped[list[str]] = mapped_column(JsonType, default=list)
    tags: Mapped[list[str]] = mapped_column(JsonType, default=list)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str | None] = mapped_column(String(32))  # pack name, "review", "api", "import"
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class KbEntryVersion(Base):
    __tablename__ = "kb_entry_versions"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("kb_entries.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(16))  # created | updated | retired | restored
    snapshot: Mapped[dict[str, Any]] = mapped_column(JsonType)
    changed_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
