"""The customer portal: mobile-first pages behind the signed link of tickets/portal.py — no password.

A customer opens a ticket (with a photo and an order number), then follows it, replies and adds photos through
the link the confirmation page gives them. Every portal request is rate-limited per client address.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import FileResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.actions import api as actions_api
from aftersales.actions.schemas import CustomerResponse
from aftersales.kit.actor import Actor
from aftersales.kit.deps import DbSession, Now, PathId
from aftersales.kit.errors import DomainError, NotFound
from aftersales.surveys import api as surveys_api
from aftersales.surveys.links import survey_signer
from aftersales.surveys.models import Survey
from aftersales.surveys.schemas import SurveyAnswer
from aftersales.tickets import portal as portal_api
from aftersales.tickets import repository as repo
from aftersales.tickets import service
from aftersales.tickets.models import Ticket
from aftersales.tickets.schemas import MessageCreate, PortalTicket, TicketCreate
from aftersales.web.forms import blank_to_none, parse
from aftersales.web.ratelimit import client_key
from aftersales.web.render import page, redirect
from aftersales.web.session import check_csrf

Token = Annotated[str, Path(min_length=10, max_length=500)]


def portal_limit(request: Request) -> None:
    settings = request.app.state.settings
    request.app.state.web.limits.check(settings.portal_rate_limit, "portal", client_key(request))


router = APIRouter(dependencies=[Depends(portal_limit), Depends(check_csrf)], include_in_schema=False)

# Progress steps the customer sees, in order; each status maps to how far along the case is.
STEPS = ("submitted", "processing", "resolved")
STEP_OF_STATUS = {
    "new": 0,
    "triaged": 0,
    "assigned": 1,
    "in_progress": 1,
    "waiting_on_customer": 1,
    "resolved": 2,
    "closed": 2,
}


@dataclass(frozen=True)
class PortalPanel:
    """Something extra a customer can do on their ticket, shown under the timeline when ``load`` returns values.

    ``load`` gets the request and the signed token too, so a panel can reuse the API's portal handlers.
    """

    template: str
    load: Callable[[Request, Session, str, PortalTicket, datetime], dict[str, Any] | None]


def _actions_panel(
    request: Request, db: Session, token: str, ticket: PortalTicket, now: datetime
) -> dict[str, Any] | None:
    # The API's customer view: plain Chinese, no amounts of internal notes or who approved.
    actions = actions_api.portal_actions(token, request, db)
    return {"actions": actions} if actions else None


def _survey_panel(
    request: Request, db: Session, token: str, ticket: PortalTicket, now: datetime
) -> dict[str, Any] | None:
    survey = db.scalars(select(Survey).where(Survey.ticket_id == ticket.id).order_by(Survey.id.desc()).limit(1)).first()
    if survey is None:
        return None
    signed = survey_signer(request.app.state.settings).sign(survey.id)
    return {"survey_url": f"/portal/s/{signed}", "answered": survey.answered_at is not None}


PORTAL_PANELS: list[PortalPanel] = [
    PortalPanel("portal/_actions.html", _actions_panel),
    PortalPanel("portal/_survey_invite.html", _survey_panel),
]


# ---------------------------------------------------------------- open a ticket


@router.get("/portal/new")
def new_ticket_form(request: Request) -> Response:
    return page(request, "portal/new.html", None, error=None, values={})


@router.post("/portal/new")
def open_ticket(
    request: Request,
    db: DbSession,
    now: Now,
    name: Annotated[str, Form(max_length=100)] = "",
    phone: Annotated[str, Form(max_length=20)] = "",
    order_number: Annotated[str, Form(max_length=64)] = "",
    description: Annotated[str, Form(max_length=20000)] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    settings = request.app.state.settings
    request.app.state.web.limits.check(settings.portal_open_rate_limit, "portal-open", client_key(request))
    try:
        ticket = _open(request, db, now, name, phone, order_number, description, photo)
    except DomainError as exc:
        db.rollback()
        values = {"name": name, "phone": phone, "order_number": order_number, "description": description}
        return page(request, "portal/new.html", None, status_code=exc.status_code, error=exc.message, values=values)
    token = request.app.state.signer.sign(ticket.id, ticket.customer_id)
    return redirect(request, f"/portal/t/{token}?new=1")


def _open(
    request: Request,
    db: Session,
    now: datetime,
    name: str,
    phone: str,
    order_number: str,
    description: str,
    photo: UploadFile | None,
) -> Ticket:
    settings = request.app.state.settings
    body = parse(
        TicketCreate,
        description=description,
        channel="web",
        customer={"name": blank_to_none(name), "phone": phone.strip()},
        order_number=blank_to_none(order_number),
    )
    # The service checks that the order belongs to the customer with this phone number, so a stranger's
    # order number cannot be attached to a new ticket.
    ticket = service.create_ticket(
        db, body, Actor(type="customer"), now, request.app.state.triage_rules.pack(db), auto_assign=settings.auto_assign
    )
    if photo is not None and photo.filename:
        service.add_attachment(
            db,
            ticket,
            filename=photo.filename,
            content_type=photo.content_type,
            content=photo.file.read(settings.attachment_max_bytes + 1),
            actor=Actor(type="customer", id=ticket.customer_id),
            now=now,
            storage_dir=settings.data_dir / "attachments",
            max_bytes=settings.attachment_max_bytes,
            allowed_types=settings.attachment_types,
        )
    db.commit()  # ticket and photo together, or neither
    return ticket


# ---------------------------------------------------------------- follow a ticket


def _values(request: Request, db: Session, token: str, now: datetime) -> dict[str, Any]:
    ticket = portal_api.view(token, request, db)
    public_entries = {e.id for e in ticket.timeline}
    photos = {a.entry_id: a for a in repo.attachments(db, ticket.id) if a.entry_id in public_entries}
    panels = []
    for panel in PORTAL_PANELS:
        loaded = panel.load(request, db, token, ticket, now)
        if loaded is not None:
            panels.append((panel.template, loaded))
    return {
        "ticket": ticket,
        "token": token,
        "photos": photos,
        "steps": STEPS,
        "step": STEP_OF_STATUS.get(ticket.status, 0),
        "panels": panels,
        "is_new": request.query_params.get("new") == "1",
        "error": None,
    }


@router.get("/portal/t/{token}")
def ticket_page(token: Token, request: Request, db: DbSession, now: Now) -> Response:
    return page(request, "portal/ticket.html", None, **_values(request, db, token, now))


@router.get("/portal/t/{token}/live")
def ticket_live(token: Token, request: Request, db: DbSession, now: Now) -> Response:
    return page(request, "portal/_live.html", None, **_values(request, db, token, now))


@router.post("/portal/t/{token}/messages")
def reply(
    token: Token,
    request: Request,
    db: DbSession,
    now: Now,
    body: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    portal_api.reply(token, parse(MessageCreate, body=body), request, db, now)
    return redirect(request, f"/portal/t/{token}")


@router.post("/portal/t/{token}/attachments")
def upload(token: Token, request: Request, db: DbSession, now: Now, file: Annotated[UploadFile, File()]) -> Response:
    portal_api.upload(token, request, db, file, now)
    return redirect(request, f"/portal/t/{token}")


@router.get("/portal/t/{token}/attachments/{attachment_id}")
def photo(token: Token, attachment_id: PathId, request: Request, db: DbSession) -> FileResponse:
    ticket = portal_api.view(token, request, db)
    row = repo.attachment(db, ticket.id, attachment_id)
    if row.entry_id not in {e.id for e in ticket.timeline}:
        raise NotFound(f"attachment {attachment_id} does not exist on this ticket", field="attachment_id")
    path = request.app.state.settings.data_dir / "attachments" / row.storage_key
    disposition = "inline" if row.content_type.startswith("image/") else "attachment"
    return FileResponse(
        path,
        media_type=row.content_type,
        filename=row.filename,
        content_disposition_type=disposition,
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'"},
    )


@router.post("/portal/t/{token}/actions/{action_id}/response")
def respond_to_action(
    token: Token,
    action_id: PathId,
    request: Request,
    db: DbSession,
    now: Now,
    accept: Annotated[str, Form(max_length=5)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Accept or decline a proposed resolution; the API decides whether it can still be answered."""
    body = parse(CustomerResponse, accept=accept, note=blank_to_none(note))
    actions_api.portal_respond(token, action_id, body, request, db, now)
    return redirect(request, f"/portal/t/{token}")


