"""Ticket use cases. Each one changes state, appends to the timeline and emits its event; none commits —
the request or job that called it owns the transaction."""

from __future__ import annotations

import hashlib
import mimetypes
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from aftersales.agents.models import Agent
from aftersales.catalog.models import Batch, Customer, Order, Product
from aftersales.kit.actor import Actor
from aftersales.kit.db import reserve_many, write_new
from aftersales.kit.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from aftersales.kit.outbox import OutboxEvent, emit
from aftersales.kit.text import search_tokens
from aftersales.routing import service as routing
from aftersales.sla import service as sla_service
from aftersales.tickets import repository as repo
from aftersales.tickets.intake import batch_cache
from aftersales.tickets.models import (
    OPEN_STATUSES,
    Attachment,
    IdempotencyKey,
    Ticket,
    TicketCollaborator,
    TicketEntry,
)
from aftersales.tickets.schemas import CustomerRef, TicketCreate, TriageOverride
from aftersales.tickets.timeline import append, pending_entries
from aftersales.tickets.workflow import ACTIONS, check_action, check_transition, is_reopen
from aftersales.triage.engine import IndustryPack, OrderContext, TriageInput, triage

ASSIGNED_STATUSES = ("assigned", "in_progress", "waiting_on_customer")


def _event(db: Session, topic: str, ticket: Ticket, now: datetime, **payload: Any) -> None:
    emit(db, topic, "ticket", ticket.id, {"ticket_id": ticket.id, "status": ticket.status, **payload}, now)


# ---------------------------------------------------------------- intake


# Intake runs these on every request; built once, since building a statement costs more than running it.
_CUSTOMER_BY_PHONE = select(Customer).where(Customer.phone == bindparam("phone")).order_by(Customer.id).limit(1)
# The rows an intake creates; kit/db.write_new writes them without the unit of work.
_INTAKE_ROWS = (Customer, Ticket, IdempotencyKey, TicketEntry, OutboxEvent)
_CUSTOMER_BY_EMAIL = select(Customer).where(Customer.email == bindparam("email")).order_by(Customer.id).limit(1)


def intake_hint(data: TicketCreate) -> str | None:
    """What an intake batch may read ahead for this ticket (``prefetch_customers``): the phone it is known by."""
    ref = data.customer
    return ref.phone if ref is not None and ref.id is None and ref.phone else None


def prefetch_customers(db: Session, phones: list[str]) -> None:
    """The customers of a whole intake batch, by phone, in one statement instead of one per ticket (the same
    first-by-id choice as ``_CUSTOMER_BY_PHONE``); phones nobody has yet are remembered as unknown."""
    cache = batch_cache(db)
    if cache is None:
        return
    wanted = sorted(set(phones))
    found: dict[str, Customer] = {}
    for customer in db.scalars(select(Customer).where(Customer.phone.in_(wanted)).order_by(Customer.id)):
        found.setdefault(customer.phone or "", customer)
    cache["customers_by_phone"] = {phone: found.get(phone) for phone in wanted}


def _resolve_customer(db: Session, ref: CustomerRef | None, now: datetime) -> Customer | None:
    """The customer the ticket is for; one not known yet is made here, without an id (see ``_create_ticket``)."""
    if ref is None:
        return None
    if ref.id is not None:
        customer = db.get(Customer, ref.id)
        if customer is None:
            raise NotFound(f"customer {ref.id} does not exist", field="customer.id")
        return customer
    cache = batch_cache(db)
    known: dict[str, Customer | None] | None = cache.get("customers_by_phone") if cache is not None else None
    if ref.phone and known is not None and ref.phone in known:
        customer = known[ref.phone]
    elif ref.phone:
        customer = db.scalars(_CUSTOMER_BY_PHONE, {"phone": ref.phone}).first()
    else:
        customer = db.scalars(_CUSTOMER_BY_EMAIL, {"email": ref.email}).first()
    if customer is None:
        customer = Customer(
            name=ref.name or (ref.phone or ref.email or "客户"),
            phone=ref.phone,
            email=ref.email,
            tier="standard",
            tags=[],
            created_at=now,
        )
        if ref.phone and known is not None:
            known[ref.phone] = customer  # a later ticket of the batch from the same phone is theirs too
    return customer


