"""Tuning round 5h for the calcium pack: customers' own words for the needs the blind dev2 set found weak (a bottle
left in a hot car, stones from taking calcium, the vitamin D in a tablet, dosage after the menopause, buy-more offers,
where the batch number is, calcium for babies, a dosage question that also asks when to take it), written as new
phrasings rather than copies of the dev questions; personal advice and accidents still go to a person."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("钙片放后备箱晒了一下午 还没开封 还能吃吗", "calcium-storage-humid"),
        ("补钙多了会长肾结石吗", "calcium-need-upper-limit"),
        ("一片钙D3里维生素D含量是多少", "calcium-ingr-carbonate-d3"),
        ("绝经了一天吃几片钙片", "calcium-usage-dosage-label"),
        ("产品批号在哪里能看到", "calcium-production-date"),
        ("有没有给小婴儿喝的液体钙", "calcium-suit-infant"),
        ("钙片一次吃一片 饭前吃还是饭后吃", "calcium-usage-timing"),
        ("刚生完孩子还要补钙吗", "calcium-suit-lactating"),
    ],
)
def test_calcium_answers(ask_pack, text, key):
    reply = ask_pack("calcium", text)
    assert reply.entry_key == key and not reply.handoff


@pytest.mark.parametrize("text", ["帮我看看骨密度报告 我该吃几片", "孩子把半瓶钙片都吃了"])
def test_personal_advice_and_accidents_still_go_to_a_person(ask_pack, text):
    reply = ask_pack("calcium", text)
    assert reply.handoff


def test_pinyin_slips_for_calcium_words_are_written_out():
    from aftersales.assistant.text import normalise

    assert normalise("盖片一天吃几片") == "钙片一天吃几片"
    assert normalise("软唐钙和氨唐钙片") == "软糖钙和氨糖钙片"
    assert normalise("维他命D和液体盖") == "维生素D和液体钙"


@pytest.mark.parametrize(
    ("text", "key"),
    [("盖片一天吃几片", "calcium-usage-dosage-label"), ("软唐钙能放多久", "calcium-fact-gummy")],
)
def test_misspelt_calcium_questions_are_answered(ask_pack, text, key):
    reply = ask_pack("calcium", text)
    assert reply.entry_key == key and not reply.handoff


@pytest.mark.parametrize(
    ("messages", "key"),
    [
        (("钙片一天吃几片", "小孩呢"), "calcium-suit-kids-age"),
        (("钙片一天吃几片", "那孕妇呢"), "calcium-suit-pregnant"),
        (("孕妇能吃钙片吗", "那小孩呢"), "calcium-suit-kids-age"),
        (("液体钙几岁能喝", "软糖呢"), "calcium-suit-kids-age"),
    ],
)
def test_a_new_person_after_a_dosage_question_gets_the_entry_about_that_person(ask_pack, messages, key):
    reply = ask_pack("calcium", *messages)
    assert reply.entry_key == key and not reply.handoff
