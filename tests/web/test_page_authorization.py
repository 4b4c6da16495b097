"""Who may open which page and send which form — every page route, every persona, both databases.

The matrix lists every route outside /api, /static and the docs; a page added without a row here fails
``test_every_page_route_is_in_the_matrix``. Every POST row is also sent without its CSRF token and must be
refused (``test_every_form_rejects_a_missing_csrf_token``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from api import _loop_support as loop
from api._support import iter_routes, png_bytes

from .conftest import PERSONAS, Web

PUBLIC = frozenset(PERSONAS)
READERS = PUBLIC - {"anonymous"}
WRITERS = READERS - {"analyst"}
OWNER_OR_SUPERVISOR = frozenset({"owner", "supervisor", "admin"})
DASHBOARD = frozenset({"analyst", "supervisor", "admin"})
SUPERVISORS = frozenset({"supervisor", "admin"})
ADMINS = frozenset({"admin"})
NOT_PAGES = ("/api/", "/static", "/docs", "/redoc", "/openapi.json", "/healthz", "/bench")


@dataclass
class Req:
    method: str
    url: str
    data: dict[str, Any] | None = None
    files: Any = None


Builder = Callable[[Web], Req]


def _get(url: str) -> Builder:
    return lambda w: Req("GET", url.format(w=w))


def _post(url: str, data: dict[str, Any] | None = None, files: Any = None) -> Builder:
    return lambda w: Req("POST", url.format(w=w), data=dict(data or {}), files=files)


def _photo() -> dict[str, Any]:
    return {"file": ("photo.png", png_bytes(), "image/png")}


def kb_form(w: Web) -> dict[str, str]:
    n = w.n()
    return {
        "key": f"test.entry{n}",
        "intent": "storage",
        "questions": f"测试问题{n}怎么保存\n测试问题{n}放哪里",
        "answer": "请冷藏保存。",
        "tags": "测试",
    }


def kb_entry(w: Web) -> tuple[int, str]:
    body = kb_form(w)
    data = {**body, "questions": body["questions"].split("\n"), "tags": [body["tags"]]}
    response = w.api.post("/api/v1/kb/entries", headers=w.headers["admin"], json=data)
    assert response.status_code == 201, response.text
    return int(response.json()["id"]), body["key"]


def proposal_response(w: Web) -> Req:
    """A reissue proposed on a fresh ticket of its own, answered through that ticket's customer link."""
    ticket_id = w.owned_ticket()
    token = w.api.post(f"/api/v1/tickets/{ticket_id}/customer-link", headers=w.headers["admin"]).json()["token"]
    body = {"kind": "reissue"}
    action = w.api.post(f"/api/v1/tickets/{ticket_id}/actions", headers=w.headers["admin"], json=body).json()
    return Req("POST", f"/portal/t/{token}/actions/{action['id']}/response", data={"accept": "true"})


def kb_update(w: Web) -> Req:
    entry_id, key = kb_entry(w)
    return Req("POST", f"/app/kb/entries/{entry_id}", data={**kb_form(w), "key": key, "answer": "请 2-6℃ 冷藏。"})


def review_item(w: Web) -> int:
    """An unanswered question in the review queue, written directly (the conversation flow is not under test)."""
    from aftersales.assistant.models import Conversation, ConversationMessage, ReviewItem

    now = w.clock.now()
    with w.database.transaction() as db:
        conversation = Conversation(channel="web", status="open", state={}, created_at=now, updated_at=now)
        db.add(conversation)
        db.flush()
        message = ConversationMessage(
            conversation_id=conversation.id, role="customer", body="火星上能收快递吗", data={}, created_at=now
        )
        db.add(message)
        db.flush()
        item = ReviewItem(
            message_id=message.id, question=message.body, reason="unanswered", status="open", created_at=now
        )
        db.add(item)
        db.flush()
        return int(item.id)


def rules_edit(w: Web) -> Req:
    """One keyword weight set through the rules page's form, on top of the version in force."""
    version = w.api.get("/api/v1/triage/rules", headers=w.headers["admin"]).json()["version"]
    data = {"op": "set_keyword", "base_version": str(version), "category": "quality", "keyword": "怪味"}
    return Req("POST", "/app/admin/rules", data={**data, "weight": str(w.n() % 20 + 1)})


