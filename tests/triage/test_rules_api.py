"""The brand's triage rules through the API: saved as versions with who and when, used by the next ticket in
every process, validated with the field named, and guarded against lost updates."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from aftersales.kit.outbox import OutboxEvent
from aftersales.triage.models import TriageRuleVersion
from api._support import API, L1_ATTITUDE, error, new_ticket

RULES = f"{API}/triage/rules"
RUDE = {"id": "rude_staff", "level": "L2", "any": ["态度太差"], "reason": "品牌要求：服务态度投诉至少按中等处理"}
TO_MANAGEMENT = {"id": "l2_attitude", "department": "management", "category_in": ["service_attitude"]}


def _put(client: Any, h: dict[str, str], version: int, overlay: dict[str, Any], change: str = "") -> Any:
    return client.put(RULES, headers=h, json={"base_version": version, "overlay": overlay, "change": change})


def test_edits_are_versioned_and_triage_the_next_ticket(client, database, admin, clock):
    _, h = admin
    shipped = client.get(RULES, headers=h).json()
    assert (shipped["pack"], shipped["version"], shipped["changed_by"]) == ("dairy", 0, None)
    assert any(r["rule_id"].startswith("common.severity.") for r in shipped["rules"]["severity_rules"])
    before = new_ticket(client, h, L1_ATTITUDE)
    assert (before["severity"], before["department"]) == ("L1", "customer_service")

    overlay = {"severity_rules": [RUDE], "department_rules": [TO_MANAGEMENT]}
    saved = _put(client, h, 0, overlay, "服务态度投诉升级")
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["version"] == 1 and body["changed_by"].startswith("agent:") and body["changed_at"]
    assert body["rules"]["department_rules"][0]["rule_id"] == "brand.department.l2_attitude"

    after = new_ticket(client, h, L1_ATTITUDE, phone="13800000002")
    assert (after["severity"], after["department"]) == ("L2", "management")
    hits = {hit["rule_id"] for hit in after["triage"]["hits"]}
    assert {"brand.severity.rude_staff", "brand.department.l2_attitude"} <= hits

    # Switch the brand's rule off again: a new version, and the next ticket is back to the shipped outcome.
    off = {"severity_rules": [{**RUDE, "enabled": False}], "department_rules": [TO_MANAGEMENT]}
    assert _put(client, h, 1, off, "暂停").status_code == 200
    again = new_ticket(client, h, L1_ATTITUDE, phone="13800000003")
    assert (again["severity"], again["department"]) == ("L1", "management")

    history = client.get(f"{RULES}/versions", headers=h).json()
    assert [(v["version"], v["change"]) for v in history] == [(2, "暂停"), (1, "服务态度投诉升级")]
    with database.transaction() as db:
        topics = db.scalars(select(OutboxEvent.payload).where(OutboxEvent.topic == "triage.rules_changed")).all()
    assert [p["version"] for p in topics] == [1, 2]


def test_a_second_process_sees_an_edit_without_a_restart(app, client, settings, clock, database, admin):
    """Two apps on one database stand for two server processes: each caches the pack, the version stamp tells."""
    from aftersales.app import create_app

    _, h = admin
    other = create_app(settings, clock=clock, database=database)
    with TestClient(other) as second:
        assert new_ticket(second, h, L1_ATTITUDE)["severity"] == "L1"  # its cache now holds the shipped pack
        assert _put(client, h, 0, {"severity_rules": [RUDE]}).status_code == 200
        assert new_ticket(second, h, L1_ATTITUDE, phone="13800000004")["severity"] == "L2"


def test_bad_edits_name_the_field_and_write_nothing(client, database, admin):
    _, h = admin
    cases = [
        ({"severity_rules": [{**RUDE, "level": "L9"}]}, "severity_rules[0].level"),
        ({"severity_rules": [{**RUDE, "any": ["态度，太差"]}]}, "severity_rules[0].any[0]"),
        ({"rules": {"common.severity.no_such_rule": {"enabled": False}}}, "rules[common.severity.no_such_rule]"),
        ({"keywords": {"dairy.category.spoilage": {"酸味": -1}}}, "keywords[dairy.category.spoilage][酸味]"),
        ({"department_rules": [{"id": "x", "department": "quality"}]}, "department_rules[0].category_in"),
    ]
    for overlay, field in cases:
        response = _put(client, h, 0, overlay)
        assert response.status_code == 422, (overlay, response.text)
        assert error(response)["field"] == field, response.text
    shape = client.put(RULES, headers=h, json={"base_version": -1, "overlay": {}})
    assert shape.status_code == 422 and "base_version" in shape.text
    with database.transaction() as db:
        assert db.scalar(select(func.count()).select_from(TriageRuleVersion)) == 0
        assert db.scalar(select(func.count()).where(OutboxEvent.topic == "triage.rules_changed")) == 0


def test_a_stale_version_is_refused_so_nobody_overwrites_an_edit_unseen(client, admin, make_agent):
    _, h = admin
    _, other_h = make_agent("admin", "management", email="second.admin@brand.example")
    assert _put(client, h, 0, {"severity_rules": [RUDE]}).status_code == 200
    late = _put(client, other_h, 0, {"department_rules": [TO_MANAGEMENT]})
    assert late.status_code == 409 and error(late)["field"] == "base_version"
    assert error(late)["current"] == 1
    assert client.get(RULES, headers=h).json()["overlay"]["severity_rules"][0]["id"] == "rude_staff"
    same = _put(client, h, 1, {"severity_rules": [RUDE]})  # saving what is in force adds no version
    assert same.status_code == 200 and same.json()["version"] == 1