# ---------------------------------------------------------------- the satisfaction survey behind its signed link


@router.get("/portal/s/{token}")
def survey_form(token: Token, request: Request, db: DbSession) -> Response:
    questions = surveys_api.survey_questions(token, request, db)
    return page(request, "portal/survey.html", None, token=token, questions=questions, error=None, values={})


@router.post("/portal/s/{token}")
def answer_survey(
    token: Token,
    request: Request,
    db: DbSession,
    now: Now,
    speed: Annotated[str, Form(max_length=2)] = "",
    attitude: Annotated[str, Form(max_length=2)] = "",
    result: Annotated[str, Form(max_length=2)] = "",
    nps: Annotated[str, Form(max_length=2)] = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    values = {"speed": speed, "attitude": attitude, "result": result, "nps": nps, "comment": comment}
    try:
        # Pydantic turns "4" into 4 and names the field when a score is missing or out of range.
        body = parse(SurveyAnswer, speed=speed, attitude=attitude, result=result, nps=nps, comment=comment or None)
        answered = surveys_api.answer_survey(token, body, request, db, now)
    except DomainError as exc:
        db.rollback()
        questions = surveys_api.survey_questions(token, request, db)
        return page(
            request, "portal/survey.html", None, status_code=exc.status_code, token=token, questions=questions,
            error=exc.message, values=values,
        )  # fmt: skip
    return page(request, "portal/survey_done.html", None, answered=answered)
