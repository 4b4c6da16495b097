"""Resolution actions on a ticket: refund, reissue, exchange, return pickup, repair, compensation, referral."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.kit.db import Base, BigId, JsonType, UTCDateTime

ACTION_KINDS = (
    "refund",
    "reissue",
    "exchange",
    "return_pickup",
    "repair",
    "compensation",
    "medical_referral",
)
ACTION_STATUSES = ("requested", "approved", "executed", "rejected", "failed")


class ResolutionAction(Base):
    __tablename__ = "resolution_actions"
    __table_args__ = (
        # NULL keys are distinct on both databases, so only keyed requests are deduplicated.
        UniqueConstraint("ticket_id", "idempotency_key"),
        Index("ix_resolution_actions_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    params: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    approver_roles: Mapped[list[str]] = mapped_column(JsonType, default=list)
    policy_notes: Mapped[list[str]] = mapped_column(JsonType, default=list)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    executed_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
