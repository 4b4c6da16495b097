"""Who a suitability question is about (text.POPULATIONS): an entry about who may take a product answers only a
question about the people it speaks of; another close suitability entry that does speak of them may answer instead."""

from __future__ import annotations

import pytest

from aftersales.assistant.engine import CustomerContext, DialogueState
from aftersales.assistant.evaluate import EVAL_DAY, build_assistant, demo_catalogue
from aftersales.assistant.text import POPULATIONS, specifics


@pytest.fixture(scope="module")
def assistants():
    return {pack: build_assistant(pack)[0] for pack in ("dairy", "calcium", "cashmere")}


def _ask(assistants, pack, *messages):
    ctx = CustomerContext(today=EVAL_DAY, catalogue=demo_catalogue(pack))
    state = DialogueState()
    reply = None
    for m in messages:
        reply = assistants[pack].respond(state, m, ctx)
    return reply


def test_populations_are_found_in_customers_words():
    assert specifics("几岁的小孩可以喝酸奶", POPULATIONS)
    assert specifics("我爸七十多了能吃吗", POPULATIONS)
    assert specifics("刚生完孩子还要补钙吗", POPULATIONS)
    assert not specifics("鲜奶开封后能放几天", POPULATIONS)


def test_the_entry_for_diabetics_does_not_answer_a_question_about_children(assistants):
    reply = _ask(assistants, "dairy", "几岁的小孩可以喝酸奶")
    assert reply.entry_key != "dairy-suit-diabetes"
    assert reply.handoff or reply.entry_key in ("dairy-suit-kids-milk", "dairy-suit-infant")


def test_a_close_suitability_entry_about_those_people_answers_instead(assistants):
    # Retrieval puts the children's entry first (the message says 孩子); the question is about the mother.
    reply = _ask(assistants, "calcium", "刚生完孩子还要补钙吗")
    assert reply.entry_key == "calcium-suit-lactating" and not reply.handoff


def test_the_entry_about_those_people_still_answers(assistants):
    assert _ask(assistants, "dairy", "糖尿病人能喝酸奶吗").entry_key == "dairy-suit-diabetes"
    assert _ask(assistants, "calcium", "孕早期要不要补钙").entry_key == "calcium-suit-pregnant"


def test_people_named_in_a_question_that_is_not_about_suitability_do_not_matter(assistants):
    # Washing a child's jumper is a care question: the care entry need not speak of children.
    reply = _ask(assistants, "cashmere", "给孩子买的羊绒衫怎么洗")
    assert reply.entry_key is not None and not reply.handoff


@pytest.fixture(scope="module")
def tonic_and_dairy():
    return {pack: build_assistant(pack)[0] for pack in ("tonic", "dairy")}


@pytest.mark.parametrize(
    ("pack", "messages", "wrong"),
    [
        ("tonic", ("开封的阿胶糕怎么放", "能放多长时间"), "tonic-fact-oral-liquid"),
        ("tonic", ("口服液怎么喝", "开了能放几天"), "tonic-storage-cake-opened"),
        ("dairy", ("酸奶要冷藏吗", "能放几天"), "dairy-fact-fresh-milk"),
    ],
)
def test_a_short_question_after_a_topic_keeps_the_topics_product(tonic_and_dairy, pack, messages, wrong):
    """A short next question that names no product is about the product of the topic, not another one's entry."""
    reply = _ask(tonic_and_dairy, pack, *messages)
    assert reply.entry_key != wrong


def test_asking_for_a_childrens_product_is_not_an_overdose(assistants):
    reply = _ask(assistants, "calcium", "有没有小孩吃的钙片")
    assert reply.handoff_reason != "risk" and reply.severity != "L3"
    assert _ask(assistants, "calcium", "小孩偷吃了一瓶钙片").handoff_reason == "risk"
