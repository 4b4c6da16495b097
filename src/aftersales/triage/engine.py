"""Pure triage engine: classify a ticket's text into category, severity, department and kind.

Rules are data (``packs/*.yaml``); this module only interprets them. No ORM, no clock reads.
Chinese text is segmented with a dedicated ``jieba.Tokenizer`` (global jieba state stays untouched),
keywords are matched on tokens (or runs of up to four tokens), and a keyword preceded by a negator
within a short window in the same clause ("没有过敏", "不是变质") does not count.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

CATEGORIES = (
    "quality",
    "packaging_damage",
    "logistics_delay",
    "wrong_or_missing_item",
    "usage_question",
    "adverse_reaction",
    "cold_chain",
    "authenticity",
    "service_attitude",
    "suggestion",
)
DEPARTMENTS = ("customer_service", "after_sales", "quality", "logistics", "product", "management")
SEVERITIES = ("L1", "L2", "L3")
KINDS = (
    "consultation",
    "complaint",
    "return",
    "exchange",
    "reissue",
    "refund",
    "repair",
    "suggestion",
    "care_followup",
)
PACKS = ("dairy", "tonic", "calcium", "cashmere")
COMMON = "_common"

_MAX_JOIN = 4  # a keyword may span up to this many jieba tokens
_CLAUSE_BREAK = frozenset("，,。.！!？?；;：:、\n~～…")


# --------------------------------------------------------------------------- public data types


@dataclass(frozen=True)
class OrderContext:
    days_since_delivery: float | None = None
    product_category: str | None = None
    cold_chain: bool = False
    order_status: str | None = None
    delivered: bool | None = None


@dataclass(frozen=True)
class TriageInput:
    text: str
    subject: str = ""
    channel: str | None = None
    kind: str | None = None
    order: OrderContext | None = None


@dataclass(frozen=True)
class RuleHit:
    rule_id: str
    field: str  # "category" | "severity" | "department" | "kind"
    reason: str
    matched: tuple[str, ...]


@dataclass(frozen=True)
class TriageDecision:
    category: str
    severity: str
    department: str
    kind: str
    confidence: float
    hits: tuple[RuleHit, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "severity": self.severity,
            "department": self.department,
            "kind": self.kind,
            "confidence": self.confidence,
            "hits": [
                {"rule_id": h.rule_id, "field": h.field, "reason": h.reason, "matched": list(h.matched)}
                for h in self.hits
            ],
        }


# --------------------------------------------------------------------------- pack model


@dataclass(frozen=True)
class OrderCondition:
    """Constraint on the order context; every field set must hold (no order → never holds)."""

    cold_chain: bool | None = None
    delivered: bool | None = None
    min_days_since_delivery: float | None = None
    max_days_since_delivery: float | None = None
    product_category_in: tuple[str, ...] = ()
    order_status_in: tuple[str, ...] = ()

    def holds(self, order: OrderContext | None) -> bool:
        if order is None:
            return False
        if self.cold_chain is not None and order.cold_chain != self.cold_chain:
            return False
        if self.delivered is not None and order.delivered != self.delivered:
            return False
        days = order.days_since_delivery
        if self.min_days_since_delivery is not None and (days is None or days < self.min_days_since_delivery):
            return False
        if self.max_days_since_delivery is not None and (days is None or days > self.max_days_since_delivery):
            return False
        if self.product_category_in and order.product_category not in self.product_category_in:
            return False
        return not (self.order_status_in and order.order_status not in self.order_status_in)


@dataclass(frozen=True)
class KeywordGroup:
    rule_id: str
    category: str
    keywords: Mapping[str, float]


@dataclass(frozen=True)
class SeverityRule:
    rule_id: str
    level: str
    reason: str  # the English text (or the only one given): what a decision records
    any: tuple[str, ...] = ()  # at least one of these keywords
    all: tuple[tuple[str, ...], ...] = ()  # one keyword from each group
    category_in: tuple[str, ...] = ()
    order: OrderCondition | None = None
    reasons: Mapping[str, str] = field(default_factory=dict, compare=False)  # language -> text


@dataclass(frozen=True)
class DepartmentRule:
    rule_id: str
    department: str
    category_in: tuple[str, ...] = ()
    severity_in: tuple[str, ...] = ()


@dataclass(frozen=True)
class KindRule:
    rule_id: str
    kind: str
    any: tuple[str, ...] = ()
    category_in: tuple[str, ...] = ()
    question: bool | None = None


@dataclass(frozen=True)
class ContextRule:
    """Adds weight to categories when the order context (and optionally keywords/categories) fit."""

    rule_id: str
    reason: str
    order: OrderCondition
    boost: Mapping[str, float]
    any: tuple[str, ...] = ()
    category_in: tuple[str, ...] = ()  # these categories must already score > 0
    reasons: Mapping[str, str] = field(default_factory=dict, compare=False)  # language -> text


@dataclass(frozen=True)
class ProductAttribute:
    name: str
    shelf_life_days: int
    storage: str
    cold_chain: bool = False
    materials: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndustryPack:
    name: str
    title: str
    categories: tuple[KeywordGroup, ...]
    severity_rules: tuple[SeverityRule, ...]
    department_rules: tuple[DepartmentRule, ...]
    kind_rules: tuple[KindRule, ...]
    context_rules: tuple[ContextRule, ...] = ()
    product_attributes: tuple[ProductAttribute, ...] = ()
    negators: frozenset[str] = frozenset()
    question_markers: tuple[str, ...] = ()
    question_bonus: float = 1.0
    default_department: str = "customer_service"
    vocabulary: frozenset[str] = field(default=frozenset(), compare=False)

    def category_keywords(self, category: str) -> dict[str, float]:
        merged: dict[str, float] = {}
        for g in self.categories:
            if g.category == category:
                merged.update(g.keywords)
        return merged


# --------------------------------------------------------------------------- loading & validation


class _Err:
    def __init__(self, pack: str) -> None:
        self.pack = pack

    def fail(self, path: str, msg: str) -> ValueError:
        return ValueError(f"pack {self.pack!r}: {path}: {msg}")


def _as_mapping(err: _Err, path: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise err.fail(path, f"expected a mapping, got {type(value).__name__}")
    return value


def _as_list(err: _Err, path: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise err.fail(path, f"expected a list, got {type(value).__name__}")
    return value


def _str_tuple(err: _Err, path: str, value: Any) -> tuple[str, ...]:
    items = _as_list(err, path, value)
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise err.fail(f"{path}[{i}]", "expected a non-empty string")
    return tuple(items)


def _choice(err: _Err, path: str, value: Any, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise err.fail(path, f"unknown value {value!r} (expected one of {', '.join(allowed)})")
    return str(value)


def _choices(err: _Err, path: str, value: Any, allowed: Iterable[str]) -> tuple[str, ...]:
    items = _str_tuple(err, path, value)
    allowed = tuple(allowed)
    for i, item in enumerate(items):
        _choice(err, f"{path}[{i}]", item, allowed)
    return items


_RULE_KEYS = {
    "severity_rules": {"id", "level", "reason", "any", "all", "category_in", "order"},
    "department_rules": {"id", "department", "category_in", "severity_in"},
    "kind_rules": {"id", "kind", "any", "category_in", "question"},
    "context_rules": {"id", "reason", "order", "boost", "any", "category_in"},
}
_ORDER_KEYS = {
    "cold_chain",
    "delivered",
    "min_days_since_delivery",
    "max_days_since_delivery",
    "product_category_in",
    "order_status_in",
}
_TOP_KEYS = {
    "name",
    "title",
    "inherit_common",
    "categories",
    "severity_rules",
    "department_rules",
    "kind_rules",
    "context_rules",
    "product_attributes",
    "negators",
    "question_markers",
    "question_bonus",
    "default_department",
}


def _check_keys(err: _Err, path: str, data: Mapping[str, Any], allowed: set[str]) -> None:
    for key in data:
        if key not in allowed:
            raise err.fail(f"{path}.{key}" if path else str(key), f"unknown key (allowed: {sorted(allowed)})")


def _order_condition(err: _Err, path: str, value: Any) -> OrderCondition | None:
    if value is None:
        return None
    data = _as_mapping(err, path, value)
    _check_keys(err, path, data, _ORDER_KEYS)
    for key in ("cold_chain", "delivered"):
        if key in data and not isinstance(data[key], bool):
            raise err.fail(f"{path}.{key}", "expected true/false")
    for key in ("min_days_since_delivery", "max_days_since_delivery"):
        if key in data and not isinstance(data[key], int | float):
            raise err.fail(f"{path}.{key}", "expected a number")
    return OrderCondition(
        cold_chain=data.get("cold_chain"),
        delivered=data.get("delivered"),
        min_days_since_delivery=data.get("min_days_since_delivery"),
        max_days_since_delivery=data.get("max_days_since_delivery"),
        product_category_in=_str_tuple(err, f"{path}.product_category_in", data.get("product_category_in")),
        order_status_in=_str_tuple(err, f"{path}.order_status_in", data.get("order_status_in")),
    )


REASON_LANGUAGES = ("zh", "en")


def _reasons(err: _Err, path: str, value: Any) -> dict[str, str]:
    """A rule's reason: a plain text, or one text per language (``{zh: …, en: …}``)."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {"": value}
    data = _as_mapping(err, path, value)
    _check_keys(err, path, data, set(REASON_LANGUAGES))
    for lang, text in data.items():
        if not isinstance(text, str) or not text.strip():
            raise err.fail(f"{path}.{lang}", "expected a non-empty string")
    return {str(lang): str(text) for lang, text in data.items()}


