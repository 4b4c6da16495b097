"""Webhook endpoints: registration, fan-out of events into deliveries, dead letters and their replay."""

from __future__ import annotations

import secrets
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from aftersales.events.models import WebhookDelivery, WebhookEndpoint
from aftersales.events.registry import HandlerContext, registry
from aftersales.kit.errors import NotFound, ValidationFailed
from aftersales.kit.outbox import OutboxEvent


def matches(topics: list[str], topic: str) -> bool:
    return any(fnmatchcase(topic, pattern) for pattern in topics)


def create_endpoint(
    db: Session, *, name: str, url: str, topics: list[str], secret: str | None, now: datetime
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        name=name,
        url=url,
        secret=secret or "whsec_" + secrets.token_urlsafe(32),
        topics=topics or ["*"],
        active=True,
        created_at=now,
        updated_at=now,
    )
    db.add(endpoint)
    db.flush()
    return endpoint


def get_endpoint(db: Session, endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(f"webhook {endpoint_id} does not exist", field="webhook_id")
    return endpoint


def list_endpoints(db: Session) -> list[WebhookEndpoint]:
    return list(db.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def list_deliveries(
    db: Session, *, status: str | None = None, endpoint_id: int | None = None, limit: int = 100
) -> list[WebhookDelivery]:
    stmt = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    if endpoint_id:
        stmt = stmt.where(WebhookDelivery.endpoint_id == endpoint_id)
    return list(db.scalars(stmt))


def replay(db: Session, now: datetime, *, delivery_id: int | None = None, endpoint_id: int | None = None) -> int:
    """Put dead-lettered deliveries back in the queue with a fresh attempt budget; returns how many."""
    stmt = update(WebhookDelivery).where(WebhookDelivery.status == "dead")
    if delivery_id is not None:
        row = db.get(WebhookDelivery, delivery_id)
        if row is None:
            raise NotFound(f"delivery {delivery_id} does not exist", field="delivery_id")
        if row.status != "dead":
            raise ValidationFailed(
                f"delivery {delivery_id} is {row.status}; only dead letters are replayed", field="delivery_id"
            )
        stmt = stmt.where(WebhookDelivery.id == delivery_id)
    if endpoint_id is not None:
        stmt = stmt.where(WebhookDelivery.endpoint_id == endpoint_id)
    # Due at once, whatever clock the caller has (a CLI on another host): the creation time is always past.
    result = db.execute(
        stmt.values(
            status="pending",
            attempts=0,
            next_attempt_at=WebhookDelivery.created_at,
            lease_until=None,
            last_error=None,
        ).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def event_body(event: OutboxEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "topic": event.topic,
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "created_at": event.created_at.isoformat(),
        "payload": event.payload,
    }


@registry.on("*")
def fan_out(db: Session, event: OutboxEvent, ctx: HandlerContext) -> None:
    """One delivery row per active endpoint that subscribed to the topic; each then retries on its own."""
    endpoints = ctx.cache.get("webhook_endpoints")
    if endpoints is None:
        endpoints = [
            (e.id, list(e.topics)) for e in db.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)))
        ]
        ctx.cache["webhook_endpoints"] = endpoints
    rows = [
        {
            "endpoint_id": endpoint_id,
            "event_id": event.id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": ctx.now,
            "created_at": ctx.now,
        }
        for endpoint_id, topics in endpoints
        if matches(topics, event.topic)
    ]
    if rows:
        db.execute(insert(WebhookDelivery), rows)
