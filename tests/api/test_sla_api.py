"""SLA behaviour seen through the API, with the frozen clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ._support import API, L3_DIARRHOEA, act, get_ticket, new_ticket

TICKETS = f"{API}/tickets"


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def metric(ticket_or_sla, name):
    sla = ticket_or_sla.get("sla", ticket_or_sla)
    return next(m for m in sla["metrics"] if m["metric"] == name)


def listed(client, headers, sla):
    response = client.get(TICKETS, headers=headers, params={"sla": sla})
    assert response.status_code == 200, response.text
    return {t["id"] for t in response.json()["items"]}


@pytest.fixture
def owner(make_agent):
    return make_agent("agent", "management", capacity=10)


@pytest.fixture
def l3(client, owner):
    ticket = new_ticket(client, owner[1], L3_DIARRHOEA)
    assert (ticket["severity"], ticket["assignee_id"]) == ("L3", owner[0])
    return ticket


def test_l3_ticket_gets_a_30_minute_first_reply_that_warns_then_breaches(client, clock, owner, l3):
    created = at(l3["created_at"])
    first = metric(l3, "first_reply")
    assert first["target_minutes"] == 30
    assert at(first["due_at"]) == created + timedelta(minutes=30)
    h = owner[1]
    assert l3["id"] in listed(client, h, "ok")
    clock.advance(minutes=20)  # 67 % used: the documented warning comes at 75 %
    assert get_ticket(client, h, l3["id"])["sla"]["state"] == "ok"
    assert l3["id"] not in listed(client, h, "warning")
    clock.advance(minutes=3)  # 23 min: past 22.5
    assert get_ticket(client, h, l3["id"])["sla"]["state"] == "warning"
    assert l3["id"] in listed(client, h, "warning")
    assert l3["id"] not in listed(client, h, "breached")
    clock.advance(minutes=8)  # 31 min
    ticket = get_ticket(client, h, l3["id"])
    assert ticket["sla"]["state"] == "breached"
    assert at(metric(ticket, "first_reply")["breached_at"]) == created + timedelta(minutes=30)
    assert l3["id"] in listed(client, h, "breached")
    assert l3["id"] not in listed(client, h, "warning")


def _entries(client, headers, ticket_id, kind):
    return [e for e in get_ticket(client, headers, ticket_id)["timeline"] if e["kind"] == kind]


def test_sweep_records_breaches_and_escalates_once_then_to_management(client, clock, owner, supervisor, l3):
    h = supervisor[1]
    clock.advance(minutes=31)
    first = client.post(f"{API}/sla/sweep", headers=h)
    assert first.status_code == 200, first.text
    assert first.json()["breached"] >= 1 and first.json()["escalated"] == 1
    events = {(e["data"]["metric"], e["data"]["event"]) for e in _entries(client, h, l3["id"], "sla_event")}
    assert {("first_reply", "warned"), ("first_reply", "breached")} <= events
    escalations = _entries(client, h, l3["id"], "escalation")
    assert [(e["data"]["level"], e["data"]["to"]) for e in escalations] == [(1, "supervisor")]
    assert get_ticket(client, h, l3["id"])["escalation_level"] == 1
    before = get_ticket(client, h, l3["id"])["timeline"]
    again = client.post(f"{API}/sla/sweep", headers=h).json()
    assert (again["warned"], again["breached"], again["escalated"]) == (0, 0, 0)
    assert get_ticket(client, h, l3["id"])["timeline"] == before  # nothing duplicated
    clock.advance(minutes=15)  # 46 min: past 30 x (1 + 0.5)
    later = client.post(f"{API}/sla/sweep", headers=h).json()
    assert later["escalated"] == 1
    escalations = _entries(client, h, l3["id"], "escalation")
    assert [(e["data"]["level"], e["data"]["to"]) for e in escalations] == [(1, "supervisor"), (2, "management")]
    client.post(f"{API}/sla/sweep", headers=h)
    assert len(_entries(client, h, l3["id"], "escalation")) == 2
    sla_events = _entries(client, h, l3["id"], "sla_event")
    assert len(sla_events) == len({(e["data"]["metric"], e["data"]["event"]) for e in sla_events})


def test_waiting_on_customer_pauses_the_resolution_clock(client, clock, owner, l3):
    h = owner[1]
    reply = client.post(f"{TICKETS}/{l3['id']}/messages", headers=h, json={"body": "请提供批号照片"})
    assert reply.status_code == 201
    clock.advance(hours=1)
    waiting = act(client, h, l3["id"], "wait_on_customer")
    resolution = metric(waiting, "resolution")
    assert resolution["status"] == "paused"
    elapsed = resolution["elapsed_seconds"]
    assert elapsed == pytest.approx(3600)
    clock.advance(days=2)
    still = metric(get_ticket(client, h, l3["id"]), "resolution")
    assert still["status"] == "paused"
    assert still["elapsed_seconds"] == pytest.approx(elapsed)
    assert l3["id"] in listed(client, h, "paused")
    resumed = act(client, h, l3["id"], "resume")
    clock.advance(hours=1)
    after = metric(get_ticket(client, h, l3["id"]), "resolution")
    assert after["status"] == "active"
    assert after["elapsed_seconds"] == pytest.approx(2 * 3600)
    assert at(after["due_at"]) == at(resumed["updated_at"]) + timedelta(minutes=4320) - timedelta(hours=1)


def test_tightened_policy_applies_from_the_next_update_and_never_back_dates(client, clock, owner, admin, l3):
    h = owner[1]
    created = at(l3["created_at"])
    policies = client.get(f"{API}/sla/policies", headers=admin[1]).json()
    policy = next(p for p in policies if p["name"] == "Default: L3")
    assert policy["targets"]["first_reply"] == 30
    clock.advance(minutes=15)
    body = {k: v for k, v in policy.items() if k not in ("id", "version", "updated_at")}
    body["targets"] = {**policy["targets"], "first_reply": 10}
    put = client.put(f"{API}/sla/policies/{policy['id']}", headers=admin[1], json=body)
    assert put.status_code == 200, put.text
    assert put.json()["version"] == policy["version"] + 1
    # Not yet updated: the ticket keeps the version it was given.
    unchanged = get_ticket(client, h, l3["id"])
    assert metric(unchanged, "first_reply")["target_minutes"] == 30
    assert unchanged["sla"]["state"] == "ok"
    update_at = clock.advance(minutes=5)
    started = act(client, h, l3["id"], "start")
    first = metric(started, "first_reply")
    assert first["target_minutes"] == 10
    assert first["status"] == "breached"
    # 20 min are used of a 10 min target, but the breach is recorded at the update, not at created + 10 min.
    assert at(first["breached_at"]) >= update_at
    assert at(first["breached_at"]) != created + timedelta(minutes=10)
    policy_entries = [e for e in started["timeline"] if e["kind"] == "sla_policy"]
    assert policy_entries[-1]["data"]["policy"]["version"] == policy["version"] + 1


def test_sla_clock_events_are_exposed(client, clock, owner, l3):
    clock.advance(minutes=31)
    response = client.get(f"{TICKETS}/{l3['id']}/sla", headers=owner[1])
    assert response.status_code == 200, response.text
    sla = response.json()
    assert sla["state"] == "breached"
    assert sla["policy"]["name"] == "Default: L3"
    assert sla["escalation_level"] == 1
    events = [(e["metric"], e["event"]) for e in sla["events"]]
    assert ("first_reply", "activated") in events and ("resolution", "activated") in events
    assert events.index(("first_reply", "warned")) < events.index(("first_reply", "breached"))
    warned = next(e for e in sla["events"] if (e["metric"], e["event"]) == ("first_reply", "warned"))
    assert at(warned["at"]) == at(l3["created_at"]) + timedelta(minutes=22, seconds=30)


def test_sla_of_unknown_ticket_is_not_found(client, owner):
    assert client.get(f"{TICKETS}/999999/sla", headers=owner[1]).status_code == 404