def _recorded_reason(reasons: Mapping[str, str]) -> str:
    # Decisions keep recording the English text, as before, so stored triage events and the API do not change.
    return reasons.get("en") or reasons.get("") or next(iter(reasons.values()), "")


def _rule_id(err: _Err, path: str, rule: Mapping[str, Any], prefix: str, seen: set[str]) -> str:
    raw = rule.get("id")
    if not isinstance(raw, str) or not raw.strip():
        raise err.fail(f"{path}.id", "missing or empty rule id")
    rid = f"{prefix}.{raw}"
    if rid in seen:
        raise err.fail(f"{path}.id", f"duplicate rule id {rid!r}")
    seen.add(rid)
    return rid


def _parse_layer(data: Mapping[str, Any], source: str, err: _Err) -> dict[str, Any]:
    """Validate one YAML layer (common or pack) and turn it into model objects with prefixed ids."""
    _check_keys(err, "", data, _TOP_KEYS)
    out: dict[str, Any] = {}
    seen: set[str] = set()

    groups: list[KeywordGroup] = []
    cats = _as_mapping(err, "categories", data.get("categories") or {})
    for cat, cat_groups in cats.items():
        _choice(err, f"categories.{cat}", cat, CATEGORIES)
        for gname, kws in _as_mapping(err, f"categories.{cat}", cat_groups or {}).items():
            path = f"categories.{cat}.{gname}"
            weights: dict[str, float] = {}
            for kw, w in _as_mapping(err, path, kws or {}).items():
                if not isinstance(kw, str) or not kw.strip():
                    raise err.fail(path, f"keyword {kw!r} must be a non-empty string")
                if isinstance(w, bool) or not isinstance(w, int | float) or w <= 0:
                    raise err.fail(f"{path}.{kw}", f"weight must be a positive number, got {w!r}")
                weights[kw] = float(w)
            groups.append(KeywordGroup(f"{source}.category.{gname}", cat, weights))
    out["categories"] = groups

    sev: list[SeverityRule] = []
    for i, r in enumerate(_as_list(err, "severity_rules", data.get("severity_rules"))):
        path = f"severity_rules[{i}]"
        r = _as_mapping(err, path, r)
        _check_keys(err, path, r, _RULE_KEYS["severity_rules"])
        all_groups = tuple(
            _str_tuple(err, f"{path}.all[{j}]", g) for j, g in enumerate(_as_list(err, f"{path}.all", r.get("all")))
        )
        reasons = _reasons(err, f"{path}.reason", r.get("reason"))
        rule = SeverityRule(
            rule_id=_rule_id(err, path, r, f"{source}.severity", seen),
            level=_choice(err, f"{path}.level", r.get("level"), SEVERITIES),
            reason=_recorded_reason(reasons),
            reasons=reasons,
            any=_str_tuple(err, f"{path}.any", r.get("any")),
            all=all_groups,
            category_in=_choices(err, f"{path}.category_in", r.get("category_in"), CATEGORIES),
            order=_order_condition(err, f"{path}.order", r.get("order")),
        )
        if not (rule.any or rule.all or rule.category_in or rule.order):
            raise err.fail(path, "rule has no condition (any/all/category_in/order)")
        sev.append(rule)
    out["severity_rules"] = sev

    dep: list[DepartmentRule] = []
    for i, r in enumerate(_as_list(err, "department_rules", data.get("department_rules"))):
        path = f"department_rules[{i}]"
        r = _as_mapping(err, path, r)
        _check_keys(err, path, r, _RULE_KEYS["department_rules"])
        dep.append(
            DepartmentRule(
                rule_id=_rule_id(err, path, r, f"{source}.department", seen),
                department=_choice(err, f"{path}.department", r.get("department"), DEPARTMENTS),
                category_in=_choices(err, f"{path}.category_in", r.get("category_in"), CATEGORIES),
                severity_in=_choices(err, f"{path}.severity_in", r.get("severity_in"), SEVERITIES),
            )
        )
    out["department_rules"] = dep

    kinds: list[KindRule] = []
    for i, r in enumerate(_as_list(err, "kind_rules", data.get("kind_rules"))):
        path = f"kind_rules[{i}]"
        r = _as_mapping(err, path, r)
        _check_keys(err, path, r, _RULE_KEYS["kind_rules"])
        q = r.get("question")
        if q is not None and not isinstance(q, bool):
            raise err.fail(f"{path}.question", "expected true/false")
        kinds.append(
            KindRule(
                rule_id=_rule_id(err, path, r, f"{source}.kind", seen),
                kind=_choice(err, f"{path}.kind", r.get("kind"), KINDS),
                any=_str_tuple(err, f"{path}.any", r.get("any")),
                category_in=_choices(err, f"{path}.category_in", r.get("category_in"), CATEGORIES),
                question=q,
            )
        )
    out["kind_rules"] = kinds

    ctx: list[ContextRule] = []
    for i, r in enumerate(_as_list(err, "context_rules", data.get("context_rules"))):
        path = f"context_rules[{i}]"
        r = _as_mapping(err, path, r)
        _check_keys(err, path, r, _RULE_KEYS["context_rules"])
        order = _order_condition(err, f"{path}.order", r.get("order"))
        if order is None:
            raise err.fail(f"{path}.order", "context rule needs an order condition")
        boost: dict[str, float] = {}
        for cat, w in _as_mapping(err, f"{path}.boost", r.get("boost") or {}).items():
            _choice(err, f"{path}.boost.{cat}", cat, CATEGORIES)
            if isinstance(w, bool) or not isinstance(w, int | float):
                raise err.fail(f"{path}.boost.{cat}", "expected a number")
            boost[cat] = float(w)
        if not boost:
            raise err.fail(f"{path}.boost", "context rule needs at least one boost")
        reasons = _reasons(err, f"{path}.reason", r.get("reason"))
        ctx.append(
            ContextRule(
                rule_id=_rule_id(err, path, r, f"{source}.context", seen),
                reason=_recorded_reason(reasons),
                reasons=reasons,
                order=order,
                boost=boost,
                any=_str_tuple(err, f"{path}.any", r.get("any")),
                category_in=_choices(err, f"{path}.category_in", r.get("category_in"), CATEGORIES),
            )
        )
    out["context_rules"] = ctx

    attrs: list[ProductAttribute] = []
    for i, a in enumerate(_as_list(err, "product_attributes", data.get("product_attributes"))):
        path = f"product_attributes[{i}]"
        a = _as_mapping(err, path, a)
        _check_keys(err, path, a, {"name", "shelf_life_days", "storage", "cold_chain", "materials"})
        if not isinstance(a.get("name"), str):
            raise err.fail(f"{path}.name", "expected a string")
        life = a.get("shelf_life_days")
        if isinstance(life, bool) or not isinstance(life, int) or life <= 0:
            raise err.fail(f"{path}.shelf_life_days", "expected a positive integer")
        attrs.append(
            ProductAttribute(
                name=a["name"],
                shelf_life_days=life,
                storage=str(a.get("storage", "")),
                cold_chain=bool(a.get("cold_chain", False)),
                materials=_str_tuple(err, f"{path}.materials", a.get("materials")),
            )
        )
    out["product_attributes"] = attrs
    out["negators"] = _str_tuple(err, "negators", data.get("negators"))
    out["question_markers"] = _str_tuple(err, "question_markers", data.get("question_markers"))
    if "question_bonus" in data and not isinstance(data["question_bonus"], int | float):
        raise err.fail("question_bonus", "expected a number")
    if "default_department" in data:
        _choice(err, "default_department", data["default_department"], DEPARTMENTS)
    return out


