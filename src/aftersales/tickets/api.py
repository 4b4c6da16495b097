"""Ticket routes: intake from any channel, queues and search, the timeline, transitions, assignment."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status
from fastapi.responses import FileResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aftersales.kit.actor import Actor
from aftersales.kit.deps import DbSession, IdempotencyKeyHeader, Now, PathId, Reader, Writer
from aftersales.kit.errors import Forbidden, ValidationFailed
from aftersales.sla import service as sla_service
from aftersales.tickets import repository as repo
from aftersales.tickets import service
from aftersales.tickets.models import Ticket, TicketEntry
from aftersales.tickets.schemas import (
    AssignmentRequest,
    AttachmentOut,
    CallbackCreate,
    CollaboratorRequest,
    CustomerLinkOut,
    EntryOut,
    MessageCreate,
    SlaFilter,
    SlaOut,
    TicketCreate,
    TicketDetail,
    TicketPage,
    TicketSummary,
    TransitionRequest,
    TriageOverride,
)

router = APIRouter(prefix="/tickets", tags=["tickets"])


def detail(
    request: Request, db: DbSession, ticket: Ticket, now: datetime, *, entries: list[TicketEntry] | None = None
) -> TicketDetail:
    """The ticket with its timeline and SLA state; ``entries`` is the whole timeline of a ticket created just now,
    which then has no collaborators yet and need not be read back."""
    fresh = entries is not None
    if entries is None:
        entries = repo.timeline(db, ticket.id)
    out = TicketDetail.model_validate(ticket, from_attributes=True)
    out.timeline = [EntryOut.model_validate(e) for e in entries]
    out.collaborator_ids = [] if fresh else repo.collaborator_ids(db, ticket.id)
    known = db.info.get("new_ticket_sla", {}).pop(ticket.id, None) if fresh else None
    report = known[1] if known is not None and known[0] == now else None
    out.sla = sla_service.report_for(db, ticket, now, entries=entries, report=report)
    return out


def create_ticket(
    body: TicketCreate,
    request: Request,
    response: Response,
    actor: Actor,
    db: Session,
    now: datetime,
    idempotency_key: str | None,
) -> TicketDetail:
    """Intake in the caller's session, committed here: pages that create a ticket use it."""
    status_code, detail_out = _intake(db, body, request, actor, now, idempotency_key)
    db.commit()
    if status_code == status.HTTP_200_OK:
        response.status_code = status_code
    else:
        response.headers["Location"] = f"/api/v1/tickets/{detail_out.id}"
    return detail_out


def _intake(
    db: Session, body: TicketCreate, request: Request, actor: Actor, now: datetime, idempotency_key: str | None
) -> tuple[int, TicketDetail]:
    """(201, new ticket) or (200, the ticket an earlier request with the same Idempotency-Key created)."""
    if idempotency_key:
        existing = service.find_idempotent(db, actor.scope, idempotency_key, body)
        if existing is not None:
            return status.HTTP_200_OK, detail(request, db, existing, now)
    settings = request.app.state.settings
    pack = request.app.state.triage_rules.pack(db)  # the shipped pack with the brand's edits over it
    entries: list[TicketEntry] = []
    if not idempotency_key:
        ticket = service.create_ticket(db, body, actor, now, pack, auto_assign=settings.auto_assign, timeline=entries)
        return status.HTTP_201_CREATED, detail(request, db, ticket, now, entries=entries)
    try:
        # A savepoint, so that losing a race for the key (another request with it committed first) leaves
        # the transaction usable for reading the winner's ticket.
        with db.begin_nested():
            ticket = service.create_ticket(
                db,
                body,
                actor,
                now,
                pack,
                auto_assign=settings.auto_assign,
                idempotency_key=idempotency_key,
                timeline=entries,
            )
    except IntegrityError:
        existing = service.find_idempotent(db, actor.scope, idempotency_key, body)
        if existing is None:
            raise
        return status.HTTP_200_OK, detail(request, db, existing, now)
    return status.HTTP_201_CREATED, detail(request, db, ticket, now, entries=entries)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketDetail,
    summary="Create a ticket from any channel; triaged, put under an SLA policy and routed at once",
)
async def post_ticket(
    body: TicketCreate,
    request: Request,
    actor: Writer,
    now: Now,
    idempotency_key: IdempotencyKeyHeader,
) -> Response:
    # Written by the process's intake writer together with the other intakes in flight (group commit, see
    # tickets/intake.py); answered once that transaction has committed. The answer is serialised in the writer
    # from the same TicketDetail model the route declares, so it is not validated a second time here.
    def work(db: Session) -> tuple[int, bytes, int]:
        code, out = _intake(db, body, request, actor, now, idempotency_key)
        return code, out.model_dump_json().encode(), out.id

    code, payload, ticket_id = await request.app.state.intake.submit(work, hint=service.intake_hint(body))
    headers = {"Location": f"/api/v1/tickets/{ticket_id}"} if code == status.HTTP_201_CREATED else None
    return Response(payload, status_code=code, media_type="application/json", headers=headers)


