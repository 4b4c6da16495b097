"""The ticket status workflow through the API: legal paths, refusals that say what is possible, the timeline."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api._support import API, L1_ATTITUDE, act, assign, error, get_ticket, new_ticket


@pytest.fixture
def owner(make_agent):
    return make_agent("agent", "customer_service", capacity=20)


def status_changes(ticket):
    return [(e["data"]["from"], e["data"]["to"]) for e in ticket["timeline"] if e["kind"] == "status_change"]


def test_every_legal_path_from_intake_to_close_and_reopen(client, owner, admin):
    owner_id, headers = owner
    ticket = new_ticket(client, headers, L1_ATTITUDE)
    assert ticket["status"] == "assigned" and ticket["assignee_id"] == owner_id
    tid = ticket["id"]
    steps = [
        ("start", "in_progress"),
        ("wait_on_customer", "waiting_on_customer"),
        ("resume", "in_progress"),
        ("wait_on_customer", "waiting_on_customer"),
        ("resolve", "resolved"),
        ("reopen", "in_progress"),
        ("resolve", "resolved"),
        ("close", "closed"),
        ("reopen", "in_progress"),
        ("resolve", "resolved"),
    ]
    expected = [("new", "triaged"), ("triaged", "assigned")]
    previous = "assigned"
    for action, target in steps:
        before = len(get_ticket(client, headers, tid)["timeline"])
        after = act(client, headers, tid, action, reason=f"step {action}")
        assert after["status"] == target, action
        assert after["assignee_id"] == owner_id  # a reopen goes back to the same owner
        expected.append((previous, target))
        assert status_changes(after) == expected
        new_entries = after["timeline"][before:]
        change = [e for e in new_entries if e["kind"] == "status_change"]
        assert len(change) == 1, action
        assert change[0]["author_type"] == "agent" and change[0]["author_id"] == owner_id
        assert change[0]["data"]["reason"] == f"step {action}"
        assert change[0]["data"].get("reopen", False) is (action == "reopen")
        previous = target
    final = get_ticket(client, headers, tid)
    assert final["resolved_at"] is not None
    # Timeline ids only grow: entries are appended, never rewritten.
    ids = [e["id"] for e in final["timeline"]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_assigned_ticket_moves_from_wait_straight_to_resolve_and_an_agent_reply_starts_work(client, owner):
    _, headers = owner
    tid = new_ticket(client, headers, L1_ATTITUDE)["id"]
    reply = client.post(f"{API}/tickets/{tid}/messages", headers=headers, json={"body": "您好，我来处理"})
    assert reply.status_code == 201
    assert get_ticket(client, headers, tid)["status"] == "in_progress"  # the owner's first reply starts work
    act(client, headers, tid, "wait_on_customer")
    assert act(client, headers, tid, "resolve")["status"] == "resolved"


def test_queued_ticket_goes_new_triaged_then_assigned_by_a_supervisor(client, make_agent, supervisor):
    agent_id, headers = make_agent("agent", "customer_service", capacity=1, email="busy@brand.example")
    new_ticket(client, headers, L1_ATTITUDE)  # fills the only agent
    queued = new_ticket(client, headers, L1_ATTITUDE, phone="13900001111")
    assert queued["status"] == "triaged" and queued["assignee_id"] is None
    assert status_changes(queued) == [("new", "triaged")]
    assigned = assign(client, supervisor[1], queued["id"], agent_id)
    assert assigned["status"] == "assigned"
    assert status_changes(assigned) == [("new", "triaged"), ("triaged", "assigned")]
    entry = [e for e in assigned["timeline"] if e["kind"] == "assignment"][-1]
    assert entry["data"] == {"from": None, "to": agent_id, "reason": "manual"}
    back = assign(client, supervisor[1], queued["id"], None)
    assert (back["status"], back["assignee_id"]) == ("triaged", None)
    assert status_changes(back)[-1] == ("assigned", "triaged")


def _unqueue(client, owner_headers, supervisor_headers, tid):
    """Return the ticket to the queue and keep it there (its owner goes off shift first, or the queue would hand
    it straight back)."""
    me = client.get(f"{API}/me", headers=owner_headers).json()
    off = client.patch(f"{API}/agents/{me['id']}", headers=owner_headers, json={"available": False})
    assert off.status_code == 200, off.text
    queued = assign(client, supervisor_headers, tid, None)
    assert (queued["status"], queued["assignee_id"]) == ("triaged", None)


def _bring_to(client, headers, supervisor_headers, tid, status):
    path = {
        "assigned": [],
        "in_progress": ["start"],
        "waiting_on_customer": ["wait_on_customer"],
        "resolved": ["resolve"],
        "closed": ["resolve", "close"],
    }
    if status == "triaged":
        _unqueue(client, headers, supervisor_headers, tid)
        return
    for action in path[status]:
        act(client, headers, tid, action)


ALL_ACTIONS = ("start", "wait_on_customer", "resume", "resolve", "close", "reopen")
LEGAL = {
    "triaged": set(),
    "assigned": {"start", "wait_on_customer", "resolve"},
    "in_progress": {"wait_on_customer", "resolve"},
    "waiting_on_customer": {"resume", "resolve"},
    "resolved": {"close", "reopen"},
    "closed": {"reopen"},
}


@pytest.mark.parametrize("status", list(LEGAL))
def test_illegal_transitions_are_refused_naming_status_and_possible_actions(client, owner, supervisor, status):
    _, headers = owner
    tid = new_ticket(client, headers, L1_ATTITUDE)["id"]
    _bring_to(client, headers, supervisor[1], tid, status)
    before = get_ticket(client, headers, tid)
    assert before["status"] == status
    for action in sorted(set(ALL_ACTIONS) - LEGAL[status]):
        response = client.post(f"{API}/tickets/{tid}/transitions", headers=supervisor[1], json={"action": action})
        assert response.status_code == 409, (status, action, response.text)
        body = error(response)
        assert body["code"] == "illegal_transition"
        assert body["current"] == status
        assert f"'{status}'" in body["message"] and action in body["message"]
        possible = body["message"].rsplit("possible now:", 1)[1]
        named = {a.strip() for a in possible.split(",")} - {"none"}
        assert named == LEGAL[status], (status, action, body["message"])
    after = get_ticket(client, headers, tid)
    assert after["status"] == status
    assert after["timeline"] == before["timeline"]  # a refusal writes nothing


def test_a_ticket_without_owner_cannot_be_resolved_or_closed(client, owner, supervisor):
    _, headers = owner
    tid = new_ticket(client, headers, L1_ATTITUDE)["id"]
    _unqueue(client, headers, supervisor[1], tid)
    for action in ("resolve", "close"):
        response = client.post(f"{API}/tickets/{tid}/transitions", headers=supervisor[1], json={"action": action})
        assert response.status_code in (409, 422), response.text
        assert error(response)["field"] == "action"
    ticket = get_ticket(client, headers, tid)
    assert (ticket["status"], ticket["resolved_at"]) == ("triaged", None)


def test_unknown_action_names_the_field(client, owner):
    _, headers = owner
    tid = new_ticket(client, headers, L1_ATTITUDE)["id"]
    response = client.post(f"{API}/tickets/{tid}/transitions", headers=headers, json={"action": "teleport"})
    assert response.status_code == 422
    assert error(response)["field"] == "action"


def test_resolved_and_closed_tickets_cannot_be_reassigned(client, owner, supervisor, make_agent):
    _, headers = owner
    other_id, _ = make_agent("agent", "customer_service")
    tid = new_ticket(client, headers, L1_ATTITUDE)["id"]
    act(client, headers, tid, "resolve")
    response = client.post(f"{API}/tickets/{tid}/assignment", headers=supervisor[1], json={"agent_id": other_id})
    assert response.status_code == 409


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ticket_entries SET body = 'rewritten' WHERE ticket_id = :t",
        "DELETE FROM ticket_entries WHERE ticket_id = :t",
    ],
)
def test_timeline_is_append_only_in_the_database(client, owner, database, statement):
    _, headers = owner
    tid = new_ticket(client, headers, L1_ATTITUDE)["id"]
    before = get_ticket(client, headers, tid)["timeline"]
    with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as conn:
        conn.execute(text(statement), {"t": tid})
    assert get_ticket(client, headers, tid)["timeline"] == before
    # Appending still works.
    assert client.post(f"{API}/tickets/{tid}/notes", headers=headers, json={"body": "still open"}).status_code == 201
