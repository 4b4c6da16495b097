"""Knowledge entries as plain data, the starter packs' YAML format, and product facts filled into answers.

An answer may name product facts as ``{shelf_life_days}``, ``{storage}``, ``{ingredients}`` or ``{care}``; they are
filled from the product catalogue when the answer is given, so a changed shelf life changes every answer that
quotes it. A fact the catalogue does not have is never guessed: the answer is withheld and a person takes over.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

FACTS = ("shelf_life_days", "storage", "ingredients", "care")
ENTRY_KINDS = ("faq", "policy", "product_fact")
PACKS = ("dairy", "tonic", "calcium", "cashmere")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,119}$")
_INTENT = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


@dataclass(frozen=True)
class Entry:
    key: str
    intent: str
    answer: str
    questions: tuple[str, ...]
    category: str | None = None
    kind: str = "faq"
    uses_facts: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class ProductFacts:
    sku: str
    name: str
    category: str
    shelf_life_days: int | None = None
    storage: str | None = None
    ingredients: str | None = None
    care: str | None = None
    cold_chain: bool = False

    def fact(self, name: str) -> str | None:
        value = getattr(self, name)
        if value is None or value == "":
            return None
        return str(value)


class EntryError(ValueError):
    """A knowledge entry is malformed; ``field`` names what is wrong (for API errors and import reports)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def placeholders(answer: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(answer) if name]
    except ValueError as exc:  # an unmatched brace
        raise EntryError(f"answer: {exc}", "answer") from exc


def _date(value: Any, field_name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise EntryError(f"{field_name} must be an ISO date (YYYY-MM-DD), got {value!r}", field_name) from exc


def _strings(value: Any, field_name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v for v in re.split(r"[|\n]", value) if v.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str | int) for v in value):
        raise EntryError(f"{field_name} must be a list of strings", field_name)
    return tuple(str(v).strip() for v in value if str(v).strip())


def entry_from_mapping(data: Mapping[str, Any], categories: Iterable[str] | None = None) -> Entry:
    """Validate one entry (from YAML, CSV or the API) and return it; raises EntryError naming the field."""
    allowed = {
        "key", "intent", "category", "questions", "answer", "uses_facts", "products", "tags",
        "valid_from", "valid_to", "kind",
    }  # fmt: skip
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise EntryError(f"unknown field {unknown[0]!r}", unknown[0])
    key = str(data.get("key") or "").strip()
    if not _KEY.match(key):
        raise EntryError("key must be a lower-case slug (letters, digits, - _ .), 2-120 characters", "key")
    intent = str(data.get("intent") or "").strip()
    if not _INTENT.match(intent):
        raise EntryError("intent must be a snake_case label", "intent")
    questions = _strings(data.get("questions"), "questions")
    if not questions:
        raise EntryError("give at least one question", "questions")
    if any(len(q) > 500 for q in questions):
        raise EntryError("a question is longer than 500 characters", "questions")
    answer = str(data.get("answer") or "").strip()
    if not answer:
        raise EntryError("answer must not be blank", "answer")
    if len(answer) > 5000:
        raise EntryError("answer is longer than 5000 characters", "answer")
    uses_facts = _strings(data.get("uses_facts"), "uses_facts")
    bad = [f for f in uses_facts if f not in FACTS]
    if bad:
        raise EntryError(f"unknown product fact {bad[0]!r}; known: {', '.join(FACTS)}", "uses_facts")
    named = placeholders(answer)
    stray = [n for n in named if n not in uses_facts]
    if stray:
        raise EntryError(f"answer uses {{{stray[0]}}} which is not listed in uses_facts", "answer")
    kind = str(data.get("kind") or "faq")
    if kind not in ENTRY_KINDS:
        raise EntryError(f"kind must be one of {', '.join(ENTRY_KINDS)}", "kind")
    category = data.get("category") or None
    if category is not None and categories is not None and category not in set(categories):
        raise EntryError(f"unknown triage category {category!r}", "category")
    valid_from = _date(data.get("valid_from"), "valid_from")
    valid_to = _date(data.get("valid_to"), "valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        raise EntryError("valid_to is before valid_from", "valid_to")
    return Entry(
        key=key,
        intent=intent,
        answer=answer,
        questions=questions,
        category=str(category) if category else None,
        kind=kind,
        uses_facts=uses_facts,
        products=_strings(data.get("products"), "products"),
        tags=_strings(data.get("tags"), "tags"),
        valid_from=valid_from,
        valid_to=valid_to,
    )


def entry_to_mapping(entry: Entry) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": entry.key,
        "intent": entry.intent,
        "category": entry.category,
        "kind": entry.kind,
        "questions": list(entry.questions),
        "answer": entry.answer,
    }
    for name in ("uses_facts", "products", "tags"):
        if getattr(entry, name):
            out[name] = list(getattr(entry, name))
    for name in ("valid_from", "valid_to"):
        if getattr(entry, name):
            out[name] = getattr(entry, name).isoformat()
    return out


