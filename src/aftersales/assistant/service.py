"""Assistant use cases: conversations, answering a message with the customer's own data, handoff to a ticket,
ratings and the review queue. Services flush, never commit; the request owns the transaction."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.assistant.engine import (
    TICKET,
    Assistant,
    CustomerContext,
    DialogueState,
    OrderFacts,
    Reply,
    TicketFacts,
    summary,
)
from aftersales.assistant.models import Conversation, ConversationMessage, ReviewItem
from aftersales.assistant.signals import detect_risks
from aftersales.catalog.models import Customer, Order
from aftersales.kb import service as kb
from aftersales.kit.actor import Actor
from aftersales.kit.errors import Conflict, NotFound, ValidationFailed
from aftersales.kit.outbox import emit
from aftersales.tickets import service as tickets
from aftersales.tickets.models import OPEN_STATUSES, Ticket
from aftersales.tickets.schemas import CustomerRef, TicketCreate, TriageOverride
from aftersales.tickets.timeline import append
from aftersales.triage.engine import IndustryPack

ASSISTANT = Actor(type="system", name="assistant")
GREETING = "您好，我是智能客服，7×24小时在线。请问有什么可以帮您？"
# The chat channels map onto the ticket channels the triage/SLA rules know.
TICKET_CHANNEL = {"web": "chat", "chat": "chat", "wechat": "wechat", "app": "app", "douyin": "douyin", "api": "api"}


class ConversationSigner:
    """Signs conversation and customer tokens: the web widget's only credential."""

    def __init__(self, secret_key: str, *, max_age_days: int = 30) -> None:
        self._conversation = URLSafeTimedSerializer(secret_key, salt="aftersales.assistant-conversation")
        self._customer = URLSafeTimedSerializer(secret_key, salt="aftersales.assistant-customer")
        self.max_age = max_age_days * 86400

    def conversation_token(self, conversation_id: int) -> str:
        return self._conversation.dumps({"conv": conversation_id})

    def conversation_id(self, token: str) -> int | None:
        return self._load(self._conversation, token, "conv")

    def customer_token(self, customer_id: int) -> str:
        return self._customer.dumps({"cust": customer_id})

    def customer_id(self, token: str) -> int | None:
        return self._load(self._customer, token, "cust")

    def _load(self, serializer: URLSafeTimedSerializer, token: str, key: str) -> int | None:
        try:
            data = serializer.loads(token, max_age=self.max_age)
        except (BadSignature, SignatureExpired):
            return None
        value = data.get(key) if isinstance(data, dict) else None
        return value if isinstance(value, int) else None


# ---------------------------------------------------------------- conversations


def start(
    db: Session, channel: str, now: datetime, *, customer_id: int | None = None, external_ref: str | None = None
) -> Conversation:
    if customer_id is not None and db.get(Customer, customer_id) is None:
        raise NotFound(f"customer {customer_id} does not exist", field="customer_id")
    conversation = Conversation(
        channel=channel,
        external_ref=external_ref,
        customer_id=customer_id,
        status="open",
        state={},
        created_at=now,
        updated_at=now,
    )
    db.add(conversation)
    db.flush()
    emit(db, "assistant.conversation_started", "conversation", conversation.id, {"channel": channel}, now)
    return conversation


def for_channel(
    db: Session,
    channel: str,
    ref: str,
    now: datetime,
    *,
    customer_id: int | None = None,
    phone: str | None = None,
) -> Conversation:
    """The conversation a channel integration refers to by its own id; created on first use."""
    conversation = db.scalars(
        select(Conversation).where(Conversation.channel == channel, Conversation.external_ref == ref)
    ).first()
    if customer_id is None and phone:
        found = db.scalars(select(Customer).where(Customer.phone == phone).order_by(Customer.id)).first()
        customer_id = found.id if found else None
    if conversation is None:
        return start(db, channel, now, customer_id=customer_id, external_ref=ref)
    if conversation.customer_id is None and customer_id is not None:
        conversation.customer_id = customer_id
    return conversation


