"""Resolution action use cases. Each checks policy, changes state, writes the timeline (an internal record plus
a plain-Chinese progress line for the customer) and emits its event; none commits."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.actions.models import ResolutionAction
from aftersales.actions.policy import ActionFacts, ServicePolicies, evaluate, limit_covers
from aftersales.actions.schemas import ActionCreate, ActionExecute
from aftersales.actions.texts import KIND_LABELS, progress_line
from aftersales.catalog.models import Order
from aftersales.kit.actor import Actor
from aftersales.kit.errors import Conflict, DomainError, Forbidden, NotFound
from aftersales.kit.outbox import emit
from aftersales.tickets import service as ticket_service
from aftersales.tickets.models import Ticket
from aftersales.tickets.timeline import append


class PolicyRefused(DomainError):
    status_code = 422
    code = "policy_refused"


def _event(db: Session, topic: str, action: ResolutionAction, now: datetime, **extra: Any) -> None:
    emit(
        db,
        topic,
        "action",
        action.id,
        {
            "action_id": action.id,
            "ticket_id": action.ticket_id,
            "kind": action.kind,
            "status": action.status,
            "amount": None if action.amount is None else str(action.amount),
            **extra,
        },
        now,
    )


def _record(db: Session, ticket: Ticket, action: ResolutionAction, actor: Actor, now: datetime, **data: Any) -> None:
    """Internal timeline line with the details, and the customer's progress line (which also notifies them)."""
    append(
        db,
        ticket,
        "action",
        actor,
        now,
        body=f"{action.kind} {action.status}",
        data={"action_id": action.id, "kind": action.kind, "status": action.status, **data},
    )
    line = progress_line(action.kind, action.status, action.amount, action.params, action.result)
    ticket_service.add_progress(db, ticket, line, actor, now)


def get(db: Session, action_id: int, *, for_update: bool = False) -> ResolutionAction:
    stmt = select(ResolutionAction).where(ResolutionAction.id == action_id)
    if for_update and db.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    action = db.scalars(stmt).first()
    if action is None:
        raise NotFound(f"action {action_id} does not exist", field="action_id")
    return action


def list_for_ticket(db: Session, ticket_id: int) -> list[ResolutionAction]:
    return list(
        db.scalars(
            select(ResolutionAction).where(ResolutionAction.ticket_id == ticket_id).order_by(ResolutionAction.id)
        )
    )