@router.get("", response_model=TicketPage, summary="List tickets, newest first, with filters and search")
def list_tickets(
    actor: Reader,
    db: DbSession,
    now: Now,
    status_: Annotated[list[str] | None, Query(alias="status")] = None,
    severity: Annotated[list[str] | None, Query()] = None,
    department: Annotated[list[str] | None, Query()] = None,
    category: Annotated[list[str] | None, Query()] = None,
    channel: Annotated[list[str] | None, Query()] = None,
    assignee_id: Annotated[int | None, Query(ge=1)] = None,
    mine: bool = False,
    unassigned: bool = False,
    customer_id: Annotated[int | None, Query(ge=1)] = None,
    sla: SlaFilter | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> TicketPage:
    for name, value in (("created_from", created_from), ("created_to", created_to)):
        if value is not None and value.tzinfo is None:
            raise ValidationFailed("give a time zone, e.g. 2026-11-23T08:00:00+08:00", field=name)
    filters = repo.TicketFilters(
        status=status_,
        severity=severity,
        department=department,
        category=category,
        channel=channel,
        assignee_id=actor.id if mine else assignee_id,
        unassigned=unassigned,
        customer_id=customer_id,
        sla=sla,
        created_from=created_from,
        created_to=created_to,
        q=q.strip() if q and q.strip() else None,
    )
    rows, next_cursor = repo.list_page(db, filters, now, limit=limit, cursor=cursor)
    return TicketPage(items=[TicketSummary.model_validate(t) for t in rows], next_cursor=next_cursor)


@router.get("/{ticket_id}", response_model=TicketDetail)
def get_ticket(ticket_id: PathId, request: Request, actor: Reader, db: DbSession, now: Now) -> TicketDetail:
    return detail(request, db, repo.get(db, ticket_id), now)


@router.get("/{ticket_id}/sla", response_model=SlaOut, summary="SLA metrics and clock events of a ticket")
def get_sla(ticket_id: PathId, actor: Reader, db: DbSession, now: Now) -> SlaOut:
    return sla_service.report_for(db, repo.get(db, ticket_id), now)


@router.post("/{ticket_id}/transitions", response_model=TicketDetail)
def transition(
    ticket_id: PathId, body: TransitionRequest, request: Request, actor: Writer, db: DbSession, now: Now
) -> TicketDetail:
    ticket = repo.get(db, ticket_id, for_update=True)
    if actor.role == "agent" and ticket.assignee_id not in (None, actor.id):
        raise Forbidden("only the ticket's owner or a supervisor can change its status")
    service.transition(db, ticket, body.action, actor, now, body.reason)
    db.commit()
    return detail(request, db, ticket, now)


@router.post(
    "/{ticket_id}/assignment",
    response_model=TicketDetail,
    summary="Assign to an agent, let routing choose (auto), or return to the queue (agent_id null)",
)
def assign(
    ticket_id: PathId, body: AssignmentRequest, request: Request, actor: Writer, db: DbSession, now: Now
) -> TicketDetail:
    ticket = repo.get(db, ticket_id, for_update=True)
    service.assign(db, ticket, body.agent_id, body.auto, actor, now)
    db.commit()
    return detail(request, db, ticket, now)


@router.post("/{ticket_id}/collaborators", response_model=TicketDetail)
def add_collaborator(
    ticket_id: PathId, body: CollaboratorRequest, request: Request, actor: Writer, db: DbSession, now: Now
) -> TicketDetail:
    ticket = repo.get(db, ticket_id, for_update=True)
    service.add_collaborator(db, ticket, body.agent_id, actor, now)
    db.commit()
    return detail(request, db, ticket, now)


@router.post(
    "/{ticket_id}/messages",
    response_model=EntryOut,
    status_code=status.HTTP_201_CREATED,
    summary="Reply to the customer (visible to them)",
)
def reply(ticket_id: PathId, body: MessageCreate, actor: Writer, db: DbSession, now: Now) -> EntryOut:
    ticket = repo.get(db, ticket_id, for_update=True)
    entry = service.add_message(db, ticket, body.body, actor, now)
    db.commit()
    return EntryOut.model_validate(entry)


@router.post(
    "/{ticket_id}/notes",
    response_model=EntryOut,
    status_code=status.HTTP_201_CREATED,
    summary="Internal note (never shown to the customer)",
)
def note(ticket_id: PathId, body: MessageCreate, actor: Writer, db: DbSession, now: Now) -> EntryOut:
    ticket = repo.get(db, ticket_id, for_update=True)
    entry = service.add_note(db, ticket, body.body, actor, now)
    db.commit()
    return EntryOut.model_validate(entry)


@router.post(
    "/{ticket_id}/progress",
    response_model=EntryOut,
    status_code=status.HTTP_201_CREATED,
    summary="Customer-visible progress line, e.g. 已联系配送员核实",
)
def progress(ticket_id: PathId, body: MessageCreate, actor: Writer, db: DbSession, now: Now) -> EntryOut:
    ticket = repo.get(db, ticket_id, for_update=True)
    entry = service.add_progress(db, ticket, body.body, actor, now)
    db.commit()
    return EntryOut.model_validate(entry)


@router.post(
    "/{ticket_id}/callbacks",
    response_model=EntryOut,
    status_code=status.HTTP_201_CREATED,
    summary="Record the follow-up call after resolution (reached or not)",
)
def callback(ticket_id: PathId, body: CallbackCreate, actor: Writer, db: DbSession, now: Now) -> EntryOut:
    ticket = repo.get(db, ticket_id, for_update=True)
    entry = service.record_callback(db, ticket, reached=body.reached, summary=body.summary, actor=actor, now=now)
    db.commit()
    return EntryOut.model_validate(entry)


@router.post(
    "/{ticket_id}/triage-override",
    response_model=TicketDetail,
    summary="Correct the automatic category, severity or department; recorded with the reason",
)
def override(
    ticket_id: PathId, body: TriageOverride, request: Request, actor: Writer, db: DbSession, now: Now
) -> TicketDetail:
    ticket = repo.get(db, ticket_id, for_update=True)
    service.override_triage(db, ticket, body, actor, now)
    db.commit()
    return detail(request, db, ticket, now)


@router.post("/{ticket_id}/attachments", response_model=AttachmentOut, status_code=status.HTTP_201_CREATED)
def upload(
    ticket_id: PathId,
    request: Request,
    actor: Writer,
    db: DbSession,
    file: Annotated[UploadFile, File()],
    now: Now,
) -> AttachmentOut:
    return store_upload(request, db, ticket_id, file, actor, now)


def store_upload(
    request: Request,
    db: Session,
    ticket_id: int,
    file: UploadFile,
    actor: Actor,
    now: datetime,
    visibility: str = "public",
) -> AttachmentOut:
    """Saves an upload in the request's own transaction (a second one would wait on SQLite's write lock)."""
    settings = request.app.state.settings
    # Read one byte past the limit: enough to refuse an oversized file without holding all of it.
    content = file.file.read(settings.attachment_max_bytes + 1)
    ticket = repo.get(db, ticket_id, for_update=True)
    row = service.add_attachment(
        db,
        ticket,
        filename=file.filename or "",
        content_type=file.content_type,
        content=content,
        actor=actor,
        now=now,
        storage_dir=settings.data_dir / "attachments",
        max_bytes=settings.attachment_max_bytes,
        allowed_types=settings.attachment_types,
        visibility=visibility,
    )
    db.commit()
    return AttachmentOut.model_validate(row)


@router.get("/{ticket_id}/attachments/{attachment_id}", response_class=FileResponse)
def download(ticket_id: PathId, attachment_id: PathId, request: Request, actor: Reader, db: DbSession) -> FileResponse:
    row = repo.attachment(db, ticket_id, attachment_id)
    path = request.app.state.settings.data_dir / "attachments" / row.storage_key
    return FileResponse(path, media_type=row.content_type, filename=row.filename)


@router.post(
    "/{ticket_id}/customer-link",
    response_model=CustomerLinkOut,
    summary="A signed link that lets the ticket's customer follow and answer this ticket only",
)
def customer_link(ticket_id: PathId, request: Request, actor: Writer, db: DbSession) -> CustomerLinkOut:
    ticket = repo.get(db, ticket_id)
    token = request.app.state.signer.sign(ticket.id, ticket.customer_id)
    return CustomerLinkOut(
        token=token,
        url=f"/api/v1/portal/tickets/{token}",
        expires_in_days=request.app.state.settings.customer_link_max_age_days,
    )
