"""The admin's pack rules page: every edit is a form, saved as a version through the API handler, and the
next ticket is triaged with it; bad input re-renders the page naming the field, and writes nothing."""

from __future__ import annotations

from typing import Any

from api._support import API, L1_ATTITUDE, new_ticket

from .conftest import Web


def _version(web: Web) -> int:
    return int(web.api.get(f"{API}/triage/rules", headers=web.headers["admin"]).json()["version"])


def _edit(web: Web, data: dict[str, str], expect: int = 303) -> Any:
    response = web.post("admin", "/app/admin/rules", {"base_version": str(_version(web)), **data})
    assert response.status_code == expect, response.text
    return response


def test_admin_edits_rules_in_the_browser_and_new_tickets_follow_them(web):
    h = web.headers["admin"]
    _edit(
        web,
        {"op": "add_severity", "id": "rude_staff", "keywords": "态度太差、骂人", "level": "L2", "reason": "品牌要求"},
    )
    _edit(
        web, {"op": "add_department", "id": "attitude_up", "category": "service_attitude", "department": "management"}
    )
    ticket = new_ticket(web.api, h, L1_ATTITUDE, phone="13900000011")
    assert (ticket["severity"], ticket["department"]) == ("L2", "management")

    # Change the brand rule's level, then switch it off (the checkbox left unticked).
    _edit(
        web,
        {
            "op": "edit_rule",
            "rule_id": "brand.severity.rude_staff",
            "level": "L3",
            "keywords": "态度太差",
            "enabled": "true",
        },
    )
    assert new_ticket(web.api, h, L1_ATTITUDE, phone="13900000012")["severity"] == "L3"
    _edit(web, {"op": "edit_rule", "rule_id": "brand.severity.rude_staff", "level": "L3", "keywords": "态度太差"})
    assert new_ticket(web.api, h, L1_ATTITUDE, phone="13900000013")["severity"] == "L1"

    # A shipped department rule moved to another department, then back (no override left).
    shipped = web.api.get(f"{API}/triage/rules", headers=h).json()["rules"]["department_rules"]
    [attitude] = [r for r in shipped if r["source"] == "pack" and "service_attitude" in r["category_in"]]
    _edit(web, {"op": "delete_rule", "rule_id": "brand.department.attitude_up"})
    _edit(web, {"op": "edit_rule", "rule_id": attitude["rule_id"], "department": "after_sales", "enabled": "true"})
    assert new_ticket(web.api, h, L1_ATTITUDE, phone="13900000014")["department"] == "after_sales"
    _edit(
        web,
        {"op": "edit_rule", "rule_id": attitude["rule_id"], "department": attitude["department"], "enabled": "true"},
    )
    assert web.api.get(f"{API}/triage/rules", headers=h).json()["overlay"]["rules"] == {}

    # Keywords: add one to a category, remove a shipped one, restore it.
    _edit(web, {"op": "set_keyword", "category": "cold_chain", "keyword": "哈喇味", "weight": "6"})
    assert new_ticket(web.api, h, "这瓶奶有股哈喇味", phone="13900000015")["category"] == "cold_chain"
    _edit(web, {"op": "remove_keyword", "group": "dairy.category.spoilage", "keyword": "酸味"})
    page = web.browsers["admin"].get("/app/admin/rules").text
    assert 'class="chip kw-removed"' in page and 'data-word="哈喇味"' in page
    _edit(web, {"op": "restore_keyword", "group": "dairy.category.spoilage", "keyword": "酸味"})
    assert "dairy.category.spoilage" not in web.api.get(f"{API}/triage/rules", headers=h).json()["overlay"]["keywords"]

    history = web.browsers["supervisor"].get("/app/admin/rules").text
    assert "新增级别规则 brand.severity.rude_staff" in history and "恢复关键词 酸味" in history
    assert 'id="rules-version" data-version="10"' in history
    assert 'name="op"' not in history  # supervisors read, admins edit
    _edit(web, {"op": "reset"})
    assert web.api.get(f"{API}/triage/rules", headers=h).json()["overlay"]["severity_rules"] == []
    assert new_ticket(web.api, h, L1_ATTITUDE, phone="13900000016")["severity"] == "L1"


def test_bad_rule_input_shows_the_field_and_writes_nothing(web):
    before = _version(web)
    cases = [
        ({"op": "add_severity", "id": "坏 id", "keywords": "疼", "level": "L2"}, "severity_rules[0].id"),
        ({"op": "add_severity", "id": "x", "keywords": "", "level": "L2"}, "severity_rules[0].any"),
        ({"op": "add_severity", "id": "x", "keywords": "疼", "level": "L7"}, "severity_rules[0].level"),
        (
            {"op": "set_keyword", "category": "quality", "keyword": "怪味", "weight": "99"},
            "keywords[brand.category.quality][怪味]",
        ),
        ({"op": "set_keyword", "category": "quality", "keyword": "怪味", "weight": "重"}, "weight"),
        ({"op": "edit_rule", "rule_id": "common.severity.none", "level": "L2"}, "rule_id"),
        ({"op": "explode"}, "op"),
    ]
    for data, field in cases:
        response = _edit(web, data, expect=422)
        assert f"未保存（{field}）" in response.text, (data, response.text[:2000])
        assert 'id="severity-rules"' in response.text  # the page again, not a bare error
    stale = web.post("admin", "/app/admin/rules", {"op": "reset", "base_version": "7"})
    assert stale.status_code == 409 and "未保存（base_version）：规则在您打开页面后已被修改" in stale.text
    assert _version(web) == before
