"""Who may call what: every /api/v1 route, for every persona, on both databases.

Personas: ``anonymous`` (no token), ``analyst`` (read-only), ``outsider`` (an agent of another department who
does not own the ticket), ``owner`` (the agent who owns the ticket), ``supervisor`` and ``admin``. ``member``
(a second agent of the owner's department) is the person work gets handed to; ``target`` is an agent whose
account the matrix edits.

The matrix lists every route; a route added without a row here fails
``test_every_api_route_is_in_the_authorization_matrix``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from . import _loop_support as loop
from ._support import (
    API,
    L1_ATTITUDE,
    PASSWORD,
    add_attachment_directly,
    api_routes,
    assign,
    error,
    get_ticket,
    new_ticket,
    png_bytes,
    short_sqlite_lock_wait,
)

PERSONAS = ("anonymous", "analyst", "outsider", "owner", "supervisor", "admin")
PUBLIC = frozenset(PERSONAS)
READERS = frozenset(PERSONAS) - {"anonymous"}
WRITERS = READERS - {"analyst"}
OWNER_OR_SUPERVISOR = frozenset({"owner", "supervisor", "admin"})
SUPERVISORS = frozenset({"supervisor", "admin"})
ADMINS = frozenset({"admin"})


@dataclass
class Req:
    method: str
    url: str
    json: Any = None
    files: Any = None
    headers: dict[str, str] | None = None  # replaces the persona's headers (e.g. a throw-away token)


@dataclass
class World:
    client: Any
    ids: dict[str, int]
    emails: dict[str, str]
    headers: dict[str, dict[str, str]]
    ticket_id: int
    attachment_id: int
    customer_id: int
    order_number: str
    product_sku: str
    portal_token: str
    policy_id: int
    policy_body: dict[str, Any]
    calendar_spec: dict[str, Any]
    sqlite: bool = False
    database: Any = None
    clock: Any = None
    settings: Any = None
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def n(self) -> int:
        return next(self.counter)

    def owned_ticket(self) -> int:
        """A fresh ticket owned by ``owner`` (status assigned)."""
        ticket = new_ticket(self.client, self.headers["admin"], L1_ATTITUDE, phone="13900000002")
        assign(self.client, self.headers["admin"], ticket["id"], self.ids["owner"])
        return ticket["id"]

    def resolved_ticket(self) -> int:
        ticket_id = self.owned_ticket()
        response = self.client.post(
            f"{API}/tickets/{ticket_id}/transitions", headers=self.headers["admin"], json={"action": "resolve"}
        )
        assert response.status_code == 200, response.text
        return ticket_id

    def throwaway_headers(self, persona: str) -> dict[str, str]:
        response = self.client.post(f"{API}/auth/token", json={"email": self.emails[persona], "password": PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}


Builder = Callable[[World, str], Req]


def _get(url: str) -> Builder:
    return lambda w, p: Req("GET", url.format(w=w))


def _logout(w: World, persona: str) -> Req:
    # Logging out revokes the token used, so it must not be the persona's working token.
    return Req("POST", f"{API}/auth/logout", headers=None if persona == "anonymous" else w.throwaway_headers(persona))


MATRIX: dict[tuple[str, str], tuple[frozenset[str], Builder]] = {
    # ---------------------------------------------------------------- auth and agents
    ("POST", f"{API}/auth/token"): (
        PUBLIC,
        lambda w, p: Req("POST", f"{API}/auth/token", json={"email": w.emails["member"], "password": PASSWORD}),
    ),
    ("POST", f"{API}/auth/logout"): (READERS, _logout),
    ("GET", f"{API}/me"): (READERS, _get(f"{API}/me")),
    ("GET", f"{API}/agents"): (READERS, _get(f"{API}/agents")),
    ("POST", f"{API}/agents"): (
        ADMINS,
        lambda w, p: Req(
            "POST",
            f"{API}/agents",
            json={
                "email": f"new{w.n()}@brand.example",
                "name": "新同事",
                "password": "long enough password",
                "role": "agent",
                "department": "quality",
            },
        ),
    ),
    # Changing another agent's role is an admin's call.
    ("PATCH", f"{API}/agents/{{agent_id}}"): (
        ADMINS,
        lambda w, p: Req("PATCH", f"{API}/agents/{w.ids['target']}", json={"role": "supervisor"}),
    ),
    # ---------------------------------------------------------------- catalog
    ("GET", f"{API}/customers"): (READERS, _get(f"{API}/customers")),
    ("GET", f"{API}/customers/{{customer_id}}"): (READERS, _get(f"{API}/customers/{{w.customer_id}}")),
    ("POST", f"{API}/customers"): (
        WRITERS,
        lambda w, p: Req("POST", f"{API}/customers", json={"name": "李先生", "phone": f"1370000{w.n():04d}"}),
    ),
    ("GET", f"{API}/products"): (READERS, _get(f"{API}/products")),
    ("POST", f"{API}/products"): (
        SUPERVISORS,
        lambda w, p: Req(
            "POST",
            f"{API}/products",
            json={"sku": f"SKU-NEW-{w.n()}", "name": "酸奶", "category": "yogurt", "cold_chain": True},
        ),
    ),
    ("GET", f"{API}/batches"): (READERS, _get(f"{API}/batches")),
    ("POST", f"{API}/batches"): (
        SUPERVISORS,
        lambda w, p: Req("POST", f"{API}/batches", json={"product_sku": w.product_sku, "code": f"B-{w.n()}"}),
    ),
    ("GET", f"{API}/orders"): (READERS, _get(f"{API}/orders")),
    ("GET", f"{API}/orders/{{number}}"): (READERS, _get(f"{API}/orders/{{w.order_number}}")),
    ("POST", f"{API}/orders"): (
        WRITERS,
        lambda w, p: Req(
            "POST",
            f"{API}/orders",
            json={
                "number": f"ORD-{w.n()}",
                "customer_id": w.customer_id,
                "placed_at": "2026-11-20T10:00:00+08:00",
                "items": [{"product_sku": w.product_sku}],
            },
        ),
    ),
    # ---------------------------------------------------------------- tickets
    ("POST", f"{API}/tickets"): (
        WRITERS,
        lambda w, p: Req(
            "POST",
            f"{API}/tickets",
            json={"description": L1_ATTITUDE, "channel": "web", "customer": {"phone": "13900000003"}},
        ),
    ),
    ("GET", f"{API}/tickets"): (READERS, _get(f"{API}/tickets")),
    ("GET", f"{API}/tickets/{{ticket_id}}"): (READERS, _get(f"{API}/tickets/{{w.ticket_id}}")),
    ("GET", f"{API}/tickets/{{ticket_id}}/sla"): (READERS, _get(f"{API}/tickets/{{w.ticket_id}}/sla")),
    # Only the owner (or a supervisor) changes a ticket's status.
    ("POST", f"{API}/tickets/{{ticket_id}}/transitions"): (
        OWNER_OR_SUPERVISOR,
        lambda w, p: Req("POST", f"{API}/tickets/{w.owned_ticket()}/transitions", json={"action": "start"}),
    ),
    # Moving the owner's ticket to someone else is a supervisor's call.
    ("POST", f"{API}/tickets/{{ticket_id}}/assignment"): (
        SUPERVISORS,
        lambda w, p: Req("POST", f"{API}/tickets/{w.owned_ticket()}/assignment", json={"agent_id": w.ids["member"]}),
    ),
    ("POST", f"{API}/tickets/{{ticket_id}}/collaborators"): (
        WRITERS,
        lambda w, p: Req("POST", f"{API}/tickets/{w.ticket_id}/collaborators", json={"agent_id": w.ids["member"]}),
    ),
    ("POST", f"{API}/tickets/{{ticket_id}}/messages"): (
        WRITERS,
        lambda w, p: Req("POST", f"{API}/tickets/{w.ticket_id}/messages", json={"body": "您好，我们已收到"}),
    ),
    ("POST", f"{API}/tickets/{{ticket_id}}/notes"): (
        WRITERS,
        lambda w, p: Req("POST", f"{API}/tickets/{w.ticket_id}/notes", json={"body": "内部备注"}),
    ),
    ("POST", f"{API}/tickets/{{ticket_id}}/progress"): (
        WRITERS,
        lambda w, p: Req("POST", f"{API}/tickets/{w.ticket_id}/progress", json={"body": "已联系配送员核实"}),
    ),
    ("POST", f"{API}/tickets/{{ticket_id}}/callbacks"): (
        WRITERS,
        lambda w, p: Req(
            "POST", f"{API}/tickets/{w.resolved_ticket()}/callbacks", json={"reached": True, "summary": "客户满意"}
        ),
    ),
    ("POST", f"{API}/tickets/{{ticket_id}}/triage-override"): (
        WRITERS,
        lambda w, p: Req(
            "POST",
            f"{API}/tickets/{w.owned_ticket()}/triage-override",
            json={"category": "suggestion", "reason": "其实是建议"},
        ),
    ),
    ("POST", f"{API}/tickets/{{ticket_id}}/attachments"): (
        WRITERS,
        lambda w, p: Req(
            "POST", f"{API}/tickets/{w.ticket_id}/attachments", files={"file": ("a.png", png_bytes(), "image/png")}
        ),
    ),
    ("GET", f"{API}/tickets/{{ticket_id}}/attachments/{{attachment_id}}"): (
        READERS,
        _get(f"{API}/tickets/{{w.ticket_id}}/attachments/{{w.attachment_id}}"),
    ),
    ("POST", f"{API}/tickets/{{ticket_id}}/customer-link"): (
        WRITERS,
        lambda w, p: Req("POST", f"{API}/tickets/{w.ticket_id}/customer-link"),
    ),
    # ---------------------------------------------------------------- customer portal: the link is the credential
    ("GET", f"{API}/portal/tickets/{{token}}"): (PUBLIC, _get(f"{API}/portal/tickets/{{w.portal_token}}")),
    ("POST", f"{API}/portal/tickets/{{token}}/messages"): (
        PUBLIC,
        lambda w, p: Req("POST", f"{API}/portal/tickets/{w.portal_token}/messages", json={"body": "好的，谢谢"}),
    ),
    ("POST", f"{API}/portal/tickets/{{token}}/attachments"): (
        PUBLIC,
        lambda w, p: Req(
            "POST",
            f"{API}/portal/tickets/{w.portal_token}/attachments",
            files={"file": ("photo.png", png_bytes(), "image/png")},
        ),
    ),
    # ---------------------------------------------------------------- SLA
    ("GET", f"{API}/sla/policies"): (READERS, _get(f"{API}/sla/policies")),
    ("POST", f"{API}/sla/policies"): (
        ADMINS,
        lambda w, p: Req(
            "POST",
            f"{API}/sla/policies",
            json={"name": f"Brand policy {w.n()}", "position": 100000, "targets": {"first_reply": 60}},
        ),
    ),
    ("PUT", f"{API}/sla/policies/{{policy_id}}"): (
        ADMINS,
        lambda w, p: Req("PUT", f"{API}/sla/policies/{w.policy_id}", json=w.policy_body),
    ),
    ("GET", f"{API}/sla/calendars"): (READERS, _get(f"{API}/sla/calendars")),
    ("PUT", f"{API}/sla/calendars/{{name}}"): (
        ADMINS,
        lambda w, p: Req("PUT", f"{API}/sla/calendars/brand-{w.n()}", json={"spec": w.calendar_spec}),
    ),
    ("POST", f"{API}/sla/sweep"): (SUPERVISORS, lambda w, p: Req("POST", f"{API}/sla/sweep")),
    # ---------------------------------------------------------------- resolution actions (money: owner or supervisor)
    ("POST", f"{API}/tickets/{{ticket_id}}/actions"): (
        OWNER_OR_SUPERVISOR,
        lambda w, p: Req("POST", f"{API}/tickets/{w.owned_ticket()}/actions", json={"kind": "reissue"}),
    ),
    ("GET", f"{API}/tickets/{{ticket_id}}/actions"): (READERS, _get(f"{API}/tickets/{{w.ticket_id}}/actions")),
    ("GET", f"{API}/actions"): (READERS, _get(f"{API}/actions?status=requested")),
    ("GET", f"{API}/actions/policies"): (READERS, _get(f"{API}/actions/policies")),
    ("GET", f"{API}/actions/{{action_id}}"): (
        READERS,
        lambda w, p: Req("GET", f"{API}/actions/{loop.approved_action(w)}"),
    ),
    # Approving is a supervisor's call, and never the requester's (the owner requested these).
    ("POST", f"{API}/actions/{{action_id}}/approve"): (
        SUPERVISORS,
        lambda w, p: Req("POST", f"{API}/actions/{loop.requested_action(w)}/approve"),
    ),
    ("POST", f"{API}/actions/{{action_id}}/reject"): (
        SUPERVISORS,
        lambda w, p: Req("POST", f"{API}/actions/{loop.requested_action(w)}/reject", json={"reason": "超出政策"}),
    ),
    ("POST", f"{API}/actions/{{action_id}}/execute"): (
        OWNER_OR_SUPERVISOR,
        lambda w, p: Req("POST", f"{API}/actions/{loop.approved_action(w)}/execute", json={"reference": "SF1"}),
    ),
    ("GET", f"{API}/portal/tickets/{{token}}/actions"): (
        PUBLIC,
        _get(f"{API}/portal/tickets/{{w.portal_token}}/actions"),
    ),
    ("POST", f"{API}/portal/tickets/{{token}}/actions/{{action_id}}/response"): (
        PUBLIC,
        lambda w, p: Req(
            "POST",
            f"{API}/portal/tickets/{w.portal_token}/actions/{loop.portal_action(w)}/response",
            json={"accept": True},
        ),
    ),
    # ---------------------------------------------------------------- callbacks and surveys
    ("GET", f"{API}/callbacks"): (READERS, _get(f"{API}/callbacks?overdue=true")),
    ("POST", f"{API}/callbacks/{{task_id}}/complete"): (
        OWNER_OR_SUPERVISOR,
        lambda w, p: Req(
            "POST", f"{API}/callbacks/{loop.callback_task(w)}/complete", json={"reached": True, "summary": "已回访"}
        ),
    ),
    # The signed survey link is the credential.
    ("GET", f"{API}/surveys/{{token}}"): (PUBLIC, lambda w, p: Req("GET", f"{API}/surveys/{loop.survey_token(w)}")),
    ("POST", f"{API}/surveys/{{token}}"): (
        PUBLIC,
        lambda w, p: Req(
            "POST",
            f"{API}/surveys/{loop.survey_token(w)}",
            json={"speed": 5, "attitude": 5, "result": 5, "nps": 10},
        ),
    ),
    # ---------------------------------------------------------------- webhooks (admins) and the inbox (own items)
    ("GET", f"{API}/webhooks"): (ADMINS, _get(f"{API}/webhooks")),
    ("POST", f"{API}/webhooks"): (
        ADMINS,
        lambda w, p: Req("POST", f"{API}/webhooks", json={"name": "ERP", "url": "http://127.0.0.1:9/hook"}),
    ),
    ("PATCH", f"{API}/webhooks/{{webhook_id}}"): (
        ADMINS,
        lambda w, p: Req(
            "PATCH",
            f"{API}/webhooks/{w.client.post(f'{API}/webhooks', headers=w.headers['admin'], json={'name': 'x', 'url': 'http://127.0.0.1:9/x'}).json()['id']}",
            json={"active": False},
        ),
    ),
    ("GET", f"{API}/webhooks/deliveries"): (ADMINS, _get(f"{API}/webhooks/deliveries?status=dead")),
    ("POST", f"{API}/webhooks/deliveries/{{delivery_id}}/replay"): (
        ADMINS,
        lambda w, p: Req("POST", f"{API}/webhooks/deliveries/{loop.dead_delivery(w)}/replay"),
    ),
    # ---------------------------------------------------------------- the brand's triage rules: admins edit
    ("GET", f"{API}/triage/rules"): (SUPERVISORS, _get(f"{API}/triage/rules")),
    ("PUT", f"{API}/triage/rules"): (ADMINS, lambda w, p: _rules_put(w)),
    ("GET", f"{API}/triage/rules/versions"): (SUPERVISORS, _get(f"{API}/triage/rules/versions")),
    ("GET", f"{API}/inbox"): (READERS, _get(f"{API}/inbox")),
    ("POST", f"{API}/inbox/{{notification_id}}/read"): (
        READERS,
        lambda w, p: Req("POST", f"{API}/inbox/{loop.inbox_item(w, p)}/read"),
    ),
}


def _rules_put(w: World) -> Req:
    """A keyword weight of its own each time, on top of the version in force."""
    version = w.client.get(f"{API}/triage/rules", headers=w.headers["admin"]).json()["version"]
    overlay = {"keywords": {"brand.category.quality": {"怪味": float(w.n() % 20 + 1)}}}
    return Req("PUT", f"{API}/triage/rules", json={"base_version": version, "overlay": overlay})


# ---------------------------------------------------------------- knowledge base and assistant (issue 5)


def _kb_body(w: World) -> dict[str, Any]:
    return {
        "key": f"auth-entry-{w.n()}",
        "intent": "invoice",
        "questions": ["怎么开发票", "发票在哪申请"],
        "answer": "在订单详情页申请电子发票。",
    }


def _kb_entry(w: World) -> int:
    response = w.client.post(f"{API}/kb/entries", headers=w.headers["admin"], json=_kb_body(w))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _kb_put(w: World, p: str) -> Req:
    body = _kb_body(w)
    created = w.client.post(f"{API}/kb/entries", headers=w.headers["admin"], json=body)
    assert created.status_code == 201, created.text
    return Req("PUT", f"{API}/kb/entries/{created.json()['id']}", json={**body, "answer": "新的答案。"})


def _conversation(w: World) -> str:
    response = w.client.post(f"{API}/assistant/conversations", json={})
    assert response.status_code == 201, response.text
    return response.json()["token"]


def _answered(w: World) -> tuple[str, int]:
    token = _conversation(w)
    reply = w.client.post(f"{API}/assistant/conversations/{token}/messages", json={"text": "你好"})
    assert reply.status_code == 200, reply.text
    return token, reply.json()["message_id"]


def _review_item(w: World) -> int:
    token = _conversation(w)
    reply = w.client.post(f"{API}/assistant/conversations/{token}/messages", json={"text": "火星上能收快递吗"})
    assert reply.status_code == 200, reply.text
    items = w.client.get(f"{API}/assistant/review", headers=w.headers["admin"]).json()
    return max(i["id"] for i in items)


def _rating(w: World, p: str) -> Req:
    token, message_id = _answered(w)
    return Req("POST", f"{API}/assistant/conversations/{token}/messages/{message_id}/rating", json={"rating": -1})


MATRIX.update(
    {
        ("GET", f"{API}/kb/entries"): (READERS, _get(f"{API}/kb/entries")),
        ("POST", f"{API}/kb/entries"): (SUPERVISORS, lambda w, p: Req("POST", f"{API}/kb/entries", json=_kb_body(w))),
        ("GET", f"{API}/kb/entries/{{entry_id}}"): (
            READERS,
            lambda w, p: Req("GET", f"{API}/kb/entries/{_kb_entry(w)}"),
        ),
        ("PUT", f"{API}/kb/entries/{{entry_id}}"): (
            SUPERVISORS,
            _kb_put,
        ),
        ("DELETE", f"{API}/kb/entries/{{entry_id}}"): (
            SUPERVISORS,
            lambda w, p: Req("DELETE", f"{API}/kb/entries/{_kb_entry(w)}"),
        ),
        ("GET", f"{API}/kb/entries/{{entry_id}}/versions"): (
            READERS,
            lambda w, p: Req("GET", f"{API}/kb/entries/{_kb_entry(w)}/versions"),
        ),
        ("GET", f"{API}/kb/lookup"): (READERS, _get(f"{API}/kb/lookup?q=发票")),
        # Web chat: the signed conversation token is the credential, like the customer portal's link.
        ("POST", f"{API}/assistant/conversations"): (
            PUBLIC,
            lambda w, p: Req("POST", f"{API}/assistant/conversations", json={"channel": "web"}),
        ),
        ("GET", f"{API}/assistant/conversations/{{token}}"): (
            PUBLIC,
            lambda w, p: Req("GET", f"{API}/assistant/conversations/{_conversation(w)}"),
        ),
        ("POST", f"{API}/assistant/conversations/{{token}}/messages"): (
            PUBLIC,
            lambda w, p: Req(
                "POST", f"{API}/assistant/conversations/{_conversation(w)}/messages", json={"text": "你好"}
            ),
        ),
        ("POST", f"{API}/assistant/conversations/{{token}}/messages/{{message_id}}/rating"): (PUBLIC, _rating),
        # Other channels' integrations and the brand's site back-end use an API token.
        ("POST", f"{API}/assistant/channels/{{channel}}/messages"): (
            WRITERS,
            lambda w, p: Req(
                "POST",
                f"{API}/assistant/channels/wechat/messages",
                json={"conversation_ref": f"wx-{w.n()}", "text": "你好"},
            ),
        ),
        ("POST", f"{API}/assistant/customer-tokens"): (
            WRITERS,
            lambda w, p: Req("POST", f"{API}/assistant/customer-tokens", json={"customer_id": w.customer_id}),
        ),
        ("GET", f"{API}/assistant/review"): (READERS, _get(f"{API}/assistant/review")),
        ("POST", f"{API}/assistant/review/{{item_id}}/convert"): (
            SUPERVISORS,
            lambda w, p: Req(
                "POST",
                f"{API}/assistant/review/{_review_item(w)}/convert",
                json={"new_entry": {**_kb_body(w), "questions": ["火星上能收快递吗", "火星能送货吗", "外星能配送吗"]}},
            ),
        ),
        ("POST", f"{API}/assistant/review/{{item_id}}/dismiss"): (
            SUPERVISORS,
            lambda w, p: Req("POST", f"{API}/assistant/review/{_review_item(w)}/dismiss"),
        ),
        ("GET", f"{API}/tickets/{{ticket_id}}/suggestions"): (
            READERS,
            _get(f"{API}/tickets/{{w.ticket_id}}/suggestions"),
        ),
    }
)


@pytest.fixture
def world(client, database, settings, clock, make_agent, admin, supervisor, analyst) -> World:
    short_sqlite_lock_wait(database)
    ids: dict[str, int] = {}
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    emails: dict[str, str] = {}
    for persona, (role, department) in {
        "owner": ("agent", "customer_service"),
        "member": ("agent", "customer_service"),
        "outsider": ("agent", "logistics"),
        "target": ("agent", "quality"),
    }.items():
        emails[persona] = f"{persona}@brand.example"
        ids[persona], headers[persona] = make_agent(role, department, capacity=100, email=emails[persona])
    ids["admin"], headers["admin"] = admin
    ids["supervisor"], headers["supervisor"] = supervisor
    ids["analyst"], headers["analyst"] = analyst
    emails.update(
        {p: client.get(f"{API}/me", headers=headers[p]).json()["email"] for p in ("admin", "supervisor", "analyst")}
    )
    h = headers["admin"]

    ticket = new_ticket(client, h, L1_ATTITUDE)
    assign(client, h, ticket["id"], ids["owner"])
    attachment_id = add_attachment_directly(database, settings, ticket["id"], clock.now())
    product = client.post(f"{API}/products", headers=h, json={"sku": "SKU-1", "name": "鲜牛奶", "category": "milk"})
    assert product.status_code == 201, product.text
    customer_id = ticket["customer_id"]
    order = client.post(
        f"{API}/orders",
        headers=h,
        json={
            "number": "ORD-0",
            "customer_id": customer_id,
            "placed_at": "2026-11-20T10:00:00+08:00",
            "items": [{"product_sku": "SKU-1"}],
        },
    )
    assert order.status_code == 201, order.text
    link = client.post(f"{API}/tickets/{ticket['id']}/customer-link", headers=h)
    assert link.status_code == 200, link.text
    policy = client.get(f"{API}/sla/policies", headers=h).json()[-1]
    policy_body = {k: v for k, v in policy.items() if k not in ("id", "version", "updated_at")}
    calendar = client.get(f"{API}/sla/calendars", headers=h).json()[0]
    return World(
        client=client,
        ids=ids,
        emails=emails,
        headers=headers,
        ticket_id=ticket["id"],
        attachment_id=attachment_id,
        customer_id=customer_id,
        order_number="ORD-0",
        product_sku="SKU-1",
        portal_token=link.json()["token"],
        policy_id=policy["id"],
        policy_body=policy_body,
        calendar_spec=calendar["spec"],
        sqlite=database.is_sqlite,
        database=database,
        clock=clock,
        settings=settings,
    )


def _send(w: World, persona: str, req: Req) -> Any:
    headers = req.headers if req.headers is not None else w.headers[persona]
    return w.client.request(req.method, req.url, headers=headers, json=req.json, files=req.files)


def test_every_api_route_is_in_the_authorization_matrix(app):
    routes = api_routes(app)
    assert len(routes) >= 35, "route discovery found too little; the helper no longer understands app.routes"
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert not missing, f"routes without an authorization rule: {missing}"
    assert not stale, f"matrix rows for routes that no longer exist: {stale}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_authorization_matrix(world, persona):
    """Allowed personas get a 2xx; others 401 (no token) or 403 (wrong role), never anything else."""
    wrong = []
    for (method, path), (allowed, build) in MATRIX.items():
        response = _send(world, persona, build(world, persona))
        if persona in allowed:
            ok = 200 <= response.status_code < 300
            expected = "2xx"
        elif persona == "anonymous":
            ok = response.status_code == 401 and error(response)["code"] == "unauthorized"
            expected = "401 unauthorized"
        else:
            ok = response.status_code == 403 and error(response)["code"] == "forbidden"
            expected = "403 forbidden"
        if not ok:
            wrong.append(f"{method} {path}: expected {expected}, got {response.status_code} {response.text[:200]}")
    assert not wrong, f"{persona}:\n" + "\n".join(wrong)


def test_refused_writes_change_nothing(world):
    """A 403 is decided before anything is written: no agent, product, policy or assignment appears."""
    w = world
    before_agents = len(w.client.get(f"{API}/agents", headers=w.headers["admin"]).json())
    before_products = len(w.client.get(f"{API}/products", headers=w.headers["admin"]).json())
    before_policies = w.client.get(f"{API}/sla/policies", headers=w.headers["admin"]).json()
    for persona in ("analyst", "owner", "supervisor"):
        assert _send(w, persona, MATRIX[("POST", f"{API}/agents")][1](w, persona)).status_code == 403
        assert _send(w, persona, MATRIX[("POST", f"{API}/sla/policies")][1](w, persona)).status_code == 403
        body = {**w.policy_body, "targets": {"first_reply": 1}}
        r = w.client.put(f"{API}/sla/policies/{w.policy_id}", headers=w.headers[persona], json=body)
        assert r.status_code == 403
    for persona in ("analyst", "owner"):
        assert _send(w, persona, MATRIX[("POST", f"{API}/products")][1](w, persona)).status_code == 403
    assert len(w.client.get(f"{API}/agents", headers=w.headers["admin"]).json()) == before_agents
    assert len(w.client.get(f"{API}/products", headers=w.headers["admin"]).json()) == before_products
    assert w.client.get(f"{API}/sla/policies", headers=w.headers["admin"]).json() == before_policies


def test_agent_upload_works_on_sqlite(world, request):
    """The agents' upload route must not deadlock against its own request's database session."""
    response = _send(world, "owner", MATRIX[("POST", f"{API}/tickets/{{ticket_id}}/attachments")][1](world, "owner"))
    assert response.status_code == 201, response.text


# ---------------------------------------------------------------- tokens


def test_unknown_revoked_and_malformed_tokens_are_refused(world):
    w = world
    for headers in (
        {"Authorization": "Bearer ast_not-a-real-token"},
        {"Authorization": "Basic dXNlcjpwdw=="},
        {"Authorization": "Bearer"},
    ):
        response = w.client.get(f"{API}/me", headers=headers)
        assert response.status_code == 401, (headers, response.text)
    headers = w.throwaway_headers("owner")
    assert w.client.get(f"{API}/me", headers=headers).status_code == 200
    assert w.client.post(f"{API}/auth/logout", headers=headers).status_code == 204
    assert w.client.get(f"{API}/me", headers=headers).status_code == 401
    assert w.client.get(f"{API}/me", headers=w.headers["owner"]).status_code == 200  # other tokens live on


def test_wrong_password_is_refused_naming_the_password(world):
    response = world.client.post(f"{API}/auth/token", json={"email": world.emails["owner"], "password": "wrong!"})
    assert response.status_code == 401
    assert error(response)["field"] == "password"


def test_tokens_expire_after_their_lifetime(world, clock, settings):
    headers = world.throwaway_headers("owner")
    clock.advance(hours=settings.token_ttl_hours + 1)
    assert world.client.get(f"{API}/me", headers=headers).status_code == 401


def test_deactivated_agent_loses_access_at_once(world):
    w = world
    r = w.client.patch(f"{API}/agents/{w.ids['target']}", headers=w.headers["admin"], json={"active": False})
    assert r.status_code == 200, r.text
    headers = w.client.post(f"{API}/auth/token", json={"email": w.emails["target"], "password": PASSWORD})
    assert headers.status_code == 401


def test_unauthenticated_answer_says_how_to_authenticate(client):
    response = client.get(f"{API}/tickets")
    assert response.status_code == 401
    assert response.headers.get("WWW-Authenticate") == "Bearer"


# ---------------------------------------------------------------- agents: who may change whom


def test_agent_can_change_only_their_own_availability(world):
    w = world
    me = w.client.patch(f"{API}/agents/{w.ids['owner']}", headers=w.headers["owner"], json={"available": False})
    assert me.status_code == 200, me.text
    assert me.json()["available"] is False
    other = w.client.patch(f"{API}/agents/{w.ids['member']}", headers=w.headers["owner"], json={"available": False})
    assert other.status_code == 403
    assert (
        w.client.get(f"{API}/agents", headers=w.headers["admin"]).json()[
            [a["id"] for a in w.client.get(f"{API}/agents", headers=w.headers["admin"]).json()].index(w.ids["member"])
        ]["available"]
        is True
    )


SELF_CHANGES = [
    {"role": "admin"},
    {"role": "supervisor"},
    {"capacity": 500},
    {"department": "management"},
    {"skills": ["*"]},
]


def test_agent_cannot_change_their_own_role_or_limits(world):
    w = world
    for change in SELF_CHANGES:
        response = w.client.patch(f"{API}/agents/{w.ids['owner']}", headers=w.headers["owner"], json=change)
        assert response.status_code == 403, change
        assert error(response)["field"] == next(iter(change))
    me = w.client.get(f"{API}/me", headers=w.headers["owner"]).json()
    assert (me["role"], me["capacity"], me["department"], me["skills"]) == ("agent", 100, "customer_service", [])


def test_agent_cannot_change_another_agents_role(world):
    w = world
    response = w.client.patch(f"{API}/agents/{w.ids['member']}", headers=w.headers["owner"], json={"role": "admin"})
    assert response.status_code == 403
    agents = {a["id"]: a for a in w.client.get(f"{API}/agents", headers=w.headers["admin"]).json()}
    assert agents[w.ids["member"]]["role"] == "agent"


def test_supervisor_adjusts_capacity_and_availability_but_not_roles(world):
    w = world
    h = w.headers["supervisor"]
    ok = w.client.patch(f"{API}/agents/{w.ids['member']}", headers=h, json={"capacity": 7, "available": False})
    assert ok.status_code == 200, ok.text
    assert (ok.json()["capacity"], ok.json()["available"]) == (7, False)
    for change in ({"role": "admin"}, {"active": False}, {"password": "a new long password"}):
        assert w.client.patch(f"{API}/agents/{w.ids['member']}", headers=h, json=change).status_code == 403
    promote_self = w.client.patch(f"{API}/agents/{w.ids['supervisor']}", headers=h, json={"role": "admin"})
    assert promote_self.status_code == 403
    assert w.client.get(f"{API}/me", headers=h).json()["role"] == "supervisor"


def test_analyst_cannot_change_even_their_own_availability(world):
    w = world
    response = w.client.patch(
        f"{API}/agents/{w.ids['analyst']}", headers=w.headers["analyst"], json={"available": False}
    )
    assert response.status_code == 403


# ---------------------------------------------------------------- tickets: owner / member / outsider


def test_agent_cannot_assign_ticket_to_someone_else(world):
    w = world
    ticket_id = w.owned_ticket()
    response = w.client.post(
        f"{API}/tickets/{ticket_id}/assignment", headers=w.headers["owner"], json={"agent_id": w.ids["member"]}
    )
    assert response.status_code == 403
    assert error(response)["field"] == "agent_id"
    assert get_ticket(w.client, w.headers["admin"], ticket_id)["assignee_id"] == w.ids["owner"]


def test_agent_cannot_take_a_ticket_someone_else_owns(world):
    w = world
    ticket_id = w.owned_ticket()
    response = w.client.post(
        f"{API}/tickets/{ticket_id}/assignment", headers=w.headers["member"], json={"agent_id": w.ids["member"]}
    )
    assert response.status_code == 403
    auto = w.client.post(f"{API}/tickets/{ticket_id}/assignment", headers=w.headers["member"], json={"auto": True})
    assert auto.status_code == 403
    assert get_ticket(w.client, w.headers["admin"], ticket_id)["assignee_id"] == w.ids["owner"]


def test_agent_can_take_an_unassigned_ticket_for_themselves(world):
    w = world
    ticket_id = w.owned_ticket()
    for persona in ("owner", "member"):  # off shift, so the queue keeps the ticket instead of routing it
        off = w.client.patch(f"{API}/agents/{w.ids[persona]}", headers=w.headers[persona], json={"available": False})
        assert off.status_code == 200
    queued = assign(w.client, w.headers["supervisor"], ticket_id, None)
    assert (queued["status"], queued["assignee_id"]) == ("triaged", None)
    taken = assign(w.client, w.headers["member"], ticket_id, w.ids["member"])
    assert taken["assignee_id"] == w.ids["member"]
    assert taken["status"] == "assigned"


def test_outsider_cannot_change_the_status_of_someone_elses_ticket(world):
    w = world
    ticket_id = w.owned_ticket()
    for persona in ("outsider", "member"):
        response = w.client.post(
            f"{API}/tickets/{ticket_id}/transitions", headers=w.headers[persona], json={"action": "resolve"}
        )
        assert response.status_code == 403, persona
    assert get_ticket(w.client, w.headers["admin"], ticket_id)["status"] == "assigned"
    resolved = w.client.post(
        f"{API}/tickets/{ticket_id}/transitions", headers=w.headers["owner"], json={"action": "resolve"}
    )
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"


def test_analyst_cannot_be_given_a_ticket(world):
    w = world
    ticket_id = w.owned_ticket()
    response = w.client.post(
        f"{API}/tickets/{ticket_id}/assignment", headers=w.headers["admin"], json={"agent_id": w.ids["analyst"]}
    )
    assert response.status_code == 422
    assert error(response)["field"] == "agent_id"
