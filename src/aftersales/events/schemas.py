"""Shapes for webhook endpoints and deliveries."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

_TOPIC = re.compile(r"^[a-z_*]+(\.[a-z_*]+)*$")


def _check_topics(topics: list[str]) -> list[str]:
    for topic in topics:
        if not _TOPIC.match(topic):
            raise ValueError(f"'{topic}' is not a topic pattern like ticket.created, action.* or *")
    return topics


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=8, max_length=2000, pattern=r"^https?://[^\s]+$")
    topics: list[str] = Field(default_factory=lambda: ["*"], max_length=50)
    secret: str | None = Field(default=None, min_length=16, max_length=200, description="generated when omitted")
    _topics = field_validator("topics")(_check_topics)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    url: str | None = Field(default=None, min_length=8, max_length=2000, pattern=r"^https?://[^\s]+$")
    topics: list[str] | None = Field(default=None, max_length=50)
    active: bool | None = None

    @field_validator("topics")
    @classmethod
    def _valid(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _check_topics(value)


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    url: str
    topics: list[str]
    active: bool
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="shown once: verify X-Aftersales-Signature with it")


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    endpoint_id: int
    event_id: int
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class ReplayOut(BaseModel):
    replayed: int
