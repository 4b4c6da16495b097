"""Tuning round 5h (second calcium pass), from the blind dev4 set: a child who finished a whole pack told before
the verb, animals as something an answer must itself speak of, and customers' own words for thyroid medicine,
milk drunk every day, a quality problem found after the seven days and the way a refunded payment was made."""

from __future__ import annotations

import pytest

from aftersales.assistant.signals import detect_risks
from aftersales.assistant.text import normalise


@pytest.mark.parametrize("text", ["两岁娃把维d滴剂一板胶囊都咬破吃了", "女儿把一盒软糖全吃光了"])
def test_a_child_finishing_a_whole_pack_is_a_risk(text):
    assert any(r.kind == "adverse_reaction" for r in detect_risks(normalise(text)))


@pytest.mark.parametrize(
    "text", ["孩子一瓶都吃不完 能放多久", "我一盒都吃完了 想再买", "宝宝把液体钙兑到果汁里面一起喝了可以吗"]
)
def test_a_pack_finished_in_time_or_a_question_is_not_a_risk(text):
    assert not detect_risks(normalise(text))


def test_whole_pack_swallowed_by_a_child_goes_to_a_person(ask_pack):
    reply = ask_pack("calcium", "两岁娃把维d滴剂一板胶囊都咬破吃了")
    assert reply.handoff and reply.entry_key is None


@pytest.mark.parametrize("text", ["我家狗狗老了腿不好 能给它吃你们的钙片吗", "猫能吃钙软糖吗"])
def test_animals_are_not_answered_from_entries_for_people(ask_pack, text):
    reply = ask_pack("calcium", text)
    assert reply.entry_key is None and reply.handoff


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("老妈天天早上吃优甲乐 钙片能跟它一起吃吗", "calcium-usage-with-medicine"),
        ("我每天喝两盒纯牛奶 还需要吃钙片吗", "calcium-need-diet"),
        ("签收半个多月了才发现钙片受潮结块 还能退吗", "calcium-policy-quality-return"),
        ("绝经以后要吃哪款钙", "calcium-suit-menopause"),
        ("宝宝吃母乳 还要吃d3吗", "calcium-suit-infant"),
        ("这个钙片是咀嚼的还是吞的", "calcium-usage-tablet-large"),
        ("买了三瓶 想退一瓶没拆的", "calcium-policy-no-reason-return"),
        ("更年期女的该怎么补钙 吃几片", "calcium-suit-menopause"),
    ],
)
def test_customers_words_reach_their_entries(ask_pack, text, key):
    assert ask_pack("calcium", text).entry_key == key


def test_how_it_was_paid_after_a_refund_question(ask_pack):
    assert ask_pack("calcium", "退款一般几天到账", "花呗付的呢").entry_key == "calcium-policy-refund-timeline"


def test_a_child_after_the_dosage_question_is_still_the_childrens_entry(ask_pack):
    assert ask_pack("calcium", "钙片一天吃几片", "小孩呢").entry_key == "calcium-suit-kids-age"


def test_a_child_unwell_after_the_liquid_still_hands_over(ask_pack):
    reply = ask_pack("calcium", "宝宝喝了你们液体钙以后吐了好几次")
    assert reply.handoff and reply.entry_key is None