def _read_yaml(name: str) -> dict[str, Any]:
    text = resources.files("aftersales.triage").joinpath("packs", f"{name}.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"pack {name!r}: file is not a mapping")
    return data


def _build(data: Mapping[str, Any]) -> IndustryPack:
    data = _as_mapping(_Err("<custom>"), "", data)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("pack: name: required non-empty string")
    err = _Err(name)
    title = data.get("title", name)
    if not isinstance(title, str):
        raise err.fail("title", "expected a string")
    inherit = data.get("inherit_common", True)
    if not isinstance(inherit, bool):
        raise err.fail("inherit_common", "expected true/false")
    layer = _parse_layer(data, name, err)
    base = _parse_layer(_read_yaml(COMMON), "common", _Err(COMMON)) if inherit else None

    def merged(key: str, pack_first: bool) -> tuple[Any, ...]:
        if base is None:
            return tuple(layer[key])
        return tuple(layer[key] + base[key]) if pack_first else tuple(base[key] + layer[key])

    categories = merged("categories", pack_first=False)
    if not categories:
        raise err.fail("categories", "a pack needs at least one keyword group")
    negators = set(layer["negators"]) | (set(base["negators"]) if base else set())
    markers = tuple(dict.fromkeys(layer["question_markers"] + (base["question_markers"] if base else ())))
    common_raw = _read_yaml(COMMON) if inherit else {}
    pack = IndustryPack(
        name=name,
        title=title,
        categories=categories,
        severity_rules=merged("severity_rules", pack_first=False),
        department_rules=merged("department_rules", pack_first=True),
        kind_rules=merged("kind_rules", pack_first=True),
        context_rules=merged("context_rules", pack_first=True),
        product_attributes=tuple(layer["product_attributes"]),
        negators=frozenset(negators),
        question_markers=markers,
        question_bonus=float(data.get("question_bonus", common_raw.get("question_bonus", 1.0))),
        default_department=str(
            data.get("default_department", common_raw.get("default_department", "customer_service"))
        ),
    )
    return with_vocabulary(pack)


def with_vocabulary(pack: IndustryPack) -> IndustryPack:
    """The pack with its vocabulary (every keyword any rule looks for) computed from its rules."""
    vocab: set[str] = set()
    for g in pack.categories:
        vocab.update(g.keywords)
    for sr in pack.severity_rules:
        vocab.update(sr.any)
        for grp in sr.all:
            vocab.update(grp)
    for kr in pack.kind_rules:
        vocab.update(kr.any)
    for cr in pack.context_rules:
        vocab.update(cr.any)
    return dataclasses.replace(pack, vocabulary=frozenset(vocab))


_cache: dict[str, IndustryPack] = {}
_lock = threading.Lock()


def available_packs() -> list[str]:
    return list(PACKS)


def load_pack(name: str) -> IndustryPack:
    """Load a shipped industry pack (cached). Unknown names raise ValueError naming the pack."""
    pack = _cache.get(name)
    if pack is not None:
        return pack
    if name not in PACKS:
        raise ValueError(f"unknown triage pack {name!r}; available: {', '.join(PACKS)}")
    with _lock:
        if name not in _cache:
            _cache[name] = _build(_read_yaml(name))
        return _cache[name]


def reason_in(reasons: Mapping[str, str], lang: str, fallback: str = "") -> str:
    """A rule's reason in ``lang``; a plain-text reason (key ``""``) serves every language."""
    return reasons.get(lang) or reasons.get("") or fallback


@cache
def shipped_reasons() -> dict[str, Mapping[str, str]]:
    """Every shipped pack's rule reasons by rule id (ids carry their pack's prefix, so they do not clash)."""
    out: dict[str, Mapping[str, str]] = {}
    for name in PACKS:
        pack = load_pack(name)
        rules: list[SeverityRule | ContextRule] = [*pack.severity_rules, *pack.context_rules]
        for rule in rules:
            if rule.reasons:
                out[rule.rule_id] = rule.reasons
    return out


def load_pack_from_mapping(data: Mapping[str, Any]) -> IndustryPack:
    """Build a pack from a brand-supplied mapping (same schema as the YAML files).

    The common base is merged in unless ``inherit_common: false``. Errors name the offending key,
    e.g. ``pack 'mybrand': severity_rules[2].level: unknown value 'L9' ...``.
    """
    return _build(data)


# --------------------------------------------------------------------------- tokenisation


class _Segmenter:
    """A dedicated jieba tokenizer, created lazily; pack vocabularies are added once per pack."""

    def __init__(self) -> None:
        self._tk: Any = None
        self._added: set[str] = set()
        self._lock = threading.Lock()

    def ensure(self, vocab: Iterable[str]) -> Any:
        with self._lock:
            if self._tk is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)  # its "Building prefix dict" chatter is not for users
                tk = jieba.Tokenizer()
                tk.initialize()
                self._tk = tk
            missing = [w for w in vocab if w not in self._added]
            for w in missing:
                if len(w) > 1 and not w.isascii():
                    self._tk.add_word(w, freq=50000)
                self._added.add(w)
            return self._tk


