"""Ticket intake, validation, lists, search, pagination, triage override, attachments, notes and progress."""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta

import pytest

from ._support import (
    API,
    L1_ATTITUDE,
    L1_BOX,
    L1_LATE,
    L1_SOUR,
    L3_ALLERGY,
    L3_DIARRHOEA,
    error,
    get_ticket,
    new_ticket,
    png_bytes,
    short_sqlite_lock_wait,
)

TICKETS = f"{API}/tickets"
BODY = {"description": "快递三天了还没到", "channel": "wechat", "customer": {"phone": "13700001111"}}


@pytest.fixture
def agent(make_agent):
    return make_agent("agent", "logistics", capacity=50)


def ids(response):
    assert response.status_code == 200, response.text
    return {t["id"] for t in response.json()["items"]}


def count_tickets(client, headers):
    return len(client.get(TICKETS, headers=headers, params={"limit": 200}).json()["items"])


# ---------------------------------------------------------------- idempotency


def test_same_idempotency_key_and_body_returns_the_same_ticket(client, agent):
    _, h = agent
    first = client.post(TICKETS, headers={**h, "Idempotency-Key": "order-42-retry"}, json=BODY)
    assert first.status_code == 201, first.text
    again = client.post(TICKETS, headers={**h, "Idempotency-Key": "order-42-retry"}, json=BODY)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert count_tickets(client, h) == 1


def test_same_idempotency_key_with_another_body_is_a_conflict(client, agent):
    _, h = agent
    assert client.post(TICKETS, headers={**h, "Idempotency-Key": "k1"}, json=BODY).status_code == 201
    other = client.post(TICKETS, headers={**h, "Idempotency-Key": "k1"}, json={**BODY, "description": "别的事"})
    assert other.status_code == 409
    assert error(other)["field"] == "Idempotency-Key"
    assert count_tickets(client, h) == 1


def test_invalid_idempotency_key_is_named(client, agent):
    response = client.post(TICKETS, headers={**agent[1], "Idempotency-Key": "x" * 300}, json=BODY)
    assert response.status_code == 422
    assert error(response)["field"] == "Idempotency-Key"


def test_concurrent_requests_with_one_idempotency_key_create_one_ticket(client, agent):
    _, h = agent
    results: list[tuple[int, int]] = []
    barrier = threading.Barrier(6)

    def post() -> None:
        barrier.wait()
        response = client.post(TICKETS, headers={**h, "Idempotency-Key": "burst-1"}, json=BODY)
        results.append((response.status_code, response.json().get("id", -1)))

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 6
    assert sorted(code for code, _ in results) == [200] * 5 + [201], results
    assert len({tid for _, tid in results}) == 1
    assert count_tickets(client, h) == 1


# ---------------------------------------------------------------- validation


INVALID_INTAKE = [
    ({"description": None}, 422, "description"),
    ({"description": "   "}, 422, "description"),
    ({"channel": "carrier_pigeon"}, 422, "channel"),
    ({"customer": {"phone": "call me maybe"}}, 422, "customer.phone"),
    ({"customer": {"name": "无联系方式"}}, 422, "customer"),
    ({"order_number": "NO-SUCH-ORDER"}, 404, "order_number"),
    ({"product_sku": "NO-SUCH-SKU"}, 404, "product_sku"),
    ({"priority": "urgent"}, 422, "priority"),
]


def test_invalid_intake_names_the_field(client, agent):
    for change, status, field in INVALID_INTAKE:
        body = {**BODY, **change}
        body = {k: v for k, v in body.items() if v is not None}
        response = client.post(TICKETS, headers=agent[1], json=body)
        assert response.status_code == status, (change, response.text)
        assert error(response)["field"] == field, change
    assert count_tickets(client, agent[1]) == 0


def test_a_body_that_is_not_json_names_the_body(client, agent):
    headers = {**agent[1], "Content-Type": "application/json"}
    for raw in ("{not json", "订单号 123", '{"title": "x",}'):
        response = client.post(TICKETS, headers=headers, content=raw.encode())
        assert response.status_code == 422, (raw, response.text)
        assert error(response)["field"] == "body", raw
        assert error(response)["message"].startswith("body: "), raw
    assert count_tickets(client, agent[1]) == 0


# ---------------------------------------------------------------- lists and search


