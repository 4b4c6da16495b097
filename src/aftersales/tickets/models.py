"""Tickets and their append-only timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.kit.db import Base, BigId, JsonType, UTCDateTime

KINDS = (
    "consultation",
    "complaint",
    "return",
    "exchange",
    "reissue",
    "refund",
    "repair",
    "suggestion",
    "care_followup",
)
CHANNELS = ("web", "chat", "email", "phone", "api", "wechat", "douyin", "app", "ecommerce", "store", "social")
STATUSES = ("new", "triaged", "assigned", "in_progress", "waiting_on_customer", "resolved", "closed")
OPEN_STATUSES = ("new", "triaged", "assigned", "in_progress", "waiting_on_customer")
ENTRY_KINDS = (
    "message",
    "note",
    "progress",
    "status_change",
    "assignment",
    "collaborator",
    "triage",
    "triage_override",
    "sla_policy",
    "sla_event",
    "escalation",
    "attachment",
    "callback",
    "action",
    "survey",
)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_created", "status", "created_at"),
        Index("ix_tickets_department_status_created", "department", "status", "created_at"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        Index("ix_tickets_severity_created", "severity", "created_at"),
        Index("ix_tickets_created", "created_at"),
        Index("ix_tickets_breach", "sla_breach_at"),
        Index("ix_tickets_sla_next_check", "sla_next_check_at"),
        Index("ix_tickets_customer", "customer_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(2))
    department: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(24), default="new")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    customer_tier: Mapped[str] = mapped_column(String(16), default="standard")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    triage: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    triage_overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    sla_policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id"))
    sla_state: Mapped[str] = mapped_column(String(16), default="none")
    sla_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_breach_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the sweep must next look at this ticket (a warning, breach or escalation may become due then).
    sla_next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    search_text: Mapped[str] = mapped_column(Text, default="")
    external_ref: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class TicketEntry(Base):
    """One line of a ticket's timeline. Rows are only ever inserted, never updated or deleted."""

    __tablename__ = "ticket_entries"
    __table_args__ = (Index("ix_ticket_entries_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(24))
    author_type: Mapped[str] = mapped_column(String(16))  # customer | agent | system
    author_id: Mapped[int | None] = mapped_column(BigId)
    visibility: Mapped[str] = mapped_column(String(16), default="internal")  # public | internal
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TicketCollaborator(Base):
    __tablename__ = "ticket_collaborators"
    __table_args__ = (UniqueConstraint("ticket_id", "agent_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_entries.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    uploaded_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IdempotencyKey(Base):
    """Remembers the answer to a create request so a retried request gets the same ticket, not a second one."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[int] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
