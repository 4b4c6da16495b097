"""Conversations with the assistant, their messages (with ratings) and the review queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.kit.db import Base, BigId, JsonType, UTCDateTime


class Conversation(Base):
    __tablename__ = "assistant_conversations"
    __table_args__ = (UniqueConstraint("channel", "external_ref"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_ref: Mapped[str | None] = mapped_column(String(128))  # the channel's own conversation id
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | handed_off
    state: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConversationMessage(Base):
    __tablename__ = "assistant_messages"
    __table_args__ = (Index("ix_assistant_messages_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("assistant_conversations.id"))
    role: Mapped[str] = mapped_column(String(16))  # customer | assistant
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    rating: Mapped[int | None] = mapped_column(Integer)  # +1 / -1 from the customer, on assistant messages
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReviewItem(Base):
    """A question the assistant could not answer, or whose answer was rated down: material for new entries."""

    __tablename__ = "assistant_review_items"
    __table_args__ = (Index("ix_assistant_review_status", "status", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("assistant_messages.id"), unique=True)
    question: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(16))  # unanswered | down_rated
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | converted | dismissed
    entry_key: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