@pytest.fixture
def spread(client, clock, make_agent, admin):
    """Tickets across departments, severities and time."""
    quality_id, quality_h = make_agent("agent", "quality", capacity=50)
    logistics_id, logistics_h = make_agent("agent", "logistics", capacity=1)
    made = {}
    made["sour"] = new_ticket(client, quality_h, L1_SOUR, phone="13000000001")
    clock.advance(minutes=5)
    made["late1"] = new_ticket(client, logistics_h, L1_LATE, phone="13000000002")
    made["late2"] = new_ticket(client, logistics_h, "物流一直不更新，快递太慢了", phone="13000000003")
    clock.advance(minutes=5)
    made["allergy"] = new_ticket(client, admin[1], L3_ALLERGY, phone="13000000004")
    made["diarrhoea"] = new_ticket(client, admin[1], L3_DIARRHOEA, phone="13000000005")
    return {"quality": (quality_id, quality_h), "logistics": (logistics_id, logistics_h)}, made


def test_list_filters_select_exactly_the_matching_tickets(client, clock, spread, admin):
    agents, t = spread
    h = admin[1]
    q_id, _q_h = agents["quality"]
    _l_id, l_h = agents["logistics"]
    assert t["late2"]["assignee_id"] is None  # the logistics agent holds one ticket at most
    assert ids(client.get(TICKETS, headers=h, params={"severity": "L3"})) == {t["allergy"]["id"], t["diarrhoea"]["id"]}
    assert ids(client.get(TICKETS, headers=h, params={"department": "logistics"})) == {
        t["late1"]["id"],
        t["late2"]["id"],
    }
    assert ids(client.get(TICKETS, headers=h, params={"status": "triaged", "department": "logistics"})) == {
        t["late2"]["id"]
    }
    assert ids(client.get(TICKETS, headers=h, params={"assignee_id": q_id})) == {t["sour"]["id"]}
    assert ids(client.get(TICKETS, headers=l_h, params={"mine": "true"})) == {t["late1"]["id"]}
    unassigned = ids(client.get(TICKETS, headers=h, params={"unassigned": "true"}))
    assert t["late2"]["id"] in unassigned and t["sour"]["id"] not in unassigned and t["late1"]["id"] not in unassigned
    multi = ids(client.get(TICKETS, headers=h, params=[("department", "quality"), ("department", "logistics")]))
    assert multi == {t["sour"]["id"], t["late1"]["id"], t["late2"]["id"]}
    start = t["sour"]["created_at"]
    window = {
        "created_from": (clock.now() - timedelta(minutes=5)).isoformat(),
        "created_to": (clock.now() - timedelta(minutes=1)).isoformat(),
    }
    assert ids(client.get(TICKETS, headers=h, params=window)) == {t["late1"]["id"], t["late2"]["id"]}
    naive = client.get(TICKETS, headers=h, params={"created_from": start.replace("Z", "")})
    assert naive.status_code == 422 and error(naive)["field"] == "created_from"


def test_sla_breached_filter_finds_l3_tickets_past_their_30_minute_first_reply(client, clock, spread, admin):
    _, t = spread
    h = admin[1]
    assert ids(client.get(TICKETS, headers=h, params={"sla": "breached"})) == set()
    clock.advance(minutes=29)  # the L3 tickets are 29 min old: not breached
    assert ids(client.get(TICKETS, headers=h, params={"sla": "breached"})) == set()
    clock.advance(minutes=2)
    assert ids(client.get(TICKETS, headers=h, params={"sla": "breached"})) == {t["allergy"]["id"], t["diarrhoea"]["id"]}


SEARCHES = [
    ("牛奶", {"sour", "allergy", "diarrhoea"}),
    ("过敏", {"allergy"}),
    ("腹泻", {"diarrhoea"}),
    ("快递", {"late1", "late2"}),
    ("鲜牛奶 结块", {"sour"}),
    ("冰箱", set()),
]


def test_chinese_full_text_search_finds_the_right_tickets(client, spread, admin):
    _, t = spread
    for q, expected in SEARCHES:
        found = ids(client.get(TICKETS, headers=admin[1], params={"q": q}))
        assert found == {t[name]["id"] for name in expected}, q


