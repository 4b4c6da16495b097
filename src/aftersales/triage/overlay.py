"""A brand's edits to its industry pack's triage rules, kept as an overlay on the shipped YAML pack.

Pure: plain data in, an :class:`IndustryPack` out; no ORM, no clock. The overlay is a small JSON document::

    keywords:          {group rule id: {keyword: weight, or null to remove the shipped keyword}}
                       (a group id "brand.category.<category>" is the brand's own group for that category)
    rules:             {shipped rule id: {"enabled": bool, "level": "L2" | "department": "quality", "any": [...]}}
    severity_rules:    [{"id", "level", "reason", "any", "category_in", "enabled"}]     the brand's keyword rules
    department_rules:  [{"id", "department", "category_in", "severity_in", "enabled"}]  the brand's, tried first

The shipped pack stays the base, so a newer release of it still reaches the rules the brand did not touch.
:func:`normalise` validates strictly (errors name the field); :func:`apply` is lenient, so an edit of a rule
that a newer shipped pack no longer has is skipped instead of breaking intake.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping
from typing import Any

from aftersales.triage.engine import (
    _CLAUSE_BREAK,
    CATEGORIES,
    DEPARTMENTS,
    SEVERITIES,
    DepartmentRule,
    IndustryPack,
    KeywordGroup,
    SeverityRule,
    with_vocabulary,
)

log = logging.getLogger("aftersales.triage")

SECTIONS = ("keywords", "rules", "severity_rules", "department_rules")
BRAND = "brand"
BRAND_GROUP = "brand.category."
MAX_KEYWORD_LENGTH = 20
MAX_WEIGHT = 20.0
MAX_KEYWORDS = 2000
MAX_RULES = 200
MAX_RULE_KEYWORDS = 50
_SLUG = re.compile(r"^[a-z0-9_]{1,40}$")


class OverlayError(ValueError):
    """A bad overlay; ``field`` names what is wrong, e.g. ``rules[common.severity.allergy].level``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def empty() -> dict[str, Any]:
    return {"keywords": {}, "rules": {}, "severity_rules": [], "department_rules": []}


# ---------------------------------------------------------------- validation