def triage_categories() -> list[str]:
    data = yaml.safe_load(resources.files("aftersales.triage").joinpath("packs/_common.yaml").read_text("utf-8"))
    return list(data.get("categories", {}))


def parse_pack(text: str, source: str) -> tuple[str, list[Entry]]:
    """Read a pack file's text: ``pack: NAME`` and ``entries: [...]``; keys must be unique."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise EntryError(f"{source}: expected a mapping with 'pack' and a list 'entries'", "entries")
    categories = triage_categories()
    entries: list[Entry] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["entries"]):
        if not isinstance(raw, dict):
            raise EntryError(f"{source}: entries[{i}] is not a mapping", f"entries[{i}]")
        try:
            entry = entry_from_mapping(raw, categories)
        except EntryError as exc:
            raise EntryError(f"{source}: entries[{i}] ({raw.get('key')}): {exc}", f"entries[{i}].{exc.field}") from exc
        if entry.key in seen:
            raise EntryError(f"{source}: duplicate key {entry.key!r}", f"entries[{i}].key")
        seen.add(entry.key)
        entries.append(entry)
    return str(data.get("pack") or ""), entries


def load_pack(name: str, directory: Path | None = None) -> list[Entry]:
    """A shipped starter knowledge base (``assistant/packs/<name>.yaml``), or one from ``directory``."""
    if directory is not None:
        path = directory / f"{name}.yaml"
        return parse_pack(path.read_text("utf-8"), str(path))[1]
    resource = resources.files("aftersales.assistant").joinpath(f"packs/{name}.yaml")
    if not resource.is_file():
        raise EntryError(f"no knowledge pack {name!r}; shipped: {', '.join(shipped_packs())}", "pack")
    return parse_pack(resource.read_text("utf-8"), f"packs/{name}.yaml")[1]


def shipped_packs() -> list[str]:
    folder = resources.files("aftersales.assistant").joinpath("packs")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml") and not p.name.startswith("_"))


# ---------------------------------------------------------------- product facts


def scoped_products(entry: Entry, catalogue: Sequence[ProductFacts]) -> list[ProductFacts]:
    """Products an entry speaks about: its listed SKUs or categories; all products when it lists none."""
    if not entry.products:
        return list(catalogue)
    scope = set(entry.products)
    return [p for p in catalogue if p.sku in scope or p.category in scope]


def _format_fact(name: str, value: str) -> str:
    return f"{value}天" if name == "shelf_life_days" else value


@dataclass
class Rendered:
    text: str | None
    products: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def render_answer(entry: Entry, product: ProductFacts | None, catalogue: Sequence[ProductFacts]) -> Rendered:
    """Fill the entry's product facts. With one product known, for it; otherwise one line per product in scope
    (up to five). A fact that is missing from the catalogue yields ``text=None`` and names it in ``missing``."""
    if not entry.uses_facts:
        return Rendered(entry.answer)
    if product is not None and (
        not entry.products or product.sku in entry.products or product.category in entry.products
    ):
        candidates = [product]
    else:
        candidates = scoped_products(entry, catalogue)[:5]
    if not candidates:
        return Rendered(None, missing=list(entry.uses_facts))
    # The shelf life renders with its unit ("7天"); a template that writes the unit itself ("{shelf_life_days}天",
    # as people naturally do) must not read "7天天".
    template = entry.answer.replace("{shelf_life_days}天", "{shelf_life_days}")
    lines, used, missing = [], [], []
    for p in candidates:
        values = {}
        for name in entry.uses_facts:
            value = p.fact(name)
            if value is None:
                missing.append(f"{p.sku}.{name}")
                break
            values[name] = _format_fact(name, value)
        else:
            text = template.format(**values)
            lines.append(text if len(candidates) == 1 else f"【{p.name}】{text}")
            used.append(p.sku)
    if not lines:
        return Rendered(None, missing=missing)
    return Rendered("\n".join(lines), products=used, missing=missing)