def get(db: Session, conversation_id: int, *, for_update: bool = False) -> Conversation:
    stmt = select(Conversation).where(Conversation.id == conversation_id)
    if for_update:
        stmt = stmt.with_for_update()
    conversation = db.scalars(stmt).first()
    if conversation is None:
        raise NotFound("this conversation does not exist", field="token")
    return conversation


def messages(db: Session, conversation: Conversation) -> list[ConversationMessage]:
    return list(
        db.scalars(
            select(ConversationMessage)
            .where(ConversationMessage.conversation_id == conversation.id)
            .order_by(ConversationMessage.id)
        )
    )


# ---------------------------------------------------------------- the customer's own data


def _order_facts(order: Order) -> OrderFacts:
    return OrderFacts(
        number=order.number,
        status=order.status,
        placed_at=order.placed_at,
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
        carrier=order.carrier,
        tracking_number=order.tracking_number,
        products=tuple(i.product.name for i in order.items),
        product_skus=tuple(i.product.sku for i in order.items),
    )


def _context(
    db: Session, conversation: Conversation, state: DialogueState, text: str, now: datetime, assistant: Assistant | None
) -> CustomerContext:
    from aftersales.assistant.slots import extract

    catalogue = kb.catalogue(db)
    ctx = CustomerContext(today=now.date(), catalogue=catalogue)
    slots = state.remembered_slots().merged(extract(text, now.date(), catalogue))
    if conversation.customer_id is None and slots.order_number and slots.phone:
        # An anonymous customer proves an order is theirs with the phone number it was placed with.
        order = db.scalars(select(Order).where(Order.number == slots.order_number)).first()
        owner = db.get(Customer, order.customer_id) if order else None
        if order is not None and owner is not None and owner.phone == slots.phone:
            conversation.customer_id = owner.id
        else:
            ctx.lookup_failed = True
    elif conversation.customer_id is None and slots.order_number:
        ctx.lookup_failed = False
    if conversation.customer_id is not None:
        ctx.identified = True
        orders = db.scalars(
            select(Order).where(Order.customer_id == conversation.customer_id).order_by(Order.placed_at.desc()).limit(5)
        )
        ctx.orders = [_order_facts(o) for o in orders]
        if slots.order_number and not any(o.number == slots.order_number for o in ctx.orders):
            own = db.scalars(
                select(Order).where(Order.number == slots.order_number, Order.customer_id == conversation.customer_id)
            ).first()
            if own is not None:
                ctx.orders = [_order_facts(own), *ctx.orders]
            else:
                ctx.lookup_failed = True
        rows = db.scalars(
            select(Ticket).where(Ticket.customer_id == conversation.customer_id).order_by(Ticket.id.desc()).limit(5)
        )
        ctx.tickets = [TicketFacts(id=t.id, subject=t.subject, status=t.status, kind=t.kind) for t in rows]
    return ctx


# ---------------------------------------------------------------- answering


@dataclass
class Turn:
    question: ConversationMessage
    answer: ConversationMessage
    reply: Reply
    ticket: Ticket | None
    latency_ms: float


def _fallback(state: DialogueState, text: str, today: Any) -> Reply:
    """With an empty knowledge base nothing can be answered: risks still go to a person at once."""
    from aftersales.assistant.engine import Understanding
    from aftersales.assistant.signals import detect_emotion
    from aftersales.assistant.slots import extract

    risks = detect_risks(text)
    u = Understanding(
        text, text, False, [], "unknown", 0.0, {}, 0.0, None, risks, detect_emotion(text), extract(text, today)
    )
    return Reply(
        f"这个问题我暂时无法回答，已请同事跟进（工单 {TICKET}），专员会尽快回复您。",
        "handoff",
        u,
        handoff=True,
        handoff_reason="risk" if risks else "low_confidence",
        severity="L3" if risks else None,
    )


