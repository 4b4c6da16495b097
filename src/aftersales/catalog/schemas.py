"""Bodies of the customer, product, batch and order API (also used by the CSV importer)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from aftersales.kit.db import MAX_ID

Tier = Literal["standard", "silver", "gold", "vip"]
OrderStatus = Literal["paid", "shipped", "in_transit", "delivered", "returned", "cancelled"]


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9\- ]{5,20}$")
    email: EmailStr | None = None
    tier: Tier = "standard"
    address: str | None = Field(default=None, max_length=500)
    external_ref: str | None = Field(default=None, max_length=64)
    tags: list[str] = Field(default_factory=list, max_length=50)


class CustomerOut(CustomerIn):
    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str | None = None  # type: ignore[assignment]
    created_at: datetime


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=64)
    shelf_life_days: int | None = Field(default=None, ge=0, le=36500)
    storage: str | None = Field(default=None, max_length=200)
    cold_chain: bool = False


class ProductOut(ProductIn):
    model_config = ConfigDict(from_attributes=True)
    id: int


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_sku: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=64)
    produced_on: date | None = None
    expires_on: date | None = None


class BatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    product_id: int
    code: str
    produced_on: date | None
    expires_on: date | None


class OrderItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_sku: str = Field(min_length=1, max_length=64)
    batch_code: str | None = Field(default=None, max_length=64)
    quantity: int = Field(default=1, ge=1, le=100000)
    unit_price: Decimal = Field(default=Decimal("0"), ge=0, max_digits=12, decimal_places=2)


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(min_length=1, max_length=64)
    customer_id: int = Field(ge=1, le=MAX_ID)
    status: OrderStatus = "paid"
    sales_channel: str | None = Field(default=None, max_length=32)
    placed_at: datetime
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    carrier: str | None = Field(default=None, max_length=64)
    tracking_number: str | None = Field(default=None, max_length=64)
    delivery_address: str | None = Field(default=None, max_length=500)
    items: list[OrderItemIn] = Field(min_length=1, max_length=200)


class OrderItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    product_id: int
    batch_id: int | None
    quantity: int
    unit_price: Decimal


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    number: str
    customer_id: int
    status: str
    sales_channel: str | None
    placed_at: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None
    carrier: str | None
    tracking_number: str | None
    total_amount: Decimal
    items: list[OrderItemOut]
