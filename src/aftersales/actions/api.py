"""Resolution action routes: request on a ticket, approve/reject (four-eyes), execute; the policies; the
customer's view through the signed link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.exc import IntegrityError

from aftersales.actions import service
from aftersales.actions.models import ACTION_STATUSES
from aftersales.actions.policy import ServicePolicies, load_policies
from aftersales.actions.schemas import (
    ActionCreate,
    ActionDecision,
    ActionExecute,
    ActionOut,
    CustomerResponse,
    PortalActionOut,
)
from aftersales.actions.texts import KIND_LABELS, STATUS_LABELS
from aftersales.kit.actor import Actor
from aftersales.kit.deps import DbSession, IdempotencyKeyHeader, Now, PathId, Reader, Supervisor, Writer
from aftersales.kit.errors import Forbidden, NotFound, ValidationFailed
from aftersales.tickets import repository as ticket_repo
from aftersales.tickets.models import Ticket
from aftersales.tickets.portal import Token, _customer

router = APIRouter(tags=["resolution actions"])


def policies_of(request: Request) -> ServicePolicies:
    path = request.app.state.settings.service_policies
    return load_policies(str(path) if path else None)


def _out(action) -> ActionOut:  # type: ignore[no-untyped-def]
    out = ActionOut.model_validate(action)
    out.customer_text = service.customer_text(action)
    return out


def _owner_or_supervisor(actor: Actor, ticket: Ticket) -> None:
    if actor.role == "agent" and ticket.assignee_id != actor.id:
        raise Forbidden("only the ticket's owner or a supervisor can act on it", field="ticket_id")


@router.post(
    "/tickets/{ticket_id}/actions",
    response_model=ActionOut,
    status_code=status.HTTP_201_CREATED,
    summary="Request a refund, reissue, exchange, return pickup, repair, compensation or medical referral",
)
def request_action(
    ticket_id: PathId,
    body: ActionCreate,
    request: Request,
    response: Response,
    actor: Writer,
    db: DbSession,
    now: Now,
    idempotency_key: IdempotencyKeyHeader,
) -> ActionOut:
    ticket = ticket_repo.get(db, ticket_id, for_update=True)
    _owner_or_supervisor(actor, ticket)
    if idempotency_key and (existing := service.find_idempotent(db, ticket.id, idempotency_key)) is not None:
        response.status_code = status.HTTP_200_OK
        return _out(existing)
    try:
        action = service.request_action(
            db, policies_of(request), ticket, body, actor, now, idempotency_key=idempotency_key
        )
        db.commit()
    except IntegrityError:
        # A concurrent retry with the same key won the race: answer with its action.
        db.rollback()
        existing = service.find_idempotent(db, ticket_id, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        response.status_code = status.HTTP_200_OK
        return _out(existing)
    response.headers["Location"] = f"/api/v1/actions/{action.id}"
    return _out(action)


@router.get("/tickets/{ticket_id}/actions", response_model=list[ActionOut])
def ticket_actions(ticket_id: PathId, actor: Reader, db: DbSession) -> list[ActionOut]:
    ticket_repo.get(db, ticket_id)
    return [_out(a) for a in service.list_for_ticket(db, ticket_id)]


@router.get("/actions", response_model=list[ActionOut], summary="Actions, newest first (status=requested: approvals)")
def list_actions(
    actor: Reader,
    db: DbSession,
    status_: Annotated[str | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ActionOut]:
    if status_ is not None and status_ not in ACTION_STATUSES:
        raise ValidationFailed(f"status must be one of: {', '.join(ACTION_STATUSES)}", field="status")
    return [_out(a) for a in service.list_actions(db, status=status_, limit=limit)]


@router.get("/actions/policies", summary="Return window, approval limits, entitlements and callback deadlines")
def get_policies(request: Request, actor: Reader) -> dict[str, object]:
    return policies_of(request).to_dict()


@router.get("/actions/{action_id}", response_model=ActionOut)
def get_action(action_id: PathId, actor: Reader, db: DbSession) -> ActionOut:
    return _out(service.get(db, action_id))


@router.post("/actions/{action_id}/approve", response_model=ActionOut, summary="Approve (not by the requester)")
def approve(action_id: PathId, request: Request, actor: Supervisor, db: DbSession, now: Now) -> ActionOut:
    action = service.get(db, action_id, for_update=True)
    ticket_repo.get(db, action.ticket_id, for_update=True)
    service.approve(db, policies_of(request), action, actor, now)
    db.commit()
    return _out(action)


@router.post("/actions/{action_id}/reject", response_model=ActionOut)
def reject(action_id: PathId, body: ActionDecision, actor: Supervisor, db: DbSession, now: Now) -> ActionOut:
    action = service.get(db, action_id, for_update=True)
    ticket_repo.get(db, action.ticket_id, for_update=True)
    service.reject(db, action, body.reason, actor, now)
    db.commit()
    return _out(action)


@router.post(
    "/actions/{action_id}/execute",
    response_model=ActionOut,
    summary="Record that the action was carried out (or failed); executing twice changes nothing",
)
def execute(action_id: PathId, body: ActionExecute, actor: Writer, db: DbSession, now: Now) -> ActionOut:
    action = service.get(db, action_id, for_update=True)
    ticket = ticket_repo.get(db, action.ticket_id, for_update=True)
    _owner_or_supervisor(actor, ticket)
    service.execute(db, action, body, actor, now)
    db.commit()
    return _out(action)


@router.get(
    "/portal/tickets/{token}/actions",
    response_model=list[PortalActionOut],
    tags=["customer portal"],
    summary="The customer's view of the actions on their ticket, in plain Chinese",
)
def portal_actions(token: Token, request: Request, db: DbSession) -> list[PortalActionOut]:
    ticket_id, customer = _customer(request, token)
    ticket = ticket_repo.get(db, ticket_id)
    if ticket.customer_id != customer.id:
        raise NotFound("this link is invalid or has expired", field="token")
    return [_portal_out(a) for a in service.list_for_ticket(db, ticket.id)]


def _portal_out(a) -> PortalActionOut:  # type: ignore[no-untyped-def]
    response = service.customer_response(a)
    return PortalActionOut(
        id=a.id,
        customer_response=response,
        can_respond=response is None and a.status in service.RESPONDABLE,
        kind=a.kind,
        kind_label=KIND_LABELS[a.kind],
        status=a.status,
        status_label=STATUS_LABELS[a.status],
        amount=a.amount,
        text=service.customer_text(a),
        updated_at=a.updated_at,
    )


@router.post(
    "/portal/tickets/{token}/actions/{action_id}/response",
    response_model=PortalActionOut,
    tags=["customer portal"],
    summary="The customer accepts or declines a proposed resolution (before it is carried out)",
)
def portal_respond(
    token: Token, action_id: PathId, body: CustomerResponse, request: Request, db: DbSession, now: Now
) -> PortalActionOut:
    ticket_id, customer = _customer(request, token)
    ticket = ticket_repo.get(db, ticket_id, for_update=True)
    action = service.get(db, action_id, for_update=True)
    # Another ticket's action answers like a missing one: the link opens this ticket only.
    if ticket.customer_id != customer.id or action.ticket_id != ticket.id:
        raise NotFound(f"action {action_id} does not exist on this ticket", field="action_id")
    note = body.note.strip() if body.note and body.note.strip() else None
    service.respond_for_customer(db, action, customer.id, body.accept, note, now)
    db.commit()
    return _portal_out(action)
