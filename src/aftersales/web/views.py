"""The agent workspace: login, queues, the ticket page and its actions.

Every action calls the REST API's own handler (tickets/api.py), so the page gets the API's validation, role
checks and transaction for free; this module only turns form fields into request bodies and renders the result.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response

from aftersales.agents import api as agents_api
from aftersales.agents import service as agents_service
from aftersales.agents.schemas import LoginRequest
from aftersales.catalog.models import Customer, Order
from aftersales.catalog.service import customers_by_id
from aftersales.kit.actor import Actor
from aftersales.kit.deps import DbSession, Now, PathId
from aftersales.kit.errors import DomainError, Unauthorized, ValidationFailed
from aftersales.tickets import api as tickets_api
from aftersales.tickets import repository as repo
from aftersales.tickets.models import CHANNELS, OPEN_STATUSES, Ticket
from aftersales.tickets.schemas import (
    AssignmentRequest,
    CollaboratorRequest,
    MessageCreate,
    TicketCreate,
    TransitionRequest,
    TriageOverride,
)
from aftersales.tickets.workflow import allowed_actions
from aftersales.triage.engine import CATEGORIES, DEPARTMENTS
from aftersales.web.auth import OptionalActor, ReaderPage, WriterPage
from aftersales.web.forms import blank_to_none, int_or_none, parse
from aftersales.web.i18n import LANG_COOKIE, LANGUAGES
from aftersales.web.nav import ALL_ROLES, NavItem, register
from aftersales.web.ratelimit import client_key
from aftersales.web.render import is_htmx, page, redirect
from aftersales.web.session import check_csrf, session_of

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
register(NavItem("nav.queue", "/app/queue", ALL_ROLES, shortcut="q"))

QUEUE_VIEWS = ("mine", "unassigned", "department", "open", "warning", "breached")
QUEUE_LIMIT = 100


def _local_path(target: str | None, default: str = "/app/queue") -> str:
    # Only same-site paths: "//evil.example" or "https://…" would turn the login page into an open redirect.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


# ---------------------------------------------------------------- login, logout, language


@router.get("/")
def home(request: Request, actor: OptionalActor) -> Response:
    return redirect(request, "/app/queue" if actor else "/login")


@router.get("/login")
def login_form(request: Request, actor: OptionalActor, next: str | None = None) -> Response:
    if actor is not None:
        return redirect(request, _local_path(next))
    return page(request, "login.html", None, next=_local_path(next), error=None, email="")


@router.post("/login")
def login(
    request: Request,
    db: DbSession,
    now: Now,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/app/queue",
) -> Response:
    settings = request.app.state.settings
    request.app.state.web.limits.check(settings.login_rate_limit, "login", client_key(request))
    try:
        body = parse(LoginRequest, email=email.strip(), password=password)
        agent = agents_service.authenticate(db, body.email, body.password)
    except (Unauthorized, ValidationFailed):
        return page(
            request, "login.html", None, status_code=401, next=_local_path(next), error="login.failed", email=email
        )
    token, _ = agents_service.issue_token(db, agent, now, settings.token_ttl_hours, name="web session")
    db.commit()
    session_of(request).log_in(token)
    return redirect(request, _local_path(next))


@router.post("/logout")
def logout(request: Request, db: DbSession, now: Now) -> Response:
    session = session_of(request)
    if session.token:
        agents_service.revoke_token(db, session.token, now)
        db.commit()
        session.log_out()
    return redirect(request, "/login")


@router.get("/lang/{code}")
def set_language(request: Request, code: str, next: str | None = None) -> Response:
    """Switch the page language; a GET because it changes nothing but how pages read."""
    response = redirect(request, _local_path(next, "/"))
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", httponly=True, path="/")
    return response


# ---------------------------------------------------------------- queues


def _agents(db: DbSession, actor: Actor) -> list[Any]:
    return agents_api.list_agents(actor, db, None)


def _queue_filters(
    view: str, actor: Actor, department: str | None, q: str | None, agent_department: str
) -> repo.TicketFilters:
    filters = repo.TicketFilters(status=list(OPEN_STATUSES))
    if q:
        # Search looks at every ticket, open or not: a customer calling back about last month's case.
        return repo.TicketFilters(q=q, department=[department] if department else None)
    if view == "mine":
        filters.assignee_id = actor.id
    elif view == "unassigned":
        filters.unassigned = True
    elif view == "department":
        filters.department = [department or agent_department]
    elif view in ("warning", "breached"):
        filters.sla = view
    if department and view != "department":
        filters.department = [department]
    return filters


def _queue_values(
    request: Request, db: DbSession, now: datetime, actor: Actor, view: str, department: str | None, q: str | None
) -> dict[str, Any]:
    if view not in QUEUE_VIEWS:
        raise ValidationFailed(f"unknown queue '{view}'", field="view")
    if department and department not in DEPARTMENTS:
        raise ValidationFailed(f"unknown department '{department}'", field="department")
    q = q.strip() if q and q.strip() else None
    me = agents_service.get_agent(db, actor.id or 0)
    filters = _queue_filters(view, actor, department, q, me.department)
    if q:
        tickets, _ = repo.list_page(db, filters, now, limit=QUEUE_LIMIT, cursor=None)
    else:
        tickets = repo.list_by_due(db, filters, now, limit=QUEUE_LIMIT)
    counts = {
        name: repo.count(db, _queue_filters(name, actor, department, None, me.department), now) for name in QUEUE_VIEWS
    }
    agents = {a.id: a for a in _agents(db, actor)}
    customers = customers_by_id(db, {t.customer_id for t in tickets if t.customer_id})
    return {
        "tickets": tickets,
        "counts": counts,
        "view": view,
        "department": department or "",
        "q": q or "",
        "agents": agents,
        "customers": customers,
        "departments": DEPARTMENTS,
        "views": QUEUE_VIEWS,
        "me": me,
        "query": f"view={view}&department={quote(department or '')}&q={quote(q or '')}",
    }


@router.get("/app")
def app_home(request: Request, actor: ReaderPage) -> Response:
    return redirect(request, "/app/queue")


@router.get("/app/queue")
def queue(
    request: Request,
    actor: ReaderPage,
    db: DbSession,
    now: Now,
    view: Annotated[str, Query(max_length=20)] = "mine",
    department: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    values = _queue_values(request, db, now, actor, view, department, q)
    return page(request, "queue.html", actor, **values)


@router.get("/app/queue/rows")
def queue_rows(
    request: Request,
    actor: ReaderPage,
    db: DbSession,
    now: Now,
    view: Annotated[str, Query(max_length=20)] = "mine",
    department: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    values = _queue_values(request, db, now, actor, view, department, q)
    return page(request, "_queue_rows.html", actor, **values)


# ---------------------------------------------------------------- a ticket taken on the phone or at the counter


@router.get("/app/tickets/new")
def new_ticket_form(request: Request, actor: WriterPage) -> Response:
    return page(request, "new_ticket.html", actor, channels=CHANNELS, values={}, error=None)


@router.post("/app/tickets/new")
def create_ticket(
    request: Request,
    actor: WriterPage,
    db: DbSession,
    now: Now,
    channel: Annotated[str, Form(max_length=16)] = "phone",
    name: Annotated[str, Form(max_length=100)] = "",
    phone: Annotated[str, Form(max_length=20)] = "",
    order_number: Annotated[str, Form(max_length=64)] = "",
    subject: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    values = {"channel": channel, "name": name, "phone": phone, "order_number": order_number,
              "subject": subject, "description": description}  # fmt: skip
    try:
        body = parse(
            TicketCreate,
            channel=channel,
            subject=subject.strip(),
            description=description,
            customer={"name": blank_to_none(name), "phone": phone.strip()} if phone.strip() else None,
            order_number=blank_to_none(order_number),
        )
        created = tickets_api.create_ticket(body, request, Response(), actor, db, now, idempotency_key=None)
    except DomainError as exc:
        db.rollback()
        return page(
            request, "new_ticket.html", actor, status_code=exc.status_code, channels=CHANNELS, values=values,
            error=exc.message,
        )  # fmt: skip
    return redirect(request, f"/app/tickets/{created.id}")


# ---------------------------------------------------------------- the ticket page


def ticket_values(request: Request, db: DbSession, ticket: Ticket, now: datetime, actor: Actor) -> dict[str, Any]:
    # Imported here so the queue registers its menu entry first (the menu follows registration order).
    from aftersales.web.resolution import ACTION_FORM_KINDS, ticket_actions

    detail = tickets_api.detail(request, db, ticket, now)
    agents = {a.id: a for a in _agents(db, actor)}
    customer = db.get(Customer, ticket.customer_id) if ticket.customer_id else None
    order = db.get(Order, ticket.order_id) if ticket.order_id else None
    history: list[Ticket] = []
    if ticket.customer_id:
        rows, _ = repo.list_page(db, repo.TicketFilters(customer_id=ticket.customer_id), now, limit=11, cursor=None)
        history = [t for t in rows if t.id != ticket.id][:10]
    files = repo.attachments(db, ticket.id)
    may_change_status = actor.role in ("supervisor", "admin") or (
        actor.role == "agent" and ticket.assignee_id in (None, actor.id)
    )
    return {
        "ticket": ticket,
        "detail": detail,
        "agents": agents,
        "customer": customer,
        "order": order,
        "history": history,
        "files_by_entry": {f.entry_id: f for f in files},
        "files": files,
        "actions": allowed_actions(ticket.status) if may_change_status and actor.role != "analyst" else [],
        "can_write": actor.role != "analyst",
        "is_supervisor": actor.role in ("supervisor", "admin"),
        "categories": CATEGORIES,
        "departments": DEPARTMENTS,
        "channels": CHANNELS,
        "portal_url": None,
        "error": None,
        "resolution_actions": ticket_actions(db, ticket.id, actor),
        "action_kinds": ACTION_FORM_KINDS,
    }


@router.get("/app/tickets/{ticket_id}")
def ticket_page(ticket_id: PathId, request: Request, actor: ReaderPage, db: DbSession, now: Now) -> Response:
    ticket = repo.get(db, ticket_id)
    return page(request, "ticket.html", actor, **ticket_values(request, db, ticket, now, actor))


@router.get("/app/tickets/{ticket_id}/live")
def ticket_live(ticket_id: PathId, request: Request, actor: ReaderPage, db: DbSession, now: Now) -> Response:
    """What the ticket page polls: the timeline, plus the SLA panel and status swapped out of band."""
    ticket = repo.get(db, ticket_id)
    return page(request, "_ticket_live.html", actor, **ticket_values(request, db, ticket, now, actor))


def _after_action(request: Request, db: DbSession, ticket_id: int, actor: Actor, **extra: Any) -> Response:
    if not is_htmx(request):
        return redirect(request, f"/app/tickets/{ticket_id}")
    now = request.app.state.clock.now()
    ticket = repo.get(db, ticket_id)
    values = {**ticket_values(request, db, ticket, now, actor), **extra}
    return page(request, "_ticket.html", actor, **values)


@router.post("/app/tickets/{ticket_id}/messages")
def post_message(
    ticket_id: PathId,
    request: Request,
    actor: WriterPage,
    db: DbSession,
    now: Now,
    body: Annotated[str, Form(max_length=20000)] = "",
    kind: Annotated[str, Form(max_length=20)] = "reply",
) -> Response:
    handlers = {"reply": tickets_api.reply, "note": tickets_api.note, "progress": tickets_api.progress}
    if kind not in handlers:
        raise ValidationFailed("kind must be reply, note or progress", field="kind")
    handlers[kind](ticket_id, parse(MessageCreate, body=body), actor, db, now)
    return _after_action(request, db, ticket_id, actor)


@router.post("/app/tickets/{ticket_id}/transitions")
def post_transition(
    ticket_id: PathId,
    request: Request,
    actor: WriterPage,
    db: DbSession,
    now: Now,
    action: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    body = parse(TransitionRequest, action=action, reason=blank_to_none(reason))
    tickets_api.transition(ticket_id, body, request, actor, db, now)
    return _after_action(request, db, ticket_id, actor)


@router.post("/app/tickets/{ticket_id}/assignment")
def post_assignment(
    ticket_id: PathId,
    request: Request,
    actor: WriterPage,
    db: DbSession,
    now: Now,
    agent_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """agent_id: an id, "me", "auto" (let routing choose) or empty (back to the queue)."""
    if agent_id == "auto":
        body = AssignmentRequest(auto=True)
    elif agent_id == "me":
        body = AssignmentRequest(agent_id=actor.id)
    else:
        body = parse(AssignmentRequest, agent_id=int_or_none(agent_id, "agent_id"))
    tickets_api.assign(ticket_id, body, request, actor, db, now)
    return _after_action(request, db, ticket_id, actor)


@router.post("/app/tickets/{ticket_id}/collaborators")
def post_collaborator(
    ticket_id: PathId,
    request: Request,
    actor: WriterPage,
    db: DbSession,
    now: Now,
    agent_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    body = parse(CollaboratorRequest, agent_id=int_or_none(agent_id, "agent_id"))
    tickets_api.add_collaborator(ticket_id, body, request, actor, db, now)
    return _after_action(request, db, ticket_id, actor)


@router.post("/app/tickets/{ticket_id}/triage")
def post_triage(
    ticket_id: PathId,
    request: Request,
    actor: WriterPage,
    db: DbSession,
    now: Now,
    category: Annotated[str, Form(max_length=32)] = "",
    severity: Annotated[str, Form(max_length=4)] = "",
    department: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    ticket = repo.get(db, ticket_id)
    # The form shows every field pre-filled; only what differs from the ticket is an override.
    changed = {
        field: value
        for field, value in (("category", category), ("severity", severity), ("department", department))
        if value and value != getattr(ticket, field)
    }
    body = parse(TriageOverride, reason=reason.strip(), **changed)
    tickets_api.override(ticket_id, body, request, actor, db, now)
    return _after_action(request, db, ticket_id, actor)


@router.post("/app/tickets/{ticket_id}/attachments")
def post_attachment(
    ticket_id: PathId,
    request: Request,
    actor: WriterPage,
    db: DbSession,
    now: Now,
    file: Annotated[UploadFile, File()],
) -> Response:
    tickets_api.store_upload(request, db, ticket_id, file, actor, now)
    return _after_action(request, db, ticket_id, actor)


@router.post("/app/tickets/{ticket_id}/customer-link")
def post_customer_link(ticket_id: PathId, request: Request, actor: WriterPage, db: DbSession) -> Response:
    link = tickets_api.customer_link(ticket_id, request, actor, db)
    url = str(request.base_url).rstrip("/") + f"/portal/t/{link.token}"
    return _after_action(request, db, ticket_id, actor, portal_url=url)


@router.get("/app/tickets/{ticket_id}/attachments/{attachment_id}")
def attachment(
    ticket_id: PathId, attachment_id: PathId, request: Request, actor: ReaderPage, db: DbSession
) -> FileResponse:
    response = tickets_api.download(ticket_id, attachment_id, request, actor, db)
    if response.media_type and response.media_type.startswith("image/"):
        # Photos preview in the page; anything else downloads, so an uploaded HTML/PDF never runs as our origin.
        response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response
