"""Builders for the authorization matrix rows of the resolution loop (actions, callbacks, surveys, webhooks, inbox)."""

from __future__ import annotations

from typing import Any

from ._support import API


def requested_action(w: Any) -> int:
    """An action the owner requested above their limit: waiting for a supervisor."""
    ticket_id = w.owned_ticket()
    body = {"kind": "compensation", "compensation_type": "coupon", "amount": "300.00"}
    response = w.client.post(f"{API}/tickets/{ticket_id}/actions", headers=w.headers["owner"], json=body)
    assert response.status_code == 201 and response.json()["status"] == "requested", response.text
    return int(response.json()["id"])


def approved_action(w: Any) -> int:
    ticket_id = w.owned_ticket()
    response = w.client.post(f"{API}/tickets/{ticket_id}/actions", headers=w.headers["owner"], json={"kind": "reissue"})
    assert response.status_code == 201 and response.json()["status"] == "approved", response.text
    return int(response.json()["id"])


def _scheduled(w: Any) -> tuple[int, int]:
    from aftersales.actions.policy import load_policies
    from aftersales.surveys.service import schedule_after_resolution
    from aftersales.tickets import repository

    ticket_id = w.resolved_ticket()
    with w.database.transaction() as db:
        scheduled = schedule_after_resolution(db, load_policies(), repository.get(db, ticket_id), w.clock.now())
        assert scheduled is not None
        return scheduled[0].id, scheduled[1].id


def callback_task(w: Any) -> int:
    return _scheduled(w)[0]


def survey_token(w: Any) -> str:
    from aftersales.surveys.links import survey_signer

    return survey_signer(w.settings).sign(_scheduled(w)[1])


def dead_delivery(w: Any) -> int:
    from aftersales.events.models import WebhookDelivery
    from aftersales.events.webhooks import create_endpoint
    from aftersales.kit.outbox import OutboxEvent

    now = w.clock.now()
    with w.database.transaction() as db:
        endpoint = create_endpoint(db, name="dead", url="http://127.0.0.1:9/hook", topics=["*"], secret=None, now=now)
        event = OutboxEvent(
            topic="ticket.note_added",
            aggregate_type="ticket",
            aggregate_id=w.ticket_id,
            payload={},
            created_at=now,
            attempts=0,
            dispatched_at=now,
        )
        db.add(event)
        db.flush()
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id,
            event_id=event.id,
            status="dead",
            attempts=8,
            next_attempt_at=now,
            created_at=now,
            last_error="HTTP 500",
        )
        db.add(delivery)
        db.flush()
        return delivery.id


def inbox_item(w: Any, persona: str) -> int:
    from aftersales.channels.service import notify_agents

    agent_id = w.ids.get(persona, w.ids["admin"])
    with w.database.transaction() as db:
        rows = notify_agents(
            db,
            [agent_id],
            "callback_overdue",
            w.clock.now(),
            ticket_id=w.ticket_id,
            task_id=1,
            due_at="2026-11-24T10:00",
        )
        db.flush()
        return rows[0].id


def portal_action(w: Any) -> int:
    """A reissue proposed on the ticket behind ``w.portal_token``, for the customer to answer."""
    response = w.client.post(
        f"{API}/tickets/{w.ticket_id}/actions", headers=w.headers["admin"], json={"kind": "reissue"}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])
