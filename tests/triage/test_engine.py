from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from aftersales.triage.cli import app
from aftersales.triage.engine import (
    CATEGORIES,
    DEPARTMENTS,
    SEVERITIES,
    OrderContext,
    TriageInput,
    available_packs,
    load_pack,
    load_pack_from_mapping,
    triage,
)


def run(text: str, pack: str = "dairy", **kw: object) -> object:
    return triage(load_pack(pack), TriageInput(text=text, **kw))  # type: ignore[arg-type]


def test_available_packs_are_the_four_industries() -> None:
    assert available_packs() == ["dairy", "tonic", "calcium", "cashmere"]
    for name in available_packs():
        pack = load_pack(name)
        assert pack.name == name and pack.title
        assert pack.product_attributes, name


def test_load_pack_is_cached() -> None:
    assert load_pack("tonic") is load_pack("tonic")


def test_unknown_pack_error_names_the_pack() -> None:
    with pytest.raises(ValueError, match="'beer'"):
        load_pack("beer")


def test_allergy_raises_l3_and_goes_to_management() -> None:
    d = triage(load_pack("calcium"), TriageInput(text="吃了你们的钙片以后过敏了，全身起红疹"))
    assert d.category == "adverse_reaction"
    assert d.severity == "L3"
    assert d.department == "management"


def test_negated_allergy_does_not_raise_l3() -> None:
    d = triage(load_pack("dairy"), TriageInput(text="没有过敏，就是想问鲜奶开封后能放几天"))
    assert d.severity == "L1"
    assert d.category == "usage_question"
    assert d.department == "customer_service"


def test_negated_spoilage_does_not_count_as_quality() -> None:
    d = triage(load_pack("tonic"), TriageInput(text="不是变质，是快递把盒子摔坏了"))
    assert d.category == "packaging_damage"
    assert all("变质" not in h.matched for h in d.hits)


def _matched(d: object) -> set[str]:
    return {kw for h in d.hits for kw in h.matched}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("pack", "text", "negated"),
    [
        ("dairy", "孩子喝了以后没有过敏", "过敏"),
        ("tonic", "吃了一个月也没上火", "上火"),
        ("calcium", "吃了以后没拉肚子", "拉肚子"),
        ("cashmere", "洗过一次没缩水", "缩水"),
    ],
)
def test_negated_keyword_does_not_fire(pack: str, text: str, negated: str) -> None:
    d = triage(load_pack(pack), TriageInput(text=text))
    assert negated not in _matched(d)
    assert d.severity == "L1"
    assert d.category != "adverse_reaction"
    positive = triage(load_pack(pack), TriageInput(text=text.replace("没有", "").replace("没", "")))
    assert negated in _matched(positive)


def test_rhetorical_question_is_not_a_negation() -> None:
    d = triage(load_pack("calcium"), TriageInput(text="这不是虚假宣传吗"))
    assert d.category == "authenticity"


def test_media_threat_escalates_to_l3() -> None:
    d = triage(load_pack("cashmere"), TriageInput(text="毛衣起球了，再不处理我就找媒体曝光"))
    assert d.severity == "L3"
    assert any(h.rule_id == "common.severity.l3_public_escalation" for h in d.hits)


def test_pregnant_woman_unwell_is_l3() -> None:
    d = triage(load_pack("tonic"), TriageInput(text="我是孕妇，吃了以后有点不舒服"))
    assert d.severity == "L3"


def test_repeated_problem_is_l2() -> None:
    d = triage(load_pack("cashmere"), TriageInput(text="第二次买了，又起球了"))
    assert (d.category, d.severity) == ("quality", "L2")


def test_plain_packaging_damage_is_l1_after_sales() -> None:
    d = triage(load_pack("dairy"), TriageInput(text="盒子压扁了，瓶子漏了一点"))
    assert (d.category, d.severity, d.department) == ("packaging_damage", "L1", "after_sales")


def test_decision_records_the_rule_that_fired() -> None:
    d = triage(load_pack("cashmere"), TriageInput(text="羊绒衫洗了一次就缩水了"))
    cat_hits = [h for h in d.hits if h.field == "category"]
    assert cat_hits and cat_hits[0].rule_id == "cashmere.category.pilling_shrinking"
    assert "缩水" in cat_hits[0].matched
    assert {h.field for h in d.hits} == {"category", "severity", "department", "kind"}
    as_dict = d.as_dict()
    json.dumps(as_dict, ensure_ascii=False)
    assert as_dict["hits"][0]["rule_id"] == "cashmere.category.pilling_shrinking"


def test_fallback_is_low_confidence_and_recorded() -> None:
    question = triage(load_pack("dairy"), TriageInput(text="你好在吗？"))
    assert question.category == "usage_question"
    assert question.confidence < 0.3
    assert any(h.rule_id == "fallback" for h in question.hits)
    statement = triage(load_pack("dairy"), TriageInput(text="你好"))
    assert statement.category == "quality"
    assert any(h.rule_id == "fallback" for h in statement.hits)


