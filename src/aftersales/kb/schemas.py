"""Request and response bodies of the knowledge base API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class KbEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=2, max_length=120, pattern=r"^[a-z0-9][a-z0-9_.-]+$")
    intent: str = Field(min_length=2, max_length=64, pattern=r"^[a-z][a-z0-9_]+$")
    category: str | None = Field(default=None, max_length=32)
    kind: Literal["faq", "policy", "product_fact"] = "faq"
    questions: list[str] = Field(min_length=1, max_length=50)
    answer: str = Field(min_length=1, max_length=5000)
    uses_facts: list[Literal["shelf_life_days", "storage", "ingredients", "care"]] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list, max_length=100)
    tags: list[str] = Field(default_factory=list, max_length=50)
    valid_from: date | None = None
    valid_to: date | None = None


class KbEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    key: str
    intent: str
    category: str | None
    kind: str
    questions: list[str]
    answer: str
    uses_facts: list[str]
    products: list[str]
    tags: list[str]
    valid_from: date | None
    valid_to: date | None
    active: bool
    source: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class KbVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    version: int
    change: str
    snapshot: dict[str, Any]
    changed_by: str
    created_at: datetime


class LookupHit(BaseModel):
    key: str
    intent: str
    question: str
    answer: str
    score: float
    confidence: float | None = None
