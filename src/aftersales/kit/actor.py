"""Who is acting: an agent (with a role), a customer through a signed link, or the system itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    type: str  # "agent" | "customer" | "system"
    id: int | None = None
    role: str | None = None
    name: str = ""

    @property
    def scope(self) -> str:
        return f"{self.type}:{self.id}"


SYSTEM = Actor(type="system", name="aftersales")