def test_search_gives_the_same_answer_whether_a_word_is_rare_or_frequent(client, spread, admin, monkeypatch):
    # PostgreSQL fetches rare words' matches by id and filters frequent ones while walking the newest tickets:
    # both paths, and the fallback when "rare" words turn out to match more than expected, give the same answer.
    from aftersales.tickets import repository

    _, t = spread
    monkeypatch.setattr(repository, "FREQUENT_SHARE", 0.0)  # every search counts as frequent
    for q, expected in SEARCHES:
        assert ids(client.get(TICKETS, headers=admin[1], params={"q": q})) == {t[name]["id"] for name in expected}
    monkeypatch.setattr(repository, "FREQUENT_SHARE", 2.0)  # every search counts as rare ...
    monkeypatch.setattr(repository, "RARE_IDS_LIMIT", 1)  # ... and more than one match makes it walk after all
    for q, expected in SEARCHES:
        found = ids(client.get(TICKETS, headers=admin[1], params={"q": q}))
        assert found == {t[name]["id"] for name in expected}, q
        page = client.get(TICKETS, headers=admin[1], params={"q": q, "limit": 1}).json()
        assert [item["id"] for item in page["items"]] == sorted(found, reverse=True)[:1], q


def test_cursor_pagination_visits_every_ticket_exactly_once(client, clock, agent):
    _, h = agent
    created = []
    for i in range(11):
        created.append(new_ticket(client, h, f"{L1_LATE} 第{i}次", phone=f"1390000{i:04d}")["id"])
        if i % 3 == 0:  # several tickets share a creation time: the id breaks the tie
            clock.advance(minutes=1)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = client.get(TICKETS, headers=h, params=params).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10
    assert sorted(seen) == sorted(created) and len(seen) == len(set(seen))
    assert seen == sorted(created, reverse=True)  # newest first
    assert pages == 3


def _b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


BAD_CURSORS = ["%%%", "bm90IGpzb24", _b64({"a": 1}), _b64([None, 1]), _b64(["2026-01-01", "x"]), _b64("abc")]


def test_bad_cursor_is_a_validation_error_naming_the_cursor(client, agent):
    for cursor in BAD_CURSORS:
        response = client.get(TICKETS, headers=agent[1], params={"cursor": cursor})
        assert response.status_code == 422, (cursor, response.text)
        assert error(response)["field"] == "cursor"


def test_cursor_with_a_naive_time_is_a_validation_error(client, agent):
    response = client.get(TICKETS, headers=agent[1], params={"cursor": _b64(["2026-11-23T02:00:00", 5])})
    assert response.status_code == 422, response.text
    assert error(response)["field"] == "cursor"


# ---------------------------------------------------------------- triage override


def test_triage_override_is_recorded_and_reapplies_the_sla_policy(client, clock, make_agent):
    _, h = make_agent("agent", "customer_service", capacity=10)
    ticket = new_ticket(client, h, L1_ATTITUDE)
    assert ticket["severity"] == "L1"
    first_reply = next(m for m in ticket["sla"]["metrics"] if m["metric"] == "first_reply")
    assert first_reply["target_minutes"] == 120
    override_at = clock.advance(minutes=10)
    response = client.post(
        f"{TICKETS}/{ticket['id']}/triage-override",
        headers=h,
        json={"severity": "L3", "reason": "客户提到孩子喝后住院"},
    )
    assert response.status_code == 200, response.text
    after = response.json()
    assert (after["severity"], after["triage_overridden"]) == ("L3", True)
    entry = next(e for e in after["timeline"] if e["kind"] == "triage_override")
    assert entry["data"]["before"]["severity"] == "L1"
    assert entry["data"]["after"]["severity"] == "L3"
    assert entry["data"]["reason"] == "客户提到孩子喝后住院"
    assert entry["author_type"] == "agent"
    policy = [e for e in after["timeline"] if e["kind"] == "sla_policy"][-1]
    assert policy["data"]["policy"]["conditions"] == {"severity": ["L3"]}
    assert policy["created_at"].replace("Z", "+00:00") == override_at.isoformat()
    first_reply = next(m for m in after["sla"]["metrics"] if m["metric"] == "first_reply")
    assert first_reply["target_minutes"] == 30
    # The 30 min apply to the ticket's first-reply clock (documented engine rule: a new policy's target
    # replaces the old one on the running clock); nothing is breached before the override.
    assert first_reply["breached_at"] is None
    assert (
        first_reply["due_at"].replace("Z", "+00:00")
        == (override_at - timedelta(minutes=10) + timedelta(minutes=30)).isoformat()
    )


