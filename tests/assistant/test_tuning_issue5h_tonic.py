"""Tuning round 5h for the tonic pack: soaking two tonics together is not a blister, and the customers' own words
for a flavour mix-up, powdering a block instead of steaming it, an unopened block, periods, the month after
birth and summer. What happened to a person (a blister, bleeding in pregnancy) and goods close to their date still
go to a person."""

from __future__ import annotations

import pytest

from aftersales.assistant.signals import detect_risks
from aftersales.assistant.text import normalise


@pytest.mark.parametrize("text", ["阿胶和西洋参能一起泡吗", "人参跟阿胶可以一起泡着喝吗", "红枣和阿胶一起泡酒行不行"])
def test_soaking_together_is_not_a_blister(text):
    assert not detect_risks(normalise(text))


@pytest.mark.parametrize("text", ["吃了阿胶糕嘴里起泡了", "吃阿胶上火了 嘴里起泡 要不要停", "喝完口服液嘴唇起泡"])
def test_a_blister_is_still_a_risk(text):
    assert detect_risks(normalise(text))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("人参跟阿胶可以一起泡着喝吗", "tonic-usage-with-ginseng"),
        ("订的是红枣枸杞口味 收到的是原味的", "tonic-wrong-item"),
        ("阿胶块不想蒸 打成粉用温水冲可以吗", "tonic-usage-block-melt"),
        ("没开过的阿胶块放多久", "tonic-fact-block"),
        ("来月经了阿胶糕还能吃吗", "tonic-suit-menstruation"),
        ("月子里能吃固元膏吗", "tonic-suit-postpartum"),
        ("大夏天能吃阿胶吗", "tonic-usage-summer"),
        ("阿胶糕加的什么糖", "tonic-ingr-cake"),
    ],
)
def test_tonic_answers(ask_pack, text, key):
    reply = ask_pack("tonic", text)
    assert reply.entry_key == key and not reply.handoff


@pytest.mark.parametrize("text", ["吃了阿胶糕嘴里起泡了", "怀孕三个月吃了阿胶糕见红了"])
def test_what_happened_to_a_person_is_still_handed_over(ask_pack, text):
    reply = ask_pack("tonic", text)
    assert reply.handoff and reply.handoff_reason == "risk"


def test_goods_close_to_their_date_are_still_handed_over(ask_pack):
    reply = ask_pack("tonic", "刚收到的阿胶糕下周就到期了")
    assert reply.handoff and reply.entry_key is None
