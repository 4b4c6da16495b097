"""Assistant routes: web chat (REST and WebSocket, credential = signed conversation token), other channels'
integrations (API token), ratings, the review queue, and suggestions for agents inside a ticket."""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, WebSocket, WebSocketDisconnect, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from aftersales.assistant import service
from aftersales.assistant.models import Conversation
from aftersales.assistant.schemas import (
    AssistantReply,
    ChannelMessage,
    ConversationOut,
    ConversationStart,
    ConversationStarted,
    CustomerMessage,
    CustomerToken,
    CustomerTokenRequest,
    MessageOut,
    Rating,
    ReviewConvert,
    ReviewItemOut,
    Suggestion,
)
from aftersales.catalog.models import Customer
from aftersales.kit.deps import DbSession, Now, PathId, Reader, Supervisor, Writer
from aftersales.kit.errors import DomainError, NotFound
from aftersales.tickets import repository as ticket_repo
from aftersales.web.ratelimit import TooManyRequests, client_key

router = APIRouter(prefix="/assistant", tags=["assistant"])
agent_router = APIRouter(tags=["assistant"])
widget_router = APIRouter(tags=["assistant"], include_in_schema=False)
Token = Annotated[str, Path(min_length=10, max_length=500)]


def _limit(connection: Request | WebSocket) -> None:
    """The public chat answers anyone with a link: each client address gets the configured budget, shared by
    new conversations and messages over REST and WebSocket, so one client cannot keep the assistant busy."""
    state = connection.app.state
    state.web.limits.check(state.settings.assistant_rate_limit, "assistant-chat", client_key(connection))  # type: ignore[arg-type]


def _conversation(request: Request, db: Session, token: str, *, for_update: bool = False) -> Conversation:
    conversation_id = request.app.state.conversation_signer.conversation_id(token)
    if conversation_id is None:
        raise NotFound("this conversation link is invalid or has expired", field="token")
    return service.get(db, conversation_id, for_update=for_update)


def _reply(request: Request, turn: service.Turn, conversation: Conversation) -> AssistantReply:
    u = turn.reply.understanding
    link = None
    if turn.ticket is not None:
        link = request.app.state.signer.sign(turn.ticket.id, turn.ticket.customer_id)
    return AssistantReply(
        conversation_id=conversation.id,
        message_id=turn.answer.id,
        text=turn.answer.body,
        action=turn.reply.action,
        entry_key=turn.reply.entry_key,
        also_answered=list(turn.reply.also_answered),
        intent=u.intent,
        confidence=round(u.confidence, 4),
        emotion=u.emotion.label,
        risks=sorted({r.kind for r in u.risks}),
        slots=u.slots.as_dict(),
        handoff=turn.reply.handoff,
        handoff_reason=turn.reply.handoff_reason,
        ticket_id=turn.ticket.id if turn.ticket else None,
        customer_link=link,
    )


def answer(request: Request, db: Session, conversation: Conversation, text: str, now: Any) -> AssistantReply:
    state = request.app.state
    pack = state.triage_rules.pack(db)  # the brand's edited rules, for a handoff's ticket
    turn = service.handle(
        db, conversation, text, state.assistant.get(db), now, pack, auto_assign=state.settings.auto_assign
    )
    reply = _reply(request, turn, conversation)
    db.commit()
    return reply


# ---------------------------------------------------------------- web chat (public; the token is the credential)


@router.post("/conversations", response_model=ConversationStarted, status_code=status.HTTP_201_CREATED)
def start_conversation(body: ConversationStart, request: Request, db: DbSession, now: Now) -> ConversationStarted:
    _limit(request)
    signer = request.app.state.conversation_signer
    customer_id = None
    if body.customer_token:
        customer_id = signer.customer_id(body.customer_token)
        if customer_id is None:
            raise NotFound("the customer token is invalid or has expired", field="customer_token")
    conversation = service.start(db, body.channel, now, customer_id=customer_id)
    db.commit()
    return ConversationStarted(
        conversation_id=conversation.id, token=signer.conversation_token(conversation.id), greeting=service.GREETING
    )


@router.get("/conversations/{token}", response_model=ConversationOut)
def view_conversation(token: Token, request: Request, db: DbSession) -> ConversationOut:
    conversation = _conversation(request, db, token)
    return ConversationOut(
        id=conversation.id,
        channel=conversation.channel,
        status=conversation.status,
        ticket_id=conversation.ticket_id,
        messages=[MessageOut.model_validate(m) for m in service.messages(db, conversation)],
    )


@router.post("/conversations/{token}/messages", response_model=AssistantReply)
def send_message(token: Token, body: CustomerMessage, request: Request, db: DbSession, now: Now) -> AssistantReply:
    _limit(request)
    conversation = _conversation(request, db, token, for_update=True)
    return answer(request, db, conversation, body.text, now)