MATRIX: dict[tuple[str, str], tuple[frozenset[str], Builder]] = {
    ("GET", "/"): (PUBLIC, _get("/")),
    ("GET", "/login"): (PUBLIC, _get("/login")),
    ("POST", "/login"): (PUBLIC, lambda w: Req("POST", "/login", data={"email": "nobody@x.example", "password": "x"})),
    ("GET", "/lang/{code}"): (PUBLIC, _get("/lang/en?next=/app/queue")),
    # ---------------------------------------------------------------- workspace
    ("GET", "/app"): (READERS, _get("/app")),
    ("GET", "/app/queue"): (READERS, _get("/app/queue?view=open")),
    ("GET", "/app/queue/rows"): (READERS, _get("/app/queue/rows?view=open")),
    ("GET", "/app/tickets/new"): (WRITERS, _get("/app/tickets/new")),
    ("POST", "/app/tickets/new"): (
        WRITERS,
        _post("/app/tickets/new", {"channel": "phone", "phone": "13900000004", "description": "电话反映：牛奶漏了"}),
    ),
    ("GET", "/app/tickets/{ticket_id}"): (READERS, _get("/app/tickets/{w.ticket_id}")),
    ("GET", "/app/tickets/{ticket_id}/live"): (READERS, _get("/app/tickets/{w.ticket_id}/live")),
    ("GET", "/app/tickets/{ticket_id}/attachments/{attachment_id}"): (
        READERS,
        _get("/app/tickets/{w.ticket_id}/attachments/{w.attachment_id}"),
    ),
    ("POST", "/app/tickets/{ticket_id}/messages"): (
        WRITERS,
        _post("/app/tickets/{w.ticket_id}/messages", {"body": "您好，我们已收到", "kind": "reply"}),
    ),
    ("POST", "/app/tickets/{ticket_id}/transitions"): (
        OWNER_OR_SUPERVISOR,
        lambda w: Req("POST", f"/app/tickets/{w.owned_ticket()}/transitions", data={"action": "start"}),
    ),
    # Moving the owner's ticket to someone else is a supervisor's call, as in the API.
    ("POST", "/app/tickets/{ticket_id}/assignment"): (
        SUPERVISORS,
        lambda w: Req("POST", f"/app/tickets/{w.owned_ticket()}/assignment", data={"agent_id": str(w.ids["member"])}),
    ),
    ("POST", "/app/tickets/{ticket_id}/collaborators"): (
        WRITERS,
        lambda w: Req("POST", f"/app/tickets/{w.ticket_id}/collaborators", data={"agent_id": str(w.ids["member"])}),
    ),
    ("POST", "/app/tickets/{ticket_id}/triage"): (
        WRITERS,
        lambda w: Req(
            "POST", f"/app/tickets/{w.owned_ticket()}/triage", data={"category": "suggestion", "reason": "其实是建议"}
        ),
    ),
    ("POST", "/app/tickets/{ticket_id}/attachments"): (
        WRITERS,
        lambda w: Req("POST", f"/app/tickets/{w.ticket_id}/attachments", files=_photo()),
    ),
    ("POST", "/app/tickets/{ticket_id}/customer-link"): (WRITERS, _post("/app/tickets/{w.ticket_id}/customer-link")),
    # ---------------------------------------------------------------- dashboard and admin
    ("GET", "/app/dashboard"): (DASHBOARD, _get("/app/dashboard")),
    ("GET", "/app/dashboard/panels"): (DASHBOARD, _get("/app/dashboard/panels")),
    ("GET", "/app/admin/agents"): (SUPERVISORS, _get("/app/admin/agents")),
    ("POST", "/app/admin/agents"): (
        ADMINS,
        lambda w: Req(
            "POST",
            "/app/admin/agents",
            data={
                "email": f"new{w.n()}@brand.example",
                "name": "新同事",
                "password": "long enough password",
                "role": "agent",
                "department": "quality",
                "skills": "quality, cold_chain",
                "capacity": "8",
            },
        ),
    ),
    ("POST", "/app/admin/agents/{agent_id}"): (
        SUPERVISORS,
        lambda w: Req("POST", f"/app/admin/agents/{w.ids['target']}", data={"capacity": str(20 + w.n())}),
    ),
    ("GET", "/app/admin/sla"): (SUPERVISORS, _get("/app/admin/sla")),
    ("POST", "/app/admin/sla/policies"): (
        ADMINS,
        lambda w: Req(
            "POST",
            "/app/admin/sla/policies",
            data={"name": f"Brand policy {w.n()}", "position": "100000", "target_first_reply": "60", "active": "true"},
        ),
    ),
    ("POST", "/app/admin/sla/policies/{policy_id}"): (
        ADMINS,
        lambda w: Req(
            "POST",
            f"/app/admin/sla/policies/{w.policy_id}",
            data={"name": f"Edited {w.n()}", "position": "99999", "target_first_reply": "45", "active": "true"},
        ),
    ),
    ("POST", "/app/admin/sla/calendars"): (
        ADMINS,
        lambda w: Req("POST", "/app/admin/sla/calendars", data={"name": f"brand-{w.n()}", "spec": '{"mode": "24x7"}'}),
    ),
    ("GET", "/app/admin/rules"): (SUPERVISORS, _get("/app/admin/rules")),
    ("POST", "/app/admin/rules"): (ADMINS, lambda w: rules_edit(w)),
    ("GET", "/app/admin/webhooks"): (ADMINS, _get("/app/admin/webhooks")),
    ("POST", "/app/admin/webhooks"): (
        ADMINS,
        lambda w: Req("POST", "/app/admin/webhooks", data={"name": f"ERP {w.n()}", "url": "http://127.0.0.1:9/hook"}),
    ),
    ("POST", "/app/admin/webhooks/deliveries/{delivery_id}/replay"): (
        ADMINS,
        lambda w: Req("POST", f"/app/admin/webhooks/deliveries/{loop.dead_delivery(w)}/replay"),
    ),
    # ---------------------------------------------------------------- customer portal: the link is the credential
    ("GET", "/portal/new"): (PUBLIC, _get("/portal/new")),
    ("POST", "/portal/new"): (
        PUBLIC,
        lambda w: Req(
            "POST", "/portal/new", data={"phone": f"1390000{w.n():04d}", "description": "牛奶包装破了，漏了一箱"}
        ),
    ),
    ("GET", "/portal/t/{token}"): (PUBLIC, _get("/portal/t/{w.portal_token}")),
    ("GET", "/portal/t/{token}/live"): (PUBLIC, _get("/portal/t/{w.portal_token}/live")),
    ("POST", "/portal/t/{token}/messages"): (PUBLIC, _post("/portal/t/{w.portal_token}/messages", {"body": "好的"})),
    ("POST", "/portal/t/{token}/attachments"): (
        PUBLIC,
        lambda w: Req("POST", f"/portal/t/{w.portal_token}/attachments", files=_photo()),
    ),
    ("GET", "/portal/t/{token}/attachments/{attachment_id}"): (
        PUBLIC,
        _get("/portal/t/{w.portal_token}/attachments/{w.attachment_id}"),
    ),
    # ---------------------------------------------------------------- resolution actions, approvals, assistant
    ("POST", "/app/tickets/{ticket_id}/actions"): (
        OWNER_OR_SUPERVISOR,
        lambda w: Req("POST", f"/app/tickets/{w.owned_ticket()}/actions", data={"kind": "reissue"}),
    ),
    # The owner requested these, so a supervisor deciding is not deciding their own request (four-eyes).
    ("POST", "/app/actions/{action_id}/approve"): (
        SUPERVISORS,
        lambda w: Req("POST", f"/app/actions/{loop.requested_action(w)}/approve"),
    ),
    ("POST", "/app/actions/{action_id}/reject"): (
        SUPERVISORS,
        lambda w: Req("POST", f"/app/actions/{loop.requested_action(w)}/reject", data={"reason": "超出政策"}),
    ),
    ("POST", "/app/actions/{action_id}/execute"): (
        OWNER_OR_SUPERVISOR,
        lambda w: Req("POST", f"/app/actions/{loop.approved_action(w)}/execute", data={"reference": "SF1"}),
    ),
    ("GET", "/app/approvals"): (SUPERVISORS, _get("/app/approvals")),
    ("GET", "/app/tickets/{ticket_id}/suggestions"): (READERS, _get("/app/tickets/{w.ticket_id}/suggestions")),
    ("GET", "/app/kb/lookup"): (READERS, _get("/app/kb/lookup?q=怎么退货")),
    ("GET", "/app/callbacks"): (READERS, _get("/app/callbacks")),
    ("POST", "/app/callbacks/{task_id}/complete"): (
        OWNER_OR_SUPERVISOR,
        lambda w: Req(
            "POST", f"/app/callbacks/{loop.callback_task(w)}/complete", data={"reached": "true", "summary": "已回访"}
        ),
    ),
    ("GET", "/app/callbacks/rows"): (READERS, _get("/app/callbacks/rows?mine=true")),
    ("GET", "/app/inbox"): (READERS, _get("/app/inbox")),
    ("GET", "/app/inbox/items"): (READERS, _get("/app/inbox/items")),
    ("GET", "/app/inbox/count"): (READERS, _get("/app/inbox/count")),
    # Each persona marks an item of their own inbox (someone else's answers 404, as in the API).
    ("POST", "/app/inbox/{notification_id}/read"): (
        READERS,
        lambda w: Req("POST", f"/app/inbox/{loop.inbox_item(w, w.persona)}/read"),
    ),
    ("POST", "/portal/t/{token}/actions/{action_id}/response"): (PUBLIC, lambda w: proposal_response(w)),
    # ---------------------------------------------------------------- knowledge base: everyone reads, supervisors edit
    ("GET", "/app/kb"): (READERS, _get("/app/kb?q=保存")),
    ("GET", "/app/kb/entries/new"): (SUPERVISORS, _get("/app/kb/entries/new?question=怎么保存")),
    ("GET", "/app/kb/entries/{entry_id}"): (READERS, lambda w: Req("GET", f"/app/kb/entries/{kb_entry(w)[0]}")),
    ("POST", "/app/kb/entries"): (SUPERVISORS, lambda w: Req("POST", "/app/kb/entries", data=kb_form(w))),
    ("POST", "/app/kb/entries/{entry_id}"): (SUPERVISORS, lambda w: kb_update(w)),
    ("POST", "/app/kb/review/{item_id}/convert"): (
        SUPERVISORS,
        lambda w: Req("POST", f"/app/kb/review/{review_item(w)}/convert", data={"add_to_key": kb_entry(w)[1]}),
    ),
    ("POST", "/app/kb/review/{item_id}/dismiss"): (
        SUPERVISORS,
        lambda w: Req("POST", f"/app/kb/review/{review_item(w)}/dismiss"),
    ),
    # ---------------------------------------------------------------- the survey: the signed link is the credential
    ("GET", "/portal/s/{token}"): (PUBLIC, lambda w: Req("GET", f"/portal/s/{loop.survey_token(w)}")),
    ("POST", "/portal/s/{token}"): (
        PUBLIC,
        lambda w: Req(
            "POST",
            f"/portal/s/{loop.survey_token(w)}",
            data={"speed": "5", "attitude": "5", "result": "4", "nps": "9", "comment": "很满意"},
        ),
    ),
    # The assistant's chat widget and its stand-alone page are public, like the portal.
    ("GET", "/assistant/widget.js"): (PUBLIC, _get("/assistant/widget.js")),
    ("GET", "/assistant/chat"): (PUBLIC, _get("/assistant/chat")),
    # Last: logging out ends the persona's session for the rows after it.
    ("POST", "/logout"): (PUBLIC, _post("/logout")),
}


