"""CSV import of customers, products, batches and orders (``aftersales import KIND FILE [--dry-run]``).

Files
-----
One header row, then one record per row. Column names are English and case-insensitive; columns may come in
any order; optional columns may be left out or left empty. An unknown column is an error (it is usually a
typo that would otherwise silently lose data). Encoding: UTF-8 with or without a BOM, or GBK/GB18030 as
Chinese Excel saves "CSV" files — detected automatically (anything that is not valid UTF-8 is read as GB18030,
a superset of GBK). Rows that are entirely empty are ignored.

``customers``
    ``name`` (required), ``phone``, ``email``, ``tier`` (standard | silver | gold | vip), ``address``,
    ``external_ref`` (your own customer id, unique), ``tags`` (separated by ``;``, ``,``, ``、`` or ``|``)
``products``
    ``sku`` (required, unique), ``name`` (required), ``category`` (required), ``shelf_life_days``,
    ``storage``, ``cold_chain`` (true/false, yes/no, 1/0, 是/否)
``batches``
    ``product_sku`` (required), ``code`` (required, unique per product), ``produced_on``, ``expires_on``
    (dates: ``2026-11-20`` or ``2026/11/20``)
``orders``
    One row per order **item**; rows with the same ``number`` form one order, and the order's own columns are
    taken from its first row (later rows may leave them empty, but must not contradict them).
    Order columns: ``number`` (required), ``customer_ref`` (a customer's ``external_ref``) or
    ``customer_phone`` (one of the two is required), ``status`` (paid | shipped | in_transit | delivered |
    returned | cancelled), ``sales_channel``, ``placed_at`` (required), ``shipped_at``, ``delivered_at``,
    ``carrier``, ``tracking_number``, ``delivery_address``.
    Item columns: ``product_sku`` (required), ``batch_code``, ``quantity`` (default 1), ``unit_price``
    (default 0; a leading ¥ and thousands separators are accepted).

Date-times are ISO 8601 (``2026-11-20T14:30:00+08:00``) or ``2026-11-20 14:30[:00]`` (``/`` also accepted).
**A date-time without a time zone is read in Asia/Shanghai** (UTC+8, no daylight saving); pass ``tz`` to
:func:`import_file` for another zone. A bare date means midnight of that day.

Behaviour
---------
Every row is validated with the same Pydantic bodies (:mod:`aftersales.catalog.schemas`) and created with the
same services (:mod:`aftersales.catalog.service`) as the API. Each row — each order with all its item rows —
is written in its own savepoint: a bad row is reported and leaves nothing behind, good rows are kept. Errors
name the row as a spreadsheet shows it (the header is row 1, the first record row 2), the column and the
problem. A key that already exists, in the database or earlier in the same file, is reported as an error.
``dry_run=True`` runs everything — including the duplicate and reference checks — in a transaction that is
rolled back, so nothing is written. Import order for a fresh brand: products, batches, customers, orders.

Samples
-------
``src/aftersales/demo/samples/{products,batches,customers,orders}.csv`` are small Chinese sample files that
import cleanly into an empty database in that order, e.g.::

    aftersales import products src/aftersales/demo/samples/products.csv --dry-run
    aftersales import products src/aftersales/demo/samples/products.csv
    aftersales import batches src/aftersales/demo/samples/batches.csv
    aftersales import customers src/aftersales/demo/samples/customers.csv
    aftersales import orders src/aftersales/demo/samples/orders.csv

They also show the expected columns; :func:`sample_path` returns their location.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aftersales.catalog.models import Customer
from aftersales.catalog.schemas import BatchIn, CustomerIn, OrderIn, ProductIn
from aftersales.catalog.service import create_batch, create_customer, create_order, create_product
from aftersales.kit.db import Database
from aftersales.kit.errors import DomainError

KINDS = ("customers", "products", "batches", "orders")
DEFAULT_TZ = "Asia/Shanghai"

COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("name", "phone", "email", "tier", "address", "external_ref", "tags"),
    "products": ("sku", "name", "category", "shelf_life_days", "storage", "cold_chain"),
    "batches": ("product_sku", "code", "produced_on", "expires_on"),
    "orders": (
        "number",
        "customer_ref",
        "customer_phone",
        "status",
        "sales_channel",
        "placed_at",
        "shipped_at",
        "delivered_at",
        "carrier",
        "tracking_number",
        "delivery_address",
        "product_sku",
        "batch_code",
        "quantity",
        "unit_price",
    ),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "customers": ("name",),
    "products": ("sku", "name", "category"),
    "batches": ("product_sku", "code"),
    "orders": ("number", "placed_at", "product_sku"),
}
ORDER_FIELDS = (
    "customer_ref",
    "customer_phone",
    "status",
    "sales_channel",
    "placed_at",
    "shipped_at",
    "delivered_at",
    "carrier",
    "tracking_number",
    "delivery_address",
)
ITEM_FIELDS = ("product_sku", "batch_code", "quantity", "unit_price")
_DATETIME_FIELDS = ("placed_at", "shipped_at", "delivered_at")
_TAG_SPLIT = re.compile(r"[;；,，、|]")
_TRUE = {"true", "t", "yes", "y", "1", "是", "对", "冷链"}
_FALSE = {"false", "f", "no", "n", "0", "否", "不是", "常温"}


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet shows it: header = 1, first record = 2
    field: str
    message: str


@dataclass
class ImportReport:
    kind: str
    path: str
    dry_run: bool
    encoding: str = "utf-8"
    rows: int = 0  # non-empty record rows read
    imported: int = 0  # records created (orders: orders, not item rows)
    items: int = 0  # order items created
    errors: list[RowError] = field(default_factory=list)

    @property
    def rows_with_errors(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        what = f"{self.imported} {self.kind}"
        if self.kind == "orders":
            what += f" ({self.items} items)"
        verb = "would be imported (dry run: nothing written)" if self.dry_run else "imported"
        text = f"{Path(self.path).name} [{self.encoding}]: {self.rows} rows read, {what} {verb}"
        if self.errors:
            text += f"; {self.rows_with_errors} rows with errors ({len(self.errors)} errors)"
        return text


class _RowFailed(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(errors[0].message if errors else "row failed")
        self.errors = errors


# ---------------------------------------------------------------- reading


def sample_path(kind: str) -> Path:
    """Where the shipped sample file for ``kind`` lives."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    return Path(__file__).resolve().parent.parent / "demo" / "samples" / f"{kind}.csv"