_segmenter = _Segmenter()
_prepared: set[frozenset[str]] = set()


def _tokenizer_for(pack: IndustryPack) -> Any:
    key = pack.vocabulary
    if key in _prepared and _segmenter._tk is not None:
        return _segmenter._tk
    tk = _segmenter.ensure(pack.vocabulary | pack.negators)
    _prepared.add(key)
    return tk


def warm_up(pack_names: Iterable[str] | None = None) -> None:
    """Load every pack and the jieba dictionary now, so the first ticket is fast."""
    for name in pack_names or PACKS:
        pack = load_pack(name)
        _tokenizer_for(pack).lcut("预热", HMM=False)


_SPACE = re.compile(r"\s+")


@dataclass
class _Matches:
    present: dict[str, int]  # keyword -> first token index of a non-negated occurrence
    negated: set[str]

    def has(self, kw: str) -> bool:
        return kw in self.present

    def which(self, kws: Iterable[str]) -> list[str]:
        return [k for k in kws if k in self.present]


def _match(pack: IndustryPack, tokens: list[str]) -> _Matches:
    vocab = pack.vocabulary
    negators = pack.negators
    present: dict[str, int] = {}
    negated: set[str] = set()
    n = len(tokens)
    for i in range(n):
        s = ""
        for j in range(i, min(n, i + _MAX_JOIN)):
            tok = tokens[j]
            if tok and tok[0] in _CLAUSE_BREAK:
                break
            s += tok
            if s in vocab and s not in present:
                if _is_negated(tokens, i, negators):
                    negated.add(s)
                else:
                    present[s] = i
        # substring fallback inside one long token (jieba may glue a keyword into a bigger word)
        tok = tokens[i]
        if len(tok) >= 3:
            for a in range(len(tok)):
                for b in range(a + 2, len(tok) + 1):
                    sub = tok[a:b]
                    if sub == tok or sub not in vocab or sub in present:
                        continue
                    if (a > 0 and tok[a - 1] in "不没无未") or _is_negated(tokens, i, negators):
                        negated.add(sub)
                    else:
                        present[sub] = i
    return _Matches(present, negated)


