"""Customer, product, batch and order routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from sqlalchemy import or_, select

from aftersales.catalog import service
from aftersales.catalog.models import Batch, Customer, Order, Product
from aftersales.catalog.schemas import (
    BatchIn,
    BatchOut,
    CustomerIn,
    CustomerOut,
    OrderIn,
    OrderOut,
    ProductIn,
    ProductOut,
)
from aftersales.kit.deps import DbSession, Now, PathId, Reader, Supervisor, Writer
from aftersales.kit.errors import NotFound

router = APIRouter(tags=["catalog"])
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


@router.get("/customers", response_model=list[CustomerOut])
def list_customers(
    actor: Reader,
    db: DbSession,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[Customer]:
    stmt = select(Customer).order_by(Customer.id)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Customer.name.like(like), Customer.phone == q, Customer.email == q))
    return list(db.scalars(stmt.limit(limit).offset(offset)))


@router.get("/customers/{customer_id}", response_model=CustomerOut)
def get_customer(customer_id: PathId, actor: Reader, db: DbSession) -> Customer:
    customer = db.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist", field="customer_id")
    return customer


@router.post("/customers", response_model=CustomerOut, status_code=status.HTTP_201_CREATED)
def create_customer(body: CustomerIn, actor: Writer, db: DbSession, now: Now) -> Customer:
    customer = service.create_customer(db, body, now)
    db.commit()
    return customer


@router.get("/products", response_model=list[ProductOut])
def list_products(actor: Reader, db: DbSession, limit: Limit = 50, offset: Offset = 0) -> list[Product]:
    return list(db.scalars(select(Product).order_by(Product.id).limit(limit).offset(offset)))


@router.post("/products", response_model=ProductOut, status_code=status.HTTP_201_CREATED)
def create_product(body: ProductIn, actor: Supervisor, db: DbSession, now: Now) -> Product:
    product = service.create_product(db, body, now)
    db.commit()
    return product


@router.get("/batches", response_model=list[BatchOut])
def list_batches(
    actor: Reader,
    db: DbSession,
    product_sku: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[Batch]:
    stmt = select(Batch).order_by(Batch.id)
    if product_sku:
        stmt = stmt.where(Batch.product_id == service.product_by_sku(db, product_sku).id)
    return list(db.scalars(stmt.limit(limit).offset(offset)))


@router.post("/batches", response_model=BatchOut, status_code=status.HTTP_201_CREATED)
def create_batch(body: BatchIn, actor: Supervisor, db: DbSession, now: Now) -> Batch:
    batch = service.create_batch(db, body, now)
    db.commit()
    return batch


@router.get("/orders", response_model=list[OrderOut])
def list_orders(
    actor: Reader,
    db: DbSession,
    customer_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[Order]:
    stmt = select(Order).order_by(Order.id.desc())
    if customer_id:
        stmt = stmt.where(Order.customer_id == customer_id)
    return list(db.scalars(stmt.limit(limit).offset(offset)))


@router.get("/orders/{number}", response_model=OrderOut)
def get_order(number: Annotated[str, Path(max_length=64)], actor: Reader, db: DbSession) -> Order:
    order = db.scalars(select(Order).where(Order.number == number)).first()
    if order is None:
        raise NotFound(f"order {number} does not exist", field="number")
    return order


@router.post("/orders", response_model=OrderOut, status_code=status.HTTP_201_CREATED)
def create_order(body: OrderIn, actor: Writer, db: DbSession, now: Now) -> Order:
    order = service.create_order(db, body, now)
    db.commit()
    return order