def decode(raw: bytes) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (BOM or not) when it decodes, else GB18030 (covers GBK and GB2312)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gbk"
    except UnicodeDecodeError as exc:
        raise ValueError(f"the file is neither UTF-8 nor GBK (byte {exc.start})") from exc


def read_rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header (normalised names) and the non-empty rows as (spreadsheet row number, {column: stripped text})."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(reader, start=1):
        if header is None:
            header = [c.strip().lstrip("\ufeff").lower() for c in cells]
            continue
        values = [c.strip() for c in cells]
        if not any(values):
            continue
        row = {name: (values[i] if i < len(values) else "") for i, name in enumerate(header) if name}
        if len(values) > len(header) and any(values[len(header) :]):
            row["__extra__"] = "x"
        rows.append((number, row))
    return header or [], rows


# ---------------------------------------------------------------- value parsing


def _parse_datetime(value: str, tz: ZoneInfo) -> datetime:
    text = value.strip().replace("/", "-")
    if "T" not in text and " " not in text and len(text) <= 10:
        moment = datetime.combine(date.fromisoformat(_pad_date(text)), time())
    else:
        day, _, rest = text.replace("T", " ", 1).partition(" ")
        moment = datetime.fromisoformat(f"{_pad_date(day)}T{rest.strip()}")
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def _pad_date(text: str) -> str:
    parts = text.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"
    return text


def _parse_date(value: str) -> date:
    return date.fromisoformat(_pad_date(value.strip().replace("/", "-")))


def _parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected true or false (yes/no, 1/0, 是/否)")


def _money(value: str) -> str:
    return value.replace("¥", "").replace("￥", "").replace(",", "").strip()


