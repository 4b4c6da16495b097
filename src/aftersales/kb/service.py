"""Knowledge base use cases: create, update, retire, import and export entries; every change is a version row
and an outbox event in the caller's transaction. Product facts are read live from the catalogue."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.assistant.knowledge import (
    Entry,
    EntryError,
    ProductFacts,
    entry_from_mapping,
    entry_to_mapping,
    triage_categories,
)
from aftersales.catalog.models import Product
from aftersales.kb.models import KbEntry, KbEntryVersion
from aftersales.kit.actor import Actor
from aftersales.kit.errors import Conflict, NotFound, ValidationFailed
from aftersales.kit.outbox import emit

CSV_COLUMNS = (
    "key", "intent", "category", "kind", "questions", "answer", "uses_facts", "products", "tags", "valid_from",
    "valid_to",
)  # fmt: skip
LIST_SEPARATOR = "|"


def validate(data: dict[str, Any]) -> Entry:
    try:
        return entry_from_mapping(data, triage_categories())
    except EntryError as exc:
        raise ValidationFailed(str(exc), field=exc.field) from exc


def to_entry(record: KbEntry) -> Entry:
    return entry_from_mapping(
        {
            "key": record.key,
            "intent": record.intent,
            "category": record.category,
            "kind": record.kind,
            "questions": record.questions,
            "answer": record.answer,
            "uses_facts": record.uses_facts,
            "products": record.products,
            "tags": record.tags,
            "valid_from": record.valid_from,
            "valid_to": record.valid_to,
        }
    )


def _apply(record: KbEntry, entry: Entry) -> None:
    record.intent = entry.intent
    record.category = entry.category
    record.kind = entry.kind
    record.questions = list(entry.questions)
    record.answer = entry.answer
    record.uses_facts = list(entry.uses_facts)
    record.products = list(entry.products)
    record.tags = list(entry.tags)
    record.valid_from = entry.valid_from
    record.valid_to = entry.valid_to


def _version(db: Session, record: KbEntry, change: str, actor: Actor, now: datetime) -> None:
    snapshot = {**entry_to_mapping(to_entry(record)), "active": record.active}
    db.add(
        KbEntryVersion(
            entry_id=record.id,
            version=record.version,
            change=change,
            snapshot=snapshot,
            changed_by=actor.scope if actor.type != "system" else f"system:{actor.name}",
            created_at=now,
        )
    )
    emit(db, f"kb.entry_{change}", "kb_entry", record.id, {"key": record.key, "version": record.version}, now)


def get(db: Session, entry_id: int, *, for_update: bool = False) -> KbEntry:
    stmt = select(KbEntry).where(KbEntry.id == entry_id)
    if for_update:
        stmt = stmt.with_for_update()
    record = db.scalars(stmt).first()
    if record is None:
        raise NotFound(f"knowledge entry {entry_id} does not exist", field="entry_id")
    return record


def by_key(db: Session, key: str) -> KbEntry | None:
    return db.scalars(select(KbEntry).where(KbEntry.key == key)).first()


def create(db: Session, entry: Entry, actor: Actor, now: datetime, *, source: str = "api") -> KbEntry:
    if by_key(db, entry.key) is not None:
        raise Conflict(f"an entry with key {entry.key!r} already exists", field="key")
    record = KbEntry(key=entry.key, active=True, source=source, version=1, created_at=now, updated_at=now)
    _apply(record, entry)
    db.add(record)
    db.flush()
    _version(db, record, "created", actor, now)
    return record


def update(db: Session, record: KbEntry, entry: Entry, actor: Actor, now: datetime) -> KbEntry:
    if entry.key != record.key:
        raise ValidationFailed("an entry's key cannot change; create a new entry instead", field="key")
    if to_entry(record) == entry and record.active:
        return record  # nothing changed: no new version
    change = "restored" if not record.active else "updated"
    _apply(record, entry)
    record.active = True
    record.version += 1
    record.updated_at = now
    db.flush()
    _version(db, record, change, actor, now)
    return record


def retire(db: Session, record: KbEntry, actor: Actor, now: datetime) -> KbEntry:
    if not record.active:
        raise Conflict(f"entry {record.key!r} is already retired", field="entry_id")
    record.active = False
    record.version += 1
    record.updated_at = now
    db.flush()
    _version(db, record, "retired", actor, now)
    return record


def add_question(db: Session, record: KbEntry, question: str, actor: Actor, now: datetime) -> KbEntry:
    entry = to_entry(record)
    if question in entry.questions:
        return record
    mapping = entry_to_mapping(entry)
    mapping["questions"] = [*entry.questions, question]
    return update(db, record, validate(mapping), actor, now)


def versions(db: Session, record: KbEntry) -> list[KbEntryVersion]:
    return list(
        db.scalars(select(KbEntryVersion).where(KbEntryVersion.entry_id == record.id).order_by(KbEntryVersion.version))
    )


def list_entries(
    db: Session, *, q: str | None = None, include_retired: bool = False, limit: int = 100, offset: int = 0
) -> list[KbEntry]:
    stmt = select(KbEntry).order_by(KbEntry.key)
    if not include_retired:
        stmt = stmt.where(KbEntry.active.is_(True))
    if q:
        like = f"%{q}%"
        stmt = stmt.where(KbEntry.key.like(like) | KbEntry.answer.like(like) | KbEntry.intent.like(like))
    return list(db.scalars(stmt.limit(limit).offset(offset)))


def active_entries(db: Session) -> list[Entry]:
    return [to_entry(r) for r in db.scalars(select(KbEntry).where(KbEntry.active.is_(True)).order_by(KbEntry.id))]


def fingerprint(db: Session) -> tuple[Any, ...]:
    """Changes whenever any entry is created, changed or retired (versions only grow)."""
    row = db.execute(select(func.count(KbEntry.id), func.coalesce(func.sum(KbEntry.version), 0))).one()
    return (int(row[0]), int(row[1]))


# ---------------------------------------------------------------- import / export


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.errors)} errors"
        )


def import_entries(db: Session, entries: Iterable[Entry], actor: Actor, now: datetime, *, source: str) -> ImportReport:
    """Create or update entries by key. Entries that did not change get no new version."""
    report = ImportReport()
    for entry in entries:
        record = by_key(db, entry.key)
        if record is None:
            create(db, entry, actor, now, source=source)
            report.created.append(entry.key)
        elif to_entry(record) == entry and record.active:
            report.unchanged.append(entry.key)
        else:
            update(db, record, entry, actor, now)
            report.updated.append(entry.key)
    return report


def parse_csv(text: str) -> tuple[list[Entry], list[str]]:
    """Entries from CSV (list fields separated by '|'); returns the good ones and one message per bad row."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"key", "intent", "questions", "answer"} - set(reader.fieldnames or ())
    if missing:
        raise ValidationFailed(f"the CSV lacks the column(s): {', '.join(sorted(missing))}", field="file")
    good, errors = [], []
    categories = triage_categories()
    for line, row in enumerate(reader, start=2):
        data = {k: v for k, v in row.items() if k in CSV_COLUMNS and v not in (None, "")}
        try:
            good.append(entry_from_mapping(data, categories))
        except EntryError as exc:
            errors.append(f"line {line}: {exc.field}: {exc}")
    return good, errors


