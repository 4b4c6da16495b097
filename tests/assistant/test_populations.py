"""Who a suitability question is about (text.POPULATIONS): an entry about who may take a product answers only a
question about the people it speaks of; another close suitability entry that does speak of them may answer instead."""

from __future__ import annotations

import pytest

from aftersales.assistant.text import POPULATIONS, specifics


def test_populations_are_found_in_customers_words():
    assert specifics("几岁的小孩可以喝酸奶", POPULATIONS)
    assert specifics("我爸七十多了能吃吗", POPULATIONS)
    assert specifics("刚生完孩子还要补钙吗", POPULATIONS)
    assert not specifics("鲜奶开封后能放几天", POPULATIONS)


def test_the_entry_for_diabetics_does_not_answer_a_question_about_children(ask_pack):
    reply = ask_pack("dairy", "几岁的小孩可以喝酸奶")
    assert reply.entry_key != "dairy-suit-diabetes"
    assert reply.handoff or reply.entry_key in ("dairy-suit-kids-milk", "dairy-suit-infant")


def test_a_close_suitability_entry_about_those_people_answers_instead(ask_pack):
    # Retrieval puts the children's entry first (the message says 孩子); the question is about the mother.
    reply = ask_pack("calcium", "刚生完孩子还要补钙吗")
    assert reply.entry_key == "calcium-suit-lactating" and not reply.handoff


def test_the_entry_about_those_people_still_answers(ask_pack):
    assert ask_pack("dairy", "糖尿病人能喝酸奶吗").entry_key == "dairy-suit-diabetes"
    assert ask_pack("calcium", "孕早期要不要补钙").entry_key == "calcium-suit-pregnant"


def test_people_named_in_a_question_that_is_not_about_suitability_do_not_matter(ask_pack):
    # Washing a child's jumper is a care question: the care entry need not speak of children.
    reply = ask_pack("cashmere", "给孩子买的羊绒衫怎么洗")
    assert reply.entry_key is not None and not reply.handoff


@pytest.mark.parametrize(
    ("pack", "messages", "wrong"),
    [
        ("tonic", ("开封的阿胶糕怎么放", "能放多长时间"), "tonic-fact-oral-liquid"),
        ("tonic", ("口服液怎么喝", "开了能放几天"), "tonic-storage-cake-opened"),
        ("dairy", ("酸奶要冷藏吗", "能放几天"), "dairy-fact-fresh-milk"),
    ],
)
def test_a_short_question_after_a_topic_keeps_the_topics_product(ask_pack, pack, messages, wrong):
    """A short next question that names no product is about the product of the topic, not another one's entry."""
    reply = ask_pack(pack, *messages)
    assert reply.entry_key != wrong


def test_asking_for_a_childrens_product_is_not_an_overdose(ask_pack):
    reply = ask_pack("calcium", "有没有小孩吃的钙片")
    assert reply.handoff_reason != "risk" and reply.severity != "L3"
    assert ask_pack("calcium", "小孩偷吃了一瓶钙片").handoff_reason == "risk"