def test_spoilage_on_arrival_of_cold_chain_product_is_cold_chain() -> None:
    text = "今天收到的鲜奶打开是酸的"
    plain = triage(load_pack("dairy"), TriageInput(text=text))
    ctx = OrderContext(cold_chain=True, days_since_delivery=0, delivered=True)
    with_ctx = triage(load_pack("dairy"), TriageInput(text=text, order=ctx))
    assert plain.category == "quality"
    assert with_ctx.category == "cold_chain"
    assert with_ctx.severity == "L2"
    assert with_ctx.department == "logistics"
    assert any(h.rule_id == "dairy.context.spoiled_on_arrival_cold_chain" for h in with_ctx.hits)


def test_long_wait_not_received_is_logistics_delay() -> None:
    ctx = OrderContext(days_since_delivery=5)
    d = triage(load_pack("calcium"), TriageInput(text="客服说已经处理了，可我还没收到", order=ctx))
    assert d.category == "logistics_delay"
    assert any(h.rule_id == "common.context.long_wait_not_received" for h in d.hits)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("奶是酸的，我要退款", "refund"),
        ("起球太严重了，我要退货", "return"),
        ("尺码不对，想换货", "exchange"),
        ("少发了一盒，麻烦补发", "reissue"),
        ("纽扣掉了，能维修吗", "repair"),
        ("建议出个小包装", "suggestion"),
        ("一天吃几片？", "consultation"),
        ("阿胶糕发霉了", "complaint"),
    ],
)
def test_kind_is_suggested_from_text(text: str, kind: str) -> None:
    assert triage(load_pack("calcium"), TriageInput(text=text)).kind == kind


def test_given_kind_is_kept_unchanged() -> None:
    d = triage(load_pack("dairy"), TriageInput(text="我要退款", kind="care_followup"))
    assert d.kind == "care_followup"


def _custom() -> dict[str, object]:
    return {
        "name": "mybrand",
        "title": "我的品牌",
        "categories": {"quality": {"brand_quality": {"开线": 4}}},
        "severity_rules": [{"id": "l2_brand", "level": "L2", "any": ["开线"]}],
    }


def test_custom_pack_merges_common_base() -> None:
    pack = load_pack_from_mapping(_custom())
    d = triage(pack, TriageInput(text="衣服开线了"))
    assert (d.category, d.severity) == ("quality", "L2")
    assert any(h.rule_id == "mybrand.category.brand_quality" for h in d.hits)
    assert triage(pack, TriageInput(text="喝了以后拉肚子住院了")).severity == "L3"


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d["categories"].update({"weather": {"x": {"雨": 1}}}), "categories.weather"),
        (lambda d: d["severity_rules"][0].update({"level": "L9"}), "severity_rules[0].level"),
        (lambda d: d["categories"]["quality"]["brand_quality"].update({"开线": -1}), "brand_quality.开线"),
        (lambda d: d.update({"departmnet_rules": []}), "departmnet_rules"),
        (lambda d: d.update({"kind_rules": [{"id": "k", "kind": "gift"}]}), "kind_rules[0].kind"),
        (lambda d: d.update({"department_rules": [{"id": "d", "department": "hr"}]}), "department"),
        (lambda d: d["severity_rules"][0].pop("id"), "severity_rules[0].id"),
    ],
)
def test_bad_custom_pack_error_names_the_key(mutate, key: str) -> None:  # type: ignore[no-untyped-def]
    data = copy.deepcopy(_custom())
    mutate(data)
    with pytest.raises(ValueError) as exc:
        load_pack_from_mapping(data)
    assert key in str(exc.value)
    assert "mybrand" in str(exc.value)


def test_custom_pack_without_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="name"):
        load_pack_from_mapping({"categories": {}})


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80), st.sampled_from(["dairy", "tonic", "calcium", "cashmere"]))
def test_any_text_yields_a_valid_decision(text: str, pack: str) -> None:
    d = triage(load_pack(pack), TriageInput(text=text))
    assert d.category in CATEGORIES
    assert d.severity in SEVERITIES
    assert d.department in DEPARTMENTS
    assert 0.0 <= d.confidence <= 1.0
    assert d.hits


def test_cli_classify_prints_json() -> None:
    result = CliRunner().invoke(app, ["classify", "喝了以后拉肚子", "--pack", "dairy"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[result.output.index("{") :])
    assert data["severity"] == "L3"


def test_cli_eval_passes_on_labelled_set() -> None:
    result = CliRunner().invoke(app, ["eval", "--pack", "tonic"])
    assert result.exit_code == 0, result.output
    assert "L3 recall" in result.output


def test_cli_eval_exits_1_when_an_l3_case_is_missed(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    import aftersales.triage.evaluate as ev

    real = ev.triage

    def never_l3(pack, inp):  # type: ignore[no-untyped-def]
        return dataclasses.replace(real(pack, inp), severity="L1")

    monkeypatch.setattr(ev, "triage", never_l3)
    result = CliRunner().invoke(app, ["eval", "--pack", "calcium"])
    assert result.exit_code == 1
    assert "MISSED" in result.output
