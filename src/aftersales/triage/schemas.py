"""Request and response bodies of the triage rules API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RulesUpdate(BaseModel):
    """The brand's whole overlay (see triage/overlay.py), saved as the next version of ``base_version``."""

    model_config = ConfigDict(extra="forbid")
    base_version: int = Field(ge=0, le=1_000_000, description="the version you edited; 0 for the shipped pack")
    overlay: dict[str, Any]
    change: str = Field(default="", max_length=300, description="what changed, for the history")


class RulesOut(BaseModel):
    pack: str
    title: str
    version: int
    changed_by: str | None
    changed_by_name: str | None
    changed_at: datetime | None
    overlay: dict[str, Any]
    rules: dict[str, Any]


class RulesVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    version: int
    change: str
    changed_by: str
    changed_by_name: str
    created_at: datetime
    overlay: dict[str, Any]
