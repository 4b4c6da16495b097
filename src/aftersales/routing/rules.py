"""Pure routing decisions: who may take a ticket, who should, and which queued ticket goes first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

SEVERITY_RANK = {"L3": 0, "L2": 1, "L1": 2}
TIER_RANK = {"vip": 0, "gold": 1, "silver": 2, "standard": 3}


@dataclass(frozen=True)
class Candidate:
    agent_id: int
    department: str
    skills: tuple[str, ...]
    capacity: int
    open_load: int
    available: bool = True
    active: bool = True


def can_take(candidate: Candidate, *, department: str, category: str, customer_tier: str) -> bool:
    if not (candidate.active and candidate.available) or candidate.open_load >= candidate.capacity:
        return False
    if candidate.department != department:
        return False
    skills = set(candidate.skills)
    if customer_tier == "vip" and "vip_only" in skills:
        return True
    # An agent with no listed skills is a generalist; "*" says so explicitly.
    return not skills - {"vip", "vip_only"} or "*" in skills or category in skills


def choose(candidates: Iterable[Candidate], *, department: str, category: str, customer_tier: str) -> Candidate | None:
    """Lightest relative load wins; VIP tickets prefer agents with the "vip" skill; then named skill, lowest id."""
    eligible = [
        c for c in candidates if can_take(c, department=department, category=category, customer_tier=customer_tier)
    ]
    if not eligible:
        return None

    def key(c: Candidate) -> tuple[int, float, int, int]:
        vip_match = 0 if customer_tier == "vip" and ("vip" in c.skills or "vip_only" in c.skills) else 1
        # Load decides among qualified agents; a named skill only breaks ties, so generalists are not left idle.
        exact_skill = 0 if category in c.skills else 1
        return (vip_match, c.open_load / max(c.capacity, 1), exact_skill, c.agent_id)

    return min(eligible, key=key)


def queue_priority(*, customer_tier: str, severity: str, created_at: datetime) -> tuple[int, int, float]:
    """Sort key for waiting tickets: VIP customers first, then severity, then oldest."""
    return (TIER_RANK.get(customer_tier, 9), SEVERITY_RANK.get(severity, 9), created_at.timestamp())
