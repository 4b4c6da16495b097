"""The brand's edits to its pack as an overlay: pure, no database — validation names the field, apply changes
what triage decides, and an empty or stale overlay leaves the shipped pack's decisions alone."""

from __future__ import annotations

import pytest

from aftersales.triage import overlay as ov
from aftersales.triage.engine import TriageInput, load_pack, triage

DAIRY = load_pack("dairy")
ATTITUDE = "客服态度太差了"
ALLERGY = "牛奶喝完过敏起疹子了"
SOUR = "昨天收到的鲜牛奶打开就是酸的，已经结块了"


def decide(pack, text):
    return triage(pack, TriageInput(text=text))


def fired(decision, field):
    return [h.rule_id for h in decision.hits if h.field == field]


def test_an_empty_overlay_is_the_shipped_pack():
    assert ov.apply(DAIRY, None) is DAIRY
    assert ov.apply(DAIRY, ov.empty()) is DAIRY
    assert ov.normalise(DAIRY, {}) == ov.empty()


def test_a_brand_keyword_rule_raises_severity_and_a_brand_department_rule_routes_it():
    overlay = ov.normalise(
        DAIRY,
        {
            "severity_rules": [{"id": "rude_staff", "level": "L2", "any": ["态度太差"], "reason": "品牌要求"}],
            "department_rules": [{"id": "attitude_to_management", "department": "management", "severity_in": ["L2"]}],
        },
    )
    before, after = decide(DAIRY, ATTITUDE), decide(ov.apply(DAIRY, overlay), ATTITUDE)
    assert (before.severity, before.department) == ("L1", "customer_service")
    assert (after.severity, after.department) == ("L2", "management")
    assert fired(after, "severity") == ["brand.severity.rude_staff"]
    assert fired(after, "department") == ["brand.department.attitude_to_management"]


def test_disabling_or_lowering_a_shipped_rule_changes_the_decision():
    shipped = decide(DAIRY, ALLERGY)
    assert shipped.severity == "L3"
    rules = fired(shipped, "severity")
    lowered = ov.apply(DAIRY, ov.normalise(DAIRY, {"rules": {r: {"level": "L2"} for r in rules}}))
    assert decide(lowered, ALLERGY).severity == "L2"
    off = ov.apply(DAIRY, ov.normalise(DAIRY, {"rules": {r: {"enabled": False} for r in rules}}))
    assert decide(off, ALLERGY).severity != "L3"
    assert not set(rules) & {r.rule_id for r in off.severity_rules}
    department = fired(shipped, "department")[0]
    moved = ov.apply(DAIRY, ov.normalise(DAIRY, {"rules": {department: {"department": "quality"}}}))
    assert decide(moved, ALLERGY).department == "quality"


def test_keywords_are_added_reweighted_and_removed():
    text = "这瓶奶有股哈喇味"
    assert decide(DAIRY, text).category != "cold_chain"
    added = ov.apply(DAIRY, ov.normalise(DAIRY, {"keywords": {"brand.category.cold_chain": {"哈喇味": 6}}}))
    decision = decide(added, text)
    assert decision.category == "cold_chain" and "brand.category.cold_chain" in fired(decision, "category")
    assert "哈喇味" in added.vocabulary

    [group] = [g for g in DAIRY.categories if g.rule_id == "dairy.category.spoilage"]
    removed = {w: None for w in group.keywords}
    stripped = ov.apply(DAIRY, ov.normalise(DAIRY, {"keywords": {"dairy.category.spoilage": removed}}))
    assert [g.keywords for g in stripped.categories if g.rule_id == "dairy.category.spoilage"] == [{}]
    heavier = ov.apply(DAIRY, ov.normalise(DAIRY, {"keywords": {"dairy.category.spoilage": {"酸味": 9}}}))
    assert [g.keywords["酸味"] for g in heavier.categories if g.rule_id == "dairy.category.spoilage"] == [9.0]