def _order_context(order: Order | None, product: Product | None, now: datetime) -> OrderContext | None:
    if order is None and product is None:
        return None
    days = None
    if order is not None and order.delivered_at is not None:
        days = (now - order.delivered_at).total_seconds() / 86400
    return OrderContext(
        days_since_delivery=days,
        product_category=product.category if product else None,
        cold_chain=bool(product and product.cold_chain),
        order_status=order.status if order else None,
        delivered=(order.delivered_at is not None) if order else None,
    )


def request_hash(data: TicketCreate) -> str:
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()


def find_idempotent(db: Session, scope: str, key: str, data: TicketCreate) -> Ticket | None:
    row = db.scalars(select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)).first()
    if row is None:
        return None
    if row.request_hash != request_hash(data):
        raise Conflict("this Idempotency-Key was already used with a different request body", field="Idempotency-Key")
    return db.get(Ticket, row.resource_id)


def create_ticket(
    db: Session,
    data: TicketCreate,
    actor: Actor,
    now: datetime,
    pack: IndustryPack,
    *,
    auto_assign: bool = True,
    idempotency_key: str | None = None,
    timeline: list[TicketEntry] | None = None,
) -> Ticket:
    """Intake: triage, SLA policy and routing in one go; the ticket is never seen half-made.

    ``timeline``, if given, receives the new ticket's entries, so a caller can show them without reading back.
    """
    # The ids of the ticket (and of a new customer) are reserved up front, so every step below only adds rows
    # and changes objects in memory, and one flush at the end writes the ticket once with its final status,
    # owner and SLA times, plus the timeline and events in batched INSERTs, instead of an INSERT, three UPDATEs
    # and a flush per step. No query in between needs to see these rows, hence no autoflush.
    with db.no_autoflush:
        ticket = _create_ticket(db, data, actor, now, pack, auto_assign=auto_assign, idempotency_key=idempotency_key)
        if timeline is not None:
            timeline.extend(pending_entries(db, ticket))
    # Its rows are new and complete: written with one INSERT per table (see kit/db.write_new); anything else the
    # use case changed (an agent's row, an existing customer) by the flush. Callers may point rows of their own at
    # the ticket or its customer.
    write_new(db, _INTAKE_ROWS, keep=(Customer, Ticket))
    db.flush()
    return ticket


def _create_ticket(
    db: Session,
    data: TicketCreate,
    actor: Actor,
    now: datetime,
    pack: IndustryPack,
    *,
    auto_assign: bool = True,
    idempotency_key: str | None = None,
) -> Ticket:
    customer = _resolve_customer(db, data.customer, now)
    order = None
    if data.order_number:
        order = db.scalars(select(Order).where(Order.number == data.order_number)).first()
        if order is None:
            raise NotFound(f"order {data.order_number} does not exist", field="order_number")
        if customer is None:
            customer = db.get(Customer, order.customer_id)
        elif order.customer_id != customer.id:
            raise ValidationFailed("the order belongs to another customer", field="order_number")
    product = batch = None
    if data.product_sku:
        product = db.scalars(select(Product).where(Product.sku == data.product_sku)).first()
        if product is None:
            raise NotFound(f"product {data.product_sku} does not exist", field="product_sku")
    elif order is not None and order.items:
        product = order.items[0].product
        batch = order.items[0].batch
    if data.batch_code:
        if product is None:
            raise ValidationFailed("a batch code needs a product_sku or an order", field="batch_code")
        batch = db.scalars(select(Batch).where(Batch.product_id == product.id, Batch.code == data.batch_code)).first()
        if batch is None:
            raise NotFound(f"batch {data.batch_code} of {product.sku} does not exist", field="batch_code")

    decision = triage(
        pack,
        TriageInput(
            text=data.description,
            subject=data.subject,
            channel=data.channel,
            kind=data.kind,
            order=_order_context(order, product, now),
        ),
    )
    subject = data.subject.strip() or data.description.strip().splitlines()[0][:60]
    # The ids of the ticket and of a new customer, in one round trip; both are written with the ticket.
    new_customer = customer is not None and customer.id is None
    ids = reserve_many(db, {Ticket: 1, Customer: 1 if new_customer else 0})
    if customer is not None and new_customer:
        customer.id = ids[Customer][0]
        db.add(customer)
    ticket = Ticket(
        id=ids[Ticket][0],
        subject=subject,
        description=data.description,
        kind=decision.kind,
        channel=data.channel,
        category=decision.category,
        severity=decision.severity,
        department=decision.department,
        status="new",
        customer_id=customer.id if customer else None,
        customer_tier=customer.tier if customer else "standard",
        order_id=order.id if order else None,
        product_id=product.id if product else None,
        batch_id=batch.id if batch else None,
        triage=decision.as_dict(),
        triage_overridden=False,
        sla_state="none",
        escalation_level=0,
        external_ref=data.external_ref,
        search_text=" ".join(search_tokens(f"{subject} {data.description}")),
        created_at=now,
        updated_at=now,
    )
    db.add(ticket)
    if idempotency_key:
        db.add(
            IdempotencyKey(
                scope=actor.scope,
                key=idempotency_key,
                request_hash=request_hash(data),
                resource_id=ticket.id,
                created_at=now,
            )
        )
    # The description is the customer's words, even when an agent typed them in from a phone call.
    entered_by = {"entered_by_agent": actor.id} if actor.type == "agent" else {}
    append(
        db,
        ticket,
        "message",
        Actor(type="customer", id=ticket.customer_id),
        now,
        body=data.description,
        visibility="public",
        data={"channel": data.channel, **entered_by},
    )
    append(db, ticket, "triage", Actor(type="system", name="triage"), now, data=decision.as_dict())
    _set_status(db, ticket, "triaged", Actor(type="system", name="triage"), now)
    sla_service.apply_policy(db, ticket, now, new_ticket=True)
    _event(
        db,
        "ticket.created",
        ticket,
        now,
        channel=ticket.channel,
        category=ticket.category,
        severity=ticket.severity,
        department=ticket.department,
        customer_id=ticket.customer_id,
    )
    # Routing last: on PostgreSQL it locks the department's agent rows until the commit.
    if auto_assign:
        agent_id = routing.pick_agent(db, ticket)
        if agent_id is not None:
            assign_to(db, ticket, agent_id, Actor(type="system", name="routing"), now, reason="auto")
    # A new ticket's whole timeline is still in the session: compute its clocks without reading it back, and
    # keep the report for the answer (tickets.api.detail), which would otherwise compute the same thing again.
    report = sla_service.refresh(db, ticket, now, entries=pending_entries(db, ticket))
    db.info.setdefault("new_ticket_sla", {})[ticket.id] = (now, report)
    return ticket


