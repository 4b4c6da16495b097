"""Slots from a customer's message: order number, phone, batch code, dates, product, age."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from aftersales.assistant.knowledge import ProductFacts

_PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
_ORDER_LABELLED = re.compile(r"(?:订单号?|单号|订单编号)\s*(?:是|为|:|：)?\s*([A-Za-z]{0,6}\d[A-Za-z0-9-]{5,31})")
# Shop order numbers are long letter-prefixed or all-digit strings; phones (11 digits, 1[3-9]) are excluded.
_ORDER_BARE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2,6}\d{8,24}|\d{12,24})(?![A-Za-z0-9])")
_BATCH_LABELLED = re.compile(r"(?:批次号?|批号|生产批号|批次码)\s*(?:是|为|:|：)?\s*([A-Za-z0-9-]{4,32})")
_DATE_FULL = re.compile(r"(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*[日号]?")
_DATE_MONTH = re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_RELATIVE = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2, "大前天": 3}
_AGE = re.compile(r"(\d{1,3})\s*(?:周岁|岁)")
_MONTHS_OLD = re.compile(r"(\d{1,2})\s*个?月(?:大|的宝宝|宝宝|的孩子)")


@dataclass
class Slots:
    order_number: str | None = None
    phone: str | None = None
    batch_code: str | None = None
    dates: list[date] = field(default_factory=list)
    product_sku: str | None = None
    age_years: float | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for name in ("order_number", "phone", "batch_code", "product_sku", "age_years"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.dates:
            out["dates"] = [d.isoformat() for d in self.dates]
        return out

    def merged(self, newer: Slots) -> Slots:
        """Earlier slots with anything the newer message said on top (for a conversation's memory)."""
        out = Slots(**{k: v for k, v in self.__dict__.items()})
        for name in ("order_number", "phone", "batch_code", "product_sku", "age_years"):
            value = getattr(newer, name)
            if value is not None:
                setattr(out, name, value)
        if newer.dates:
            out.dates = list(newer.dates)
        return out


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _product_for(text: str, catalogue: Sequence[ProductFacts]) -> str | None:
    """The product whose name (or the distinctive part of it) appears in the text; longest match wins."""
    best: tuple[int, str] | None = None
    for p in catalogue:
        names = {p.name, *p.name.split()}
        for name in names:
            if len(name) >= 2 and name in text and (best is None or len(name) > best[0]):
                best = (len(name), p.sku)
        if p.sku.lower() in text.lower() and (best is None or len(p.sku) > best[0]):
            best = (len(p.sku), p.sku)
    return best[1] if best else None


def extract(text: str, today: date, catalogue: Sequence[ProductFacts] = ()) -> Slots:
    slots = Slots()
    phone = _PHONE.search(text)
    if phone:
        slots.phone = phone.group(1)
    order = _ORDER_LABELLED.search(text) or _ORDER_BARE.search(text)
    if order and order.group(1) != slots.phone:
        slots.order_number = order.group(1)
    batch = _BATCH_LABELLED.search(text)
    if batch:
        slots.batch_code = batch.group(1)
    for m in _DATE_FULL.finditer(text):
        d = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            slots.dates.append(d)
    if not slots.dates:
        for m in _DATE_MONTH.finditer(text):
            d = _safe_date(today.year, int(m.group(1)), int(m.group(2)))
            if d:
                # "12月30日" said in January means last year.
                slots.dates.append(d if d <= today + timedelta(days=31) else d.replace(year=d.year - 1))
    for word, back in sorted(_RELATIVE.items(), key=lambda kv: -len(kv[0])):
        if word in text and not any(
            word in other and other in text for other in _RELATIVE if other != word and len(other) > len(word)
        ):
            slots.dates.append(today - timedelta(days=back))
    age = _AGE.search(text)
    if age and 0 < int(age.group(1)) < 120:
        slots.age_years = float(age.group(1))
    else:
        months = _MONTHS_OLD.search(text)
        if months:
            slots.age_years = round(int(months.group(1)) / 12, 2)
    slots.product_sku = _product_for(text, catalogue)
    return slots