def test_the_shipped_pack_is_never_changed_by_an_overlay():
    before = decide(DAIRY, SOUR)
    ov.apply(DAIRY, ov.normalise(DAIRY, {"keywords": {"dairy.category.spoilage": {"酸味": None}}}))
    assert decide(load_pack("dairy"), SOUR) == before
    assert "酸味" in DAIRY.category_keywords("quality")


@pytest.mark.parametrize(
    ("overlay", "field"),
    [
        ({"colour": {}}, "overlay.colour"),
        ({"keywords": {"dairy.category.nope": {"酸": 1}}}, "keywords[dairy.category.nope]"),
        ({"keywords": {"brand.category.weather": {"下雨": 1}}}, "keywords[brand.category.weather]"),
        ({"keywords": {"dairy.category.spoilage": {"酸味": 0}}}, "keywords[dairy.category.spoilage][酸味]"),
        ({"keywords": {"dairy.category.spoilage": {"酸味": "重"}}}, "keywords[dairy.category.spoilage][酸味]"),
        ({"keywords": {"dairy.category.spoilage": {"有 空格": 1}}}, "keywords[dairy.category.spoilage][有 空格]"),
        ({"keywords": {"dairy.category.spoilage": {"没有的词": None}}}, "keywords[dairy.category.spoilage][没有的词]"),
        ({"rules": {"common.severity.nope": {"level": "L2"}}}, "rules[common.severity.nope]"),
        ({"severity_rules": [{"id": "x", "level": "L9", "any": ["疼"]}]}, "severity_rules[0].level"),
        ({"severity_rules": [{"id": "x", "level": "L2", "any": []}]}, "severity_rules[0].any"),
        ({"severity_rules": [{"id": "坏", "level": "L2", "any": ["疼"]}]}, "severity_rules[0].id"),
        ({"severity_rules": [{"id": "x", "level": "L2", "any": ["疼，痛"]}]}, "severity_rules[0].any[0]"),
        (
            {"severity_rules": [{"id": "x", "level": "L2", "any": ["疼"]}, {"id": "x", "level": "L3", "any": ["痛"]}]},
            "severity_rules[1].id",
        ),
        ({"department_rules": [{"id": "x", "department": "quality"}]}, "department_rules[0].category_in"),
        (
            {"department_rules": [{"id": "x", "department": "sales", "severity_in": ["L1"]}]},
            "department_rules[0].department",
        ),
        (
            {"department_rules": [{"id": "x", "department": "quality", "category_in": ["weather"]}]},
            "department_rules[0].category_in[0]",
        ),
    ],
)
def test_a_bad_overlay_names_the_field(overlay, field):
    with pytest.raises(ov.OverlayError) as caught:
        ov.normalise(DAIRY, overlay)
    assert caught.value.field == field, caught.value


def test_edits_of_rules_a_newer_pack_no_longer_has_are_skipped_not_fatal():
    stale = {
        "keywords": {"dairy.category.gone": {"酸": 1}},
        "rules": {"common.severity.gone": {"level": "L3"}},
        "severity_rules": [],
        "department_rules": [],
    }
    assert decide(ov.apply(DAIRY, stale), SOUR) == decide(DAIRY, SOUR)


def test_describe_shows_shipped_and_current_values():
    rule = DAIRY.severity_rules[0]
    overlay = ov.normalise(
        DAIRY,
        {
            "rules": {rule.rule_id: {"level": "L1" if rule.level != "L1" else "L2", "enabled": False}},
            "keywords": {"dairy.category.spoilage": {"酸味": None, "馊了": 3}},
        },
    )
    view = ov.describe(DAIRY, overlay)
    [row] = [r for r in view["severity_rules"] if r["rule_id"] == rule.rule_id]
    assert (row["shipped_level"], row["enabled"], row["edited"]) == (rule.level, False, True)
    [quality] = [c for c in view["categories"] if c["category"] == "quality"]
    [spoilage] = [g for g in quality["groups"] if g["rule_id"] == "dairy.category.spoilage"]
    states = {k["word"]: k["state"] for k in spoilage["keywords"]}
    assert states["酸味"] == "removed" and states["馊了"] == "added" and states["结块"] == "pack"
