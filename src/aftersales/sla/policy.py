"""SLA policies: targets per metric, chosen by ticket attributes (first match by position wins).

Default policies (SPEC §2) are *generated* from a small rule table: every rule that applies to a ticket
(its severity tier, its channel, its kind) contributes targets, and the policy for a combination gets the
**element-wise minimum** of the contributing targets. This guarantees that a channel rule never loosens a
severity clock (an L3 e-mail keeps 30 min first reply, not 4 h) while a stricter channel clock still
applies (an L1 chat gets 3 min). The generated combinations are ordered most specific first, and
combinations whose targets equal what the next matching, more general policy would give are pruned, so the
list stays short and first-match semantics stay exact (this is checked by brute force over all attribute
values at generation time).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

__all__ = [
    "CONDITION_FIELDS",
    "METRICS",
    "PolicyConfigError",
    "SlaPolicy",
    "SlaTargets",
    "default_policies",
    "match_policy",
]

METRICS: tuple[str, ...] = ("first_reply", "next_reply", "resolution", "follow_up")
CONDITION_FIELDS: tuple[str, ...] = ("severity", "channel", "customer_tier", "category", "kind")

_HOUR = 60
_DAY = 24 * 60


class PolicyConfigError(ValueError):
    """A policy definition is invalid; the message starts with the offending field path."""


@dataclass(frozen=True)
class SlaTargets:
    """Targets in minutes (business minutes of the policy's calendar); ``None`` = metric not tracked."""

    first_reply: float | None = None
    next_reply: float | None = None
    resolution: float | None = None
    follow_up: float | None = None

    def __post_init__(self) -> None:
        for m in METRICS:
            v = getattr(self, m)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0 or v != v:
                raise PolicyConfigError(f"targets.{m}: must be a positive number of minutes or null, got {v!r}")

    def get(self, metric: str) -> float | None:
        if metric not in METRICS:
            raise KeyError(metric)
        value: float | None = getattr(self, metric)
        return value

    def to_dict(self) -> dict[str, float | None]:
        return {m: getattr(self, m) for m in METRICS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SlaTargets:
        if not isinstance(data, Mapping):
            raise PolicyConfigError("targets: must be an object")
        unknown = sorted(set(data) - set(METRICS))
        if unknown:
            raise PolicyConfigError(f"targets.{unknown[0]}: unknown metric")
        return cls(**{m: data.get(m) for m in METRICS})


@dataclass(frozen=True)
class SlaPolicy:
    """An SLA policy. ``conditions`` maps a field of :data:`CONDITION_FIELDS` to allowed values.

    A missing field — or an empty list — matches any value. A ticket whose attribute is ``None`` only matches
    a condition on that field if the allowed values contain ``None``.
    """

    id: int | str
    name: str
    position: int = 100
    conditions: Mapping[str, Sequence[str | None]] = field(default_factory=dict, hash=False)
    targets: SlaTargets = field(default_factory=SlaTargets)
    calendar_name: str = "24x7"
    warn_ratio: float = 0.75
    management_after_ratio: float = 0.5
    version: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise PolicyConfigError("name: must be a non-empty string")
        if isinstance(self.position, bool) or not isinstance(self.position, int):
            raise PolicyConfigError("position: must be an integer")
        if not isinstance(self.conditions, Mapping):
            raise PolicyConfigError("conditions: must be an object")
        norm: dict[str, tuple[str | None, ...]] = {}
        for key, values in self.conditions.items():
            if key not in CONDITION_FIELDS:
                raise PolicyConfigError(f"conditions.{key}: unknown field (allowed: {', '.join(CONDITION_FIELDS)})")
            if isinstance(values, str) or not isinstance(values, Sequence | frozenset | set):
                raise PolicyConfigError(f"conditions.{key}: must be a list of values")
            vals = tuple(values)
            for i, v in enumerate(vals):
                if v is not None and not isinstance(v, str):
                    raise PolicyConfigError(f"conditions.{key}[{i}]: must be a string, got {v!r}")
            norm[key] = vals
        object.__setattr__(self, "conditions", norm)
        if not isinstance(self.targets, SlaTargets):
            raise PolicyConfigError("targets: must be SlaTargets")
        if not isinstance(self.calendar_name, str) or not self.calendar_name:
            raise PolicyConfigError("calendar_name: must be a non-empty string")
        if (
            isinstance(self.warn_ratio, bool)
            or not isinstance(self.warn_ratio, int | float)
            or not 0 < self.warn_ratio <= 1
        ):
            raise PolicyConfigError(f"warn_ratio: must be in (0, 1], got {self.warn_ratio!r}")
        if (
            isinstance(self.management_after_ratio, bool)
            or not isinstance(self.management_after_ratio, int | float)
            or not self.management_after_ratio >= 0
        ):
            raise PolicyConfigError(f"management_after_ratio: must be >= 0, got {self.management_after_ratio!r}")
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise PolicyConfigError(f"version: must be a positive integer, got {self.version!r}")

    def matches(self, attrs: Mapping[str, str | None]) -> bool:
        return all(not allowed or attrs.get(key) in allowed for key, allowed in self.conditions.items())

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "position": self.position,
            "conditions": {k: list(v) for k, v in self.conditions.items()},
            "targets": self.targets.to_dict(),
            "calendar_name": self.calendar_name,
            "warn_ratio": self.warn_ratio,
            "management_after_ratio": self.management_after_ratio,
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SlaPolicy:
        if not isinstance(data, Mapping):
            raise PolicyConfigError("policy: must be an object")
        allowed = {
            "id",
            "name",
            "position",
            "conditions",
            "targets",
            "calendar_name",
            "warn_ratio",
            "management_after_ratio",
            "version",
        }
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise PolicyConfigError(f"{unknown[0]}: unknown field")
        for req in ("id", "name"):
            if req not in data:
                raise PolicyConfigError(f"{req}: required")
        kwargs = {k: v for k, v in data.items() if k != "targets"}
        kwargs["targets"] = SlaTargets.from_dict(data.get("targets") or {})
        return cls(**kwargs)


def match_policy(policies: Iterable[SlaPolicy], attrs: Mapping[str, str | None]) -> SlaPolicy | None:
    """The first policy by ``position`` (ties: input order) whose conditions all hold, or ``None``."""
    for policy in sorted(policies, key=lambda p: p.position):
        if policy.matches(attrs):
            return policy
    return None


# --------------------------------------------------------------------------- defaults

# (field, value) -> targets contributed by that rule; (None, None) is the baseline for unknown severity.
# Sources: SPEC §2 tier table; channel clocks [000 §3.1.1, 004 §1.2.1]; consultations 10 min [000 §2.1.1].
DEFAULT_RULES: tuple[tuple[str | None, str | None, SlaTargets], ...] = (
    # Severity tiers: next reply = the tier's first-reply clock.
    ("severity", "L3", SlaTargets(first_reply=30, next_reply=30, resolution=72 * _HOUR, follow_up=30 * _DAY)),
    (
        "severity",
        "L2",
        SlaTargets(first_reply=1 * _HOUR, next_reply=1 * _HOUR, resolution=48 * _HOUR, follow_up=7 * _DAY),
    ),
    (
        "severity",
        "L1",
        SlaTargets(first_reply=2 * _HOUR, next_reply=2 * _HOUR, resolution=24 * _HOUR, follow_up=3 * _DAY),
    ),
    # Baseline when the severity is unknown (not triaged): "complaints solved in 24 h", callback in 3 days.
    (
        None,
        None,
        SlaTargets(first_reply=4 * _HOUR, next_reply=4 * _HOUR, resolution=24 * _HOUR, follow_up=3 * _DAY),
    ),
    # Channel clocks (first reply only).
    ("channel", "phone", SlaTargets(first_reply=1)),
    ("channel", "chat", SlaTargets(first_reply=3)),
    ("channel", "email", SlaTargets(first_reply=4 * _HOUR)),
    ("channel", "social", SlaTargets(first_reply=2 * _HOUR)),
    # Consultations.
    ("kind", "consultation", SlaTargets(first_reply=10)),
)

_SEVERITIES: tuple[str, ...] = ("L3", "L2", "L1")
_CHANNELS: tuple[str, ...] = ("phone", "chat", "email", "social")
_KINDS: tuple[str, ...] = ("consultation",)


def _min_targets(parts: Iterable[SlaTargets]) -> SlaTargets:
    best: dict[str, float | None] = dict.fromkeys(METRICS)
    for t in parts:
        for m in METRICS:
            v = t.get(m)
            cur = best[m]
            if v is not None and (cur is None or v < cur):
                best[m] = v
    return SlaTargets(**best)


def targets_for(attrs: Mapping[str, str | None]) -> SlaTargets:
    """Element-wise minimum over all default rules that apply to ``attrs`` (the reference semantics)."""
    parts: list[SlaTargets] = []
    severity_rule = False
    for fld, value, targets in DEFAULT_RULES:
        if fld == "severity" and attrs.get("severity") == value:
            parts.append(targets)
            severity_rule = True
    for fld, value, targets in DEFAULT_RULES:
        if (fld is None and not severity_rule) or (fld in ("channel", "kind") and attrs.get(fld) == value):
            parts.append(targets)
    return _min_targets(parts)


def _sample_attrs() -> list[dict[str, str | None]]:
    severities: list[str | None] = [*_SEVERITIES, None, "other"]
    channels: list[str | None] = [*_CHANNELS, "web", None]
    kinds: list[str | None] = [*_KINDS, "complaint", None]
    return [{"severity": s, "channel": c, "kind": k} for s, c, k in itertools.product(severities, channels, kinds)]


@lru_cache(maxsize=1)
def _default_policies() -> tuple[SlaPolicy, ...]:
    combos: list[tuple[str | None, str | None, str | None]] = []
    for sev in (*_SEVERITIES, None):
        for ch in (*_CHANNELS, None):
            for kind in (*_KINDS, None):
                combos.append((sev, ch, kind))
    policies: list[SlaPolicy] = []
    for i, (sev, ch, kind) in enumerate(combos):
        conditions: dict[str, list[str | None]] = {}
        if sev:
            conditions["severity"] = [sev]
        if ch:
            conditions["channel"] = [ch]
        if kind:
            conditions["kind"] = [kind]
        attrs = {"severity": sev, "channel": ch, "kind": kind}
        label = " · ".join(x for x in (sev or "any severity", ch, kind) if x)
        ident = "default-" + "-".join(x or "any" for x in (sev, ch, kind))
        policies.append(
            SlaPolicy(
                id=ident,
                name=f"Default: {label}",
                position=(i + 1) * 10,
                conditions=conditions,
                targets=targets_for(attrs),
                calendar_name="24x7",
            )
        )
    samples = _sample_attrs()

    def outcome(ps: list[SlaPolicy]) -> list[SlaTargets | None]:
        out: list[SlaTargets | None] = []
        for a in samples:
            p = match_policy(ps, a)
            out.append(p.targets if p else None)
        return out

    reference = [targets_for(a) for a in samples]
    assert outcome(policies) == reference, "default policy generation is inconsistent"
    # Prune redundant combinations (never the final catch-all).
    changed = True
    while changed:
        changed = False
        k = 0
        while k < len(policies) - 1:
            trial = policies[:k] + policies[k + 1 :]
            if outcome(trial) == reference:
                policies = trial
                changed = True
            else:
                k += 1
    return tuple(policies)


@lru_cache(maxsize=1)
def _default_names() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for policy in _default_policies():
        out[policy.name] = {fld: values[0] for fld, values in policy.conditions.items() if values and values[0]}
    return out


def default_policy_conditions(name: str) -> dict[str, str] | None:
    """What a generated default policy's (English) name stands for, e.g. ``{"severity": "L1", "channel": "chat"}``.

    None for any other name, so a policy the brand named keeps its name. Pages build the name in their own
    language from this; the stored name stays as it is, so existing databases need no change.
    """
    conditions = _default_names().get(name)
    return dict(conditions) if conditions is not None else None


def default_policies() -> list[SlaPolicy]:
    """Default policies from SPEC §2, most specific first, all on the ``"24x7"`` calendar.

    Targets per combination are the element-wise minimum of the applicable :data:`DEFAULT_RULES`
    (see the module docstring). The last policy is a catch-all.
    """
    return list(_default_policies())
