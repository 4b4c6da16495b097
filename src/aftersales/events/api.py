"""Webhook administration: endpoints, their deliveries, and replay of dead letters (admins only)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from aftersales.events import webhooks
from aftersales.events.schemas import DeliveryOut, ReplayOut, WebhookCreate, WebhookCreated, WebhookOut, WebhookUpdate
from aftersales.kit.deps import Admin, DbSession, Now, PathId

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.get("", response_model=list[WebhookOut])
def list_webhooks(actor: Admin, db: DbSession) -> list[WebhookOut]:
    return [WebhookOut.model_validate(e) for e in webhooks.list_endpoints(db)]


@router.post("", response_model=WebhookCreated, status_code=status.HTTP_201_CREATED)
def create_webhook(body: WebhookCreate, actor: Admin, db: DbSession, now: Now) -> WebhookCreated:
    endpoint = webhooks.create_endpoint(
        db, name=body.name, url=body.url, topics=body.topics, secret=body.secret, now=now
    )
    db.commit()
    return WebhookCreated.model_validate(endpoint)


@router.patch("/{webhook_id}", response_model=WebhookOut)
def update_webhook(webhook_id: PathId, body: WebhookUpdate, actor: Admin, db: DbSession, now: Now) -> WebhookOut:
    endpoint = webhooks.get_endpoint(db, webhook_id)
    for field, value in body.model_dump(exclude_none=True).items():
        setattr(endpoint, field, value)
    endpoint.updated_at = now
    db.commit()
    return WebhookOut.model_validate(endpoint)


@router.get(
    "/deliveries", response_model=list[DeliveryOut], summary="Deliveries, newest first; status=dead lists dead letters"
)
def list_deliveries(
    actor: Admin,
    db: DbSession,
    status_: Annotated[Literal["pending", "delivered", "dead"] | None, Query(alias="status")] = None,
    webhook_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    rows = webhooks.list_deliveries(db, status=status_, endpoint_id=webhook_id, limit=limit)
    return [DeliveryOut.model_validate(r) for r in rows]


@router.post("/deliveries/{delivery_id}/replay", response_model=ReplayOut, summary="Send a dead letter again")
def replay_delivery(delivery_id: PathId, actor: Admin, db: DbSession, now: Now) -> ReplayOut:
    count = webhooks.replay(db, now, delivery_id=delivery_id)
    db.commit()
    return ReplayOut(replayed=count)
