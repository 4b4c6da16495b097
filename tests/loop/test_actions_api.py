"""Resolution actions through the API: policy refusals name the policy and write nothing, four-eyes approval,
idempotent requests and executions, field-named validation errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from aftersales.actions.models import ResolutionAction
from aftersales.kit.outbox import OutboxEvent
from aftersales.tickets.models import TicketEntry
from api._support import API, L1_ATTITUDE, L1_SOUR, error, new_ticket


def _count(database: Any, stmt: Any) -> int:
    with database.transaction() as db:
        return int(db.scalar(stmt))


def _events(database: Any, topic: str) -> int:
    return _count(database, select(func.count()).where(OutboxEvent.topic == topic))


def _order(client: Any, headers: dict[str, str], customer_id: int, clock: Any, delivered_days_ago: float) -> str:
    assert client.post(
        f"{API}/products", headers=headers, json={"sku": "MILK-1", "name": "鲜牛奶", "category": "milk"}
    ).status_code in (201, 409)
    delivered = clock.now() - timedelta(days=delivered_days_ago)
    body = {
        "number": f"ORD-{delivered_days_ago}",
        "customer_id": customer_id,
        "placed_at": (delivered - timedelta(days=2)).isoformat(),
        "delivered_at": delivered.isoformat(),
        "items": [{"product_sku": "MILK-1", "quantity": 2, "unit_price": "59.00"}],
    }
    response = client.post(f"{API}/orders", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return body["number"]


def test_refund_after_the_return_window_is_refused_naming_the_policy(client, database, clock, admin):
    _, h = admin
    customer = client.post(f"{API}/customers", headers=h, json={"name": "周女士", "phone": "13700001111"}).json()
    late = _order(client, h, customer["id"], clock, delivered_days_ago=10)
    ticket = new_ticket(client, h, L1_ATTITUDE, customer={"id": customer["id"]}, order_number=late)
    before = (
        _count(database, select(func.count()).select_from(TicketEntry)),
        _count(database, select(func.count()).select_from(OutboxEvent)),
    )
    response = client.post(
        f"{API}/tickets/{ticket['id']}/actions", headers=h, json={"kind": "refund", "refund_mode": "full"}
    )
    assert response.status_code == 422
    body = error(response)
    assert (body["code"], body["policy"], body["field"]) == ("policy_refused", "return_window", "kind")
    assert "7-day" in body["message"]
    assert _count(database, select(func.count()).select_from(ResolutionAction)) == 0
    after = (
        _count(database, select(func.count()).select_from(TicketEntry)),
        _count(database, select(func.count()).select_from(OutboxEvent)),
    )
    assert after == before  # nothing half-written

    # The same order, but the milk was sour: quality problems ignore the window; the full refund is the order total.
    sour = new_ticket(client, h, L1_SOUR, customer={"id": customer["id"]}, order_number=late)
    ok = client.post(f"{API}/tickets/{sour['id']}/actions", headers=h, json={"kind": "refund", "refund_mode": "full"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["amount"] == "118.00" and ok.json()["status"] == "approved"


def test_four_eyes_the_requester_never_approves_and_limits_decide_who_may(client, database, make_agent, admin):
    _, admin_h = admin
    _, sup_h = make_agent("supervisor", "quality")
    _, other_sup_h = make_agent("supervisor", "quality")
    ticket = new_ticket(client, admin_h, L1_SOUR)
    body = {"kind": "compensation", "compensation_type": "amount", "amount": "3000.00"}
    action = client.post(f"{API}/tickets/{ticket['id']}/actions", headers=sup_h, json=body).json()
    assert (action["status"], action["approver_roles"]) == ("requested", ["admin"])
    own = client.post(f"{API}/actions/{action['id']}/approve", headers=sup_h)
    assert own.status_code == 403 and error(own)["policy"] == "four_eyes"
    peer = client.post(f"{API}/actions/{action['id']}/approve", headers=other_sup_h)
    assert peer.status_code == 403 and error(peer)["policy"] == "approval_limits"
    approved = client.post(f"{API}/actions/{action['id']}/approve", headers=admin_h)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = client.post(f"{API}/actions/{action['id']}/reject", headers=admin_h, json={"reason": "改主意"})
    assert again.status_code == 409
    assert _events(database, "action.approved") == 1


def test_requests_and_executions_are_idempotent(client, database, admin):
    _, h = admin
    ticket = new_ticket(client, h, L1_SOUR)
    url = f"{API}/tickets/{ticket['id']}/actions"
    first = client.post(url, headers={**h, "Idempotency-Key": "reissue-1"}, json={"kind": "reissue"})
    second = client.post(url, headers={**h, "Idempotency-Key": "reissue-1"}, json={"kind": "reissue"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert _events(database, "action.requested") == 1
    execute = f"{API}/actions/{first.json()['id']}/execute"
    for _ in range(2):
        done = client.post(execute, headers=h, json={"reference": "SF100"})
        assert done.status_code == 200 and done.json()["status"] == "executed"
    assert _events(database, "action.executed") == 1
    assert done.json()["customer_text"] == "补发商品已发出，快递单号 SF100"


def test_failed_execution_can_be_retried(client, admin):
    _, h = admin
    ticket = new_ticket(client, h, L1_SOUR)
    action = client.post(f"{API}/tickets/{ticket['id']}/actions", headers=h, json={"kind": "return_pickup"}).json()
    failed = client.post(
        f"{API}/actions/{action['id']}/execute", headers=h, json={"outcome": "failed", "note": "快递员未到"}
    )
    assert (
        failed.json()["status"] == "failed"
        and failed.json()["customer_text"] == "上门取件退货办理遇到问题，我们正在重新处理"
    )
    done = client.post(f"{API}/actions/{action['id']}/execute", headers=h, json={})
    assert done.json()["status"] == "executed"


def test_bad_action_requests_name_the_field(client, admin):
    _, h = admin
    ticket = new_ticket(client, h, L1_SOUR)
    url = f"{API}/tickets/{ticket['id']}/actions"
    cases = [
        ({"kind": "refund"}, "refund_mode"),
        ({"kind": "refund", "refund_mode": "partial"}, "amount"),
        ({"kind": "compensation", "amount": "10"}, "compensation_type"),
        ({"kind": "reissue", "on_site": True}, "on_site"),
        ({"kind": "teleport"}, "kind"),
        ({"kind": "refund", "refund_mode": "partial", "amount": "-1"}, "amount"),
        ({"kind": "refund", "refund_mode": "partial", "amount": "1.234"}, "amount"),
        ({"kind": "reissue", "surprise": 1}, "surprise"),
    ]
    for body, field in cases:
        response = client.post(url, headers=h, json=body)
        assert response.status_code == 422, (body, response.text)
        assert error(response)["field"] == field, (body, response.text)
    assert client.post(f"{API}/tickets/999999/actions", headers=h, json={"kind": "reissue"}).status_code == 404
    assert client.post(f"{API}/actions/999999/approve", headers=h).status_code == 404


def test_an_agent_acts_only_on_tickets_they_own(client, make_agent):
    _, owner_h = make_agent("agent", "quality", skills=["quality"])
    _, other_h = make_agent("agent", "quality", skills=["quality"], capacity=0)
    ticket = new_ticket(client, owner_h, L1_SOUR)
    refused = client.post(f"{API}/tickets/{ticket['id']}/actions", headers=other_h, json={"kind": "reissue"})
    assert refused.status_code == 403
    assert (
        client.post(f"{API}/tickets/{ticket['id']}/actions", headers=owner_h, json={"kind": "reissue"}).status_code
        == 201
    )


def test_the_customer_accepts_or_declines_a_proposal_once_through_their_link(client, database, admin):
    _, h = admin
    ticket = new_ticket(client, h, L1_ATTITUDE)
    token = client.post(f"{API}/tickets/{ticket['id']}/customer-link", headers=h).json()["token"]
    proposal = client.post(f"{API}/tickets/{ticket['id']}/actions", headers=h, json={"kind": "reissue"}).json()
    listed = client.get(f"{API}/portal/tickets/{token}/actions").json()
    assert [(a["id"], a["can_respond"], a["customer_response"]) for a in listed] == [(proposal["id"], True, None)]

    url = f"{API}/portal/tickets/{token}/actions/{proposal['id']}/response"
    accepted = client.post(url, json={"accept": True})
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["customer_response"], accepted.json()["can_respond"]) == ("accepted", False)
    assert client.post(url, json={"accept": True}).status_code == 200  # the same tap twice changes nothing
    changed = client.post(url, json={"accept": False})
    assert changed.status_code == 409 and error(changed)["field"] == "accept"
    assert _events(database, "action.customer_accepted") == 1
    timeline = client.get(f"{API}/portal/tickets/{token}").json()["timeline"]
    assert any(e["body"] == "客户接受了补发方案" for e in timeline)

    # A carried-out action is no longer a proposal; another ticket's action is not reachable through this link.
    done = client.post(f"{API}/tickets/{ticket['id']}/actions", headers=h, json={"kind": "reissue"}).json()
    assert client.post(f"{API}/actions/{done['id']}/execute", headers=h, json={"reference": "SF1"}).status_code == 200
    late = client.post(f"{API}/portal/tickets/{token}/actions/{done['id']}/response", json={"accept": False})
    assert late.status_code == 409 and error(late)["field"] == "action_id"
    other = new_ticket(client, h, L1_ATTITUDE, phone="13900000009")
    foreign = client.post(f"{API}/tickets/{other['id']}/actions", headers=h, json={"kind": "reissue"}).json()
    stranger = client.post(f"{API}/portal/tickets/{token}/actions/{foreign['id']}/response", json={"accept": True})
    assert stranger.status_code == 404
    bad = client.post(url, json={"accept": "maybe"})
    assert bad.status_code == 422 and "accept" in bad.text


def test_the_customers_decline_and_accept_reach_the_owners_inbox(client, make_agent, admin, dispatcher):
    """Through the outbox: the answer is an event, and the dispatcher turns it into the owner's inbox item."""
    _, h = admin
    _, owner_h = make_agent("agent", "customer_service", capacity=100)
    _, other_h = make_agent("agent", "customer_service", capacity=0)
    ticket = new_ticket(client, owner_h, L1_ATTITUDE)
    token = client.post(f"{API}/tickets/{ticket['id']}/customer-link", headers=h).json()["token"]
    declined = client.post(f"{API}/tickets/{ticket['id']}/actions", headers=owner_h, json={"kind": "reissue"}).json()
    body = {"kind": "compensation", "compensation_type": "coupon", "amount": "20.00"}
    accepted = client.post(f"{API}/tickets/{ticket['id']}/actions", headers=owner_h, json=body).json()
    dispatcher.run_until_idle()
    before = {i["id"] for i in client.get(f"{API}/inbox", headers=owner_h).json()}

    url = f"{API}/portal/tickets/{token}/actions"
    answer = client.post(f"{url}/{declined['id']}/response", json={"accept": False, "note": "不想等补发，想退款"})
    assert answer.status_code == 200, answer.text
    assert client.post(f"{url}/{accepted['id']}/response", json={"accept": True}).status_code == 200
    assert [i for i in client.get(f"{API}/inbox", headers=owner_h).json() if i["id"] not in before] == []
    dispatcher.run_until_idle()

    items = [i for i in client.get(f"{API}/inbox", headers=owner_h).json() if i["id"] not in before]
    by_subject = {i["subject"]: i for i in items}
    assert set(by_subject) == {
        f"客户不接受工单 #{ticket['id']} 的补发方案",
        f"客户接受了工单 #{ticket['id']} 的补偿方案",
    }, items
    decline = by_subject[f"客户不接受工单 #{ticket['id']} 的补发方案"]
    assert decline["template"] == "customer_response" and decline["ticket_id"] == ticket["id"]
    assert "不想等补发，想退款" in decline["body"] and "联系客户" in decline["body"]
    assert "¥20.00" in by_subject[f"客户接受了工单 #{ticket['id']} 的补偿方案"]["body"]
    # Only the owner is told; another agent's inbox stays as it was.
    assert not [i for i in client.get(f"{API}/inbox", headers=other_h).json() if i["template"] == "customer_response"]
    dispatcher.run_until_idle()  # a second run sends nothing twice
    assert len(client.get(f"{API}/inbox", headers=owner_h).json()) == len(before) + 2