def handle(
    db: Session,
    conversation: Conversation,
    text: str,
    assistant: Assistant | None,
    now: datetime,
    pack: IndustryPack,
    *,
    auto_assign: bool = True,
) -> Turn:
    """One customer message: store it, answer it, hand over if needed, store the answer."""
    started = time.perf_counter()
    state = DialogueState.from_dict(conversation.state)
    question = ConversationMessage(conversation_id=conversation.id, role="customer", body=text, data={}, created_at=now)
    db.add(question)
    db.flush()
    ctx = _context(db, conversation, state, text, now, assistant)
    reply = assistant.respond(state, text, ctx) if assistant is not None else _fallback(state, text, ctx.today)
    ticket = None
    if conversation.ticket_id is not None:
        ticket = db.get(Ticket, conversation.ticket_id)
        if ticket is not None and ticket.status in OPEN_STATUSES:
            # Once a person is on it, everything the customer says reaches the ticket too.
            tickets.add_message(db, ticket, text, Actor(type="customer", id=ticket.customer_id), now)
        elif ticket is not None and ticket.status not in OPEN_STATUSES:
            ticket = None
    if reply.handoff or reply.flow_result is not None:
        ticket = _handoff(db, conversation, reply, state, now, pack, auto_assign=auto_assign, open_ticket=ticket)
    body = reply.text.replace(TICKET, f"#{ticket.id}" if ticket else "")
    u = reply.understanding
    data = {
        "action": reply.action,
        "entry_key": reply.entry_key,
        "also_answered": list(reply.also_answered),
        "intent": u.intent,
        "intent_probability": round(u.intent_probability, 4),
        "confidence": round(u.confidence, 4),
        "emotion": u.emotion.label,
        "risks": sorted({r.kind for r in u.risks}),
        "slots": u.slots.as_dict(),
        "handoff": reply.handoff,
        "handoff_reason": reply.handoff_reason,
        "ticket_id": ticket.id if ticket else None,
        "follow_up": u.follow_up,
    }
    question.data = {k: data[k] for k in ("intent", "emotion", "risks", "slots")}
    answer = ConversationMessage(
        conversation_id=conversation.id, role="assistant", body=body, data=data, created_at=now
    )
    db.add(answer)
    db.flush()
    if reply.handoff_reason in ("low_confidence", "missing_fact"):
        db.add(ReviewItem(message_id=question.id, question=text, reason="unanswered", status="open", created_at=now))
    conversation.state = state.to_dict()
    conversation.updated_at = now
    emit(
        db,
        "assistant.handed_off" if reply.handoff else "assistant.answered",
        "conversation",
        conversation.id,
        {
            "message_id": answer.id,
            "entry_key": reply.entry_key,
            "ticket_id": data["ticket_id"],
            "reason": reply.handoff_reason,
        },
        now,
    )
    return Turn(question, answer, reply, ticket, (time.perf_counter() - started) * 1000)


def _profile(db: Session, customer_id: int | None) -> dict[str, Any]:
    if customer_id is None:
        return {"identified": False}
    customer = db.get(Customer, customer_id)
    if customer is None:
        return {"identified": False}
    orders = db.scalars(select(Order).where(Order.customer_id == customer_id).order_by(Order.placed_at.desc()))
    order_list = list(orders)
    return {
        "identified": True,
        "customer_id": customer.id,
        "name": customer.name,
        "tier": customer.tier,
        "tags": list(customer.tags or []),
        "orders": len(order_list),
        "latest_order": order_list[0].number if order_list else None,
    }


