"""Request and response shapes for resolution actions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ActionKind = Literal["refund", "reissue", "exchange", "return_pickup", "repair", "compensation", "medical_referral"]


class ActionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: ActionKind
    amount: Decimal | None = Field(default=None, ge=0, le=Decimal("10000000"), decimal_places=2)
    refund_mode: Literal["full", "partial"] | None = Field(default=None, description="refunds only")
    refund_before_return: bool = Field(default=False, description="先行退款 (trusted customers only)")
    compensation_type: Literal["coupon", "amount"] | None = Field(default=None, description="compensation only")
    on_site: bool = Field(default=False, description="repair at the customer's place (an entitlement)")
    minor_repair: bool = Field(default=False, description="loose threads, buttons: free for more tiers")
    pickup_address: str | None = Field(default=None, max_length=500, description="return_pickup: where to collect")
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _shape(self) -> ActionCreate:
        from aftersales.kit.errors import ValidationFailed

        if self.kind == "refund":
            if self.refund_mode is None:
                raise ValidationFailed("a refund needs refund_mode: full or partial", field="refund_mode")
            if self.refund_mode == "partial" and not self.amount:
                raise ValidationFailed("a partial refund needs an amount above 0", field="amount")
        elif self.refund_mode is not None:
            raise ValidationFailed("refund_mode is for refunds only", field="refund_mode")
        if self.kind == "compensation":
            if self.compensation_type is None:
                raise ValidationFailed(
                    "compensation needs compensation_type: coupon or amount", field="compensation_type"
                )
            if not self.amount:
                raise ValidationFailed("compensation needs an amount above 0", field="amount")
        elif self.compensation_type is not None:
            raise ValidationFailed("compensation_type is for compensation only", field="compensation_type")
        if (self.on_site or self.minor_repair) and self.kind != "repair":
            raise ValidationFailed("on_site and minor_repair are for repairs only", field="on_site")
        return self


class ActionDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=2000)


class ActionExecute(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["executed", "failed"] = "executed"
    reference: str | None = Field(
        default=None, max_length=200, description="refund transaction, courier tracking number, coupon code …"
    )
    note: str | None = Field(default=None, max_length=2000)


class ActionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    ticket_id: int
    kind: str
    status: str
    amount: Decimal | None
    params: dict[str, Any]
    needs_approval: bool
    approver_roles: list[str]
    policy_notes: list[str]
    requested_by: int | None
    decided_by: int | None
    decided_at: datetime | None
    executed_by: int | None
    executed_at: datetime | None
    reason: str | None
    result: dict[str, Any]
    created_at: datetime
    customer_text: str = ""


class CustomerResponse(BaseModel):
    """The customer's answer to a proposed resolution, through their signed link."""

    model_config = ConfigDict(extra="forbid")
    accept: bool
    note: str | None = Field(default=None, max_length=2000)


class PortalActionOut(BaseModel):
    """What the customer sees of an action: plain Chinese, no internal notes."""

    id: int
    customer_response: Literal["accepted", "declined"] | None = None
    can_respond: bool = False
    kind: str
    kind_label: str
    status: str
    status_label: str
    amount: Decimal | None
    text: str
    updated_at: datetime
