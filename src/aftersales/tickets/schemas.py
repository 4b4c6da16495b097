"""Request and response bodies of the ticket API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from aftersales.kit.db import MAX_ID
from aftersales.tickets.models import CHANNELS, KINDS

Channel = Literal[CHANNELS]  # type: ignore[valid-type]
Kind = Literal[KINDS]  # type: ignore[valid-type]
Severity = Literal["L1", "L2", "L3"]
Department = Literal["customer_service", "after_sales", "quality", "logistics", "product", "management"]
Category = Literal[
    "quality",
    "packaging_damage",
    "logistics_delay",
    "wrong_or_missing_item",
    "usage_question",
    "adverse_reaction",
    "cold_chain",
    "authenticity",
    "service_attitude",
    "suggestion",
]
Status = Literal["new", "triaged", "assigned", "in_progress", "waiting_on_customer", "resolved", "closed"]
SlaFilter = Literal["ok", "warning", "breached", "paused", "none"]


def _not_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


class CustomerRef(BaseModel):
    """Who the ticket is from: an existing customer id, or contact details to find or create one."""

    model_config = ConfigDict(extra="forbid")
    id: int | None = Field(default=None, ge=1, le=MAX_ID)
    name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9\- ]{5,20}$")
    email: EmailStr | None = None

    @model_validator(mode="after")
    def _something_given(self) -> CustomerRef:
        if self.id is None and not (self.phone or self.email):
            raise ValueError("give the customer's id, phone or email")
        return self


class TicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str = Field(default="", max_length=200)
    description: str = Field(min_length=1, max_length=20000)
    channel: Channel
    kind: Kind | None = None
    customer: CustomerRef | None = None
    order_number: str | None = Field(default=None, max_length=64)
    product_sku: str | None = Field(default=None, max_length=64)
    batch_code: str | None = Field(default=None, max_length=64)
    external_ref: str | None = Field(default=None, max_length=128)

    _blank = field_validator("description")(_not_blank)


class MessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=20000)
    _blank = field_validator("body")(_not_blank)


class CallbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reached: bool = Field(description="true: the customer was reached (fulfils the follow-up SLA)")
    summary: str = Field(min_length=1, max_length=5000)
    _blank = field_validator("summary")(_not_blank)


class TransitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["start", "wait_on_customer", "resume", "resolve", "close", "reopen"]
    reason: str | None = Field(default=None, max_length=2000)


class AssignmentRequest(BaseModel):
    """agent_id: assign to that agent; null with auto=true: let routing choose; null alone: back to queue."""

    model_config = ConfigDict(extra="forbid")
    agent_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    auto: bool = False


class CollaboratorRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_id: int = Field(ge=1, le=MAX_ID)


class TriageOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Category | None = None
    severity: Severity | None = None
    department: Department | None = None
    reason: str = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _changes_something(self) -> TriageOverride:
        if self.category is None and self.severity is None and self.department is None:
            raise ValueError("give at least one of category, severity, department")
        return self


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    author_type: str
    author_id: int | None
    visibility: str
    body: str
    data: dict[str, Any]
    created_at: datetime


class MetricOut(BaseModel):
    metric: str
    status: str
    warning: bool
    target_minutes: float | None
    started_at: datetime | None
    due_at: datetime | None
    fulfilled_at: datetime | None
    breached_at: datetime | None
    remaining_seconds: float | None
    elapsed_seconds: float | None


class ClockEventOut(BaseModel):
    at: datetime
    metric: str
    event: str
    detail: str = ""


class SlaOut(BaseModel):
    state: str
    policy: dict[str, Any] | None
    metrics: list[MetricOut]
    events: list[ClockEventOut]
    escalation_level: int


class TicketSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    subject: str
    kind: str
    channel: str
    category: str
    severity: str
    department: str
    status: str
    customer_id: int | None
    customer_tier: str
    order_id: int | None
    product_id: int | None
    batch_id: int | None
    assignee_id: int | None
    sla_state: str
    sla_warn_at: datetime | None
    sla_breach_at: datetime | None
    escalation_level: int
    created_at: datetime
    updated_at: datetime
    first_replied_at: datetime | None
    resolved_at: datetime | None


class TicketDetail(TicketSummary):
    description: str
    triage: dict[str, Any]
    triage_overridden: bool
    collaborator_ids: list[int] = []
    timeline: list[EntryOut] = []
    sla: SlaOut | None = None


class TicketPage(BaseModel):
    items: list[TicketSummary]
    next_cursor: str | None


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    ticket_id: int
    entry_id: int | None
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    created_at: datetime


class CustomerLinkOut(BaseModel):
    token: str
    url: str
    expires_in_days: int


class PortalTicket(BaseModel):
    """What a customer sees through a signed link: public entries only, no internal data."""

    id: int
    subject: str
    status: str
    status_label: str
    created_at: datetime
    timeline: list[EntryOut]
