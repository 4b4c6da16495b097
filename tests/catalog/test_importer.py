"""CSV import: good rows kept, bad rows reported by spreadsheet row and column, dry run, GBK, the CLI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from aftersales.catalog.importer import KINDS, RowError, import_file, sample_path
from aftersales.catalog.models import Batch, Customer, Order, OrderItem, Product
from aftersales.kit.db import Database

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _count(database: Database, model: type) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _import_samples(database: Database, upto: str = "orders") -> None:
    for kind in ("products", "batches", "customers", "orders"):
        report = import_file(database, kind, sample_path(kind), NOW)
        assert report.errors == [], (kind, report.errors)
        if kind == upto:
            return


def test_samples_import_cleanly(database: Database) -> None:
    for kind in ("products", "batches", "customers", "orders"):
        dry = import_file(database, kind, sample_path(kind), NOW, dry_run=True)
        assert dry.errors == [] and dry.imported > 0, (kind, dry.errors)
        report = import_file(database, kind, sample_path(kind), NOW)
        assert report.errors == [] and report.imported == dry.imported, (kind, report.errors)
    assert (_count(database, Product), _count(database, Batch), _count(database, Customer)) == (5, 6, 8)
    assert (_count(database, Order), _count(database, OrderItem)) == (5, 7)
    with database.transaction() as session:
        order = session.scalars(select(Order).where(Order.number == "SMP202611200001")).one()
        # "2026-11-20 07:30" has no zone: read in Asia/Shanghai
        assert order.placed_at == datetime(2026, 11, 19, 23, 30, tzinfo=UTC)
        assert order.total_amount == Decimal("61.70") and len(order.items) == 2
        by_phone = session.scalars(select(Order).where(Order.number == "SMP202611210003")).one()
        assert session.get(Customer, by_phone.customer_id).external_ref == "CRM-0003"  # type: ignore[union-attr]
        customer = session.scalars(select(Customer).where(Customer.external_ref == "CRM-0001")).one()
        assert customer.tags == ["订奶卡", "有婴幼儿"] and customer.tier == "vip"
    # the same file again: every row is a duplicate, reported, nothing changes
    again = import_file(database, "products", sample_path("products"), NOW)
    assert [(e.row, e.field) for e in again.errors] == [(n, "sku") for n in range(2, 7)]
    assert _count(database, Product) == 5


def test_bad_rows_are_reported_and_the_rest_imported(database: Database, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "products.csv",
        (
            "SKU,Name,Category,shelf_life_days,storage,cold_chain\n"
            "P-1,鲜奶,dairy,7,2-6℃冷藏,是\n"
            "P-2,,dairy,7,,否\n"  # row 3: no name
            "P-3,酸奶,dairy,seven,,否\n"  # row 4: not a number
            "P-1,鲜奶 again,dairy,7,,否\n"  # row 5: duplicate SKU in the same file
            "\n"  # row 6: blank, ignored
            "P-4,阿胶,tonic,1825,,maybe\n"  # row 7: not a boolean
            "P-5,钙片,calcium,730,,no\n"
        ),
    )
    report = import_file(database, "products", path, NOW)
    assert [(e.row, e.field) for e in report.errors] == [
        (3, "name"),
        (4, "shelf_life_days"),
        (5, "sku"),
        (7, "cold_chain"),
    ]
    assert "exists" in report.errors[2].message
    assert report.imported == 2 and report.rows == 6
    assert "2 products imported" in report.summary() and "4 rows with errors" in report.summary()
    with database.transaction() as session:
        assert sorted(session.scalars(select(Product.sku))) == ["P-1", "P-5"]


def test_a_bad_item_row_skips_its_whole_order(database: Database, tmp_path: Path) -> None:
    _import_samples(database, upto="customers")
    header = (
        "number,customer_ref,customer_phone,status,placed_at,delivered_at,product_sku,batch_code,quantity,unit_price\n"
    )
    path = _write(
        tmp_path,
        "orders.csv",
        header
        + (
            "A-1,CRM-0001,,delivered,2026-11-20 08:00,2026-11-20 18:00,SMP-MLK-001,MLK20261120B,1,15.90\n"
            "A-1,,,,,,SMP-MLK-002,NO-SUCH-BATCH,1,29.90\n"  # row 3: unknown batch -> the whole of A-1 is skipped
            "A-2,CRM-0404,,paid,2026-11-21 09:00,,SMP-MLK-003,,1,69\n"  # row 4: unknown customer
            "A-3,CRM-0002,,delivered,2026-11-21 09:00,2026-11-20 09:00,SMP-MLK-003,,1,69\n"  # row 5: delivered first
            "A-4,,13512345606,paid,2026-11-22 09:00,,SMP-CAL-001,,0,99\n"  # row 6: quantity 0
            "A-5,CRM-0002,,paid,2026-11-22 10:00,,SMP-CAL-001,,2,99\n"
            "A-5,CRM-0003,,,,,SMP-EJ-001,,1,598\n"  # row 8: contradicts row 7
            "A-6,CRM-0007,,shipped,yesterday,,SMP-CAL-001,,1,99\n"  # row 9: not a date-time
            "A-7,CRM-0008,,paid,2026-11-22T10:00:00+08:00,,SMP-CAL-001,,2,99\n"
        ),
    )
    report = import_file(database, "orders", path, NOW)
    assert [(e.row, e.field) for e in report.errors] == [
        (3, "batch_code"),
        (4, "customer_ref"),
        (5, "delivered_at"),
        (6, "quantity"),
        (8, "customer_ref"),
        (9, "placed_at"),
    ]
    assert report.imported == 1 and report.items == 1
    with database.transaction() as session:
        assert list(session.scalars(select(Order.number))) == ["A-7"]
    assert _count(database, OrderItem) == 1


def test_dry_run_writes_nothing(database: Database, tmp_path: Path) -> None:
    for kind in ("products", "batches", "customers"):
        report = import_file(database, kind, sample_path(kind), NOW, dry_run=True)
        if kind == "products":
            assert report.errors == [] and report.imported == 5
            assert "dry run" in report.summary()
    # batches need the products that the dry run did not write
    assert _count(database, Product) == 0 and _count(database, Batch) == 0 and _count(database, Customer) == 0


def test_gbk_file_from_excel(database: Database, tmp_path: Path) -> None:
    text = sample_path("customers").read_text(encoding="utf-8")
    path = _write(tmp_path, "customers-gbk.csv", text.replace("\n", "\r\n"), encoding="gbk")
    report = import_file(database, "customers", path, NOW)
    assert report.errors == [] and report.imported == 8 and report.encoding == "gbk"
    bom = _write(tmp_path, "bom.csv", "\ufeffname,phone\n王芳,13800000000\n")
    assert import_file(database, "customers", bom, NOW).errors == []
    with database.transaction() as session:
        names = set(session.scalars(select(Customer.name)))
    assert {"王秀英", "孙志强", "王芳"} <= names


def test_header_problems_stop_the_file(database: Database, tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", "name,phone,mobile\n王芳,13800000000,x\n")
    report = import_file(database, "customers", path, NOW)
    assert report.errors == [RowError(1, "mobile", report.errors[0].message)]
    assert _count(database, Customer) == 0
    empty = import_file(database, "batches", _write(tmp_path, "e.csv", ""), NOW)
    assert [(e.row, e.field) for e in empty.errors] == [(1, "file")]
    missing = import_file(database, "batches", _write(tmp_path, "m.csv", "code\nX\n"), NOW)
    assert [(e.row, e.field) for e in missing.errors] == [(1, "product_sku")]
    assert set(KINDS) == {"customers", "products", "batches", "orders"}


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path) -> Iterator[None]:
    from aftersales.kit.migrate import upgrade
    from aftersales.kit.settings import get_settings

    upgrade(db_url)
    old = {k: os.environ.get(k) for k in ("AFTERSALES_DATABASE_URL", "AFTERSALES_DATA_DIR")}
    os.environ["AFTERSALES_DATABASE_URL"] = db_url
    os.environ["AFTERSALES_DATA_DIR"] = str(tmp_path / "data")
    get_settings.cache_clear()
    yield
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


def test_cli_exit_codes(cli_env: None, db_url: str, tmp_path: Path) -> None:
    from aftersales.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["import", "products", str(sample_path("products")), "--dry-run"])
    assert ok.exit_code == 0, ok.output
    assert "dry run" in ok.output
    ok = runner.invoke(app, ["import", "products", str(sample_path("products"))])
    assert ok.exit_code == 0, ok.output
    bad = _write(
        tmp_path,
        "bad.csv",
        "product_sku,code,produced_on,expires_on\n"
        "SMP-MLK-001,B1,2026-11-01,2026-11-08\n"
        "SMP-MLK-001,B2,2026-11-09,2026-11-01\n",
    )
    result = runner.invoke(app, ["import", "batches", str(bad)])
    assert result.exit_code == 1, result.output
    assert "row 3: expires_on:" in result.output
    unknown = runner.invoke(app, ["import", "refunds", str(bad)])
    assert unknown.exit_code == 2
    database = Database(db_url, pool_size=1)
    try:
        assert _count(database, Product) == 5 and _count(database, Batch) == 1
    finally:
        database.dispose()