@router.post("/conversations/{token}/messages/{message_id}/rating", response_model=MessageOut)
def rate_answer(token: Token, message_id: PathId, body: Rating, request: Request, db: DbSession, now: Now) -> Any:
    conversation = _conversation(request, db, token)
    message = service.rate(db, conversation, message_id, body.rating, now)
    db.commit()
    return message


@router.websocket("/ws/{token}")
async def chat_socket(websocket: WebSocket, token: str) -> None:
    """Web chat over WebSocket: send {"text": ...}, receive the same body as the REST reply."""
    from starlette.concurrency import run_in_threadpool

    app = websocket.app
    conversation_id = app.state.conversation_signer.conversation_id(token)
    if conversation_id is None:
        await websocket.close(code=4404, reason="invalid or expired conversation token")
        return
    await websocket.accept()

    def one(text: str) -> dict[str, Any]:
        session = app.state.db.session(write=True)
        try:
            conversation = service.get(session, conversation_id, for_update=True)
            return answer(websocket, session, conversation, text, app.state.clock.now()).model_dump()  # type: ignore[arg-type]
        finally:
            session.rollback()
            session.close()

    try:
        while True:
            raw = await websocket.receive_json()
            try:
                message = CustomerMessage.model_validate(raw)
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(p) for p in first.get("loc", ())) or "text"
                await websocket.send_json(
                    {"error": {"code": "validation_error", "message": f"{field}: {first['msg']}", "field": field}}
                )
                continue
            try:
                _limit(websocket)
                await websocket.send_json(await run_in_threadpool(one, message.text))
            except TooManyRequests as exc:
                await websocket.send_json(exc.to_dict())
                continue
            except DomainError as exc:
                await websocket.send_json(exc.to_dict())
    except WebSocketDisconnect:
        return
    except ValueError:  # not JSON
        await websocket.close(code=1003, reason='send JSON objects: {"text": "..."}')


# ---------------------------------------------------------------- other channels and brand back-ends (API token)


@router.post("/channels/{channel}/messages", response_model=AssistantReply)
def channel_message(
    channel: Annotated[str, Path(pattern=r"^(wechat|app|douyin|api)$")],
    body: ChannelMessage,
    actor: Writer,
    request: Request,
    db: DbSession,
    now: Now,
) -> AssistantReply:
    """A message relayed by a channel integration (WeChat, app) under that channel's own conversation id."""
    conversation = service.for_channel(
        db,
        channel,
        body.conversation_ref,
        now,
        customer_id=body.customer.id if body.customer else None,
        phone=body.customer.phone if body.customer else None,
    )
    db.flush()
    return answer(request, db, conversation, body.text, now)


@router.post("/customer-tokens", response_model=CustomerToken)
def customer_token(body: CustomerTokenRequest, actor: Writer, request: Request, db: DbSession) -> CustomerToken:
    """A token the brand's site hands its logged-in customer, so the chat knows whose orders to look at."""
    if db.get(Customer, body.customer_id) is None:
        raise NotFound(f"customer {body.customer_id} does not exist", field="customer_id")
    return CustomerToken(token=request.app.state.conversation_signer.customer_token(body.customer_id))


# ---------------------------------------------------------------- review queue


@router.get("/review", response_model=list[ReviewItemOut])
def review_queue(
    actor: Reader, db: DbSession, state: Annotated[Literal["open", "converted", "dismissed"], Query()] = "open"
) -> Any:
    return service.review_queue(db, state)


@router.post("/review/{item_id}/convert", response_model=ReviewItemOut)
def convert_review(item_id: PathId, body: ReviewConvert, actor: Supervisor, db: DbSession, now: Now) -> Any:
    item = service.convert(
        db, item_id, body.new_entry.model_dump() if body.new_entry else None, body.add_to_key, actor, now
    )
    db.commit()
    return item


@router.post("/review/{item_id}/dismiss", response_model=ReviewItemOut)
def dismiss_review(item_id: PathId, actor: Supervisor, db: DbSession, now: Now) -> Any:
    item = service.dismiss(db, item_id, actor, now)
    db.commit()
    return item


# ---------------------------------------------------------------- agents: suggestions inside a ticket


@agent_router.get("/tickets/{ticket_id}/suggestions", response_model=list[Suggestion])
def ticket_suggestions(ticket_id: PathId, actor: Reader, request: Request, db: DbSession, now: Now) -> Any:
    ticket = ticket_repo.get(db, ticket_id)
    return service.suggestions(db, ticket, request.app.state.assistant.get(db), now)


# ---------------------------------------------------------------- the embeddable widget


def _static(name: str) -> str:
    return resources.files("aftersales.assistant").joinpath(f"static/{name}").read_text("utf-8")


@widget_router.get("/assistant/widget.js")
def widget_js() -> Response:
    return Response(_static("widget.js"), media_type="application/javascript; charset=utf-8")


@widget_router.get("/assistant/chat", response_class=HTMLResponse)
def chat_page() -> HTMLResponse:
    return HTMLResponse(_static("chat.html"))