# ---------------------------------------------------------------- status


def _set_status(
    db: Session, ticket: Ticket, target: str, actor: Actor, now: datetime, reason: str | None = None
) -> None:
    current = ticket.status
    check_transition(current, target)
    reopen = is_reopen(current, target)
    if reopen and ticket.assignee_id is None:
        target = "triaged"
    ticket.status = target
    if target == "resolved":
        ticket.resolved_at = now
    elif target == "closed":
        ticket.closed_at = now
    elif reopen:
        ticket.resolved_at = ticket.closed_at = None
    data: dict[str, Any] = {"from": current, "to": target}
    if reason:
        data["reason"] = reason
    if reopen:
        data["reopen"] = True
    append(db, ticket, "status_change", actor, now, visibility="public", data=data)
    _event(db, "ticket.status_changed", ticket, now, previous=current, reopen=reopen)


def transition(
    db: Session, ticket: Ticket, action: str, actor: Actor, now: datetime, reason: str | None = None
) -> Ticket:
    target = ACTIONS[action]
    check_action(action, ticket.status)
    if action in ("resolve", "close") and ticket.assignee_id is None:
        raise ValidationFailed("a ticket needs an owner before it can be resolved", field="action")
    freed = ticket.status in ASSIGNED_STATUSES and target in ("resolved", "closed")
    _set_status(db, ticket, target, actor, now, reason)
    sla_service.apply_policy(db, ticket, now)
    sla_service.refresh(db, ticket, now)
    if freed:
        db.flush()
        routing.drain_queue(db, ticket.department, now)
    return ticket


# ---------------------------------------------------------------- messages and notes


def add_message(db: Session, ticket: Ticket, body: str, actor: Actor, now: datetime) -> TicketEntry:
    """A customer-visible message; from an agent it is a reply, from the customer it may wake the ticket."""
    if ticket.status == "closed":
        raise Conflict("the ticket is closed; reopen it first", field="ticket_id")
    entry = append(db, ticket, "message", actor, now, body=body, visibility="public")
    if actor.type == "agent":
        if ticket.first_replied_at is None:
            ticket.first_replied_at = now
        if ticket.status == "assigned" and ticket.assignee_id == actor.id:
            _set_status(db, ticket, "in_progress", actor, now)
    elif actor.type == "customer":
        if ticket.status == "waiting_on_customer":
            _set_status(
                db,
                ticket,
                "in_progress",
                Actor(type="system", name="workflow"),
                now,
                reason="customer replied",
            )
        elif ticket.status == "resolved":
            _set_status(
                db,
                ticket,
                "in_progress",
                Actor(type="system", name="workflow"),
                now,
                reason="customer replied after resolution",
            )
    db.flush()
    _event(db, "ticket.message_added", ticket, now, entry_id=entry.id, author_type=actor.type)
    sla_service.refresh(db, ticket, now)
    return entry


