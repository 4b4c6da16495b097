"""Bodies of the agent and auth API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

Role = Literal["agent", "supervisor", "admin", "analyst"]
Department = Literal["customer_service", "after_sales", "quality", "logistics", "product", "management"]


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr
    password: str = Field(min_length=1, max_length=200)


class AgentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr
    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=10, max_length=200)
    role: Role = "agent"
    department: Department = "customer_service"
    skills: list[str] = Field(default_factory=list, max_length=50)
    capacity: int = Field(default=10, ge=0, le=500)


class AgentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    role: Role | None = None
    department: Department | None = None
    skills: list[str] | None = Field(default=None, max_length=50)
    capacity: int | None = Field(default=None, ge=0, le=500)
    available: bool | None = None
    active: bool | None = None
    password: str | None = Field(default=None, min_length=10, max_length=200)


class AgentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str
    name: str
    role: str
    department: str
    skills: list[str]
    capacity: int
    available: bool
    active: bool
    created_at: datetime


class AgentWithLoad(AgentOut):
    open_tickets: int = 0


class TokenOut(BaseModel):
    token: str
    token_type: str = "bearer"
    expires_at: datetime | None
    agent: AgentOut