def _cells(
    row: dict[str, str], names: tuple[str, ...], number: int, converters: dict[str, Callable[[str], Any]]
) -> dict[str, Any]:
    """The non-empty cells among ``names``, converted; conversion problems become RowErrors."""
    out: dict[str, Any] = {}
    errors = []
    for name in names:
        value = row.get(name, "")
        if value == "":
            continue
        convert = converters.get(name)
        try:
            out[name] = convert(value) if convert else value
        except ValueError as exc:
            errors.append(RowError(number, name, f"{value!r}: {exc}"))
    if errors:
        raise _RowFailed(errors)
    return out


def _validate(
    model: type[BaseModel], data: dict[str, Any], field_rows: Callable[[tuple[Any, ...]], tuple[int, str]]
) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            row, name = field_rows(tuple(err["loc"]))
            errors.append(RowError(row, name, err["msg"]))
        raise _RowFailed(errors) from exc


# ---------------------------------------------------------------- per kind


def _customer(session: Session, number: int, row: dict[str, str], now: datetime, _tz: ZoneInfo) -> int:
    data = _cells(
        row,
        COLUMNS["customers"],
        number,
        {
            "tags": lambda v: [t.strip() for t in _TAG_SPLIT.split(v) if t.strip()],
            "tier": lambda v: v.lower(),
            "email": lambda v: v.lower(),
        },
    )
    body = _validate(CustomerIn, data, lambda loc: (number, str(loc[0]) if loc else "row"))
    create_customer(session, body, now)
    return 1


def _product(session: Session, number: int, row: dict[str, str], now: datetime, _tz: ZoneInfo) -> int:
    data = _cells(row, COLUMNS["products"], number, {"cold_chain": _parse_bool})
    body = _validate(ProductIn, data, lambda loc: (number, str(loc[0]) if loc else "row"))
    create_product(session, body, now)
    return 1


def _batch(session: Session, number: int, row: dict[str, str], now: datetime, _tz: ZoneInfo) -> int:
    data = _cells(row, COLUMNS["batches"], number, {"produced_on": _parse_date, "expires_on": _parse_date})
    body = _validate(BatchIn, data, lambda loc: (number, str(loc[0]) if loc else "row"))
    create_batch(session, body, now)
    return 1


def _order(session: Session, group: list[tuple[int, dict[str, str]]], now: datetime, tz: ZoneInfo) -> int:
    first_number, first = group[0]
    convert: dict[str, Callable[[str], Any]] = {name: (lambda v: _parse_datetime(v, tz)) for name in _DATETIME_FIELDS}
    convert["status"] = lambda v: v.lower()
    convert["unit_price"] = _money
    errors: list[RowError] = []
    # The order's own columns come from its first row; later rows may repeat them but not contradict them.
    for number, row in group[1:]:
        for name in ORDER_FIELDS:
            if row.get(name) and row[name] != first.get(name, ""):
                errors.append(
                    RowError(
                        number,
                        name,
                        f"differs from row {first_number} of the same order ({row[name]!r} vs {first.get(name, '')!r})",
                    )
                )
    if errors:
        raise _RowFailed(errors)
    head = _cells(first, ORDER_FIELDS, first_number, convert)
    items = []
    for number, row in group:
        try:
            items.append(_cells(row, ITEM_FIELDS, number, convert))
        except _RowFailed as exc:
            errors.extend(exc.errors)
    if errors:
        raise _RowFailed(errors)

    customer = _find_customer(session, head.pop("customer_ref", None), head.pop("customer_phone", None), first_number)
    item_rows = [number for number, _ in group]

    def where(loc: tuple[Any, ...]) -> tuple[int, str]:
        if len(loc) >= 3 and loc[0] == "items" and isinstance(loc[1], int):
            return item_rows[loc[1]], str(loc[2])
        return first_number, str(loc[0]) if loc else "row"

    body = _validate(OrderIn, {"number": first["number"], "customer_id": customer.id, **head, "items": items}, where)
    try:
        order = create_order(session, body, now)
    except DomainError as exc:
        row_no, name = where(tuple(int(p) if p.isdigit() else p for p in (exc.field or "row").split(".")))
        if name == "customer_id":
            name = "customer_ref" if first.get("customer_ref") else "customer_phone"
        raise _RowFailed([RowError(row_no, name, exc.message)]) from exc
    return len(order.items)


