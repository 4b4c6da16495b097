"""Automatic triage of tickets from their (Chinese) text: category, severity, department, kind.

See :mod:`aftersales.triage.engine` for the API and ``packs/*.yaml`` for the rules.
"""

from aftersales.triage.engine import (
    CATEGORIES,
    DEPARTMENTS,
    KINDS,
    SEVERITIES,
    IndustryPack,
    OrderContext,
    RuleHit,
    TriageDecision,
    TriageInput,
    available_packs,
    load_pack,
    load_pack_from_mapping,
    triage,
    warm_up,
)

__all__ = [
    "CATEGORIES",
    "DEPARTMENTS",
    "KINDS",
    "SEVERITIES",
    "IndustryPack",
    "OrderContext",
    "RuleHit",
    "TriageDecision",
    "TriageInput",
    "available_packs",
    "load_pack",
    "load_pack_from_mapping",
    "triage",
    "warm_up",
]
