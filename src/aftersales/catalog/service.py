"""Customer, product, batch and order use cases, shared by the API and the CSV importer."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Batch, Customer, Order, OrderItem, Product
from aftersales.catalog.schemas import BatchIn, CustomerIn, OrderIn, ProductIn
from aftersales.kit.errors import Conflict, NotFound, ValidationFailed


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValidationFailed("give a time zone, e.g. 2026-11-23T08:00:00+08:00", field=field)
    return value


def create_customer(db: Session, data: CustomerIn, now: datetime) -> Customer:
    if data.external_ref and db.scalars(select(Customer).where(Customer.external_ref == data.external_ref)).first():
        raise Conflict(f"a customer with external_ref {data.external_ref} exists", field="external_ref")
    customer = Customer(**data.model_dump(), created_at=now)
    db.add(customer)
    db.flush()
    return customer


def product_by_sku(db: Session, sku: str, field: str = "product_sku") -> Product:
    product = db.scalars(select(Product).where(Product.sku == sku)).first()
    if product is None:
        raise NotFound(f"product {sku} does not exist", field=field)
    return product


def create_product(db: Session, data: ProductIn, now: datetime) -> Product:
    if db.scalars(select(Product).where(Product.sku == data.sku)).first():
        raise Conflict(f"product {data.sku} exists", field="sku")
    product = Product(**data.model_dump(), attributes={}, created_at=now)
    db.add(product)
    db.flush()
    return product


def create_batch(db: Session, data: BatchIn, now: datetime) -> Batch:
    product = product_by_sku(db, data.product_sku)
    if data.produced_on and data.expires_on and data.expires_on < data.produced_on:
        raise ValidationFailed("expires_on is before produced_on", field="expires_on")
    if db.scalars(select(Batch).where(Batch.product_id == product.id, Batch.code == data.code)).first():
        raise Conflict(f"batch {data.code} of {data.product_sku} exists", field="code")
    batch = Batch(
        product_id=product.id,
        code=data.code,
        produced_on=data.produced_on,
        expires_on=data.expires_on,
        created_at=now,
    )
    db.add(batch)
    db.flush()
    return batch


def create_order(db: Session, data: OrderIn, now: datetime) -> Order:
    for field in ("placed_at", "shipped_at", "delivered_at"):
        _aware(getattr(data, field), field)
    if db.get(Customer, data.customer_id) is None:
        raise NotFound(f"customer {data.customer_id} does not exist", field="customer_id")
    if db.scalars(select(Order).where(Order.number == data.number)).first():
        raise Conflict(f"order {data.number} exists", field="number")
    if data.delivered_at and data.delivered_at < data.placed_at:
        raise ValidationFailed("delivered_at is before placed_at", field="delivered_at")
    order = Order(**data.model_dump(exclude={"items"}), total_amount=Decimal("0"), created_at=now)
    total = Decimal("0")
    for index, item in enumerate(data.items):
        product = product_by_sku(db, item.product_sku, field=f"items.{index}.product_sku")
        batch = None
        if item.batch_code:
            batch = db.scalars(
                select(Batch).where(Batch.product_id == product.id, Batch.code == item.batch_code)
            ).first()
            if batch is None:
                raise NotFound(
                    f"batch {item.batch_code} of {item.product_sku} does not exist",
                    field=f"items.{index}.batch_code",
                )
        order.items.append(
            OrderItem(
                product_id=product.id,
                batch_id=batch.id if batch else None,
                quantity=item.quantity,
                unit_price=item.unit_price,
            )
        )
        total += item.unit_price * item.quantity
    order.total_amount = total
    db.add(order)
    db.flush()
    return order


def customers_by_id(db: Session, ids: set[int]) -> dict[int, Customer]:
    """Many customers in one query (a page of tickets shows each one's customer)."""
    if not ids:
        return {}
    return {c.id: c for c in db.scalars(select(Customer).where(Customer.id.in_(sorted(ids))))}