def test_late_override_breaches_at_the_override_not_before(client, clock, make_agent):
    _, h = make_agent("agent", "customer_service", capacity=10)
    ticket = new_ticket(client, h, L1_ATTITUDE)
    override_at = clock.advance(minutes=45)  # already past what L3 would have allowed
    after = client.post(
        f"{TICKETS}/{ticket['id']}/triage-override", headers=h, json={"severity": "L3", "reason": "升级"}
    ).json()
    first_reply = next(m for m in after["sla"]["metrics"] if m["metric"] == "first_reply")
    assert first_reply["status"] == "breached"
    assert first_reply["breached_at"].replace("Z", "+00:00") == override_at.isoformat()


def test_override_that_changes_nothing_is_refused(client, make_agent):
    _, h = make_agent("agent", "customer_service", capacity=10)
    ticket = new_ticket(client, h, L1_ATTITUDE)
    response = client.post(
        f"{TICKETS}/{ticket['id']}/triage-override", headers=h, json={"severity": "L1", "reason": "same"}
    )
    assert response.status_code == 422
    empty = client.post(f"{TICKETS}/{ticket['id']}/triage-override", headers=h, json={"reason": "nothing"})
    assert empty.status_code == 422


# ---------------------------------------------------------------- attachments, notes and progress


def test_png_upload_downloads_byte_for_byte(client, agent, database, request):
    short_sqlite_lock_wait(database)
    ticket = new_ticket(client, agent[1], L1_BOX)
    image = png_bytes(3, 2)
    up = client.post(
        f"{TICKETS}/{ticket['id']}/attachments", headers=agent[1], files={"file": ("破损.png", image, "image/png")}
    )
    assert up.status_code == 201, up.text
    down = client.get(f"{TICKETS}/{ticket['id']}/attachments/{up.json()['id']}", headers=agent[1])
    assert down.status_code == 200
    assert down.content == image
    assert down.headers["content-type"] == "image/png"


def test_declared_png_that_is_not_a_png_is_refused(client, agent, database, settings, request):
    short_sqlite_lock_wait(database)
    ticket = new_ticket(client, agent[1], L1_BOX)
    response = client.post(
        f"{TICKETS}/{ticket['id']}/attachments",
        headers=agent[1],
        files={"file": ("x.png", b"GIF89a not a png", "image/png")},
    )
    assert response.status_code == 415, response.text
    assert error(response)["field"] == "file"
    assert not (settings.data_dir / "attachments").exists()


def test_attachment_of_another_ticket_is_not_found(client, agent, database, settings, clock):
    from ._support import add_attachment_directly

    a = new_ticket(client, agent[1], L1_BOX)
    b = new_ticket(client, agent[1], L1_LATE, phone="13012345678")
    attachment_id = add_attachment_directly(database, settings, a["id"], clock.now())
    assert client.get(f"{TICKETS}/{a['id']}/attachments/{attachment_id}", headers=agent[1]).status_code == 200
    response = client.get(f"{TICKETS}/{b['id']}/attachments/{attachment_id}", headers=agent[1])
    assert response.status_code == 404


def test_notes_are_internal_and_progress_is_public(client, agent):
    ticket = new_ticket(client, agent[1], L1_LATE)
    note = client.post(f"{TICKETS}/{ticket['id']}/notes", headers=agent[1], json={"body": "仓库说周五才能发"})
    progress = client.post(f"{TICKETS}/{ticket['id']}/progress", headers=agent[1], json={"body": "已联系配送员核实"})
    assert note.status_code == progress.status_code == 201
    assert (note.json()["kind"], note.json()["visibility"]) == ("note", "internal")
    assert (progress.json()["kind"], progress.json()["visibility"]) == ("progress", "public")
    token = client.post(f"{TICKETS}/{ticket['id']}/customer-link", headers=agent[1]).json()["token"]
    portal = client.get(f"{API}/portal/tickets/{token}").json()
    bodies = [e["body"] for e in portal["timeline"]]
    assert "已联系配送员核实" in bodies and "仓库说周五才能发" not in bodies
    # A note is not a reply: the first-reply clock keeps running.
    assert get_ticket(client, agent[1], ticket["id"])["first_replied_at"] is None


HUGE = 2**63  # one past the largest 64-bit id


@pytest.mark.parametrize("path", [f"{TICKETS}/{HUGE}", f"{TICKETS}/{HUGE}/sla", f"{API}/customers/{HUGE}"])
def test_ids_beyond_64_bits_are_not_found_rather_than_a_server_error(client, agent, path, request):
    response = client.get(path, headers=agent[1])
    assert response.status_code in (404, 422), response.text