def _keyword(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise OverlayError(field, "a keyword must be a non-empty text")
    word = value.strip()
    if len(word) > MAX_KEYWORD_LENGTH:
        raise OverlayError(field, f"a keyword is at most {MAX_KEYWORD_LENGTH} characters")
    if any(ch.isspace() or ch in _CLAUSE_BREAK for ch in word):
        # Matching stops at spaces and punctuation, so such a keyword would never match.
        raise OverlayError(field, f"a keyword cannot contain spaces or punctuation: {word!r}")
    return word


def _keywords(field: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise OverlayError(field, "give at least one keyword")
    if len(value) > MAX_RULE_KEYWORDS:
        raise OverlayError(field, f"at most {MAX_RULE_KEYWORDS} keywords per rule")
    return list(dict.fromkeys(_keyword(f"{field}[{i}]", v) for i, v in enumerate(value)))


def _weight(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_WEIGHT:
        raise OverlayError(field, f"the weight must be a number above 0 and at most {MAX_WEIGHT:g}")
    return float(value)


def _choices(field: str, value: Any, allowed: tuple[str, ...]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise OverlayError(field, "expected a list")
    for i, item in enumerate(value):
        if item not in allowed:
            raise OverlayError(f"{field}[{i}]", f"unknown value {item!r} (expected one of {', '.join(allowed)})")
    return list(dict.fromkeys(value))


def _choice(field: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise OverlayError(field, f"unknown value {value!r} (expected one of {', '.join(allowed)})")
    return str(value)


def _mapping(field: str, value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise OverlayError(field, "expected an object")
    return value


def _only(field: str, data: Mapping[str, Any], allowed: set[str]) -> None:
    for key in data:
        if key not in allowed:
            raise OverlayError(f"{field}.{key}", f"unknown field (allowed: {', '.join(sorted(allowed))})")


def _enabled(field: str, data: Mapping[str, Any]) -> bool:
    value = data.get("enabled", True)
    if not isinstance(value, bool):
        raise OverlayError(f"{field}.enabled", "expected true or false")
    return value


def normalise(base: IndustryPack, data: Any) -> dict[str, Any]:
    """Validate an overlay against the shipped pack; returns it in canonical form (what is stored)."""
    data = _mapping("overlay", data)
    _only("overlay", data, set(SECTIONS))
    groups = {g.rule_id: g for g in base.categories}
    severity = {r.rule_id: r for r in base.severity_rules}
    department = {r.rule_id: r for r in base.department_rules}
    out = empty()

    total = 0
    for group_id, edits in _mapping("keywords", data.get("keywords")).items():
        field = f"keywords[{group_id}]"
        own = group_id.startswith(BRAND_GROUP)
        if own:
            _choice(field, group_id[len(BRAND_GROUP) :], CATEGORIES)
        elif group_id not in groups:
            raise OverlayError(field, f"the pack has no keyword group {group_id!r}")
        clean: dict[str, float | None] = {}
        for word, weight in _mapping(field, edits).items():
            kw = _keyword(f"{field}[{word}]", word)
            if weight is None:
                if own or kw not in groups[group_id].keywords:
                    raise OverlayError(f"{field}[{kw}]", f"{kw!r} is not a shipped keyword of this group")
                clean[kw] = None
            else:
                clean[kw] = _weight(f"{field}[{kw}]", weight)
        total += len(clean)
        if clean:
            out["keywords"][group_id] = clean
    if total > MAX_KEYWORDS:
        raise OverlayError("keywords", f"at most {MAX_KEYWORDS} keyword edits")

    brand_ids: set[str] = set()
    for section, level_key in (("severity_rules", "level"), ("department_rules", "department")):
        items = data.get(section) or []
        if not isinstance(items, list):
            raise OverlayError(section, "expected a list")
        if len(items) > MAX_RULES:
            raise OverlayError(section, f"at most {MAX_RULES} rules")
        for i, raw in enumerate(items):
            field = f"{section}[{i}]"
            rule = _mapping(field, raw)
            slug = rule.get("id")
            if not isinstance(slug, str) or not _SLUG.match(slug):
                raise OverlayError(f"{field}.id", "the rule id is 1-40 lower-case letters, digits or _")
            rule_id = f"{BRAND}.{section.split('_')[0]}.{slug}"
            if rule_id in brand_ids:
                raise OverlayError(f"{field}.id", f"the id {slug!r} is used twice")
            brand_ids.add(rule_id)
            if section == "severity_rules":
                _only(field, rule, {"id", "level", "reason", "any", "category_in", "enabled"})
                reason = rule.get("reason") or ""
                if not isinstance(reason, str) or len(reason) > 200:
                    raise OverlayError(f"{field}.reason", "the reason is a text of at most 200 characters")
                out[section].append(
                    {
                        "id": slug,
                        "level": _choice(f"{field}.level", rule.get("level"), SEVERITIES),
                        "reason": reason.strip(),
                        "any": _keywords(f"{field}.any", rule.get("any")),
                        "category_in": _choices(f"{field}.category_in", rule.get("category_in"), CATEGORIES),
                        "enabled": _enabled(field, rule),
                    }
                )
            else:
                _only(field, rule, {"id", "department", "category_in", "severity_in", "enabled"})
                cats = _choices(f"{field}.category_in", rule.get("category_in"), CATEGORIES)
                sevs = _choices(f"{field}.severity_in", rule.get("severity_in"), SEVERITIES)
                if not cats and not sevs:
                    raise OverlayError(f"{field}.category_in", "give at least one category or severity")
                out[section].append(
                    {
                        "id": slug,
                        "department": _choice(f"{field}.{level_key}", rule.get("department"), DEPARTMENTS),
                        "category_in": cats,
                        "severity_in": sevs,
                        "enabled": _enabled(field, rule),
                    }
                )

    for rule_id, raw in _mapping("rules", data.get("rules")).items():
        field = f"rules[{rule_id}]"
        edit = _mapping(field, raw)
        clean_edit: dict[str, Any] = {}
        if rule_id in severity:
            _only(field, edit, {"enabled", "level", "any"})
            if "level" in edit:
                clean_edit["level"] = _choice(f"{field}.level", edit["level"], SEVERITIES)
            if "any" in edit:
                clean_edit["any"] = _keywords(f"{field}.any", edit["any"])
        elif rule_id in department:
            _only(field, edit, {"enabled", "department"})
            if "department" in edit:
                clean_edit["department"] = _choice(f"{field}.department", edit["department"], DEPARTMENTS)
        else:
            raise OverlayError(field, f"the pack has no severity or department rule {rule_id!r}")
        if "enabled" in edit:
            clean_edit["enabled"] = _enabled(field, edit)
        if clean_edit:
            out["rules"][rule_id] = clean_edit
    return out


# ---------------------------------------------------------------- applying


def apply(base: IndustryPack, overlay: Mapping[str, Any] | None) -> IndustryPack:
    """The pack triage uses: the shipped rules with the brand's edits; edits of vanished rules are skipped."""
    if not overlay or not any(overlay.get(section) for section in SECTIONS):
        return base
    keywords: Mapping[str, Mapping[str, float | None]] = overlay.get("keywords") or {}
    edits: Mapping[str, Mapping[str, Any]] = overlay.get("rules") or {}
    known = {g.rule_id for g in base.categories}
    known |= {r.rule_id for r in base.severity_rules} | {r.rule_id for r in base.department_rules}
    stale = [k for k in (*keywords, *edits) if k not in known and not k.startswith(BRAND_GROUP)]
    if stale:
        log.warning("triage overlay edits rules the %s pack no longer has, skipped: %s", base.name, stale)

    groups: list[KeywordGroup] = []
    for g in base.categories:
        words = dict(g.keywords)
        for word, weight in (keywords.get(g.rule_id) or {}).items():
            if weight is None:
                words.pop(word, None)
            else:
                words[word] = float(weight)
        groups.append(dataclasses.replace(g, keywords=words) if words != dict(g.keywords) else g)
    for group_id, brand_words in keywords.items():
        if group_id.startswith(BRAND_GROUP) and group_id[len(BRAND_GROUP) :] in CATEGORIES:
            own = {w: float(v) for w, v in brand_words.items() if v is not None}
            if own:
                groups.append(KeywordGroup(group_id, group_id[len(BRAND_GROUP) :], own))

    severity: list[SeverityRule] = []
    for r in base.severity_rules:
        edit = edits.get(r.rule_id) or {}
        if edit.get("enabled") is False:
            continue
        severity.append(
            dataclasses.replace(r, level=edit.get("level", r.level), any=tuple(edit.get("any", r.any))) if edit else r
        )
    for b in overlay.get("severity_rules") or ():
        if b.get("enabled", True):
            severity.append(
                SeverityRule(
                    rule_id=f"{BRAND}.severity.{b['id']}",
                    level=b["level"],
                    reason=b.get("reason") or "",
                    any=tuple(b["any"]),
                    category_in=tuple(b.get("category_in") or ()),
                )
            )

    department: list[DepartmentRule] = [
        DepartmentRule(
            rule_id=f"{BRAND}.department.{b['id']}",
            department=b["department"],
            category_in=tuple(b.get("category_in") or ()),
            severity_in=tuple(b.get("severity_in") or ()),
        )
        for b in overlay.get("department_rules") or ()
        if b.get("enabled", True)
    ]  # the brand's own rules first: the first matching rule decides
    for d in base.department_rules:
        edit = edits.get(d.rule_id) or {}
        if edit.get("enabled") is False:
            continue
        department.append(dataclasses.replace(d, department=edit["department"]) if "department" in edit else d)

    return with_vocabulary(
        dataclasses.replace(
            base, categories=tuple(groups), severity_rules=tuple(severity), department_rules=tuple(department)
        )
    )


# ---------------------------------------------------------------- what the admin page and the API show


def describe(base: IndustryPack, overlay: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every editable rule with its shipped and current state, in the order triage tries them."""
    overlay = overlay or empty()
    keywords: Mapping[str, Mapping[str, float | None]] = overlay.get("keywords") or {}
    edits: Mapping[str, Mapping[str, Any]] = overlay.get("rules") or {}

    categories: dict[str, list[dict[str, Any]]] = {c: [] for c in CATEGORIES}
    for g in base.categories:
        changes = keywords.get(g.rule_id) or {}
        words = []
        for word, weight in g.keywords.items():
            if word in changes:
                new = changes[word]
                state = "removed" if new is None else ("changed" if new != weight else "pack")
                shown = weight if new is None else new
                words.append({"word": word, "weight": shown, "shipped": weight, "state": state})
            else:
                words.append({"word": word, "weight": weight, "shipped": weight, "state": "pack"})
        for word, added in changes.items():
            if word not in g.keywords and added is not None:
                words.append({"word": word, "weight": added, "shipped": None, "state": "added"})
        categories[g.category].append({"rule_id": g.rule_id, "source": "pack", "keywords": words})
    for group_id, changes in keywords.items():
        cat = group_id[len(BRAND_GROUP) :]
        if group_id.startswith(BRAND_GROUP) and cat in categories:
            words = [
                {"word": w, "weight": v, "shipped": None, "state": "added"} for w, v in changes.items() if v is not None
            ]
            categories[cat].append({"rule_id": group_id, "source": BRAND, "keywords": words})

    severity = []
    for r in base.severity_rules:
        edit = edits.get(r.rule_id) or {}
        severity.append(
            {
                "rule_id": r.rule_id,
                "source": "pack",
                "level": edit.get("level", r.level),
                "shipped_level": r.level,
                "reason": r.reason,
                "any": list(edit.get("any", r.any)),
                "all": [list(g) for g in r.all],
                "category_in": list(r.category_in),
                "has_order_condition": r.order is not None,
                "enabled": edit.get("enabled", True),
                "edited": bool(edit),
            }
        )
    for b in overlay.get("severity_rules") or ():
        severity.append(
            {
                "rule_id": f"{BRAND}.severity.{b['id']}",
                "source": BRAND,
                "level": b["level"],
                "shipped_level": None,
                "reason": b.get("reason") or "",
                "any": list(b["any"]),
                "all": [],
                "category_in": list(b.get("category_in") or ()),
                "has_order_condition": False,
                "enabled": b.get("enabled", True),
                "edited": True,
            }
        )
    department = [
        {
            "rule_id": f"{BRAND}.department.{b['id']}",
            "source": BRAND,
            "department": b["department"],
            "shipped_department": None,
            "category_in": list(b.get("category_in") or ()),
            "severity_in": list(b.get("severity_in") or ()),
            "enabled": b.get("enabled", True),
            "edited": True,
        }
        for b in overlay.get("department_rules") or ()
    ]
    for d in base.department_rules:
        edit = edits.get(d.rule_id) or {}
        department.append(
            {
                "rule_id": d.rule_id,
                "source": "pack",
                "department": edit.get("department", d.department),
                "shipped_department": d.department,
                "category_in": list(d.category_in),
                "severity_in": list(d.severity_in),
                "enabled": edit.get("enabled", True),
                "edited": bool(edit),
            }
        )
    return {
        "categories": [{"category": c, "groups": gs} for c, gs in categories.items()],
        "severity_rules": severity,
        "department_rules": department,
    }