def add_note(db: Session, ticket: Ticket, body: str, actor: Actor, now: datetime) -> TicketEntry:
    entry = append(db, ticket, "note", actor, now, body=body, visibility="internal")
    db.flush()
    _event(db, "ticket.note_added", ticket, now, entry_id=entry.id)
    return entry


def add_progress(db: Session, ticket: Ticket, body: str, actor: Actor, now: datetime) -> TicketEntry:
    """A short customer-visible progress line ("已联系配送员核实") that is not a reply to a question."""
    entry = append(db, ticket, "progress", actor, now, body=body, visibility="public")
    db.flush()
    _event(db, "ticket.progress", ticket, now, entry_id=entry.id, body=body)
    return entry


def record_callback(
    db: Session, ticket: Ticket, *, reached: bool, summary: str, actor: Actor, now: datetime
) -> TicketEntry:
    """The follow-up call after resolution. Reaching the customer fulfils the follow-up SLA; a failed attempt
    is recorded but leaves the clock running."""
    if ticket.status not in ("resolved", "closed"):
        raise Conflict("a follow-up callback is made after the ticket is resolved", field="ticket_id")
    entry = append(db, ticket, "callback", actor, now, body=summary, data={"completed": reached, "reached": reached})
    db.flush()
    _event(db, "ticket.callback_recorded", ticket, now, entry_id=entry.id, reached=reached)
    sla_service.refresh(db, ticket, now)
    return entry


# ---------------------------------------------------------------- assignment


def assign_to(
    db: Session,
    ticket: Ticket,
    agent_id: int | None,
    actor: Actor,
    now: datetime,
    *,
    reason: str = "manual",
    enforce_capacity: bool = False,
) -> Ticket:
    if ticket.status in ("resolved", "closed"):
        raise Conflict(f"a {ticket.status} ticket cannot be (re)assigned; reopen it first", field="ticket_id")
    previous = ticket.assignee_id
    if agent_id is not None:
        agent = db.get(Agent, agent_id)
        if agent is None or not agent.active:
            raise NotFound(f"agent {agent_id} does not exist or is deactivated", field="agent_id")
        if agent.role == "analyst":
            raise ValidationFailed("analysts are read-only and cannot own tickets", field="agent_id")
        if enforce_capacity and agent_id != previous:
            load = repo.open_load_by_agent(db, [agent_id]).get(agent_id, 0)
            if load >= agent.capacity:
                raise Conflict(f"agent {agent_id} is at capacity ({load}/{agent.capacity})", field="agent_id")
    if agent_id == previous:
        return ticket
    ticket.assignee_id = agent_id
    db.add(ticket)
    append(db, ticket, "assignment", actor, now, data={"from": previous, "to": agent_id, "reason": reason})
    if agent_id is None:
        if ticket.status != "triaged":
            _set_status(db, ticket, "triaged", actor, now, reason="returned to queue")
    elif ticket.status == "triaged":
        _set_status(db, ticket, "assigned", actor, now)
    _event(db, "ticket.assigned", ticket, now, assignee_id=agent_id, previous_assignee_id=previous)
    return ticket


def assign(db: Session, ticket: Ticket, agent_id: int | None, auto: bool, actor: Actor, now: datetime) -> Ticket:
    # Agents may take a ticket for themselves; moving work between people is a supervisor's call.
    if actor.role == "agent" and (agent_id != actor.id or auto or ticket.assignee_id not in (None, actor.id)):
        raise Forbidden("agents can only take unassigned tickets for themselves", field="agent_id")
    previous = ticket.assignee_id
    if auto:
        if ticket.assignee_id is not None:
            assign_to(db, ticket, None, actor, now, reason="rerouting")
        db.flush()
        chosen = routing.pick_agent(db, ticket)
        if chosen is not None:
            assign_to(db, ticket, chosen, actor, now, reason="auto")
    else:
        assign_to(db, ticket, agent_id, actor, now, reason="manual", enforce_capacity=actor.role == "agent")
    sla_service.apply_policy(db, ticket, now)
    sla_service.refresh(db, ticket, now)
    if previous is not None and previous != ticket.assignee_id:
        db.flush()
        routing.drain_queue(db, ticket.department, now)
    return ticket


