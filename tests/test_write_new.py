"""kit.db.write_new: the intake's INSERT path without the unit of work must write exactly what a flush writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import DataError, IntegrityError

from aftersales.catalog.models import Customer, Product
from aftersales.kit.db import Database, reserve_ids, write_new
from aftersales.kit.outbox import OutboxEvent
from aftersales.tickets.models import IdempotencyKey

AT = datetime(2026, 12, 2, 3, 4, 5, 678901, tzinfo=UTC)
MODELS = (Customer, OutboxEvent, IdempotencyKey)


def _columns(obj: Any) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in inspect(type(obj)).columns if c.key != "id"}


def _customer(name: str, **extra: Any) -> Customer:
    # tier and tags are left out on purpose: their column defaults must be applied as a flush applies them
    return Customer(name=name, phone="13800138000", created_at=AT, **extra)


def _event(n: int) -> OutboxEvent:
    return OutboxEvent(
        topic="ticket.created",
        aggregate_type="ticket",
        aggregate_id=n,
        payload={"备注": "冷链温度超标", "n": n, "nested": [1, None, {"ok": True}]},
        created_at=AT + timedelta(seconds=n),
    )


def test_rows_match_what_a_flush_writes(database: Database) -> None:
    with database.transaction() as s:
        s.add_all([_customer("张三 (flush)"), _event(1)])
        s.flush()
        customer = _customer("张三 (write_new)")
        events = [_event(2), _event(3), _event(4)]
        s.add_all([customer, *events])
        assert write_new(s, MODELS, keep=(Customer,)) is True
        assert not s.new
        # kept objects are persistent, as if loaded; the others have left the session but keep their values
        assert inspect(customer).persistent
        assert all(inspect(e).detached or inspect(e).transient for e in events)
        assert [e.aggregate_id for e in events] == [2, 3, 4]
        ids = [e.id for e in events]
        assert ids == sorted(ids) and len(set(ids)) == 3  # in the order they were added
        assert customer.tier == "standard" and customer.tags == []  # defaults are on the object too
    with database.transaction() as s:
        by_name = {c.name: c for c in s.scalars(select(Customer))}
        flushed, written = _columns(by_name["张三 (flush)"]), _columns(by_name["张三 (write_new)"])
        flushed.pop("name"), written.pop("name")
        assert written == flushed
        rows = {e.aggregate_id: e for e in s.scalars(select(OutboxEvent))}
        assert set(rows) == {1, 2, 3, 4}
        for n in (2, 3, 4):
            got = _columns(rows[n])
            want = _columns(rows[1]) | {"aggregate_id": n, "created_at": AT + timedelta(seconds=n)}
            want["payload"] = {**want["payload"], "n": n}
            assert got == want
            assert got["created_at"].tzinfo is not None and got["attempts"] == 0 and got["dispatched_at"] is None
        assert [rows[n].id for n in (2, 3, 4)] == ids


def test_a_kept_object_changed_later_is_updated(database: Database) -> None:
    with database.transaction() as s:
        customer = _customer("李四")
        s.add(customer)
        write_new(s, MODELS, keep=(Customer,))
        customer.tier = "gold"  # an UPDATE at the next flush, not a second INSERT
        s.flush()
        cid = customer.id
    with database.transaction() as s:
        rows = list(s.scalars(select(Customer)))
        assert [(c.id, c.name, c.tier) for c in rows] == [(cid, "李四", "gold")]


def test_ids_given_in_advance_are_kept_and_missing_ones_reserved(database: Database) -> None:
    with database.transaction() as s:
        (given,) = reserve_ids(s, Customer, 1)
        a, b = _customer("王五", id=given), _customer("赵六")
        s.add_all([a, b])
        write_new(s, MODELS, keep=(Customer,))
        assert a.id == given and b.id is not None and b.id != given
    with database.transaction() as s:
        assert {c.id for c in s.scalars(select(Customer))} == {a.id, b.id}


def test_other_new_objects_leave_everything_to_the_flush(database: Database) -> None:
    with database.transaction() as s:
        s.add_all([_customer("周七"), Product(sku="MLK-T", name="测试鲜奶", category="dairy", created_at=AT)])
        assert write_new(s, MODELS, keep=(Customer,)) is False
        assert len(s.new) == 2  # nothing was written or detached
        s.flush()
    with database.transaction() as s:
        assert s.scalar(select(Customer.name)) == "周七"
        assert s.scalar(select(Product.sku)) == "MLK-T"


def test_a_unique_violation_is_the_orms_integrity_error_and_the_savepoint_recovers(database: Database) -> None:
    key = {"scope": "agent:1", "key": "k-1", "request_hash": "h", "resource_id": 1, "created_at": AT}
    with database.transaction() as s:
        s.add(IdempotencyKey(**key))
        write_new(s, MODELS)
    with database.transaction() as s:
        with pytest.raises(IntegrityError), s.begin_nested():
            s.add_all([IdempotencyKey(**key), _event(9)])
            write_new(s, MODELS)
        s.add(_event(10))  # the transaction is still usable after the savepoint rolled back
        write_new(s, MODELS)
    with database.transaction() as s:
        assert [e.aggregate_id for e in s.scalars(select(OutboxEvent))] == [10]  # nothing half-written
        assert s.scalar(select(IdempotencyKey.key)) == "k-1"


def test_a_value_too_long_is_the_orms_data_error_on_postgresql(database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("SQLite does not enforce VARCHAR lengths")
    with database.transaction() as s, pytest.raises(DataError), s.begin_nested():
        s.add(_customer("吴八", tier="x" * 17))  # String(16)
        write_new(s, MODELS, keep=(Customer,))
