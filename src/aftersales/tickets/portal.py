"""Customer access through a signed link: one ticket, its public timeline, replies and photos."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Request, UploadFile, status

from aftersales.kit.actor import Actor
from aftersales.kit.deps import DbSession, Now
from aftersales.kit.errors import NotFound
from aftersales.tickets import repository as repo
from aftersales.tickets import service
from aftersales.tickets.api import store_upload
from aftersales.tickets.schemas import AttachmentOut, EntryOut, MessageCreate, PortalTicket

router = APIRouter(prefix="/portal/tickets", tags=["customer portal"])

STATUS_LABELS = {
    "new": "已提交",
    "triaged": "排队处理中",
    "assigned": "已分配专员",
    "in_progress": "处理中",
    "waiting_on_customer": "等待您的回复",
    "resolved": "已解决",
    "closed": "已关闭",
}
Token = Annotated[str, Path(min_length=10, max_length=500)]

# What a customer reads for a status change on their timeline (the entry itself carries only from/to).
STATUS_PROGRESS = {
    "triaged": "您的问题已登记，正在为您安排专员",
    "assigned": "已为您分配专员",
    "in_progress": "专员正在处理您的问题",
    "waiting_on_customer": "需要您补充信息，请直接回复",
    "resolved": "您的问题已处理完毕，欢迎评价本次服务",
    "closed": "工单已关闭，感谢您的耐心",
}


def customer_entry(entry: object) -> EntryOut:
    """A public entry as the customer sees it: status changes get a short Chinese progress line."""
    out = EntryOut.model_validate(entry)
    if out.kind == "status_change" and not out.body:
        to = out.data.get("to", "")
        out.body = "您的问题已重新打开，我们会继续跟进" if out.data.get("reopen") else STATUS_PROGRESS.get(to, "")
    return out


def _customer(request: Request, token: str) -> tuple[int, Actor]:
    verified = request.app.state.signer.verify(token)
    if verified is None:
        # Same answer for forged, expired and unknown links: a probe learns nothing.
        raise NotFound("this link is invalid or has expired", field="token")
    ticket_id, customer_id = verified
    return ticket_id, Actor(type="customer", id=customer_id)


@router.get("/{token}", response_model=PortalTicket)
def view(token: Token, request: Request, db: DbSession) -> PortalTicket:
    ticket_id, actor = _customer(request, token)
    ticket = repo.get(db, ticket_id)
    if ticket.customer_id != actor.id:
        raise NotFound("this link is invalid or has expired", field="token")
    entries = repo.timeline(db, ticket.id, public_only=True)
    return PortalTicket(
        id=ticket.id,
        subject=ticket.subject,
        status=ticket.status,
        status_label=STATUS_LABELS.get(ticket.status, ticket.status),
        created_at=ticket.created_at,
        timeline=[customer_entry(e) for e in entries],
    )


@router.post("/{token}/messages", response_model=EntryOut, status_code=status.HTTP_201_CREATED)
def reply(token: Token, body: MessageCreate, request: Request, db: DbSession, now: Now) -> EntryOut:
    ticket_id, actor = _customer(request, token)
    ticket = repo.get(db, ticket_id, for_update=True)
    if ticket.customer_id != actor.id:
        raise NotFound("this link is invalid or has expired", field="token")
    entry = service.add_message(db, ticket, body.body, actor, now)
    db.commit()
    return EntryOut.model_validate(entry)


@router.post("/{token}/attachments", response_model=AttachmentOut, status_code=status.HTTP_201_CREATED)
def upload(
    token: Token, request: Request, db: DbSession, file: Annotated[UploadFile, File()], now: Now
) -> AttachmentOut:
    ticket_id, actor = _customer(request, token)
    ticket = repo.get(db, ticket_id)
    if ticket.customer_id != actor.id:
        raise NotFound("this link is invalid or has expired", field="token")
    return store_upload(request, db, ticket_id, file, actor, now)