def _handoff(
    db: Session,
    conversation: Conversation,
    reply: Reply,
    state: DialogueState,
    now: datetime,
    pack: IndustryPack,
    *,
    auto_assign: bool,
    open_ticket: Ticket | None,
) -> Ticket:
    """Create a ticket (or continue the conversation's open one) carrying everything the agent needs."""
    history = messages(db, conversation)
    customer_lines = [m.body for m in history if m.role == "customer"]
    transcript = [{"role": m.role, "body": m.body, "at": m.created_at.isoformat()} for m in history]
    u = reply.understanding
    ticket = open_ticket
    if ticket is None:
        slots = u.slots
        order_number = None
        facts = reply.flow_result or {}
        wanted = facts.get("order_number") or slots.order_number
        if wanted:
            order = db.scalars(select(Order).where(Order.number == wanted)).first()
            # Only the customer's own order is linked; a number typed by an anonymous visitor is just text.
            if order is not None and order.customer_id == conversation.customer_id:
                order_number = order.number
        customer = None
        if conversation.customer_id is not None:
            customer = CustomerRef(id=conversation.customer_id)
        elif slots.phone:
            customer = CustomerRef(phone=slots.phone)
        description = "\n".join(customer_lines) or u.text
        if facts.get("description") and facts["description"] not in description:
            description += "\n" + str(facts["description"])
        ticket = tickets.create_ticket(
            db,
            TicketCreate(
                subject=_subject(reply),
                description=description[:20000],
                channel=TICKET_CHANNEL.get(conversation.channel, "chat"),  # type: ignore[arg-type]
                kind=reply.ticket_kind,  # type: ignore[arg-type]
                customer=customer,
                order_number=order_number,
            ),
            ASSISTANT,
            now,
            pack,
            auto_assign=auto_assign,
        )
        if conversation.customer_id is None and ticket.customer_id is not None:
            conversation.customer_id = ticket.customer_id
    short = summary(customer_lines or [u.text], reply)
    handoff = {
        "conversation_id": conversation.id,
        "summary": short,
        "reason": reply.handoff_reason or "flow",
        "intent": u.intent,
        "intent_probability": round(u.intent_probability, 4),
        "entry_key": reply.entry_key,
        "emotion": {"label": u.emotion.label, "score": u.emotion.score},
        "risks": [{"kind": r.kind, "word": r.word} for r in u.risks],
        "slots": u.slots.as_dict(),
        "flow": reply.flow_result,
        "customer": _profile(db, conversation.customer_id),
        "transcript": transcript,
    }
    append(
        db,
        ticket,
        "note",
        ASSISTANT,
        now,
        body=short,
        visibility="internal",
        data={"assistant_handoff": handoff},
    )
    if reply.severity == "L3" and ticket.severity != "L3":
        words = "、".join(sorted({r.word for r in u.risks}))
        tickets.override_triage(
            db, ticket, TriageOverride(severity="L3", reason=f"智能客服识别到风险词：{words}"), ASSISTANT, now
        )
    conversation.ticket_id = ticket.id
    conversation.status = "handed_off"
    db.flush()
    return ticket


def _subject(reply: Reply) -> str:
    u = reply.understanding
    label = {
        "risk": "【风险】",
        "anger": "【情绪】",
        "request": "【转人工】",
        "low_confidence": "【待解答】",
        "missing_fact": "【待解答】",
    }.get(reply.handoff_reason or "", "【智能客服】")
    return (label + u.text.strip().replace("\n", " "))[:60]


# ---------------------------------------------------------------- ratings and review


def rate(db: Session, conversation: Conversation, message_id: int, rating: int, now: datetime) -> ConversationMessage:
    message = db.get(ConversationMessage, message_id)
    if message is None or message.conversation_id != conversation.id or message.role != "assistant":
        raise NotFound("no such answer in this conversation", field="message_id")
    message.rating = rating
    if rating < 0:
        question = db.scalars(
            select(ConversationMessage)
            .where(
                ConversationMessage.conversation_id == conversation.id,
                ConversationMessage.role == "customer",
                ConversationMessage.id < message.id,
            )
            .order_by(ConversationMessage.id.desc())
            .limit(1)
        ).first()
        if question is not None:
            item = db.scalars(select(ReviewItem).where(ReviewItem.message_id == question.id)).first()
            if item is None:
                db.add(
                    ReviewItem(
                        message_id=question.id,
                        question=question.body,
                        reason="down_rated",
                        status="open",
                        entry_key=message.data.get("entry_key"),
                        created_at=now,
                    )
                )
            elif item.status == "open":
                item.reason = "down_rated"
    emit(db, "assistant.rated", "conversation", conversation.id, {"message_id": message.id, "rating": rating}, now)
    db.flush()
    return message


