"""Callbacks and surveys: signed links, one answer per survey, the low-score threshold, overdue callbacks,
reopen cancelling the follow-up, and the core's callback route closing the task."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from aftersales.kit.outbox import OutboxEvent
from aftersales.surveys.links import survey_signer
from api._support import API, L1_SOUR, error, new_ticket


def _resolved(client: Any, make_agent: Any, dispatcher: Any) -> tuple[dict[str, Any], dict[str, str], int]:
    owner_id, owner_h = make_agent("agent", "quality", skills=["quality"])
    ticket = new_ticket(client, owner_h, L1_SOUR, customer={"name": "孙女士", "email": "sun@example.cn"})
    r = client.post(f"{API}/tickets/{ticket['id']}/transitions", headers=owner_h, json={"action": "resolve"})
    assert r.status_code == 200, r.text
    dispatcher.run_until_idle()
    return ticket, owner_h, owner_id


def _tasks(client: Any, headers: dict[str, str], ticket_id: int, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"{API}/callbacks", headers=headers, params={"ticket_id": ticket_id, **params})
    assert response.status_code == 200, response.text
    return sorted(response.json(), key=lambda t: t["id"])


def _survey_url(settings: Any, task: dict[str, Any]) -> str:
    return f"{API}/surveys/{survey_signer(settings).sign(task['survey_id'])}"


def _events(database: Any, topic: str) -> int:
    with database.transaction() as db:
        return int(db.scalar(select(func.count()).where(OutboxEvent.topic == topic)))


def test_forged_and_foreign_tokens_open_no_survey(client, make_agent, dispatcher, settings):
    ticket, owner_h, _ = _resolved(client, make_agent, dispatcher)
    portal_token = client.post(f"{API}/tickets/{ticket['id']}/customer-link", headers=owner_h).json()["token"]
    for token in ("x" * 40, portal_token, survey_signer(settings).sign(10**9)):
        response = client.get(f"{API}/surveys/{token}")
        assert response.status_code == 404 and error(response)["field"] == "token"
    other_key = type(survey_signer(settings))("another-secret-key-0123456789", max_age_days=30)
    (task,) = _tasks(client, owner_h, ticket["id"])
    assert client.get(f"{API}/surveys/{other_key.sign(task['survey_id'])}").status_code == 404


def test_a_survey_is_answered_once(client, database, make_agent, dispatcher, settings):
    ticket, owner_h, _ = _resolved(client, make_agent, dispatcher)
    (task,) = _tasks(client, owner_h, ticket["id"])
    url = _survey_url(settings, task)
    answer = {"speed": 5, "attitude": 5, "result": 5, "nps": 10, "comment": "  "}
    assert client.post(url, json=answer).status_code == 201
    second = client.post(url, json=answer)
    assert second.status_code == 409 and error(second)["field"] == "token"
    assert client.get(url).json()["answered"] is True
    assert _events(database, "survey.answered") == 1
    bad = client.post(_survey_url(settings, task), json={**answer, "nps": 11})
    assert bad.status_code == 422 and error(bad)["field"] == "nps"


@pytest.mark.parametrize(("scores", "low"), [((4, 4, 4), False), ((5, 4, 2), True), ((1, 1, 1), True)])
def test_overall_csat_below_four_is_low(client, make_agent, dispatcher, settings, scores, low):
    ticket, owner_h, _ = _resolved(client, make_agent, dispatcher)
    (task,) = _tasks(client, owner_h, ticket["id"])
    speed, attitude, result = scores
    body = {"speed": speed, "attitude": attitude, "result": result, "nps": 5}
    assert client.post(_survey_url(settings, task), json=body).json()["low_score"] is low
    dispatcher.run_until_idle()
    kinds = [t["kind"] for t in _tasks(client, owner_h, ticket["id"])]
    assert kinds == (["follow_up", "second_callback"] if low else ["follow_up"])


def test_missed_callback_shows_overdue_and_is_flagged_once(client, database, clock, make_agent, dispatcher):
    ticket, owner_h, _ = _resolved(client, make_agent, dispatcher)
    clock.advance(hours=23)
    assert _tasks(client, owner_h, ticket["id"], overdue="true") == []
    clock.advance(hours=2)
    (task,) = _tasks(client, owner_h, ticket["id"], overdue="true")
    assert task["overdue"] is True
    dispatcher.run_until_idle()
    dispatcher.run_until_idle()
    assert _events(database, "callback.overdue") == 1
    inbox = client.get(f"{API}/inbox", headers=owner_h).json()
    overdue = [i for i in inbox if i["template"] == "callback_overdue"]
    assert len(overdue) == 1 and f"#{ticket['id']}" in overdue[0]["subject"]
    read = client.post(f"{API}/inbox/{overdue[0]['id']}/read", headers=owner_h)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert client.get(f"{API}/inbox", headers=owner_h, params={"unread": "true"}).json() == [
        i for i in client.get(f"{API}/inbox", headers=owner_h).json() if i["read_at"] is None
    ]


def test_someone_elses_inbox_item_looks_missing(client, make_agent, dispatcher):
    _, owner_h, _ = _resolved(client, make_agent, dispatcher)
    item = client.get(f"{API}/inbox", headers=owner_h).json()[0]
    _, other_h = make_agent("agent", "logistics")
    assert client.post(f"{API}/inbox/{item['id']}/read", headers=other_h).status_code == 404


def test_unanswered_call_keeps_the_task_open_and_the_clock_running(client, make_agent, dispatcher):
    ticket, owner_h, _ = _resolved(client, make_agent, dispatcher)
    (task,) = _tasks(client, owner_h, ticket["id"])
    tried = client.post(
        f"{API}/callbacks/{task['id']}/complete", headers=owner_h, json={"reached": False, "summary": "无人接听"}
    )
    assert (tried.json()["status"], tried.json()["attempts"]) == ("open", 1)
    sla = client.get(f"{API}/tickets/{ticket['id']}/sla", headers=owner_h).json()
    assert {m["metric"]: m["status"] for m in sla["metrics"]}["follow_up"] == "active"
    done = client.post(
        f"{API}/callbacks/{task['id']}/complete", headers=owner_h, json={"reached": True, "summary": "已解决"}
    )
    assert (done.json()["status"], done.json()["attempts"]) == ("done", 2)
    again = client.post(
        f"{API}/callbacks/{task['id']}/complete", headers=owner_h, json={"reached": True, "summary": "x"}
    )
    assert again.status_code == 409


def test_reopen_cancels_the_follow_up_and_a_new_resolution_schedules_another(client, make_agent, dispatcher):
    ticket, owner_h, _ = _resolved(client, make_agent, dispatcher)
    for action in ("reopen", "resolve"):
        assert (
            client.post(
                f"{API}/tickets/{ticket['id']}/transitions", headers=owner_h, json={"action": action}
            ).status_code
            == 200
        )
        dispatcher.run_until_idle()
    tasks = _tasks(client, owner_h, ticket["id"])
    assert [(t["kind"], t["status"]) for t in tasks] == [("follow_up", "cancelled"), ("follow_up", "open")]


def test_the_cores_callback_route_closes_the_task(client, make_agent, dispatcher):
    ticket, owner_h, _ = _resolved(client, make_agent, dispatcher)
    r = client.post(
        f"{API}/tickets/{ticket['id']}/callbacks", headers=owner_h, json={"reached": True, "summary": "满意"}
    )
    assert r.status_code == 201
    dispatcher.run_until_idle()
    assert [t["status"] for t in _tasks(client, owner_h, ticket["id"])] == ["done"]


def test_second_callback_is_a_supervisors_call(client, make_agent, dispatcher, settings, supervisor):
    ticket, owner_h, _ = _resolved(client, make_agent, dispatcher)
    (task,) = _tasks(client, owner_h, ticket["id"])
    client.post(_survey_url(settings, task), json={"speed": 1, "attitude": 2, "result": 1, "nps": 0})
    dispatcher.run_until_idle()
    second = _tasks(client, owner_h, ticket["id"])[1]
    assert second["kind"] == "second_callback"
    refused = client.post(
        f"{API}/callbacks/{second['id']}/complete", headers=owner_h, json={"reached": True, "summary": "x"}
    )
    assert refused.status_code == 403
    _, sup_h = supervisor
    ok = client.post(
        f"{API}/callbacks/{second['id']}/complete", headers=sup_h, json={"reached": True, "summary": "已道歉并补偿"}
    )
    assert ok.status_code == 200 and ok.json()["status"] == "done"
