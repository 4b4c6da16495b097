"""Entry selection: product names, handoff entries, suitability questions vs risks, evaluation sets (no database)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from aftersales.assistant import evaluate as ev
from aftersales.assistant.engine import Assistant, CustomerContext, DialogueState, named_product, product_aliases
from aftersales.assistant.knowledge import Entry, ProductFacts
from aftersales.assistant.signals import detect_risks

TODAY = date(2026, 11, 23)
MILK = ProductFacts(sku="M-1", name="牧云 巴氏杀菌鲜奶", category="dairy", shelf_life_days=7, storage="冷藏")
YOGURT = ProductFacts(sku="M-2", name="牧云 希腊式浓缩酸奶", category="dairy", shelf_life_days=21, storage="冷藏")


def entry(key: str, intent: str, questions: list[str], answer: str, **kw) -> Entry:
    return Entry(key=key, intent=intent, answer=answer, questions=tuple(questions), **kw)


@pytest.fixture(scope="module")
def assistant() -> Assistant:
    def make(key: str, intent: str, questions: str, answer: str, products: tuple[str, ...] = ()) -> Entry:
        return entry(key, intent, questions.split(), answer, products=products)

    return Assistant(
        [
            make("milk-life", "shelf_life", "鲜奶能放几天 鲜奶保质期几天 鲜奶能放多久 酸奶和鲜奶能放几天",
                 "7天。", ("M-1",)),
            make("yogurt-life", "shelf_life", "希腊酸奶保质期 浓缩酸奶保质期多久 希腊式酸奶保质期几天 浓缩的保质期",
                 "21天。", ("M-2",)),
            make("invoice", "invoice", "能开发票吗 怎么开发票 可以开专票吗 发票怎么开", "下单后可开电子发票。"),
            make("advice", "contact_human", "能帮我定个补钙方案吗 帮我配个营养方案 根据我的情况给个方案 定制方案",
                 "个人方案需要营养师，已请同事联系您。"),
            make("returns", "return_policy", "可以退货吗 七天无理由退货吗 不想要了能退吗 怎么退货", "签收7天内可退。"),
        ]
    )  # fmt: skip


def test_a_named_product_rules_out_the_entry_of_another_product(assistant):
    question = "浓缩酸奶能放几天啊"
    blind = assistant.respond(DialogueState(), question, CustomerContext(today=TODAY))
    named = assistant.respond(DialogueState(), question, CustomerContext(today=TODAY, catalogue=[MILK, YOGURT]))
    assert blind.entry_key == "milk-life"  # the words alone favour the milk entry ...
    assert named.entry_key == "yogurt-life"  # ... the product's name does not


def test_product_aliases_are_distinctive_parts_of_names(assistant):
    aliases = product_aliases([MILK, YOGURT], assistant.entries)
    assert named_product("浓缩酸奶开了能放多久", aliases) == YOGURT
    assert named_product("巴氏杀菌的奶", aliases) == MILK
    assert "酸奶" not in aliases and "牧云" not in aliases  # shared words and the brand name no product alone
    assert aliases["鲜奶"] == MILK  # here only the milk's own entry uses it


def test_a_matched_handoff_entry_hands_over_without_claiming_an_answer(assistant):
    reply = assistant.respond(DialogueState(), "能帮我定个补钙方案吗", CustomerContext(today=TODAY))
    assert reply.handoff and reply.handoff_reason == "request"
    assert reply.entry_key is None and "营养师" in reply.text


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("海鲜过敏能不能吃氨糖钙", set()),
        ("感冒发烧期间可以喝阿胶口服液吗", set()),
        ("吃了以后过敏了，还能吃吗", {"adverse_reaction"}),
        ("怀孕三个月吃了阿胶糕，今天见红了", {"adverse_reaction", "pregnancy"}),
        ("孩子偷吃了半瓶软糖", {"adverse_reaction"}),
        ("过期奶要求退一赔十", {"legal"}),
        ("发烧可以喝吗？我要打12315", {"regulator"}),
    ],
)
def test_a_symptom_in_a_suitability_question_is_not_a_risk(text, kinds):
    assert {r.kind for r in detect_risks(text)} == kinds


def test_eval_discovers_each_set_and_reports_it_apart(tmp_path: Path):
    row = '{"text": "能开发票吗", "expected_key": "x", "expect_handoff": false, "risk": false}\n'
    for name in ("dairy.jsonl", "dairy.v2.jsonl", "tonic.v2.jsonl", "notes.txt"):
        (tmp_path / name).write_text(row * (2 if "v2" in name else 1), "utf-8")
    assert ev.eval_sets(tmp_path) == {"v1": ["dairy"], "v2": ["dairy", "tonic"]}
    assert len(ev.load_cases("dairy", tmp_path, "v1")) == 1
    assert len(ev.load_cases("dairy", tmp_path, "v2")) == 2
    assert set(ev.eval_sets()) >= {"v1"}  # the shipped held-out set


def test_an_answer_the_sets_author_also_accepted_counts_and_nothing_else_does():
    rows = (
        '{"text": "a", "expected_key": "k1", "expect_handoff": false, "risk": false, "also_ok": ["k2", null]}\n'
        '{"text": "b", "expected_key": "k1", "expect_handoff": true, "risk": false, "also_ok": ["k2"]}\n'
    )
    loose, strict_handoff = ev.parse_cases(rows, "test")
    assert loose.also_ok == ["k2", None]

    def reply(key: str | None, handoff: bool) -> SimpleNamespace:
        return SimpleNamespace(entry_key=key, handoff=handoff)

    assert ev.is_correct(loose, reply("k1", False)) and ev.is_correct(loose, reply("k2", False))
    assert ev.is_correct(loose, reply(None, True))  # an honest handoff was accepted too
    assert not ev.is_correct(loose, reply("k3", False)) and not ev.is_correct(loose, reply(None, False))
    # An alternative entry still has to come with the handoff the case requires.
    assert ev.is_correct(strict_handoff, reply("k2", True))
    assert not ev.is_correct(strict_handoff, reply("k2", False))


def test_shipped_dev_sets_are_well_formed_and_cover_risk():
    for pack in ("dairy", "tonic", "calcium", "cashmere"):
        cases = ev.dev_cases(pack)
        assert len(cases) >= 50
        assert sum(c.risk for c in cases) >= 5
        assert all(c.expected_key is None for c in cases if c.expect_handoff)


def test_every_held_out_label_names_an_entry_of_its_pack():
    """Well-formedness only (no row is printed): a typo in a label would silently count as a wrong answer."""
    from aftersales.assistant.knowledge import load_pack

    for set_name, packs in ev.eval_sets().items():
        for pack in packs:
            keys = {e.key for e in load_pack(pack)}
            for case in ev.load_cases(pack, set_name=set_name):
                named = [k for k in (case.expected_key, *case.also_ok) if k is not None]
                assert set(named) <= keys, f"{set_name}/{pack}: a label names no entry"
                assert not case.risk or case.expect_handoff, f"{set_name}/{pack}: a risk case must go to a person"