def review_queue(db: Session, status: str = "open", limit: int = 100) -> list[ReviewItem]:
    return list(db.scalars(select(ReviewItem).where(ReviewItem.status == status).order_by(ReviewItem.id).limit(limit)))


def _open_item(db: Session, item_id: int) -> ReviewItem:
    item = db.get(ReviewItem, item_id)
    if item is None:
        raise NotFound(f"review item {item_id} does not exist", field="item_id")
    if item.status != "open":
        raise Conflict(f"review item {item_id} is already {item.status}", field="item_id")
    return item


def convert(
    db: Session, item_id: int, new_entry: dict[str, Any] | None, add_to_key: str | None, actor: Actor, now: datetime
) -> ReviewItem:
    if (new_entry is None) == (add_to_key is None):
        raise ValidationFailed("give either new_entry or add_to_key", field="new_entry")
    item = _open_item(db, item_id)
    if new_entry is not None:
        record = kb.create(db, kb.validate(new_entry), actor, now, source="review")
    else:
        found = kb.by_key(db, add_to_key or "")
        if found is None or not found.active:
            raise NotFound(f"no active entry with key {add_to_key!r}", field="add_to_key")
        record = kb.add_question(db, found, item.question, actor, now)
    item.status = "converted"
    item.entry_key = record.key
    item.resolved_at = now
    item.resolved_by = actor.id
    emit(db, "assistant.review_converted", "review_item", item.id, {"entry_key": record.key}, now)
    db.flush()
    return item


def dismiss(db: Session, item_id: int, actor: Actor, now: datetime) -> ReviewItem:
    item = _open_item(db, item_id)
    item.status = "dismissed"
    item.resolved_at = now
    item.resolved_by = actor.id
    emit(db, "assistant.review_dismissed", "review_item", item.id, {}, now)
    db.flush()
    return item


# ---------------------------------------------------------------- agent side


def suggestions(
    db: Session, ticket: Ticket, assistant: Assistant | None, now: datetime, limit: int = 3
) -> list[dict[str, Any]]:
    """Suggested answers for a ticket: the knowledge that best matches the customer's latest words."""
    if assistant is None:
        return []
    from aftersales.tickets.models import TicketEntry

    latest = db.scalars(
        select(TicketEntry)
        .where(TicketEntry.ticket_id == ticket.id, TicketEntry.kind == "message", TicketEntry.author_type == "customer")
        .order_by(TicketEntry.id.desc())
        .limit(1)
    ).first()
    return lookup(db, assistant, latest.body if latest else ticket.description, now, limit=limit)


def lookup(db: Session, assistant: Assistant | None, q: str, now: datetime, limit: int = 5) -> list[dict[str, Any]]:
    if assistant is None:
        return []
    from aftersales.assistant.knowledge import render_answer

    catalogue: Sequence[Any] = kb.catalogue(db)
    hits, probs, _ = assistant._understand_query(q)
    out = []
    for hit in hits[:limit]:
        entry = assistant.entries[hit.entry]
        rendered = render_answer(entry, None, catalogue)
        out.append(
            {
                "key": entry.key,
                "intent": entry.intent,
                "question": assistant.index.doc_text[hit.doc],
                "answer": rendered.text or entry.answer,
                "score": round(hit.score, 4),
                "confidence": round(assistant._confidence_of([hit, *[h for h in hits if h is not hit]], probs), 4),
            }
        )
    return out
