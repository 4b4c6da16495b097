"""Chinese pages show no English left over from data: the shipped triage rules' reasons, the engine's own
reasons, and the default SLA policies' names all read in the page's language; a brand's own texts stay as typed."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from aftersales.sla.policy import default_policies
from aftersales.triage.engine import load_pack_from_mapping, shipped_reasons
from aftersales.web.i18n import rule_reason, sla_policy_name
from api._support import API, new_ticket

from .conftest import Web

HEALTH = "孩子喝了酸奶后拉肚子，还起了红疹子，现在在医院"


def _english_reasons() -> list[str]:
    return [r["en"] for r in shipped_reasons().values()]


def _english_policy_names() -> list[str]:
    return [p.name for p in default_policies()]


def _assert_no_english_leftovers(html: str) -> None:
    # What a person sees: the tags' text, not hidden fields (the policy form carries the stored name).
    shown = html_lib.unescape(re.sub(r"<[^>]+>", " ", re.sub(r'<input type="hidden"[^>]*>', "", html)))
    leftovers = [text for text in _english_reasons() + _english_policy_names() if text in shown]
    assert not leftovers, leftovers
    # The engine's own reasons ("keywords for quality", "no escalation rule fired") are data too.
    for english in ("keywords for", "no escalation rule fired", "suggested kind", "no keyword matched"):
        assert english not in shown, english


def test_every_shipped_rule_reason_has_chinese_and_english():
    reasons = shipped_reasons()
    assert len(reasons) >= 10
    for rule_id, texts in reasons.items():
        assert set(texts) == {"zh", "en"}, rule_id
        assert any("\u4e00" <= ch <= "\u9fff" for ch in texts["zh"]), rule_id


def test_rules_page_shows_shipped_reasons_in_the_page_language(web: Web):
    zh = web.browsers["admin"].get("/app/admin/rules").text
    _assert_no_english_leftovers(zh)
    assert "反映身体受到伤害（腹泻、呕吐、过敏、就医、中毒等）" in zh
    assert "冷链商品签收一天内变质，多半是冷链问题" in zh  # a context rule of the dairy pack

    web.browsers["admin"].cookies.set("as_lang", "en")
    en = web.browsers["admin"].get("/app/admin/rules").text
    assert "health harm reported (diarrhoea, vomiting, allergy, hospital, poisoning)" in en
    assert "反映身体受到伤害" not in en


def test_ticket_timeline_shows_triage_reasons_and_the_default_policy_in_chinese(web: Web):
    ticket = new_ticket(web.api, web.headers["admin"], HEALTH, channel="chat", phone="13900000301")
    assert ticket["severity"] == "L3"
    html = web.browsers["admin"].get(f"/app/tickets/{ticket['id']}").text
    _assert_no_english_leftovers(html)
    assert "反映身体受到伤害" in html
    assert "命中「不良反应/过敏」关键词" in html
    assert "默认（L3 严重 · 在线客服）" in html
    assert "全天 24 小时" in html

    web.browsers["admin"].cookies.set("as_lang", "en")
    en = web.browsers["admin"].get(f"/app/tickets/{ticket['id']}").text
    assert "health harm reported" in en and "Default: L3 severe · Chat" in en
    assert "反映身体受到伤害" not in en and "默认（" not in en


def test_admin_sla_page_names_default_policies_in_chinese_and_keeps_them_when_saved_unchanged(web: Web):
    html = web.browsers["admin"].get("/app/admin/sla").text
    _assert_no_english_leftovers(html)
    assert "默认（不限级别）" in html
    [catch_all] = [p for p in _policies(web) if p["name"] == "Default: any severity"]
    form = {
        "shown_name": "默认（不限级别）",
        "stored_name": catch_all["name"],
        "name": "默认（不限级别）",
        "position": str(catch_all["position"]),
        "conditions": "{}",
        "calendar_name": catch_all["calendar_name"],
        "target_first_reply": "240",
        "active": "true",
    }
    response = web.post("admin", f"/app/admin/sla/policies/{catch_all['id']}", form)
    assert response.status_code == 303, response.text
    names = {p["id"]: p["name"] for p in _policies(web)}
    assert names[catch_all["id"]] == "Default: any severity"  # stored name unchanged: en pages still translate it

    response = web.post("admin", f"/app/admin/sla/policies/{catch_all['id']}", {**form, "name": "兜底策略"})
    assert response.status_code == 303, response.text
    assert {p["id"]: p["name"] for p in _policies(web)}[catch_all["id"]] == "兜底策略"
    assert "兜底策略" in web.browsers["admin"].get("/app/admin/sla").text


def _policies(web: Web) -> list[dict]:
    response = web.api.get(f"{API}/sla/policies", headers=web.headers["admin"])
    assert response.status_code == 200, response.text
    return list(response.json())


@pytest.mark.parametrize(
    ("name", "lang", "shown"),
    [
        ("Default: L1 · chat", "zh", "默认（L1 轻微 · 在线客服）"),
        ("Default: any severity · social · consultation", "zh", "默认（不限级别 · 社交媒体 · 咨询）"),
        ("Default: L1 · chat", "en", "Default: L1 minor · Chat"),
        ("Default: L9 · chat", "zh", "Default: L9 · chat"),  # not a generated name: a brand's, as typed
        ("VIP 专线", "zh", "VIP 专线"),
    ],
)
def test_sla_policy_names(name, lang, shown):
    assert sla_policy_name(name, lang) == shown


def test_engine_reasons_and_brand_reasons():
    assert rule_reason("common.category.general_quality", "keywords for quality", "zh") == "命中「质量/变质」关键词"
    assert rule_reason("severity.default", "no escalation rule fired", "zh") == "未命中升级规则，按 L1 轻微处理"
    assert rule_reason("common.department.quality", "quality/L2 → quality", "zh") == "质量/变质、L2 中等 → 质量部"
    assert rule_reason("common.kind.refund", "suggested kind refund", "zh") == "建议工单类型：退款"
    assert rule_reason("brand.severity.vip", "客户已就医", "en") == "客户已就医"


def test_a_plain_text_reason_still_loads_and_serves_every_language():
    pack = load_pack_from_mapping(
        {
            "name": "mybrand",
            "inherit_common": False,
            "categories": {"quality": {"g": {"变质": 2}}},
            "severity_rules": [{"id": "x", "level": "L2", "reason": "整批变质", "any": ["整批"]}],
        }
    )
    [rule] = pack.severity_rules
    assert rule.reason == "整批变质" and rule.reasons == {"": "整批变质"}
    with pytest.raises(ValueError, match=r"severity_rules\[0\]\.reason\.fr"):
        load_pack_from_mapping(
            {
                "name": "mybrand",
                "inherit_common": False,
                "categories": {"quality": {"g": {"变质": 2}}},
                "severity_rules": [{"id": "x", "level": "L2", "reason": {"fr": "lot gâté"}, "any": ["整批"]}],
            }
        )
