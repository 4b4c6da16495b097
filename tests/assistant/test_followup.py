"""Elliptical follow-ups: told apart from new questions, and asked as the previous question with a slot changed."""

from __future__ import annotations

from datetime import date

import pytest

from aftersales.assistant.engine import CustomerContext, DialogueState
from aftersales.assistant.followup import default_products, elliptical, substitute
from aftersales.assistant.knowledge import ProductFacts

MILK = ProductFacts(sku="MLK-001", name="牧云 巴氏鲜奶", category="dairy", shelf_life_days=7, storage="2-6℃冷藏")


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("那孕妇呢？", "person", "pregnant"),
        ("3岁的呢", "person", "age"),
        ("开封以后呢", "state", "opened"),
        ("没开封的呢", "state", "unopened"),
        ("那大衣呢", "product", "大衣"),
        ("换成酸奶呢", "product", "酸奶"),
        ("那如果是夏天呢", "season", "summer"),
        ("那手洗呢", "method", "hand"),
        ("老人可以吗", "person", "elderly"),
    ],
)
def test_a_follow_up_that_only_names_a_new_value_is_elliptical(text, kind, value):
    found = elliptical(text)
    assert found is not None
    assert [(m.kind, m.value) for m in found] == [(kind, value)]


@pytest.mark.parametrize("text", ["那大衣怎么收纳呢", "那孕妇能喝吗", "那退货怎么退", "那发票呢", "羊绒衫怎么洗"])
def test_a_question_of_its_own_is_not_elliptical(text):
    assert elliptical(text) is None


@pytest.mark.parametrize(
    ("topic", "follow_up", "query"),
    [
        ("羊绒衫能机洗吗", "那大衣呢", "大衣能机洗吗"),
        ("鲜奶开封后能放几天", "没开封的呢", "鲜奶没开封能放几天"),
        ("鲜奶没开封能放几天", "开封以后呢", "鲜奶开封以后能放几天"),
        ("钙片一天吃几片", "那孕妇呢", "孕妇 钙片一天吃几片"),  # no person before: added, apart from the product
        ("老人喝哪款奶比较好", "那孕妇呢", "孕妇喝哪款奶比较好"),
    ],
)
def test_the_new_value_takes_the_place_of_the_old_one(topic, follow_up, query):
    new = elliptical(follow_up)
    assert new is not None
    assert substitute(topic, new).query == query


def test_a_general_word_means_the_product_with_the_plainest_name():
    names = {"MLK-002": "低温酸奶", "MLK-007": "希腊式浓缩酸奶", "MLK-003": "常温纯牛奶", "MLK-004": "低乳糖牛奶"}
    defaults = default_products(names)
    assert defaults["酸奶"] == "MLK-002"
    assert "牛奶" not in defaults  # two names of five characters: neither is meant


def ctx() -> CustomerContext:
    return CustomerContext(today=date(2026, 11, 23), catalogue=[MILK])


def test_an_elliptical_follow_up_is_asked_as_the_previous_question_with_the_slot_changed(mini_assistant):
    state = DialogueState()
    first = mini_assistant.respond(state, "每天喝多少牛奶合适", ctx())
    assert first.entry_key == "milk-daily-amount"
    follow = mini_assistant.respond(state, "那孕妇呢", ctx())
    assert follow.understanding.resolved and follow.understanding.follow_up
    assert "孕妇" in follow.understanding.query and "牛奶" in follow.understanding.query
    assert follow.entry_key == "milk-pregnancy"


def test_a_new_full_question_after_a_topic_is_not_bent_to_it(mini_assistant):
    state = DialogueState()
    mini_assistant.respond(state, "每天喝多少牛奶合适", ctx())
    reply = mini_assistant.respond(state, "那能开发票吗", ctx())
    assert not reply.understanding.resolved
    assert reply.understanding.query == "那能开发票吗"
    assert reply.entry_key == "invoice"


def test_a_three_turn_chain_changes_the_resolved_question(mini_assistant):
    state = DialogueState()
    mini_assistant.respond(state, "开封后的鲜奶能放几天", ctx())
    mini_assistant.respond(state, "没开封的呢", ctx())
    third = mini_assistant.respond(state, "开封以后呢", ctx())
    assert third.understanding.resolved
    assert "开封以后" in third.understanding.query and "没开封" not in third.understanding.query
