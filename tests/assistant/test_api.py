"""The assistant through HTTP and WebSocket, on both databases: answers, handoff tickets, ratings, review."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from aftersales.catalog.models import Product
from aftersales.kb import service as kb
from aftersales.kit.actor import Actor
from aftersales.tickets.models import Ticket, TicketEntry

API = "/api/v1"


@pytest.fixture
def loaded(database, clock, mini_entries) -> None:
    with database.transaction() as session:
        kb.import_entries(session, mini_entries, Actor(type="system", name="test"), clock.now(), source="mini")


def start(client: Any, **body: Any) -> str:
    response = client.post(f"{API}/assistant/conversations", json=body)
    assert response.status_code == 201, response.text
    return response.json()["token"]


def say(client: Any, token: str, text: str) -> dict[str, Any]:
    response = client.post(f"{API}/assistant/conversations/{token}/messages", json={"text": text})
    assert response.status_code == 200, response.text
    return response.json()


def handoff_note(database, ticket_id: int) -> dict[str, Any]:
    with database.transaction() as session:
        notes = session.scalars(
            select(TicketEntry).where(TicketEntry.ticket_id == ticket_id, TicketEntry.kind == "note")
        ).all()
        return [n.data["assistant_handoff"] for n in notes if "assistant_handoff" in n.data][-1]


def test_web_chat_answers_from_the_knowledge_base(client, loaded):
    token = start(client)
    reply = say(client, token, "能开增值税发票吗")
    assert (reply["entry_key"], reply["handoff"], reply["ticket_id"]) == ("invoice", False, None)
    transcript = client.get(f"{API}/assistant/conversations/{token}").json()
    assert [m["role"] for m in transcript["messages"]] == ["customer", "assistant"]


def test_unknown_question_opens_a_ticket_with_full_context(client, database, loaded, admin):
    token = start(client)
    say(client, token, "能开增值税发票吗")
    reply = say(client, token, "你们的奶粉罐能回收换积分吗？我手机13812349999")
    assert reply["handoff"] and reply["handoff_reason"] == "low_confidence"
    assert reply["entry_key"] is None
    ticket = client.get(f"{API}/tickets/{reply['ticket_id']}", headers=admin[1]).json()
    assert ticket["channel"] == "chat"
    note = handoff_note(database, reply["ticket_id"])
    assert [m["role"] for m in note["transcript"]] == ["customer", "assistant", "customer"]
    assert note["reason"] == "low_confidence"
    assert note["slots"]["phone"] == "13812349999"
    assert note["emotion"]["label"] and note["intent"]
    assert "客户问题" in note["summary"]
    assert note["customer"]["identified"] is True  # found or created by the phone number
    queue = client.get(f"{API}/assistant/review", headers=admin[1]).json()
    assert [q["question"] for q in queue] == ["你们的奶粉罐能回收换积分吗？我手机13812349999"]


def test_risk_opens_an_l3_ticket_at_once_and_later_messages_continue_it(client, database, loaded, admin):
    token = start(client)
    reply = say(client, token, "孩子喝了你们的牛奶拉肚子了")
    assert reply["handoff_reason"] == "risk"
    ticket = client.get(f"{API}/tickets/{reply['ticket_id']}", headers=admin[1]).json()
    assert ticket["severity"] == "L3"
    again = say(client, token, "我要转人工")
    assert again["ticket_id"] == reply["ticket_id"]
    with database.transaction() as session:
        bodies = session.scalars(
            select(TicketEntry.body).where(TicketEntry.ticket_id == reply["ticket_id"], TicketEntry.kind == "message")
        ).all()
        assert "我要转人工" in bodies
        assert session.scalar(select(Ticket.id).where(Ticket.id != reply["ticket_id"])) is None


def test_follow_up_in_the_same_conversation(client, loaded):
    token = start(client)
    assert say(client, token, "每天喝多少牛奶合适")["entry_key"] == "milk-daily-amount"
    assert say(client, token, "那孕妇呢？")["entry_key"] == "milk-pregnancy"


def test_answers_follow_the_catalogue(client, database, loaded, admin):
    created = client.post(
        f"{API}/products",
        headers=admin[1],
        json={"sku": "MLK-001", "name": "牧云 巴氏鲜奶", "category": "dairy", "shelf_life_days": 7},
    )
    assert created.status_code == 201, created.text
    token = start(client)
    assert "7天" in say(client, token, "鲜牛奶的保质期是多少天")["text"]
    with database.transaction() as session:
        session.scalars(select(Product).where(Product.sku == "MLK-001")).one().shelf_life_days = 6
    assert "6天" in say(client, token, "鲜牛奶的保质期是多少天")["text"]


def test_thumbs_down_queues_the_question_and_review_turns_it_into_knowledge(client, loaded, supervisor):
    h = supervisor[1]
    token = start(client)
    reply = say(client, token, "牛奶可以加热喝吗")  # the fixture KB has no entry on heating milk
    rated = client.post(
        f"{API}/assistant/conversations/{token}/messages/{reply['message_id']}/rating", json={"rating": -1}
    )
    assert rated.status_code == 200 and rated.json()["rating"] == -1
    queue = client.get(f"{API}/assistant/review", headers=h).json()
    assert [(q["question"], q["reason"]) for q in queue] == [("牛奶可以加热喝吗", "down_rated")]
    body = {
        "new_entry": {
            "key": "milk-heating",
            "intent": "usage_dosage",
            "answer": "鲜奶可隔水加热到60℃左右，不要煮沸。",
            "questions": ["牛奶可以加热喝吗", "鲜奶怎么加热", "牛奶能煮开喝吗"],
        }
    }
    converted = client.post(f"{API}/assistant/review/{queue[0]['id']}/convert", headers=h, json=body)
    assert converted.status_code == 200, converted.text
    assert converted.json()["status"] == "converted"
    assert say(client, start(client), "可以用微波炉热牛奶吗")["entry_key"] == "milk-heating"
    assert client.get(f"{API}/assistant/review", headers=h).json() == []

    unknown = say(client, start(client), "送奶上门一般几点到")
    assert unknown["handoff"] and unknown["handoff_reason"] == "low_confidence"
    item = client.get(f"{API}/assistant/review", headers=h).json()[0]
    assert (item["question"], item["reason"]) == ("送奶上门一般几点到", "unanswered")
    assert client.post(f"{API}/assistant/review/{item['id']}/dismiss", headers=h).status_code == 200
    assert client.post(f"{API}/assistant/review/{item['id']}/dismiss", headers=h).status_code == 409
    both = client.post(
        f"{API}/assistant/review/{item['id']}/convert", headers=h, json={**body, "add_to_key": "invoice"}
    )
    assert both.status_code in (409, 422)


def test_rating_an_answer_of_another_conversation_is_not_found(client, loaded):
    mine, other = start(client), start(client)
    reply = say(client, other, "能开发票吗")
    response = client.post(
        f"{API}/assistant/conversations/{mine}/messages/{reply['message_id']}/rating", json={"rating": 1}
    )
    assert response.status_code == 404 and response.json()["error"]["field"] == "message_id"


def test_forged_conversation_token_is_refused(client, loaded):
    response = client.post(f"{API}/assistant/conversations/not-a-real-token-123/messages", json={"text": "你好"})
    assert response.status_code == 404 and response.json()["error"]["field"] == "token"
    blank = client.post(f"{API}/assistant/conversations/{start(client)}/messages", json={"text": "   "})
    assert blank.status_code == 422 and blank.json()["error"]["field"] == "text"


def test_websocket_chat(client, loaded):
    token = start(client)
    with client.websocket_connect(f"{API}/assistant/ws/{token}") as ws:
        ws.send_json({"text": "能开发票吗"})
        reply = ws.receive_json()
        assert reply["entry_key"] == "invoice" and reply["message_id"] > 0
        ws.send_json({"text": ""})
        assert ws.receive_json()["error"]["field"] == "text"
        ws.send_json({"text": "每天喝多少牛奶合适"})
        assert ws.receive_json()["entry_key"] == "milk-daily-amount"
        ws.send_json({"text": "那孕妇呢？"})
        assert ws.receive_json()["entry_key"] == "milk-pregnancy"
    transcript = client.get(f"{API}/assistant/conversations/{token}").json()["messages"]
    assert len(transcript) == 6


def test_websocket_with_a_forged_token_is_closed(client, loaded):
    from starlette.websockets import WebSocketDisconnect

    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(f"{API}/assistant/ws/forged-token-xyz") as ws,
    ):
        ws.receive_json()
    assert closed.value.code == 4404


def test_channel_integration_keeps_one_conversation_per_channel_id(client, loaded, admin):
    body = {"conversation_ref": "wx-openid-1", "text": "每天喝多少牛奶合适", "customer": {"phone": "13800000042"}}
    first = client.post(f"{API}/assistant/channels/wechat/messages", headers=admin[1], json=body)
    assert first.status_code == 200, first.text
    second = client.post(
        f"{API}/assistant/channels/wechat/messages", headers=admin[1], json={**body, "text": "那孕妇呢？"}
    )
    assert second.json()["conversation_id"] == first.json()["conversation_id"]
    assert second.json()["entry_key"] == "milk-pregnancy"
    bad = client.post(f"{API}/assistant/channels/fax/messages", headers=admin[1], json=body)
    assert bad.status_code == 422


def test_identified_customer_gets_their_own_order_status(client, loaded, admin):
    h = admin[1]
    client.post(f"{API}/products", headers=h, json={"sku": "MLK-001", "name": "牧云 巴氏鲜奶", "category": "dairy"})
    customer = client.post(f"{API}/customers", headers=h, json={"name": "王女士", "phone": "13812345601"}).json()
    order = client.post(
        f"{API}/orders",
        headers=h,
        json={
            "number": "SMP202611200001",
            "customer_id": customer["id"],
            "placed_at": "2026-11-20T10:00:00+08:00",
            "items": [{"product_sku": "MLK-001"}],
        },
    )
    assert order.status_code == 201, order.text
    customer_token = client.post(f"{API}/assistant/customer-tokens", headers=h, json={"customer_id": customer["id"]})
    token = start(client, customer_token=customer_token.json()["token"])
    reply = say(client, token, "查一下我的订单")
    assert "SMP202611200001" in reply["text"] and reply["entry_key"] == "order-status"
    # An anonymous visitor proves ownership with the phone number; a wrong phone reveals nothing.
    stranger = start(client)
    denied = say(client, stranger, "查一下我的订单 SMP202611200001 手机13900000000")
    assert "已付款" not in denied["text"] and "没有查到" in denied["text"]
    owner = start(client)
    allowed = say(client, owner, "查一下我的订单 SMP202611200001 手机13812345601")
    assert "SMP202611200001" in allowed["text"] and "已付款" in allowed["text"]


def test_agent_suggestions_and_lookup(client, loaded, admin):
    h = admin[1]
    ticket = client.post(
        f"{API}/tickets",
        headers=h,
        json={"description": "请问你们能开增值税专用发票吗", "channel": "web", "customer": {"phone": "13800000077"}},
    ).json()
    suggestions = client.get(f"{API}/tickets/{ticket['id']}/suggestions", headers=h)
    assert suggestions.status_code == 200
    assert suggestions.json()[0]["key"] == "invoice"
    lookup = client.get(f"{API}/kb/lookup", params={"q": "积分怎么用"}, headers=h).json()
    assert lookup[0]["key"] == "membership" and "积分" in lookup[0]["answer"]


def test_empty_knowledge_base_still_hands_risks_over(client, admin):
    reply = say(client, start(client), "吃了以后过敏住院了")
    assert reply["handoff_reason"] == "risk"
    assert client.get(f"{API}/tickets/{reply['ticket_id']}", headers=admin[1]).json()["severity"] == "L3"


def test_widget_is_served(client):
    js = client.get("/assistant/widget.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "/api/v1/assistant/ws/" in js.text
    assert '<script src="/assistant/widget.js">' in client.get("/assistant/chat").text


def test_public_chat_is_rate_limited_over_rest_and_websocket(settings, clock, database, loaded):
    """One address shares one budget across new conversations, REST messages and WebSocket messages."""
    from fastapi.testclient import TestClient

    from aftersales.app import create_app

    app = create_app(settings.model_copy(update={"assistant_rate_limit": "4/minute"}), clock=clock, database=database)
    with TestClient(app) as client:
        token = start(client)  # 1
        assert say(client, token, "能开发票吗")["entry_key"] == "invoice"  # 2
        with client.websocket_connect(f"{API}/assistant/ws/{token}") as ws:
            ws.send_json({"text": "能开发票吗"})  # 3
            assert ws.receive_json()["entry_key"] == "invoice"
            ws.send_json({"text": "每天喝多少牛奶合适"})  # 4
            assert ws.receive_json()["entry_key"] == "milk-daily-amount"
            ws.send_json({"text": "那孕妇呢？"})
            refused = ws.receive_json()
            assert refused["error"]["code"] == "rate_limited"
            ws.send_json({"text": "那孕妇呢？"})  # the socket stays open, and keeps refusing
            assert ws.receive_json()["error"]["code"] == "rate_limited"
        over = client.post(f"{API}/assistant/conversations/{token}/messages", json={"text": "能开发票吗"})
        assert over.status_code == 429 and over.json()["error"]["code"] == "rate_limited"
        assert client.post(f"{API}/assistant/conversations", json={}).status_code == 429
        transcript = client.get(f"{API}/assistant/conversations/{token}").json()["messages"]
        assert len(transcript) == 6  # refused messages were neither stored nor answered


def test_two_questions_in_one_message_get_two_answers(client, loaded):
    token = start(client)
    reply = say(client, token, "能开增值税发票吗？另外怎么退货")
    assert reply["entry_key"] and not reply["handoff"]
    assert len(reply["also_answered"]) == 1 and reply["also_answered"][0] != reply["entry_key"]
    assert "关于“" in reply["text"]
    stored = client.get(f"{API}/assistant/conversations/{token}").json()["messages"][-1]
    assert stored["body"] == reply["text"]


def test_the_answer_threshold_is_the_brands_setting(settings, clock, database, loaded):
    """AFTERSALES_ASSISTANT_ANSWER_THRESHOLD: a brand that wants fewer automatic answers raises it."""
    from fastapi.testclient import TestClient

    from aftersales.app import create_app
    from aftersales.kit.settings import Settings

    with TestClient(create_app(settings, clock=clock, database=database)) as client:
        assert say(client, start(client), "我想开张发票")["entry_key"] == "invoice"  # confidence 0.88
    strict = create_app(
        settings.model_copy(update={"assistant_answer_threshold": 0.95}), clock=clock, database=database
    )
    with TestClient(strict) as client:
        reply = say(client, start(client), "我想开张发票")
        assert reply["handoff"] and reply["handoff_reason"] == "low_confidence" and reply["entry_key"] is None
    with pytest.raises(ValueError, match="assistant_answer_threshold"):
        Settings(assistant_answer_threshold=1.5)
