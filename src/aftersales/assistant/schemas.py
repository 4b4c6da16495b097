"""Request and response bodies of the assistant API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aftersales.kb.schemas import KbEntryIn
from aftersales.kit.db import MAX_ID

ChatChannel = Literal["web", "chat", "wechat", "app", "douyin", "api"]


def _not_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


class ConversationStart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: ChatChannel = "web"
    customer_token: str | None = Field(default=None, max_length=500, description="from POST /assistant/customer-tokens")


class ConversationStarted(BaseModel):
    conversation_id: int
    token: str
    greeting: str


class CustomerMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000)
    _blank = field_validator("text")(_not_blank)


class ChannelCustomer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int | None = Field(default=None, ge=1, le=MAX_ID)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9\- ]{5,20}$")


class ChannelMessage(BaseModel):
    """A message relayed by another channel's integration (WeChat, app) under its own conversation id."""

    model_config = ConfigDict(extra="forbid")
    conversation_ref: str = Field(min_length=1, max_length=128)
    text: str = Field(min_length=1, max_length=2000)
    customer: ChannelCustomer | None = None
    _blank = field_validator("text")(_not_blank)


class AssistantReply(BaseModel):
    conversation_id: int
    message_id: int
    text: str
    action: str
    entry_key: str | None
    also_answered: list[str] = []  # entries that answered the message's other questions ("另外……")
    intent: str
    confidence: float
    emotion: str
    risks: list[str]
    slots: dict[str, Any]
    handoff: bool
    handoff_reason: str | None
    ticket_id: int | None
    customer_link: str | None = None


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    role: str
    body: str
    rating: int | None
    created_at: datetime


class ConversationOut(BaseModel):
    id: int
    channel: str
    status: str
    ticket_id: int | None
    messages: list[MessageOut]


class Rating(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: Literal[1, -1]


class CustomerTokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: int = Field(ge=1, le=MAX_ID)


class CustomerToken(BaseModel):
    token: str


class ReviewItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    message_id: int
    question: str
    reason: str
    status: str
    entry_key: str | None
    created_at: datetime


class ReviewConvert(BaseModel):
    """Turn a review item into knowledge: a new entry, or the question added to an existing entry's phrasings."""

    model_config = ConfigDict(extra="forbid")
    new_entry: KbEntryIn | None = None
    add_to_key: str | None = Field(default=None, max_length=120)


class Suggestion(BaseModel):
    key: str
    intent: str
    answer: str
    confidence: float
