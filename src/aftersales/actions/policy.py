"""Resolution policies as data, evaluated by pure functions: no database, no clock.

``evaluate`` decides whether a requested action is allowed, whether someone must approve it and who may;
a refusal carries the key of the policy that refused (``return_window``, ``refund_before_return`` …).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROLES_BY_RANK = ("agent", "supervisor", "admin")
AMOUNT_KINDS = ("refund", "compensation", "repair")


@dataclass(frozen=True)
class ServicePolicies:
    return_window_days: int
    return_window_kinds: tuple[str, ...]
    exempt_categories: tuple[str, ...]
    approval_limits: dict[str, Decimal | None]
    refund_before_return_tiers: tuple[str, ...]
    refund_before_return_max: Decimal
    medical_referral_severities: tuple[str, ...]
    entitlements: dict[str, dict[str, bool]]
    callback_due_hours: dict[str, float]
    second_callback_hours: float

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServicePolicies:
        try:
            limits = {
                role: None if value is None else Decimal(str(value)) for role, value in data["approval_limits"].items()
            }
            return cls(
                return_window_days=int(data["return_window"]["days"]),
                return_window_kinds=tuple(data["return_window"]["kinds"]),
                exempt_categories=tuple(data["return_window"]["exempt_categories"]),
                approval_limits=limits,
                refund_before_return_tiers=tuple(data["refund_before_return"]["tiers"]),
                refund_before_return_max=Decimal(str(data["refund_before_return"]["max_amount"])),
                medical_referral_severities=tuple(data["medical_referral"]["severities"]),
                entitlements={tier: dict(v or {}) for tier, v in data["entitlements"].items()},
                callback_due_hours={k: float(v) for k, v in data["callbacks"]["due_hours"].items()},
                second_callback_hours=float(data["callbacks"]["second_callback_hours"]),
            )
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise ValueError(f"service policies: missing or invalid {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        return {
            "return_window": {
                "days": self.return_window_days,
                "kinds": list(self.return_window_kinds),
                "exempt_categories": list(self.exempt_categories),
            },
            "approval_limits": {k: None if v is None else str(v) for k, v in self.approval_limits.items()},
            "refund_before_return": {
                "tiers": list(self.refund_before_return_tiers),
                "max_amount": str(self.refund_before_return_max),
            },
            "medical_referral": {"severities": list(self.medical_referral_severities)},
            "entitlements": self.entitlements,
            "callbacks": {"due_hours": self.callback_due_hours, "second_callback_hours": self.second_callback_hours},
        }


@lru_cache(maxsize=4)
def load_policies(path: str | None = None) -> ServicePolicies:
    source = Path(path) if path else Path(__file__).with_name("policies.yaml")
    return ServicePolicies.from_dict(yaml.safe_load(source.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class ActionFacts:
    """What the policies look at: the request and the ticket/order it is about."""

    kind: str
    amount: Decimal | None
    requester_role: str
    severity: str
    category: str
    customer_tier: str
    days_since_delivery: float | None
    order_total: Decimal | None = None
    refund_before_return: bool = False
    on_site: bool = False
    minor_repair: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    needs_approval: bool = False
    approver_roles: tuple[str, ...] = ()
    refused_by: str | None = None
    message: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    amount: Decimal | None = None


def _refuse(policy: str, message: str) -> Decision:
    return Decision(allowed=False, refused_by=policy, message=message)


def limit_covers(policies: ServicePolicies, role: str, amount: Decimal | None) -> bool:
    if amount is None or amount == 0:
        return role in policies.approval_limits
    if role not in policies.approval_limits:
        return False
    limit = policies.approval_limits[role]
    return limit is None or amount <= limit


def entitled(policies: ServicePolicies, tier: str, entitlement: str) -> bool:
    return bool(policies.entitlements.get(tier, {}).get(entitlement, False))


def evaluate(policies: ServicePolicies, facts: ActionFacts) -> Decision:
    notes: list[str] = []
    amount = facts.amount
    if facts.kind == "medical_referral" and facts.severity not in policies.medical_referral_severities:
        return _refuse(
            "medical_referral",
            f"medical-support referral is for {'/'.join(policies.medical_referral_severities)} tickets; "
            f"this one is {facts.severity}",
        )
    if facts.kind in policies.return_window_kinds:
        if facts.category in policies.exempt_categories:
            notes.append(f"return_window: ignored for {facts.category} problems")
        elif facts.days_since_delivery is None:
            notes.append("return_window: delivery date unknown, a supervisor checks it")
        elif facts.days_since_delivery > policies.return_window_days:
            return _refuse(
                "return_window",
                f"the {policies.return_window_days}-day no-reason return window has passed "
                f"({facts.days_since_delivery:.1f} days since delivery) and the problem ({facts.category}) "
                "is not one that ignores the window",
            )
        else:
            notes.append(f"return_window: {facts.days_since_delivery:.1f} of {policies.return_window_days} days")
    if facts.kind == "refund" and amount is not None and facts.order_total is not None and amount > facts.order_total:
        return _refuse("refund_amount", f"the refund ({amount}) is more than the order total ({facts.order_total})")
    if facts.refund_before_return:
        if facts.kind != "refund":
            return _refuse("refund_before_return", "refund before return applies to refunds only")
        if facts.customer_tier not in policies.refund_before_return_tiers:
            return _refuse(
                "refund_before_return",
                f"refund before return is for {', '.join(policies.refund_before_return_tiers)} customers; "
                f"this customer is {facts.customer_tier}",
            )
        if amount is not None and amount > policies.refund_before_return_max:
            return _refuse(
                "refund_before_return",
                f"refund before return is limited to {policies.refund_before_return_max}; asked {amount}",
            )
        notes.append(f"refund_before_return: trusted {facts.customer_tier} customer")
    if facts.kind == "repair":
        if facts.on_site:
            if not entitled(policies, facts.customer_tier, "on_site_service"):
                return _refuse(
                    "entitlements.on_site_service",
                    f"on-site service is an entitlement this customer's tier ({facts.customer_tier}) does not have",
                )
            notes.append(f"entitlements.on_site_service: {facts.customer_tier}")
        free = "free_minor_repair" if facts.minor_repair else "free_repair"
        if entitled(policies, facts.customer_tier, free) or entitled(policies, facts.customer_tier, "free_repair"):
            notes.append(f"entitlements.{free}: repair is free for {facts.customer_tier} customers")
            amount = Decimal("0")
    if not limit_covers(policies, facts.requester_role, amount):
        approvers = tuple(
            role for role in ROLES_BY_RANK if role != facts.requester_role and limit_covers(policies, role, amount)
        )
        notes.append(
            f"approval_limits: {amount} is above the {facts.requester_role} limit "
            f"({policies.approval_limits.get(facts.requester_role)})"
        )
        return Decision(True, True, approvers, notes=tuple(notes), amount=amount)
    if "return_window: delivery date unknown, a supervisor checks it" in notes:
        return Decision(True, True, ("supervisor", "admin"), notes=tuple(notes), amount=amount)
    return Decision(True, False, (), notes=tuple(notes), amount=amount)