def list_actions(db: Session, *, status: str | None, limit: int) -> list[ResolutionAction]:
    stmt = select(ResolutionAction).order_by(ResolutionAction.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(ResolutionAction.status == status)
    return list(db.scalars(stmt))


def find_idempotent(db: Session, ticket_id: int, key: str) -> ResolutionAction | None:
    return db.scalars(
        select(ResolutionAction).where(ResolutionAction.ticket_id == ticket_id, ResolutionAction.idempotency_key == key)
    ).first()


def _facts(db: Session, ticket: Ticket, data: ActionCreate, role: str, now: datetime) -> ActionFacts:
    order = db.get(Order, ticket.order_id) if ticket.order_id else None
    days = None
    if order is not None and order.delivered_at is not None:
        days = (now - order.delivered_at).total_seconds() / 86400
    return ActionFacts(
        kind=data.kind,
        amount=data.amount,
        requester_role=role,
        severity=ticket.severity,
        category=ticket.category,
        customer_tier=ticket.customer_tier,
        days_since_delivery=days,
        order_total=order.total_amount if order is not None and order.total_amount else None,
        refund_before_return=data.refund_before_return,
        on_site=data.on_site,
        minor_repair=data.minor_repair,
    )


def request_action(
    db: Session,
    policies: ServicePolicies,
    ticket: Ticket,
    data: ActionCreate,
    actor: Actor,
    now: datetime,
    *,
    idempotency_key: str | None = None,
) -> ResolutionAction:
    if ticket.status == "closed":
        raise Conflict("the ticket is closed; reopen it before adding an action", field="ticket_id")
    facts = _facts(db, ticket, data, actor.role or "agent", now)
    amount = data.amount
    if data.kind == "refund" and data.refund_mode == "full" and amount is None and facts.order_total is not None:
        amount = facts.order_total
        facts = ActionFacts(**{**facts.__dict__, "amount": amount})
    decision = evaluate(policies, facts)
    if not decision.allowed:
        raise PolicyRefused(decision.message, field="kind", policy=decision.refused_by)
    params = data.model_dump(exclude={"kind", "amount", "note"}, exclude_none=True, exclude_defaults=True)
    action = ResolutionAction(
        ticket_id=ticket.id,
        kind=data.kind,
        status="requested",
        amount=decision.amount if decision.amount is not None else amount,
        params=params,
        needs_approval=decision.needs_approval,
        approver_roles=list(decision.approver_roles),
        policy_notes=list(decision.notes),
        requested_by=actor.id,
        reason=data.note,
        result={},
        idempotency_key=idempotency_key,
        created_at=now,
        updated_at=now,
    )
    db.add(action)
    db.flush()
    if decision.needs_approval:
        _record(db, ticket, action, actor, now, policy_notes=action.policy_notes, approver_roles=action.approver_roles)
        _event(
            db,
            "action.requested",
            action,
            now,
            needs_approval=True,
            approver_roles=action.approver_roles,
            requested_by=actor.id,
            policy_notes=action.policy_notes,
        )
        return action
    # Within the requester's own limits: requested and approved in one step, both on record.
    _event(db, "action.requested", action, now, needs_approval=False, requested_by=actor.id)
    action.status = "approved"
    action.decided_at = now
    _record(db, ticket, action, actor, now, auto_approved=True, policy_notes=action.policy_notes)
    _event(db, "action.approved", action, now, auto_approved=True)
    return action


def approve(
    db: Session, policies: ServicePolicies, action: ResolutionAction, actor: Actor, now: datetime
) -> ResolutionAction:
    if action.status == "approved" and action.decided_by == actor.id:
        return action  # the same approval sent twice
    if action.status != "requested":
        raise Conflict(f"the action is {action.status}; only requested actions can be approved", field="action_id")
    if action.requested_by is not None and action.requested_by == actor.id:
        raise Forbidden(
            "four-eyes: the person who requested an action cannot approve it", field="action_id", policy="four_eyes"
        )
    if actor.role not in action.approver_roles or not limit_covers(policies, actor.role or "", action.amount):
        raise Forbidden(
            f"approval_limits: {action.amount} needs one of: {', '.join(action.approver_roles)}",
            field="action_id",
            policy="approval_limits",
        )
    ticket = db.get(Ticket, action.ticket_id)
    assert ticket is not None
    action.status, action.decided_by, action.decided_at, action.updated_at = "approved", actor.id, now, now
    _record(db, ticket, action, actor, now, approved_by=actor.id)
    _event(db, "action.approved", action, now, approved_by=actor.id)
    return action


def reject(db: Session, action: ResolutionAction, reason: str | None, actor: Actor, now: datetime) -> ResolutionAction:
    if action.status == "rejected":
        return action
    if action.status != "requested":
        raise Conflict(f"the action is {action.status}; only requested actions can be rejected", field="action_id")
    if action.requested_by == actor.id:
        raise Forbidden(
            "four-eyes: the requester cannot decide on their own request", field="action_id", policy="four_eyes"
        )
    ticket = db.get(Ticket, action.ticket_id)
    assert ticket is not None
    action.status, action.decided_by, action.decided_at, action.updated_at = "rejected", actor.id, now, now
    action.reason = reason
    _record(db, ticket, action, actor, now, rejected_by=actor.id, reason=reason)
    _event(db, "action.rejected", action, now, rejected_by=actor.id)
    return action


def execute(
    db: Session, action: ResolutionAction, data: ActionExecute, actor: Actor, now: datetime
) -> ResolutionAction:
    """Record that the refund/reissue/… was carried out (or failed) in the systems that do it."""
    if action.status == "executed":
        return action  # executing twice must not refund twice
    if action.status not in ("approved", "failed"):
        raise Conflict(
            f"the action is {action.status}; it can be executed once approved", field="action_id", current=action.status
        )
    ticket = db.get(Ticket, action.ticket_id)
    assert ticket is not None
    action.status = data.outcome
    action.executed_by, action.executed_at, action.updated_at = actor.id, now, now
    action.result = {k: v for k, v in {"reference": data.reference, "note": data.note}.items() if v}
    _record(db, ticket, action, actor, now, **action.result)
    _event(db, f"action.{data.outcome}", action, now, reference=data.reference)
    return action


RESPONDABLE = ("requested", "approved")


def customer_response(action: ResolutionAction) -> Literal["accepted", "declined"] | None:
    answer = (action.params or {}).get("customer_response")
    if not answer:
        return None
    return "accepted" if answer.get("accepted") else "declined"


def respond_for_customer(
    db: Session, action: ResolutionAction, customer_id: int | None, accept: bool, note: str | None, now: datetime
) -> ResolutionAction:
    """Record the customer accepting or declining a proposed (not yet carried out) resolution.

    The answer is kept with the action's parameters (no schema change) and as a public timeline line; the
    outbox event tells the agent's systems. Declining does not cancel the action by itself: the agent or
    supervisor decides what to propose instead.
    """
    wanted = "accepted" if accept else "declined"
    current = customer_response(action)
    if current == wanted:
        return action  # the same tap sent twice
    if current is not None:
        raise Conflict(f"you have already {current} this proposal", field="accept", current=current)
    if action.status not in RESPONDABLE:
        raise Conflict(
            f"the action is {action.status}; only a proposal not yet carried out can be accepted or declined",
            field="action_id",
            current=action.status,
        )
    ticket = db.get(Ticket, action.ticket_id)
    assert ticket is not None
    answer = {"accepted": accept, "at": now.isoformat(), "note": note}
    action.params = {**(action.params or {}), "customer_response": answer}  # a new dict: JSON columns track by value
    action.updated_at = now
    label = KIND_LABELS[action.kind]
    append(
        db,
        ticket,
        "action",
        Actor(type="customer", id=customer_id),
        now,
        body=(f"客户接受了{label}方案" if accept else f"客户不接受{label}方案") + (f"：{note}" if note else ""),
        visibility="public",
        data={"action_id": action.id, "kind": action.kind, "customer_response": wanted},
    )
    _event(db, f"action.customer_{wanted}", action, now, note=note)
    return action


def customer_text(action: ResolutionAction) -> str:
    return progress_line(action.kind, action.status, action.amount, action.params, action.result)


def total_granted(actions: list[ResolutionAction]) -> Decimal:
    return sum((a.amount or Decimal(0) for a in actions if a.status == "executed"), Decimal(0))
