"""The pages of the resolution loop: actions on the ticket page with their policies and four-eyes, the approvals
queue, callbacks, the inbox, the assistant's suggestions, the survey page and the dashboard's CSAT/NPS panel."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from aftersales.web.dashboard import nps_score, satisfaction_trend
from api import _loop_support as loop
from api._support import API

HX = {"HX-Request": "true"}


def _actions(web, ticket_id: int) -> list[dict]:
    return web.api.get(f"{API}/tickets/{ticket_id}/actions", headers=web.headers["admin"]).json()


def test_agent_requests_an_action_above_their_limit_and_a_supervisor_approves_it(web):
    ticket_id = web.owned_ticket()
    body = {"kind": "compensation", "compensation_type": "coupon", "amount": "300", "refund_mode": "full"}
    response = web.post("owner", f"/app/tickets/{ticket_id}/actions", body, headers=HX)
    assert response.status_code == 200, response.text
    # refund_mode belongs to refunds: the page drops it instead of sending the API a contradictory body.
    [action] = _actions(web, ticket_id)
    assert (action["status"], action["amount"], action["kind"]) == ("requested", "300.00", "compensation")
    assert "待审批" in response.text and "等待审批" in response.text

    queue = web.browsers["supervisor"].get("/app/approvals")
    assert queue.status_code == 200
    assert f'data-action-id="{action["id"]}"' in queue.text

    approved = web.post("supervisor", f"/app/actions/{action['id']}/approve", {"back": "approvals"})
    assert approved.status_code == 303 and approved.headers["location"] == "/app/approvals"
    assert _actions(web, ticket_id)[0]["status"] == "approved"
    assert f'data-action-id="{action["id"]}"' not in web.browsers["supervisor"].get("/app/approvals").text

    executed = web.post("owner", f"/app/actions/{action['id']}/execute", {"reference": "CP-88"}, headers=HX)
    assert executed.status_code == 200, executed.text
    assert _actions(web, ticket_id)[0]["result"] == {"reference": "CP-88"}
    assert "CP-88" in executed.text


def test_the_requester_sees_why_they_cannot_approve_their_own_action(web):
    ticket_id = web.owned_ticket()
    # Above the supervisor's own limit (2000), so it waits — and not for its requester.
    web.post("supervisor", f"/app/tickets/{ticket_id}/actions", {"kind": "compensation", "compensation_type":
             "amount", "amount": "2500"})  # fmt: skip
    [action] = _actions(web, ticket_id)
    assert action["status"] == "requested"
    page = web.browsers["supervisor"].get(f"/app/tickets/{ticket_id}")
    assert "双人复核" in page.text and "data-four-eyes" in page.text
    block = page.text.split(f'data-action-id="{action["id"]}"')[1].split("res-form")[0]
    assert "data-approve" not in block
    # And the server refuses it too, naming the four-eyes rule, whatever the page shows.
    refused = web.post("supervisor", f"/app/actions/{action['id']}/approve", headers=HX)
    assert refused.status_code == 403
    assert "[four_eyes]" in refused.text
    assert _actions(web, ticket_id)[0]["status"] == "requested"
    # The admin, whose limit covers it, approves it from the queue.
    assert web.post("admin", f"/app/actions/{action['id']}/approve", {"back": "approvals"}).status_code == 303
    assert _actions(web, ticket_id)[0]["status"] == "approved"


def test_a_policy_refusal_names_the_policy_and_writes_nothing(web):
    ticket_id = web.owned_ticket()
    body = {"kind": "refund", "refund_mode": "full", "refund_before_return": "true"}
    refused = web.post("owner", f"/app/tickets/{ticket_id}/actions", body, headers=HX)
    assert refused.status_code == 422
    assert refused.headers["HX-Retarget"] == "#flash"
    assert "[refund_before_return]" in refused.text
    assert _actions(web, ticket_id) == []


def test_a_bad_amount_is_named_not_a_500(web):
    ticket_id = web.owned_ticket()
    body = {"kind": "compensation", "compensation_type": "coupon", "amount": "十块"}
    response = web.post("owner", f"/app/tickets/{ticket_id}/actions", body, headers=HX)
    assert response.status_code == 422 and "amount" in response.text


def test_suggestions_and_lookup_offer_answers_to_insert(web):
    suggestions = web.browsers["owner"].get(f"/app/tickets/{web.ticket_id}/suggestions")
    assert suggestions.status_code == 200
    hits = web.browsers["owner"].get("/app/kb/lookup", params={"q": "怎么退货"})
    assert hits.status_code == 200
    expected = web.api.get(f"{API}/kb/lookup", params={"q": "怎么退货"}, headers=web.headers["owner"]).json()
    assert hits.text.count("data-insert-reply") == len(expected)
    empty = web.browsers["owner"].get("/app/kb/lookup", params={"q": " "})
    assert "data-insert-reply" not in empty.text


def test_callbacks_page_lists_open_tasks_and_records_a_call(web):
    task_id = loop.callback_task(web)
    listing = web.browsers["owner"].get("/app/callbacks")
    assert f'data-task-id="{task_id}"' in listing.text
    done = web.post("owner", f"/app/callbacks/{task_id}/complete", {"reached": "true", "summary": "客户表示满意"})
    assert done.status_code == 303
    assert f'data-task-id="{task_id}"' not in web.browsers["owner"].get("/app/callbacks").text
    blank = web.post("owner", f"/app/callbacks/{loop.callback_task(web)}/complete", {"summary": " "})
    assert blank.status_code == 422


def test_inbox_counts_unread_items_and_marks_them_read(web):
    assert "data-unread" not in web.browsers["owner"].get("/app/inbox/count").text
    item = loop.inbox_item(web, "owner")
    loop.inbox_item(web, "member")  # someone else's: not counted, not shown
    count = web.browsers["owner"].get("/app/inbox/count")
    assert 'data-unread="1"' in count.text
    assert f'data-notification-id="{item}"' in web.browsers["owner"].get("/app/inbox").text
    read = web.post("owner", f"/app/inbox/{item}/read")
    assert read.status_code == 303 and read.headers["location"] == f"/app/tickets/{web.ticket_id}"
    assert "data-unread" not in web.browsers["owner"].get("/app/inbox/count").text
    other = web.post("owner", f"/app/inbox/{loop.inbox_item(web, 'member')}/read")
    assert other.status_code == 404


def test_customer_answers_the_survey_once_and_scores_are_validated(web):
    token = loop.survey_token(web)
    customer = web.browsers["anonymous"]
    form = customer.get(f"/portal/s/{token}")
    assert form.status_code == 200 and 'name="nps"' in form.text
    csrf = web.csrf["anonymous"]
    bad = customer.post(
        f"/portal/s/{token}", data={"csrf_token": csrf, "speed": "5", "attitude": "5", "result": "5", "nps": "11"}
    )
    assert bad.status_code == 422 and "nps" in bad.text
    good = customer.post(
        f"/portal/s/{token}",
        data={"csrf_token": csrf, "speed": "2", "attitude": "1", "result": "2", "nps": "3", "comment": "太慢了"},
    )
    assert good.status_code == 200 and "感谢您的评价" in good.text and "主管会尽快给您回电" in good.text
    again = customer.get(f"/portal/s/{token}")
    assert "data-survey-answered" in again.text
    forged = customer.get(f"/portal/s/{token[:-3]}xyz")
    assert forged.status_code == 404


def test_portal_ticket_shows_actions_in_plain_chinese_and_the_survey_invitation(web):
    action_id = loop.approved_action(web)
    action = web.api.get(f"{API}/actions/{action_id}", headers=web.headers["admin"]).json()
    ticket_id = action["ticket_id"]
    token = web.api.post(f"{API}/tickets/{ticket_id}/customer-link", headers=web.headers["admin"]).json()["token"]
    page = web.browsers["anonymous"].get(f"/portal/t/{token}")
    assert "补发" in page.text and "正在为您补发" in page.text
    assert "survey-invite" not in page.text
    web.api.post(f"{API}/tickets/{ticket_id}/transitions", headers=web.headers["admin"], json={"action": "resolve"})
    from aftersales.actions.policy import load_policies
    from aftersales.surveys.service import schedule_after_resolution
    from aftersales.tickets import repository

    with web.database.transaction() as db:
        schedule_after_resolution(db, load_policies(), repository.get(db, ticket_id), web.clock.now())
    page = web.browsers["anonymous"].get(f"/portal/t/{token}")
    link = re.search(r'href="(/portal/s/[^"]+)" data-survey-link', page.text)
    assert link, page.text
    assert web.browsers["anonymous"].get(link.group(1)).status_code == 200


def test_dashboard_shows_real_csat_nps_and_approvals(web):
    empty = web.browsers["supervisor"].get("/app/dashboard/panels")
    assert "data-waiting>0<" in empty.text
    loop.requested_action(web)
    for scores in (("5", "5", "5", "10"), ("1", "2", "1", "0")):
        token = loop.survey_token(web)
        data = dict(zip(("speed", "attitude", "result", "nps"), scores, strict=True))
        web.browsers["anonymous"].post(f"/portal/s/{token}", data={"csrf_token": web.csrf["anonymous"], **data})
    panels = web.browsers["analyst"].get("/app/dashboard/panels")
    assert "data-waiting>1<" in panels.text
    # CSAT: mean of 5.0 and 1.33 = 3.17 (rounded per survey to 1.33); NPS: one promoter, one detractor = 0.
    assert "data-csat>3.17<" in panels.text
    assert "data-nps>0.0<" in panels.text
    assert "暂无数据</b>" not in panels.text.split('id="panel-satisfaction"')[1].split("</section>")[0]


def test_satisfaction_figures():
    from zoneinfo import ZoneInfo

    assert nps_score([]) is None
    assert nps_score([10, 9, 8, 7, 6]) == 20.0
    now = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    rows = [
        (datetime(2026, 11, 23, 17, 0, tzinfo=UTC), 4.0, 10),  # 01:00 on the 24th, Shanghai time
        (datetime(2026, 11, 24, 1, 0, tzinfo=UTC), 2.0, 0),
        (datetime(2026, 11, 1, 1, 0, tzinfo=UTC), 5.0, 10),  # outside the window
    ]
    trend = satisfaction_trend(rows, now, ZoneInfo("Asia/Shanghai"), 3)
    assert trend["labels"] == ["11-22", "11-23", "11-24"]
    assert trend["csat"] == [None, None, 3.0]
    assert trend["nps"] == [None, None, 0.0]


def test_customer_accepts_a_proposal_on_the_portal(web):
    action_id = loop.portal_action(web)
    customer = web.browsers["anonymous"]
    page = customer.get(f"/portal/t/{web.portal_token}")
    assert f'data-action-id="{action_id}"' in page.text and "data-accept" in page.text
    csrf = web.csrf["anonymous"]
    url = f"/portal/t/{web.portal_token}/actions/{action_id}/response"
    declined = customer.post(url, data={"csrf_token": csrf, "accept": "false", "note": "我想换货"})
    assert declined.status_code == 303
    action = web.api.get(f"{API}/actions/{action_id}", headers=web.headers["admin"]).json()
    assert action["params"]["customer_response"]["accepted"] is False
    page = customer.get(f"/portal/t/{web.portal_token}")
    assert 'data-response="declined"' in page.text and "客户不接受补发方案：我想换货" in page.text
    again = customer.post(url, data={"csrf_token": csrf, "accept": "true"})
    assert again.status_code == 409  # the first answer stands
    bad = customer.post(url, data={"csrf_token": csrf, "accept": "perhaps"})
    assert bad.status_code == 422


def test_admin_creates_a_webhook_sees_the_secret_once_and_replays_a_dead_letter(web):
    created = web.post(
        "admin",
        "/app/admin/webhooks",
        {"name": "ERP", "url": "https://erp.example/hook", "topics": "ticket.*, action.approved"},
    )
    assert created.status_code == 201
    secret = re.search(r'<code class="secret">([^<]+)</code>', created.text).group(1)
    assert len(secret) >= 16
    listing = web.browsers["admin"].get("/app/admin/webhooks")
    assert "https://erp.example/hook" in listing.text and secret not in listing.text
    [hook] = [h for h in web.api.get(f"{API}/webhooks", headers=web.headers["admin"]).json() if h["name"] == "ERP"]
    assert hook["topics"] == ["ticket.*", "action.approved"]
    bad = web.post("admin", "/app/admin/webhooks", {"name": "x", "url": "ftp://nope"})
    assert bad.status_code == 422 and "url" in bad.text

    dead = loop.dead_delivery(web)
    assert f'data-delivery-id="{dead}"' in web.browsers["admin"].get("/app/admin/webhooks").text
    assert web.post("admin", f"/app/admin/webhooks/deliveries/{dead}/replay").status_code == 303
    assert f'data-delivery-id="{dead}"' not in web.browsers["admin"].get("/app/admin/webhooks").text


def test_knowledge_pages_create_edit_with_versions_and_turn_review_items_into_phrasings(web):
    from .test_page_authorization import kb_form, review_item

    form = kb_form(web)
    created = web.post("supervisor", "/app/kb/entries", form)
    assert created.status_code == 303, created.text
    url = created.headers["location"]
    entry_id = int(url.rsplit("/", 1)[1])
    edited = web.post("supervisor", url, {**form, "answer": "请 2-6℃ 冷藏保存，开封后 24 小时内喝完。"})
    assert edited.status_code == 303
    page = web.browsers["analyst"].get(url)
    assert "2-6℃" in page.text and "v2" in page.text
    versions = web.api.get(f"{API}/kb/entries/{entry_id}/versions", headers=web.headers["admin"]).json()
    assert len(versions) == 2
    bad = web.post("supervisor", "/app/kb/entries", {**form, "key": "坏 key"})
    assert bad.status_code == 422 and "key" in bad.text

    item = review_item(web)
    listing = web.browsers["supervisor"].get("/app/kb")
    assert f'data-review-id="{item}"' in listing.text
    converted = web.post("supervisor", f"/app/kb/review/{item}/convert", {"add_to_key": form["key"]})
    assert converted.status_code == 303
    entry = web.api.get(f"{API}/kb/entries/{entry_id}", headers=web.headers["admin"]).json()
    assert "火星上能收快递吗" in entry["questions"]
    assert f'data-review-id="{item}"' not in web.browsers["supervisor"].get("/app/kb").text
    search = web.browsers["owner"].get("/app/kb", params={"q": form["key"]})
    assert f'data-entry-key="{form["key"]}"' in search.text


def test_a_new_entry_started_from_a_review_item_marks_the_item_converted(web):
    """The review queue's "new entry" link carries the item; saving creates the entry and converts the item
    in one transaction, and a refused entry leaves the item open."""
    import html
    import re

    from .test_page_authorization import kb_form, review_item

    item = review_item(web)
    listing = web.browsers["supervisor"].get("/app/kb").text
    link = re.search(rf'href="(/app/kb/entries/new\?[^"]*review={item})"', listing)
    assert link, "the review item's new-entry link does not name the item"
    form_page = web.browsers["supervisor"].get(html.unescape(link.group(1)))
    assert f'name="review_item" value="{item}"' in form_page.text and "火星上能收快递吗" in form_page.text

    form = {**kb_form(web), "questions": "火星上能收快递吗\n火星能送货吗", "review_item": str(item)}
    bad = web.post("supervisor", "/app/kb/entries", {**form, "key": "坏 key"})
    assert bad.status_code == 422 and "key" in bad.text
    assert f'name="review_item" value="{item}"' in bad.text  # the form keeps the link to the item
    still_open = web.api.get(f"{API}/assistant/review", headers=web.headers["admin"]).json()
    assert item in [i["id"] for i in still_open]

    saved = web.post("supervisor", "/app/kb/entries", form)
    assert saved.status_code == 303, saved.text
    entry_id = int(saved.headers["location"].rsplit("/", 1)[1])
    entry = web.api.get(f"{API}/kb/entries/{entry_id}", headers=web.headers["admin"]).json()
    assert entry["key"] == form["key"] and "火星上能收快递吗" in entry["questions"]
    converted = web.api.get(f"{API}/assistant/review?state=converted", headers=web.headers["admin"]).json()
    assert [(i["id"], i["entry_key"]) for i in converted if i["id"] == item] == [(item, form["key"])]
    assert f'data-review-id="{item}"' not in web.browsers["supervisor"].get("/app/kb").text
    again = web.post("supervisor", "/app/kb/entries", {**kb_form(web), "review_item": str(item)})
    assert again.status_code == 409 and "already converted" in again.text


def test_callbacks_and_inbox_pages_poll_fragments_that_show_new_items(web):
    """The pages poll like the queue does (every 10 s), and what they poll shows what arrived since loading."""
    from api import _loop_support as loop

    owner = web.browsers["owner"]
    callbacks = owner.get("/app/callbacks")
    assert 'hx-get="/app/callbacks/rows"' in callbacks.text and 'hx-trigger="every 10s"' in callbacks.text
    assert "data-keep-typing" in callbacks.text  # a poll never swaps away a half-typed call summary
    assert 'hx-get="/app/callbacks/rows?mine=true"' in owner.get("/app/callbacks?mine=true").text
    inbox = owner.get("/app/inbox")
    assert 'hx-get="/app/inbox/items"' in inbox.text and 'hx-trigger="every 10s"' in inbox.text
    assert 'hx-get="/app/inbox/count" hx-trigger="load, every 10s"' in inbox.text  # the unread badge too

    task_id = loop.callback_task(web)
    rows = owner.get("/app/callbacks/rows", headers={"HX-Request": "true"})
    assert rows.status_code == 200 and f'data-task-id="{task_id}"' in rows.text
    assert "<html" not in rows.text  # a fragment for the table body, not a page
    assert f'data-task-id="{task_id}"' in owner.get("/app/callbacks/rows?mine=true").text  # the owner's own call
    assert f'data-task-id="{task_id}"' not in web.browsers["outsider"].get("/app/callbacks/rows?mine=true").text

    item_id = loop.inbox_item(web, "owner")
    items = owner.get("/app/inbox/items", headers={"HX-Request": "true"})
    assert f'data-notification-id="{item_id}"' in items.text and "<html" not in items.text
    assert f'data-notification-id="{item_id}"' not in web.browsers["outsider"].get("/app/inbox/items").text
    assert 'data-unread="' in owner.get("/app/inbox/count").text
