"""Pages for the capabilities that arrived after the workspace: resolution actions and their approvals,
callbacks, the agents' in-app inbox, the assistant's suggested answers and the knowledge lookup.

As in views.py, every form calls the REST API's own handler (actions/api.py, surveys/api.py, channels/api.py,
assistant/api.py, kb/api.py), so policy checks, four-eyes and role rules live in one place.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.actions import api as actions_api
from aftersales.actions.models import ACTION_KINDS
from aftersales.actions.schemas import ActionCreate, ActionDecision, ActionExecute
from aftersales.agents import api as agents_api
from aftersales.channels import api as inbox_api
from aftersales.events.models import Notification
from aftersales.kb import api as kb_api
from aftersales.kit.actor import Actor
from aftersales.kit.deps import DbSession, Now, PathId
from aftersales.kit.errors import ValidationFailed
from aftersales.surveys import api as surveys_api
from aftersales.surveys.schemas import CallbackComplete
from aftersales.tickets import repository as repo
from aftersales.web.auth import ReaderPage, SupervisorPage, WriterPage
from aftersales.web.forms import blank_to_none, parse
from aftersales.web.nav import ALL_ROLES, SUPERVISORS, NavItem, register
from aftersales.web.render import is_htmx, page, redirect
from aftersales.web.session import check_csrf

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
register(NavItem("nav.approvals", "/app/approvals", SUPERVISORS, shortcut="v"))
register(NavItem("nav.callbacks", "/app/callbacks", ALL_ROLES))
register(NavItem("nav.inbox", "/app/inbox", ALL_ROLES, shortcut="i", badge="/app/inbox/count"))

CALLBACK_KINDS = ("follow_up", "second_callback")


def ticket_actions(db: Session, ticket_id: int, actor: Actor) -> list[Any]:
    """The ticket's actions as the API shows them (with the customer's wording), for the ticket page."""
    return actions_api.ticket_actions(ticket_id, actor, db)


def _amount(value: str) -> Decimal | None:
    if not value.strip():
        return None
    try:
        return Decimal(value.strip())
    except InvalidOperation as exc:
        raise ValidationFailed("amount must be a number of yuan, e.g. 29.90", field="amount") from exc


def _back(request: Request, db: Session, ticket_id: int, actor: Actor, back: str) -> Response:
    if back == "approvals":
        return redirect(request, "/app/approvals")
    from aftersales.web.views import _after_action  # the ticket page's own re-render

    return _after_action(request, db, ticket_id, actor)


# ---------------------------------------------------------------- resolution actions on the ticket page


@router.post("/app/tickets/{ticket_id}/actions")
def request_action(
    ticket_id: PathId,
    request: Request,
    actor: WriterPage,
    db: DbSession,
    now: Now,
    kind: Annotated[str, Form(max_length=24)] = "",
    amount: Annotated[str, Form(max_length=20)] = "",
    refund_mode: Annotated[str, Form(max_length=10)] = "",
    refund_before_return: Annotated[bool, Form()] = False,
    compensation_type: Annotated[str, Form(max_length=10)] = "",
    on_site: Annotated[bool, Form()] = False,
    minor_repair: Annotated[bool, Form()] = False,
    pickup_address: Annotated[str, Form(max_length=500)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    # One form serves every kind; fields that belong to another kind are dropped here so the API's shape
    # check only sees what this kind uses.
    fields: dict[str, Any] = {"kind": kind, "amount": _amount(amount), "note": blank_to_none(note)}
    if kind == "refund":
        fields.update(refund_mode=blank_to_none(refund_mode), refund_before_return=refund_before_return)
    if kind == "compensation":
        fields["compensation_type"] = blank_to_none(compensation_type)
    if kind == "repair":
        fields.update(on_site=on_site, minor_repair=minor_repair)
    if kind == "return_pickup":
        fields["pickup_address"] = blank_to_none(pickup_address)
    body = parse(ActionCreate, **fields)
    actions_api.request_action(ticket_id, body, request, Response(), actor, db, now, idempotency_key=None)
    return _back(request, db, ticket_id, actor, "ticket")


@router.post("/app/actions/{action_id}/approve")
def approve_action(
    action_id: PathId,
    request: Request,
    actor: SupervisorPage,
    db: DbSession,
    now: Now,
    back: Annotated[str, Form(max_length=20)] = "ticket",
) -> Response:
    action = actions_api.approve(action_id, request, actor, db, now)
    return _back(request, db, action.ticket_id, actor, back)


@router.post("/app/actions/{action_id}/reject")
def reject_action(
    action_id: PathId,
    request: Request,
    actor: SupervisorPage,
    db: DbSession,
    now: Now,
    reason: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=20)] = "ticket",
) -> Response:
    action = actions_api.reject(action_id, parse(ActionDecision, reason=blank_to_none(reason)), actor, db, now)
    return _back(request, db, action.ticket_id, actor, back)


@router.post("/app/actions/{action_id}/execute")
def execute_action(
    action_id: PathId,
    request: Request,
    actor: WriterPage,
    db: DbSession,
    now: Now,
    outcome: Annotated[str, Form(max_length=10)] = "executed",
    reference: Annotated[str, Form(max_length=200)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    body = parse(ActionExecute, outcome=outcome, reference=blank_to_none(reference), note=blank_to_none(note))
    action = actions_api.execute(action_id, body, actor, db, now)
    return _back(request, db, action.ticket_id, actor, "ticket")


@router.get("/app/approvals")
def approvals(request: Request, actor: SupervisorPage, db: DbSession) -> Response:
    waiting = actions_api.list_actions(actor, db, "requested", 200)
    agents = {a.id: a for a in agents_api.list_agents(actor, db, None)}
    tickets = {a.ticket_id: repo.get(db, a.ticket_id) for a in waiting}
    return page(request, "approvals.html", actor, waiting=waiting, agents=agents, tickets=tickets)


# ---------------------------------------------------------------- assistant suggestions and knowledge lookup


@router.get("/app/tickets/{ticket_id}/suggestions")
def suggestions(ticket_id: PathId, request: Request, actor: ReaderPage, db: DbSession, now: Now) -> Response:
    from aftersales.assistant import api as assistant_api

    hits = assistant_api.ticket_suggestions(ticket_id, actor, request, db, now)
    return page(request, "_suggestions.html", actor, hits=hits, kind="suggestion")


@router.get("/app/kb/lookup")
def kb_lookup(
    request: Request,
    actor: ReaderPage,
    db: DbSession,
    now: Now,
    q: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    hits = kb_api.lookup(request, actor, db, now, q.strip()) if q.strip() else []
    return page(request, "_suggestions.html", actor, hits=hits, kind="lookup", q=q)


# ---------------------------------------------------------------- callbacks


@router.get("/app/callbacks")
def callbacks(
    request: Request,
    actor: ReaderPage,
    db: DbSession,
    now: Now,
    mine: Annotated[bool, Query()] = False,
) -> Response:
    return page(request, "callbacks.html", actor, **_callback_values(actor, db, now, mine))


@router.get("/app/callbacks/rows")
def callback_rows(
    request: Request,
    actor: ReaderPage,
    db: DbSession,
    now: Now,
    mine: Annotated[bool, Query()] = False,
) -> Response:
    """The open callbacks' rows, polled by the callbacks page like the queue's rows."""
    return page(request, "_callback_rows.html", actor, **_callback_values(actor, db, now, mine))


def _callback_values(actor: Actor, db: Session, now: datetime, mine: bool) -> dict[str, Any]:
    tasks = surveys_api.list_callbacks(actor, db, now, "open", None, mine, None, 200)
    agents = {a.id: a for a in agents_api.list_agents(actor, db, None)}
    tickets = {t.ticket_id: repo.get(db, t.ticket_id) for t in tasks}
    return {"tasks": tasks, "agents": agents, "tickets": tickets, "mine": mine}


@router.post("/app/callbacks/{task_id}/complete")
def complete_callback(
    task_id: PathId,
    request: Request,
    actor: WriterPage,
    db: DbSession,
    now: Now,
    reached: Annotated[bool, Form()] = False,
    summary: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    surveys_api.complete(task_id, parse(CallbackComplete, reached=reached, summary=summary), actor, db, now)
    return redirect(request, "/app/callbacks")


# ---------------------------------------------------------------- the in-app inbox


def unread_count(db: Session, agent_id: int) -> int:
    stmt = select(func.count(Notification.id)).where(
        Notification.agent_id == agent_id, Notification.channel == "inbox", Notification.read_at.is_(None)
    )
    return int(db.scalar(stmt) or 0)


@router.get("/app/inbox")
def inbox(request: Request, actor: ReaderPage, db: DbSession) -> Response:
    items = inbox_api.my_inbox(actor, db, False, 100)
    return page(request, "inbox.html", actor, items=items)


@router.get("/app/inbox/items")
def inbox_items(request: Request, actor: ReaderPage, db: DbSession) -> Response:
    """The inbox's items, polled by the inbox page so new notifications appear without a reload."""
    items = inbox_api.my_inbox(actor, db, False, 100)
    return page(request, "_inbox_items.html", actor, items=items)


@router.get("/app/inbox/count")
def inbox_count(request: Request, actor: ReaderPage, db: DbSession) -> Response:
    assert actor.id is not None
    return page(request, "_badge.html", actor, count=unread_count(db, actor.id))


@router.post("/app/inbox/{notification_id}/read")
def mark_read(notification_id: PathId, request: Request, actor: ReaderPage, db: DbSession, now: Now) -> Response:
    item = inbox_api.mark_read(notification_id, actor, db, now)
    if item.ticket_id and not is_htmx(request):
        return redirect(request, f"/app/tickets/{item.ticket_id}")
    return redirect(request, "/app/inbox")


ACTION_FORM_KINDS = ACTION_KINDS