def _is_negated(tokens: list[str], i: int, negators: frozenset[str], window: int = 3) -> bool:
    k = i - 1
    seen = 0
    while k >= 0 and seen < window:
        tok = tokens[k]
        if tok in negators:
            # "这不是骗人吗" is a rhetorical assertion, not a negation
            return not (tok in _RHETORICAL and _clause_ends_with_ma(tokens, i))
        if tok and (tok[0] in _CLAUSE_BREAK or tok in ("但是", "但", "可是", "就是", "只是", "而是", "不过")):
            return False
        if tok.strip():
            seen += 1
        k -= 1
    return False


# --------------------------------------------------------------------------- triage


_RHETORICAL = frozenset({"不是", "并不是"})


def _clause_ends_with_ma(tokens: list[str], i: int) -> bool:
    for tok in tokens[i:]:
        if tok and tok[0] in _CLAUSE_BREAK:
            break
        if tok in ("吗", "嘛"):
            return True
    return False


_QUESTION = re.compile(r"[？?]|[吗呢](?:[，,。！!~～\s]|$)")


def _is_question(text: str, markers: tuple[str, ...]) -> bool:
    return bool(_QUESTION.search(text)) or any(m in text for m in markers)


def triage(pack: IndustryPack, inp: TriageInput) -> TriageDecision:
    text = _SPACE.sub(" ", f"{inp.subject} {inp.text}".strip())
    tokens = _tokenizer_for(pack).lcut(text, HMM=False) if text else []
    m = _match(pack, tokens)
    question = _is_question(inp.text or inp.subject, pack.question_markers)
    hits: list[RuleHit] = []

    # ---- category: weighted keyword groups + order-context boosts
    scores: dict[str, float] = dict.fromkeys(CATEGORIES, 0.0)
    contrib: dict[str, list[tuple[str, list[str]]]] = {c: [] for c in CATEGORIES}
    for g in pack.categories:
        found = m.which(g.keywords)
        if found:
            scores[g.category] += sum(g.keywords[k] for k in found)
            contrib[g.category].append((g.rule_id, found))
    for cr in pack.context_rules:
        if not cr.order.holds(inp.order):
            continue
        found = m.which(cr.any)
        if cr.any and not found:
            continue
        if cr.category_in and not any(scores[c] > 0 for c in cr.category_in):
            continue
        for cat, w in cr.boost.items():
            scores[cat] += w
            contrib[cat].append((cr.rule_id, found or ["<order>"]))
    if question:
        scores["usage_question"] += pack.question_bonus if any(scores.values()) else 0.0

    ranked = sorted(CATEGORIES, key=lambda c: (-scores[c], CATEGORIES.index(c)))
    top, second = ranked[0], ranked[1]
    if scores[top] <= 0:
        category = "usage_question" if question else "quality"
        confidence = 0.2
        hits.append(
            RuleHit(
                "fallback",
                "category",
                "no keyword matched; " + ("text is a question" if question else "defaulting to quality"),
                (),
            )
        )
    else:
        category = top
        margin = (scores[top] - scores[second]) / scores[top]
        confidence = round(min(0.99, 0.35 + 0.4 * margin + 0.05 * min(scores[top], 5.0)), 2)
        for rid, found in contrib[category]:
            hits.append(RuleHit(rid, "category", f"keywords for {category}", tuple(found)))
        if question and category == "usage_question":
            hits.append(RuleHit("common.category.question_form", "category", "text is a question", ()))

    # ---- severity: highest level among rules that fire
    fired: list[tuple[SeverityRule, list[str]]] = []
    for sr in pack.severity_rules:
        sev_found: list[str] = []
        if sr.any:
            sev_found = m.which(sr.any)
            if not sev_found:
                continue
        if sr.all:
            parts = [m.which(grp) for grp in sr.all]
            if not all(parts):
                continue
            sev_found += [p[0] for p in parts]
        if sr.category_in and category not in sr.category_in:
            continue
        if sr.order is not None and not sr.order.holds(inp.order):
            continue
        fired.append((sr, sev_found))
    severity = max((sr.level for sr, _ in fired), default="L1", key=SEVERITIES.index)
    sev_hits = [RuleHit(sr.rule_id, "severity", sr.reason, tuple(f)) for sr, f in fired if sr.level == severity]
    hits.extend(sev_hits or [RuleHit("severity.default", "severity", "no escalation rule fired", ())])

    # ---- department: first matching rule
    department = pack.default_department
    dep_hit = RuleHit("department.default", "department", "no department rule matched", ())
    for dr in pack.department_rules:
        if dr.category_in and category not in dr.category_in:
            continue
        if dr.severity_in and severity not in dr.severity_in:
            continue
        department = dr.department
        dep_hit = RuleHit(dr.rule_id, "department", f"{category}/{severity} → {department}", ())
        break
    hits.append(dep_hit)

    # ---- kind
    if inp.kind is not None:
        kind = inp.kind
        hits.append(RuleHit("input", "kind", "kind given by the caller", ()))
    else:
        kind = "complaint"
        kind_hit = RuleHit("kind.default", "kind", "default kind", ())
        for kr in pack.kind_rules:
            found = m.which(kr.any)
            if kr.any and not found:
                continue
            if kr.category_in and category not in kr.category_in:
                continue
            if kr.question is not None and kr.question != question:
                continue
            kind = kr.kind
            kind_hit = RuleHit(kr.rule_id, "kind", f"suggested kind {kind}", tuple(found))
            break
        hits.append(kind_hit)

    return TriageDecision(category, severity, department, kind, confidence, tuple(hits))
