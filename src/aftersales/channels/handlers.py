"""Internal handlers that turn events into notifications: customer progress, agent inbox items."""

from __future__ import annotations

from sqlalchemy.orm import Session

from aftersales.actions.models import ResolutionAction
from aftersales.actions.texts import KIND_LABELS
from aftersales.channels.service import agents_with_roles, can_reach, notify_agents, notify_customer
from aftersales.events.registry import HandlerContext, registry
from aftersales.kit.outbox import OutboxEvent
from aftersales.surveys.links import portal_url
from aftersales.tickets.models import Ticket
from aftersales.web.i18n import policy_note


@registry.on("ticket.progress")
def customer_progress(db: Session, event: OutboxEvent, ctx: HandlerContext) -> None:
    ticket = db.get(Ticket, event.aggregate_id)
    if ticket is None or not can_reach(db, ctx.settings, ticket):
        return
    notify_customer(
        db,
        ctx.settings,
        ticket,
        "progress",
        ctx.now,
        event_id=event.id,
        progress=event.payload.get("body", ""),
        portal_url=portal_url(ctx.settings, ticket.id, ticket.customer_id),
    )


@registry.on("ticket.assigned")
def assignee_inbox(db: Session, event: OutboxEvent, ctx: HandlerContext) -> None:
    agent_id = event.payload.get("assignee_id")
    ticket = db.get(Ticket, event.aggregate_id)
    if agent_id is None or ticket is None:
        return
    notify_agents(
        db,
        [agent_id],
        "ticket_assigned",
        ctx.now,
        locale=ctx.settings.notification_locale,
        ticket_id=ticket.id,
        event_id=event.id,
        severity=ticket.severity,
        subject=ticket.subject,
    )


@registry.on("action.requested")
def approvers_inbox(db: Session, event: OutboxEvent, ctx: HandlerContext) -> None:
    payload = event.payload
    if not payload.get("needs_approval"):
        return
    approvers = [
        a for a in agents_with_roles(db, tuple(payload.get("approver_roles") or ())) if a != payload.get("requested_by")
    ]
    notify_agents(
        db,
        approvers,
        "approval_requested",
        ctx.now,
        locale=ctx.settings.notification_locale,
        ticket_id=payload.get("ticket_id"),
        event_id=event.id,
        action_label=KIND_LABELS.get(payload["kind"], payload["kind"]),
        action_kind=payload["kind"],
        amount=payload.get("amount") or "",
        # The policy writes its notes in English; the approver reads them in the notification's language.
        notes="；".join(policy_note(n, ctx.settings.notification_locale) for n in payload.get("policy_notes") or []),
    )


@registry.on("action.customer_accepted")
@registry.on("action.customer_declined")
def customer_response_inbox(db: Session, event: OutboxEvent, ctx: HandlerContext) -> None:
    """The customer's answer to a proposed resolution reaches the ticket's owner (or, with none, the requester)."""
    payload = event.payload
    ticket = db.get(Ticket, payload.get("ticket_id"))
    action = db.get(ResolutionAction, payload.get("action_id"))
    if ticket is None or action is None:
        return
    recipient = ticket.assignee_id or action.requested_by
    if recipient is None:
        return
    notify_agents(
        db,
        [recipient],
        "customer_response",
        ctx.now,
        locale=ctx.settings.notification_locale,
        ticket_id=ticket.id,
        event_id=event.id,
        accepted=event.topic == "action.customer_accepted",
        action_id=action.id,
        action_label=KIND_LABELS.get(action.kind, action.kind),
        action_kind=action.kind,
        amount=payload.get("amount") or "",
        note=payload.get("note") or "",
    )


@registry.on("callback.overdue")
def overdue_inbox(db: Session, event: OutboxEvent, ctx: HandlerContext) -> None:
    payload = event.payload
    recipients = [payload["assignee_id"]] if payload.get("assignee_id") else []
    recipients += agents_with_roles(db, ("supervisor",))
    notify_agents(
        db,
        recipients,
        "callback_overdue",
        ctx.now,
        locale=ctx.settings.notification_locale,
        ticket_id=payload.get("ticket_id"),
        event_id=event.id,
        task_id=payload["task_id"],
        due_at=payload["due_at"],
    )