def parse_yaml(text: str) -> list[Entry]:
    from aftersales.assistant.knowledge import parse_pack

    try:
        return parse_pack(text, "import")[1]
    except EntryError as exc:
        raise ValidationFailed(str(exc), field=exc.field) from exc
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"not valid YAML: {exc}", field="file") from exc


def export_csv(entries: Sequence[Entry]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for entry in entries:
        row = entry_to_mapping(entry)
        writer.writerow(
            {k: LIST_SEPARATOR.join(v) if isinstance(v, list) else (v if v is not None else "") for k, v in row.items()}
        )
    return out.getvalue()


def export_yaml(entries: Sequence[Entry], pack: str = "export") -> str:
    return yaml.safe_dump(
        {"pack": pack, "entries": [entry_to_mapping(e) for e in entries]}, allow_unicode=True, sort_keys=False
    )


# ---------------------------------------------------------------- product facts


def catalogue(db: Session) -> list[ProductFacts]:
    """The catalogue as the assistant sees it, read at answer time so answers follow the data."""
    out = []
    for p in db.scalars(select(Product).order_by(Product.id)):
        attrs = p.attributes or {}
        out.append(
            ProductFacts(
                sku=p.sku,
                name=p.name,
                category=p.category,
                shelf_life_days=p.shelf_life_days,
                storage=p.storage,
                ingredients=str(attrs["ingredients"]) if attrs.get("ingredients") else None,
                care=str(attrs["care"]) if attrs.get("care") else None,
                cold_chain=p.cold_chain,
            )
        )
    return out