def add_collaborator(db: Session, ticket: Ticket, agent_id: int, actor: Actor, now: datetime) -> None:
    agent = db.get(Agent, agent_id)
    if agent is None or not agent.active:
        raise NotFound(f"agent {agent_id} does not exist or is deactivated", field="agent_id")
    if agent_id == ticket.assignee_id:
        raise Conflict("the owner is already on the ticket", field="agent_id")
    exists = db.scalars(
        select(TicketCollaborator).where(
            TicketCollaborator.ticket_id == ticket.id, TicketCollaborator.agent_id == agent_id
        )
    ).first()
    if exists:
        return
    db.add(TicketCollaborator(ticket_id=ticket.id, agent_id=agent_id, added_at=now))
    append(db, ticket, "collaborator", actor, now, data={"added": agent_id})
    _event(db, "ticket.collaborator_added", ticket, now, agent_id=agent_id)


# ---------------------------------------------------------------- triage override


def override_triage(db: Session, ticket: Ticket, data: TriageOverride, actor: Actor, now: datetime) -> Ticket:
    before = {"category": ticket.category, "severity": ticket.severity, "department": ticket.department}
    after = dict(before)
    for field in ("category", "severity", "department"):
        value = getattr(data, field)
        if value is not None:
            after[field] = value
    if after == before:
        raise ValidationFailed("the override changes nothing", field="category")
    ticket.category, ticket.severity, ticket.department = (
        after["category"],
        after["severity"],
        after["department"],
    )
    ticket.triage_overridden = True
    append(
        db,
        ticket,
        "triage_override",
        actor,
        now,
        data={"before": before, "after": after, "reason": data.reason},
    )
    _event(db, "ticket.triage_overridden", ticket, now, before=before, after=after)
    if before["department"] != after["department"] and ticket.assignee_id is not None:
        owner = db.get(Agent, ticket.assignee_id)
        if owner is not None and owner.department != after["department"]:
            assign_to(db, ticket, None, actor, now, reason="department changed")
            db.flush()
            routing.drain_queue(db, after["department"], now)
    sla_service.apply_policy(db, ticket, now)
    sla_service.refresh(db, ticket, now)
    return ticket


# ---------------------------------------------------------------- attachments

_MAGIC = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
    "application/pdf": (b"%PDF-",),
}


def add_attachment(
    db: Session,
    ticket: Ticket,
    *,
    filename: str,
    content_type: str | None,
    content: bytes,
    actor: Actor,
    now: datetime,
    storage_dir: Path,
    max_bytes: int,
    allowed_types: list[str],
    visibility: str = "public",
) -> Attachment:
    filename = Path(filename or "").name[:255]
    if not filename:
        raise ValidationFailed("the file needs a name", field="file")
    if len(content) == 0:
        raise ValidationFailed("the file is empty", field="file")
    if len(content) > max_bytes:
        raise PayloadTooLarge(f"the file is {len(content)} bytes; the limit is {max_bytes}", field="file")
    declared = (content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream").split(";")[0]
    if declared not in allowed_types:
        raise UnsupportedMediaType(
            f"files of type {declared} are not accepted; allowed: {', '.join(allowed_types)}", field="file"
        )
    magic = _MAGIC.get(declared)
    if magic and not content.startswith(magic):
        raise UnsupportedMediaType(f"the file's content is not {declared}", field="file")
    digest = hashlib.sha256(content).hexdigest()
    key = f"{digest[:2]}/{digest}"
    path = storage_dir / key
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(content)
        tmp.replace(path)  # content-addressed and atomic: a crash leaves no half file under the real name
    entry = append(
        db,
        ticket,
        "attachment",
        actor,
        now,
        body=filename,
        visibility=visibility,
        data={"filename": filename, "content_type": declared, "size_bytes": len(content)},
    )
    db.flush()
    row = Attachment(
        ticket_id=ticket.id,
        entry_id=entry.id,
        filename=filename,
        content_type=declared,
        size_bytes=len(content),
        sha256=digest,
        storage_key=key,
        uploaded_by=actor.scope,
        created_at=now,
    )
    db.add(row)
    db.flush()
    _event(db, "ticket.attachment_added", ticket, now, attachment_id=row.id)
    return row


def is_open(ticket: Ticket) -> bool:
    return ticket.status in OPEN_STATUSES
