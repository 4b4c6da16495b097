"""Stored SLA policies and business calendars (the pure engine works on their plain-data form)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.kit.db import Base, BigId, JsonType, UTCDateTime


class SlaPolicyRecord(Base):
    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=100)
    conditions: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    targets: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    calendar_name: Mapped[str] = mapped_column(String(64), default="24x7")
    warn_ratio: Mapped[float] = mapped_column(Float, default=0.75)
    management_after_ratio: Mapped[float] = mapped_column(Float, default=0.5)
    version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BusinessCalendarRecord(Base):
    __tablename__ = "business_calendars"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
