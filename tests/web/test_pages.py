"""What the pages do: login and sessions, escaping, time zone, queues, ticket actions, portal, dashboard."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api._support import API, PASSWORD, png_bytes

from .conftest import browser_for, csrf_of

HX = {"HX-Request": "true"}


# ---------------------------------------------------------------- login and the session cookie


def test_session_cookie_is_httponly_and_samesite_lax(web):
    client = TestClient(web.app, follow_redirects=False)
    token = csrf_of(client)
    response = client.post(
        "/login", data={"email": web.emails["owner"], "password": PASSWORD, "csrf_token": token, "next": "/app"}
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "as_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_when_configured(settings, clock, database):
    from aftersales.app import create_app

    app = create_app(settings.model_copy(update={"session_cookie_secure": True}), clock=clock, database=database)
    response = TestClient(app).get("/portal/new")
    assert "Secure" in response.headers["set-cookie"]


def test_wrong_password_shows_the_form_again(web):
    client = TestClient(web.app, follow_redirects=False)
    token = csrf_of(client)
    response = client.post("/login", data={"email": web.emails["owner"], "password": "nope", "csrf_token": token})
    assert response.status_code == 401
    assert "邮箱或密码不正确" in response.text
    assert client.get("/app/queue").status_code == 303


def test_login_never_redirects_off_site(web):
    client = TestClient(web.app, follow_redirects=False)
    token = csrf_of(client)
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        response = client.post(
            "/login", data={"email": web.emails["owner"], "password": PASSWORD, "csrf_token": token, "next": target}
        )
        assert response.headers["location"] == "/app/queue", target
        token = csrf_of(client)


def test_logout_revokes_the_token_behind_the_cookie(web):
    client, token = browser_for(web.app, web.emails["owner"])
    stolen = dict(client.cookies)
    assert client.get("/app/queue").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}).headers["location"] == "/login"
    replay = TestClient(web.app, follow_redirects=False, cookies=stolen)
    assert replay.get("/app/queue").status_code == 303  # the old cookie's token is revoked


def test_deactivating_an_agent_ends_their_browser_session(web):
    client = web.browsers["owner"]
    assert client.get("/app/queue").status_code == 200
    response = web.api.patch(f"{API}/agents/{web.ids['owner']}", headers=web.headers["admin"], json={"active": False})
    assert response.status_code == 200
    assert client.get("/app/queue").headers["location"].startswith("/login")


def test_login_is_rate_limited(settings, clock, database):
    from aftersales.app import create_app

    app = create_app(settings.model_copy(update={"login_rate_limit": "3/minute"}), clock=clock, database=database)
    client = TestClient(app, follow_redirects=False)
    token = csrf_of(client)
    codes = [
        client.post("/login", data={"email": "x@y.example", "password": "bad", "csrf_token": token}).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]


# ---------------------------------------------------------------- escaping, language, time zone


def test_customer_text_is_escaped_everywhere(web):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    ticket = web.api.post(
        f"{API}/tickets",
        headers=web.headers["admin"],
        json={"subject": evil, "description": evil, "channel": "web", "customer": {"phone": "13700000009"}},
    ).json()
    token = web.api.post(f"{API}/tickets/{ticket['id']}/customer-link", headers=web.headers["admin"]).json()["token"]
    pages = [
        web.browsers["supervisor"].get("/app/queue?view=open"),
        web.browsers["supervisor"].get(f"/app/tickets/{ticket['id']}"),
        web.browsers["anonymous"].get(f"/portal/t/{token}"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;alert" in page.text


def test_chinese_is_the_default_and_english_is_one_click_away(web):
    client = web.browsers["owner"]
    assert "工单队列" in client.get("/app/queue").text
    switched = client.get("/lang/en?next=/app/queue")
    assert switched.headers["location"] == "/app/queue"
    page = client.get("/app/queue")
    assert "Queues" in page.text and "工单队列" not in page.text
    client.get("/lang/zh")
    assert "工单队列" in client.get("/app/queue").text


def test_times_are_shown_in_the_brand_time_zone(web, settings, clock, database):
    from aftersales.app import create_app

    # The world was built at 02:00 UTC, which is 10:00 in Asia/Shanghai.
    page = web.browsers["owner"].get(f"/app/tickets/{web.ticket_id}")
    assert "2026-11-23 10:00" in page.text and "Asia/Shanghai" in page.text
    utc_app = create_app(settings.model_copy(update={"timezone": "UTC"}), clock=clock, database=database)
    client, _ = browser_for(utc_app, web.emails["owner"])
    page = client.get(f"/app/tickets/{web.ticket_id}")
    assert "2026-11-23 02:00" in page.text and "2026-11-23 10:00" not in page.text


def test_an_unknown_time_zone_stops_start_up():
    from pydantic import ValidationError

    from aftersales.kit.settings import Settings

    with pytest.raises(ValidationError, match="time zone"):
        Settings(timezone="Mars/Olympus_Mons")


# ---------------------------------------------------------------- queues and search


def test_my_queue_lists_my_tickets_with_a_coloured_sla_countdown(web, clock):
    page = web.browsers["owner"].get("/app/queue?view=mine")
    rows = re.findall(r'<tr class="row sla-(\w+)[^"]*" data-href="/app/tickets/(\d+)"', page.text)
    assert ("ok", str(web.ticket_id)) in rows, rows
    assert 'class="cd cd-ok"' in page.text
    clock.advance(hours=30)  # past the L1 reply and resolution targets
    page = web.browsers["owner"].get("/app/queue/rows?view=mine")
    rows = re.findall(r'<tr class="row sla-(\w+)[^"]*" data-href="/app/tickets/(\d+)"', page.text)
    assert ("breached", str(web.ticket_id)) in rows
    assert "已超时" in page.text


def test_other_agents_queue_does_not_show_my_tickets(web):
    page = web.browsers["outsider"].get("/app/queue?view=mine")
    assert f'data-href="/app/tickets/{web.ticket_id}"' not in page.text


def test_search_finds_chinese_words(web):
    page = web.browsers["owner"].get("/app/queue", params={"q": "态度"})
    assert f'data-href="/app/tickets/{web.ticket_id}"' in page.text
    page = web.browsers["owner"].get("/app/queue", params={"q": "冷链温度"})
    assert f'data-href="/app/tickets/{web.ticket_id}"' not in page.text


def test_unknown_queue_is_a_clear_error_not_a_crash(web):
    page = web.browsers["owner"].get("/app/queue?view=everything")
    assert page.status_code == 422 and "unknown queue" in page.text


# ---------------------------------------------------------------- working a ticket


def test_owner_replies_notes_and_resolves_through_htmx(web):
    w = web
    url = f"/app/tickets/{w.ticket_id}"
    reply = w.post("owner", f"{url}/messages", {"body": "您好，已为您补发", "kind": "reply"}, headers=HX)
    assert reply.status_code == 200 and "您好，已为您补发" in reply.text
    note = w.post("owner", f"{url}/messages", {"body": "仓库确认缺货", "kind": "note"}, headers=HX)
    assert "仓库确认缺货" in note.text
    resolved = w.post("owner", f"{url}/transitions", {"action": "resolve"}, headers=HX)
    assert resolved.status_code == 200
    detail = w.api.get(f"{API}/tickets/{w.ticket_id}", headers=w.headers["admin"]).json()
    assert detail["status"] == "resolved"
    kinds = [(e["kind"], e["visibility"]) for e in detail["timeline"]]
    assert ("note", "internal") in kinds and ("message", "public") in kinds
    # The customer's page shows the reply but never the internal note.
    portal = w.browsers["anonymous"].get(f"/portal/t/{w.portal_token}")
    assert "您好，已为您补发" in portal.text and "仓库确认缺货" not in portal.text


def test_an_illegal_move_is_explained_in_the_flash_area(web):
    response = web.post("owner", f"/app/tickets/{web.ticket_id}/transitions", {"action": "close"}, headers=HX)
    assert response.status_code == 409
    assert response.headers["HX-Retarget"] == "#flash"
    assert "close" in response.text and "assigned" in response.text


def test_blank_reply_names_the_field(web):
    response = web.post("owner", f"/app/tickets/{web.ticket_id}/messages", {"body": "   ", "kind": "reply"})
    assert response.status_code == 422 and "body" in response.text


def test_agent_takes_an_unassigned_ticket(web):
    ticket = web.api.post(
        f"{API}/tickets",
        headers=web.headers["admin"],
        # A suggestion goes to the product department, where nobody works in this world: it stays queued.
        json={"description": "建议出小瓶装的鲜奶，一次喝不完", "channel": "web", "customer": {"phone": "13700000011"}},
    ).json()
    assert ticket["assignee_id"] is None and ticket["department"] == "product"
    response = web.post("owner", f"/app/tickets/{ticket['id']}/assignment", {"agent_id": "me"})
    assert response.status_code == 303
    detail = web.api.get(f"{API}/tickets/{ticket['id']}", headers=web.headers["admin"]).json()
    assert detail["assignee_id"] == web.ids["owner"]


def test_triage_correction_only_sends_what_changed(web):
    response = web.post(
        "owner",
        f"/app/tickets/{web.ticket_id}/triage",
        {"category": "service_attitude", "severity": "L2", "department": "customer_service", "reason": "客户情绪激动"},
    )
    assert response.status_code == 303
    detail = web.api.get(f"{API}/tickets/{web.ticket_id}", headers=web.headers["admin"]).json()
    overrides = [e for e in detail["timeline"] if e["kind"] == "triage_override"]
    assert len(overrides) == 1 and overrides[0]["data"]["after"]["severity"] == "L2"
    assert overrides[0]["data"]["before"]["category"] == overrides[0]["data"]["after"]["category"]


def test_photo_previews_inline_on_the_ticket_page(web):
    page = web.browsers["owner"].get(f"/app/tickets/{web.ticket_id}")
    assert f'<img class="thumb" src="/app/tickets/{web.ticket_id}/attachments/{web.attachment_id}"' in page.text
    image = web.browsers["owner"].get(f"/app/tickets/{web.ticket_id}/attachments/{web.attachment_id}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.headers["content-disposition"] == "inline" and image.headers["x-content-type-options"] == "nosniff"


def test_customer_link_opens_the_portal(web):
    response = web.post("owner", f"/app/tickets/{web.ticket_id}/customer-link", headers=HX)
    url = re.search(r'value="(http://testserver/portal/t/[^"]+)"', response.text).group(1)
    portal = TestClient(web.app).get(url)
    assert portal.status_code == 200 and "客户态度" not in portal.text and "#" + str(web.ticket_id) in portal.text


# ---------------------------------------------------------------- customer portal


def _open(client: TestClient, token: str, **fields):
    files = fields.pop("files", None)
    data = {"csrf_token": token, "name": "张女士", "phone": "13800000001", **fields}
    return client.post("/portal/new", data=data, files=files)


def test_customer_opens_a_ticket_with_photo_and_order_number(web):
    client = TestClient(web.app, follow_redirects=False)
    token = csrf_of(client)
    response = _open(
        client,
        token,
        order_number=web.order_number,
        description="收到的牛奶包装破了，漏了一箱",
        files={"photo": ("box.png", png_bytes(4, 4), "image/png")},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/portal/t/") and response.headers["location"].endswith("?new=1")
    page = client.get(response.headers["location"])
    assert "已收到您的申请" in page.text and "收到的牛奶包装破了" in page.text
    photo_url = re.search(r'<img class="thumb" src="([^"]+)"', page.text).group(1)
    assert client.get(photo_url).content == png_bytes(4, 4)
    tickets = web.api.get(f"{API}/tickets", params={"q": "漏了"}, headers=web.headers["admin"]).json()["items"]
    assert len(tickets) == 1
    assert tickets[0]["customer_id"] == web.customer_id and tickets[0]["order_id"] is not None
    assert tickets[0]["category"] == "packaging_damage"


def test_someone_elses_order_number_is_refused_and_nothing_is_written(web):
    client = TestClient(web.app, follow_redirects=False)
    token = csrf_of(client)
    before = len(web.api.get(f"{API}/tickets", headers=web.headers["admin"]).json()["items"])
    response = _open(client, token, phone="13611112222", order_number=web.order_number, description="牛奶坏了")
    assert response.status_code == 422
    assert "order" in response.text and 'value="13611112222"' in response.text  # the form keeps what was typed
    assert len(web.api.get(f"{API}/tickets", headers=web.headers["admin"]).json()["items"]) == before


def test_a_fake_photo_rolls_back_the_whole_ticket(web):
    client = TestClient(web.app, follow_redirects=False)
    token = csrf_of(client)
    before = len(web.api.get(f"{API}/tickets", headers=web.headers["admin"]).json()["items"])
    response = _open(
        client, token, description="假照片测试", files={"photo": ("x.png", b"<html>not a png</html>", "image/png")}
    )
    assert response.status_code == 415
    assert len(web.api.get(f"{API}/tickets", headers=web.headers["admin"]).json()["items"]) == before


def test_opening_tickets_is_rate_limited(settings, clock, database):
    from aftersales.app import create_app

    app = create_app(settings.model_copy(update={"portal_open_rate_limit": "2/minute"}), clock=clock, database=database)
    client = TestClient(app, follow_redirects=False)
    token = csrf_of(client)
    codes = [_open(client, token, description=f"第{i}次：牛奶漏了").status_code for i in range(3)]
    assert codes == [303, 303, 429]


def test_portal_pages_are_rate_limited(settings, clock, database):
    from aftersales.app import create_app

    app = create_app(settings.model_copy(update={"portal_rate_limit": "5/minute"}), clock=clock, database=database)
    client = TestClient(app)
    codes = [client.get("/portal/new").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]


def test_customer_replies_and_adds_a_photo(web):
    client = web.browsers["anonymous"]
    token = web.csrf["anonymous"]
    url = f"/portal/t/{web.portal_token}"
    assert client.post(f"{url}/messages", data={"csrf_token": token, "body": "还没收到补发"}).status_code == 303
    photo = client.post(
        f"{url}/attachments", data={"csrf_token": token}, files={"file": ("a.png", png_bytes(), "image/png")}
    )
    assert photo.status_code == 303
    page = client.get(url)
    assert "还没收到补发" in page.text and page.text.count('<img class="thumb"') == 2


def test_a_forged_link_shows_not_found(web):
    page = web.browsers["anonymous"].get(f"/portal/t/{web.portal_token[:-4]}abcd")
    assert page.status_code == 404 and "invalid or has expired" in page.text


def test_portal_never_shows_internal_attachments(web, database, settings, clock):
    from aftersales.kit.actor import SYSTEM
    from aftersales.tickets import repository, service

    with database.transaction() as db:
        ticket = repository.get(db, web.ticket_id)
        row = service.add_attachment(
            db,
            ticket,
            filename="internal.png",
            content_type="image/png",
            content=png_bytes(2, 2),
            actor=SYSTEM,
            now=clock.now(),
            storage_dir=settings.data_dir / "attachments",
            max_bytes=settings.attachment_max_bytes,
            allowed_types=settings.attachment_types,
            visibility="internal",
        )
        internal_id = row.id
    response = web.browsers["anonymous"].get(f"/portal/t/{web.portal_token}/attachments/{internal_id}")
    assert response.status_code == 404


# ---------------------------------------------------------------- dashboard and admin


def test_dashboard_counts_and_no_invented_satisfaction(web, clock):
    clock.advance(hours=30)
    page = web.browsers["supervisor"].get("/app/dashboard")
    assert page.status_code == 200
    sla = page.text.split('id="panel-sla"', 1)[1].split("</section>", 1)[0]
    assert re.search(r'<a class="kpi breached"[^>]*><b>1</b>', sla), sla
    satisfaction = page.text.split('id="panel-satisfaction"', 1)[1].split("</section>", 1)[0]
    # No survey answered yet: the panel says so and shows no CSAT/NPS figure rather than an estimate.
    assert "<b data-csat>—</b>" in satisfaction and "<b data-nps>—</b>" in satisfaction
    assert "还没有客户作答问卷" in satisfaction and 'class="chart"' not in satisfaction
    assert "/static/vendor/echarts-6.1.0.common.min.js" in page.text


def test_pages_load_scripts_from_the_package_not_a_cdn(web):
    for url in ("/app/queue", "/app/dashboard"):
        page = web.browsers["admin"].get(url).text
        for src in re.findall(r'<script src="([^"]+)"', page):
            assert src.startswith("/static/"), src
            assert web.browsers["admin"].get(src).status_code == 200


def test_supervisor_changes_capacity_but_not_role(web):
    target = web.ids["target"]
    ok = web.post("supervisor", f"/app/admin/agents/{target}", {"capacity": "33", "role": "agent"})
    assert ok.status_code == 303
    refused = web.post("supervisor", f"/app/admin/agents/{target}", {"role": "admin"})
    assert refused.status_code == 403
    agent = next(a for a in web.api.get(f"{API}/agents", headers=web.headers["admin"]).json() if a["id"] == target)
    assert agent["capacity"] == 33 and agent["role"] == "agent"


def test_bad_policy_json_names_the_field(web):
    response = web.post(
        "admin", f"/app/admin/sla/policies/{web.policy_id}", {"name": "x", "conditions": "{not json", "active": "true"}
    )
    assert response.status_code == 422 and "conditions" in response.text


def test_rules_page_shows_the_pack(web):
    page = web.browsers["supervisor"].get("/app/admin/rules")
    assert page.status_code == 200 and "dairy" in page.text and "腹泻" in page.text


def test_every_nav_entry_is_a_page_route(app):
    from aftersales.web.nav import all_items

    from .test_page_authorization import MATRIX

    paths = {path for method, path in MATRIX if method == "GET"}
    assert {item.path for item in all_items()} <= paths


# ---------------------------------------------------------------- query budgets


def _statements(database, fn) -> int:
    from sqlalchemy import event

    count = 0

    def on_execute(*_args) -> None:
        nonlocal count
        count += 1

    event.listen(database.engine, "before_cursor_execute", on_execute)
    try:
        fn()
    finally:
        event.remove(database.engine, "before_cursor_execute", on_execute)
    return count


def test_queue_page_costs_the_same_for_5_or_25_tickets(web, database):
    """No query per row: customers, agents and counts are loaded once per page."""

    def add(n: int) -> None:
        for i in range(n):
            web.api.post(
                f"{API}/tickets",
                headers=web.headers["admin"],
                json={"description": "客服态度太差了", "channel": "web", "customer": {"phone": f"1350000{i:04d}"}},
            )

    client = web.browsers["supervisor"]
    add(5)
    small = _statements(database, lambda: client.get("/app/queue?view=open"))
    add(20)
    large = _statements(database, lambda: client.get("/app/queue?view=open"))
    assert large == small, (small, large)
    assert small <= 20, small


def test_agent_records_a_phone_call_as_a_ticket(web):
    response = web.post(
        "owner",
        "/app/tickets/new",
        {"channel": "phone", "name": "王先生", "phone": "13900000077", "description": "电话反映：喝了牛奶后腹泻"},
    )
    assert response.status_code == 303
    ticket_id = int(response.headers["location"].rsplit("/", 1)[1])
    detail = web.api.get(f"{API}/tickets/{ticket_id}", headers=web.headers["admin"]).json()
    assert detail["channel"] == "phone" and detail["severity"] == "L3"
    assert detail["timeline"][0]["data"]["entered_by_agent"] == web.ids["owner"]
    refused = web.post(
        "owner", "/app/tickets/new", {"channel": "phone", "order_number": "NO-SUCH", "description": "订单问题"}
    )
    assert refused.status_code == 404 and "NO-SUCH" in refused.text and "订单问题" in refused.text


def test_pages_forbid_inline_scripts_and_framing(web):
    page = web.browsers["owner"].get(f"/app/tickets/{web.ticket_id}")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert not re.search(r"<script>|\son[a-z]+=|javascript:", page.text)