def page_routes(app: Any) -> set[tuple[str, str]]:
    return {(m, p) for m, p in iter_routes(app.routes) if not p.startswith(NOT_PAGES)}


def send(w: Web, persona: str, req: Req, *, csrf: bool = True) -> Any:
    client = w.browsers[persona]
    if req.method == "GET":
        return client.get(req.url)
    data = dict(req.data or {})
    if csrf:
        data["csrf_token"] = w.csrf[persona]
    return client.post(req.url, data=data, files=req.files)


def test_every_page_route_is_in_the_matrix(app):
    routes = page_routes(app)
    assert len(routes) >= 30, "route discovery found too little; the helper no longer understands app.routes"
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert not missing, f"page routes without an authorization rule: {missing}"
    assert not stale, f"matrix rows for page routes that no longer exist: {stale}"


def _outcome(response: Any) -> str:
    location = response.headers.get("location", "")
    if response.status_code == 303 and location.startswith("/login") and "next=" in location:
        return "login"
    if response.status_code == 303 and location == "/login":
        return "login-or-done"  # POST /logout lands here too
    if response.status_code == 403:
        return "forbidden"
    if response.status_code in (200, 201, 204, 303):
        return "ok"
    return f"status {response.status_code}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_page_authorization_matrix(web, persona):
    """Allowed personas get the page or their redirect; others the login page (anonymous) or 403."""
    wrong = []
    web.persona = persona
    for (method, path), (allowed, build) in MATRIX.items():
        response = send(web, persona, build(web))
        outcome = _outcome(response)
        if persona in allowed:
            ok = outcome in ("ok", "login-or-done") and not (path == "/login" and method == "POST")
            if path == "/login" and method == "POST":
                ok = response.status_code == 401  # a wrong password, answered with the form again
        elif persona == "anonymous":
            ok = outcome in ("login", "login-or-done")
        else:
            ok = outcome == "forbidden"
        if not ok:
            wrong.append(f"{method} {path}: got {response.status_code} {response.headers.get('location', '')}")
    assert not wrong, f"{persona}:\n" + "\n".join(wrong)