def _find_customer(session: Session, ref: str | None, phone: str | None, number: int) -> Customer:
    if ref:
        customer = session.scalars(select(Customer).where(Customer.external_ref == ref)).first()
        if customer is None:
            raise _RowFailed([RowError(number, "customer_ref", f"no customer with external_ref {ref!r}")])
        return customer
    if phone:
        customer = session.scalars(select(Customer).where(Customer.phone == phone).order_by(Customer.id)).first()
        if customer is None:
            raise _RowFailed([RowError(number, "customer_phone", f"no customer with phone {phone!r}")])
        return customer
    raise _RowFailed([RowError(number, "customer_ref", "give customer_ref or customer_phone")])


_SINGLE: dict[str, Callable[[Session, int, dict[str, str], datetime, ZoneInfo], int]] = {
    "customers": _customer,
    "products": _product,
    "batches": _batch,
}


# ---------------------------------------------------------------- driver


def _check_header(kind: str, header: list[str]) -> list[RowError]:
    errors = []
    known = set(COLUMNS[kind])
    seen: set[str] = set()
    for name in header:
        if not name:
            continue
        if name not in known:
            errors.append(RowError(1, name, f"unknown column; {kind} files have: {', '.join(COLUMNS[kind])}"))
        elif name in seen:
            errors.append(RowError(1, name, "column given twice"))
        seen.add(name)
    for name in REQUIRED[kind]:
        if name not in seen:
            errors.append(RowError(1, name, "required column is missing"))
    if kind == "orders" and not seen & {"customer_ref", "customer_phone"}:
        errors.append(RowError(1, "customer_ref", "give a customer_ref or customer_phone column"))
    return errors


def _groups(rows: list[tuple[int, dict[str, str]]]) -> Iterator[list[tuple[int, dict[str, str]]]]:
    by_number: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for number, row in rows:
        by_number.setdefault(row.get("number", ""), []).append((number, row))
    yield from by_number.values()


def _savepoint(session: Session, report: ImportReport, work: Callable[[], int], first_row: int) -> int | None:
    """Run one row (or order) in a savepoint; on failure record the errors and leave nothing behind."""
    try:
        with session.begin_nested():
            return work()
    except _RowFailed as exc:
        report.errors.extend(exc.errors)
    except DomainError as exc:
        report.errors.append(RowError(first_row, exc.field or "row", exc.message))
    except IntegrityError as exc:
        report.errors.append(RowError(first_row, "row", f"conflicts with an existing record: {exc.orig}"))
    return None


def import_rows(
    session: Session,
    kind: str,
    header: list[str],
    rows: list[tuple[int, dict[str, str]]],
    now: datetime,
    report: ImportReport,
    *,
    tz: ZoneInfo,
) -> None:
    """Import already-read rows into ``session`` (the caller commits or rolls back)."""
    header_errors = _check_header(kind, header)
    if header_errors:
        report.errors.extend(header_errors)
        return
    for number, row in rows:
        if "__extra__" in row:
            report.errors.append(RowError(number, "row", "more cells than the header has columns"))
    bad = {e.row for e in report.errors}
    rows = [(n, r) for n, r in rows if n not in bad]
    if kind == "orders":
        for group in _groups(rows):
            result = _savepoint(session, report, partial(_order, session, group, now, tz), group[0][0])
            if result is not None:
                report.imported += 1
                report.items += result
        return
    handler = _SINGLE[kind]
    for number, row in rows:
        result = _savepoint(session, report, partial(handler, session, number, row, now, tz), number)
        if result is not None:
            report.imported += result


def import_file(
    database: Database, kind: str, path: Path | str, now: datetime, *, dry_run: bool = False, tz: str = DEFAULT_TZ
) -> ImportReport:
    """Import one CSV file of ``kind``; see the module docstring for the columns and the rules."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    report = ImportReport(kind=kind, path=str(path), dry_run=dry_run)
    try:
        text, report.encoding = decode(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        report.errors.append(RowError(1, "file", str(exc)))
        return report
    header, rows = read_rows(text)
    report.rows = len(rows)
    if not header:
        report.errors.append(RowError(1, "file", "the file is empty; the first row must name the columns"))
        return report
    session = database.session(write=True)
    try:
        import_rows(session, kind, header, rows, now, report, tz=ZoneInfo(tz))
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    report.errors.sort(key=lambda e: (e.row, e.field))
    return report
