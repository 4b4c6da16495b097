"""The workspace and the portal in a real headless Chromium, against the real app served by uvicorn.

Skipped, with the reason shown, where /usr/bin/chromium (Debian package `chromium`) is missing — unless
AFTERSALES_REQUIRE_BROWSER=1 (CI), where that is a failure. Playwright drives the system Chromium; its own
browser download is never used.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api._support import API, PASSWORD, assign, png_bytes

from .conftest import Web

CHROMIUM = "/usr/bin/chromium"
REQUIRE = os.environ.get("AFTERSALES_REQUIRE_BROWSER") == "1"
# The browser flows exercise pages, not the database: SQLite alone keeps them quick.
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
POLL_MS = 20_000  # longer than the pages' polling intervals (5 s ticket, 10 s portal)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    reason = None
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} not installed (apt-get install chromium fonts-wqy-microhei)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:
            reason = f"playwright is not installed: {exc}"
    if reason:
        if REQUIRE:
            pytest.fail(f"browser required (AFTERSALES_REQUIRE_BROWSER=1): {reason}")
        pytest.skip(reason)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def base_url(web: Web) -> Iterator[str]:
    from aftersales.web.live_server import live_server

    with live_server(web.app) as url:
        yield url


def test_agent_works_a_ticket_from_queue_to_resolution(chromium, web, base_url):
    context = chromium.new_context(viewport={"width": 1366, "height": 860}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{base_url}/app/queue")
    page.wait_for_url("**/login?next=**")
    page.fill("input[name=email]", web.emails["owner"])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/app/queue")
    row = page.locator(f'#queue-rows tr[data-href="/app/tickets/{web.ticket_id}"]')
    assert row.is_visible()
    assert "cd-ok" in row.locator(".cd").get_attribute("class")

    # Keyboard: j selects the first row, Enter opens it.
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/app/tickets/{web.ticket_id}")
    assert page.locator("#ticket-status").inner_text().startswith("已分配")

    # r picks "reply", the text goes in, Ctrl+Enter sends it without a page load.
    page.evaluate("window.__same_page = true")
    page.keyboard.press("r")
    page.keyboard.type("您好，已为您安排补发，预计明天送达。")
    page.keyboard.press("Control+Enter")
    page.locator("#timeline .k-message.a-agent", has_text="已为您安排补发").wait_for()
    assert page.locator("#ticket-status").inner_text().startswith("处理中")  # the first reply starts work
    page.keyboard.press("n")
    page.keyboard.type("仓库已确认库存")
    page.keyboard.press("Control+Enter")
    page.locator("#timeline .k-note", has_text="仓库已确认库存").wait_for()

    # The customer answers through their link; the open page shows it without a reload.
    answer = web.api.post(f"{API}/portal/tickets/{web.portal_token}/messages", json={"body": "好的，谢谢你们"})
    assert answer.status_code == 201
    page.locator("#timeline .k-message.a-customer", has_text="好的，谢谢你们").wait_for(timeout=POLL_MS)

    # e resolves.
    page.keyboard.press("e")
    page.locator("#ticket-status", has_text="已解决").wait_for()
    assert page.evaluate("window.__same_page") is True, "the page reloaded; actions must swap in place"
    detail = web.api.get(f"{API}/tickets/{web.ticket_id}", headers=web.headers["admin"]).json()
    assert detail["status"] == "resolved"
    assert not errors, errors
    context.close()


def test_customer_opens_follows_and_answers_a_ticket_on_a_phone(chromium, web, base_url):
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    page.goto(f"{base_url}/portal/new")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the form scrolls sideways on a phone"
    page.fill("input[name=name]", "张女士")
    page.fill("input[name=phone]", "13800000001")
    page.fill("input[name=order_number]", web.order_number)
    page.fill("textarea[name=description]", "今天收到的鲜牛奶盒子破了，漏了一地")
    page.set_input_files(
        "input[name=photo]", files=[{"name": "box.png", "mimeType": "image/png", "buffer": png_bytes(16, 12)}]
    )
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/t/**")
    assert "已收到您的申请" in page.inner_text("body")
    page.locator("img.thumb").wait_for()
    assert page.eval_on_selector("img.thumb", "img => img.complete && img.naturalWidth === 16")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    token = re.search(r"/portal/t/([^?]+)", page.url).group(1)
    ticket = web.api.get(f"{API}/portal/tickets/{token}").json()
    detail = web.api.get(f"{API}/tickets/{ticket['id']}", headers=web.headers["admin"]).json()
    assert detail["order_id"] is not None and detail["customer_id"] == web.customer_id

    # The customer adds a detail.
    page.fill("textarea[name=body]", "批次号是 B20261120")
    page.click("form[action$='/messages'] button[type=submit]")
    page.locator(".portal-timeline .a-customer", has_text="B20261120").wait_for()

    # An agent posts progress; the customer's open page shows it without a reload.
    progress = web.api.post(
        f"{API}/tickets/{ticket['id']}/progress", headers=web.headers["admin"], json={"body": "已联系配送员核实"}
    )
    assert progress.status_code == 201
    page.locator("#portal-live", has_text="已联系配送员核实").wait_for(timeout=POLL_MS)

    # The agent arranges a reissue and resolves the case; the outbox dispatcher schedules the callback and
    # the survey, as it does in production.
    assign(web.api, web.headers["admin"], ticket["id"], web.ids["owner"])
    reissue = web.api.post(
        f"{API}/tickets/{ticket['id']}/actions", headers=web.headers["admin"], json={"kind": "reissue"}
    )
    assert reissue.status_code == 201, reissue.text
    resolved = web.api.post(
        f"{API}/tickets/{ticket['id']}/transitions", headers=web.headers["admin"], json={"action": "resolve"}
    )
    assert resolved.status_code == 200, resolved.text
    _drain_outbox(web)
    page.reload()
    assert "正在为您补发" in page.locator("#portal-actions").inner_text()  # the action in plain Chinese

    # She rates the service through the survey link, still on the phone.
    # The assistant's chat sits on the portal as a small button; a tap opens the conversation.
    page.click(".as-chat .as-head")
    page.locator(".as-chat .as-bot").first.wait_for()
    page.click(".as-chat .as-head")
    page.click("[data-survey-link]")
    page.wait_for_url("**/portal/s/**")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for field, score in (("speed", 5), ("attitude", 5), ("result", 4)):
        page.check(f"input[name={field}][value='{score}']")
    page.check("input[name=nps][value='9']")
    page.fill("textarea[name=comment]", "补发很快，谢谢")
    page.click("button[type=submit]")
    page.locator("[data-survey-done]", has_text="感谢您的评价").wait_for()
    timeline = web.api.get(f"{API}/tickets/{ticket['id']}", headers=web.headers["admin"]).json()["timeline"]
    [answer] = [e for e in timeline if e["kind"] == "survey" and "推荐意愿" in (e["body"] or "")]
    assert "推荐意愿 9" in answer["body"] and "补发很快" in answer["body"]
    page.go_back()
    page.reload()
    assert page.locator("[data-survey-answered]").is_visible()  # a second answer is not offered
    context.close()


def _drain_outbox(web: Web) -> None:
    from aftersales.events.dispatcher import Dispatcher

    dispatcher = Dispatcher(web.app.state.db, web.app.state.clock, web.app.state.settings)
    try:
        dispatcher.run_until_idle()
    finally:
        dispatcher.close()


def _log_in(page: Any, base_url: str, email: str, target: str) -> None:
    page.goto(f"{base_url}/login?next={target}")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{target}")


def test_supervisor_approves_an_action_above_the_agents_limit(chromium, web, base_url):
    agent_context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    agent = agent_context.new_page()
    errors: list[str] = []
    agent.on("pageerror", lambda exc: errors.append(str(exc)))
    _log_in(agent, base_url, web.emails["owner"], f"/app/tickets/{web.ticket_id}")
    form = agent.locator("form.res-form")
    form.locator("select[name=kind]").select_option("compensation")
    assert form.locator("select[name=refund_mode]").is_hidden()  # only the chosen kind's fields show
    form.locator("select[name=compensation_type]").select_option("coupon")
    form.locator("input[name=amount]").fill("300")
    form.locator("[data-request-action]").click()
    agent.locator("#actions-card [data-status=requested]").wait_for()
    assert "等待审批" in agent.locator("#actions-card").inner_text()
    [action] = web.api.get(f"{API}/tickets/{web.ticket_id}/actions", headers=web.headers["admin"]).json()
    assert (action["status"], action["amount"]) == ("requested", "300.00")

    boss_context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    boss = boss_context.new_page()
    _log_in(boss, base_url, web.emails["supervisor"], "/app/approvals")
    row = boss.locator(f"#approvals tr[data-action-id='{action['id']}']")
    assert "300" in row.inner_text()
    row.locator("[data-approve]").click()
    boss.wait_for_url("**/app/approvals")
    assert boss.locator(f"#approvals tr[data-action-id='{action['id']}']").count() == 0
    assert web.api.get(f"{API}/actions/{action['id']}", headers=web.headers["admin"]).json()["status"] == "approved"

    # The agent records the coupon as issued; the customer's wording follows.
    agent.reload()
    card = agent.locator("#actions-card")
    card.locator("input[name=reference]").fill("CP-300")
    card.locator("[data-execute]").click()
    agent.locator("#actions-card [data-status=executed]").wait_for()
    assert "优惠券¥300.00已发放" in agent.locator("#actions-card").inner_text()
    assert not errors, errors
    agent_context.close()
    boss_context.close()


def test_supervisor_dashboard_draws_its_charts_under_the_content_security_policy(chromium, web, base_url):
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(f"{base_url}/login?next=/app/dashboard")
    page.fill("input[name=email]", web.emails["supervisor"])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/app/dashboard")
    page.locator("#panel-backlog .chart svg").wait_for()
    page.locator("#panel-flow .chart svg").wait_for()
    satisfaction = page.locator("#panel-satisfaction").inner_text()
    assert "CSAT" in satisfaction and "NPS" in satisfaction and "暂无数据" not in satisfaction
    # English is one click away and keeps the page.
    page.click("text=EN")
    page.wait_for_url("**/app/dashboard")
    assert "Dashboard" in page.inner_text("h1")
    assert not violations, violations
    context.close()


def test_inbox_and_callbacks_update_without_a_reload(chromium, web, base_url):
    """A customer's decline reaches the owner's open inbox page and its unread badge, and a new callback the
    callbacks page, by polling alone; a half-typed call summary survives the polls."""
    from api import _loop_support as loop

    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.clock.install()  # the polls run on timers: fast-forward them instead of waiting 10 s each
    _log_in(page, base_url, web.emails["owner"], "/app/inbox")
    page.clock.run_for(1_000)
    unread_before = page.locator(".nav-badge").inner_text().strip()

    ticket_id = web.owned_ticket()
    token = web.api.post(f"{API}/tickets/{ticket_id}/customer-link", headers=web.headers["admin"]).json()["token"]
    action = web.api.post(f"{API}/tickets/{ticket_id}/actions", headers=web.headers["owner"], json={"kind": "reissue"})
    url = f"{API}/portal/tickets/{token}/actions/{action.json()['id']}/response"
    assert web.api.post(url, json={"accept": False, "note": "想直接退款"}).status_code == 200
    _drain_outbox(web)
    page.clock.run_for(11_000)
    page.locator("#inbox li", has_text=f"客户不接受工单 #{ticket_id} 的补发方案").wait_for(timeout=POLL_MS)
    page.locator(".nav-badge [data-unread]").wait_for(timeout=POLL_MS)
    assert page.locator(".nav-badge").inner_text().strip() != unread_before

    page.goto(f"{base_url}/app/callbacks")
    first = loop.callback_task(web)
    page.clock.run_for(11_000)
    row = page.locator(f"#callback-rows tr[data-task-id='{first}']")
    row.wait_for(timeout=POLL_MS)
    row.locator("input[name=summary]").fill("客户说补发已收到，")
    second = loop.callback_task(web)
    page.clock.run_for(11_000)
    page.wait_for_timeout(500)
    assert page.locator(f"#callback-rows tr[data-task-id='{second}']").count() == 0  # not swapped while typing
    assert row.locator("input[name=summary]").input_value() == "客户说补发已收到，"
    row.locator("input[name=summary]").fill("")
    page.locator("h1").click()
    page.clock.run_for(11_000)
    page.locator(f"#callback-rows tr[data-task-id='{second}']").wait_for(timeout=POLL_MS)
    context.close()