def test_every_form_rejects_a_missing_csrf_token(web):
    """Every POST route, sent by someone allowed to use it but without the CSRF token, is refused — and
    nothing is written (the ticket's timeline and the agent list stay as they were)."""
    ticket_url = f"/api/v1/tickets/{web.ticket_id}"
    before_timeline = len(web.api.get(ticket_url, headers=web.headers["admin"]).json()["timeline"])
    before_agents = len(web.api.get("/api/v1/agents", headers=web.headers["admin"]).json())
    posts = [(key, rule) for key, rule in MATRIX.items() if key[0] == "POST"]
    assert len(posts) >= 15
    wrong = []
    for (method, path), (allowed, build) in posts:
        persona = "admin" if "admin" in allowed else sorted(allowed)[0]
        web.persona = persona
        response = send(web, persona, build(web), csrf=False)
        if response.status_code != 403 or "security token" not in response.text:
            wrong.append(f"{method} {path} as {persona}: {response.status_code}")
        forged = build(web)
        forged.data = {**(forged.data or {}), "csrf_token": "forged-" + web.csrf[persona][7:]}
        response = send(web, persona, forged, csrf=False)
        if response.status_code != 403:
            wrong.append(f"{method} {path} as {persona} with a forged token: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    after = web.api.get(f"/api/v1/tickets/{web.ticket_id}", headers=web.headers["admin"]).json()["timeline"]
    assert len(after) == before_timeline
    assert len(web.api.get("/api/v1/agents", headers=web.headers["admin"]).json()) == before_agents


def test_htmx_requests_pass_the_token_in_a_header(web):
    client = web.browsers["owner"]
    url = f"/app/tickets/{web.ticket_id}/messages"
    body = {"body": "通过 HTMX 发送", "kind": "note"}
    refused = client.post(url, data=body, headers={"HX-Request": "true"})
    assert refused.status_code == 403
    assert refused.headers["HX-Retarget"] == "#flash"
    accepted = client.post(url, data=body, headers={"HX-Request": "true", "X-CSRF-Token": web.csrf["owner"]})
    assert accepted.status_code == 200, accepted.text
    assert "通过 HTMX 发送" in accepted.text
