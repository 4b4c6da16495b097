"""Risk words added in session 11: injuries from the product itself and bloating are risks; a garment's own parts
(胸前, 胳膊肘), bubbles from heating a tonic and "the time I have a fever, do I stop?" are not."""

from __future__ import annotations

import pytest

from aftersales.assistant.signals import detect_risks
from aftersales.assistant.text import normalise


@pytest.mark.parametrize(
    "text",
    [
        "吃完肚子好胀 还打嗝",
        "毛衣里有根针 把我手划了个口子 流血了",
        "拉链把孩子的手夹破了",
        "衣服上的别针扎到手了",
        "吃你们钙片 胃疼 要不要停",
        "吃了以后发烧了 要停吗",
        "吃了阿胶嘴里起泡",
    ],
)
def test_reported_harm_is_a_risk(text):
    assert any(r.kind == "adverse_reaction" for r in detect_risks(normalise(text)))


@pytest.mark.parametrize(
    "text",
    [
        "胳膊肘那里起了一片小球球",
        "胸前抽丝了",
        "阿胶块微波炉加热起泡了正常吗",
        "感冒发烧的时候要停吗",
        "经期期间还吃不吃阿胶",
        "大衣被划了个口子 能补吗",
        "手洗以后起球了",
    ],
)
def test_garments_heating_and_questions_are_not_risks(text):
    assert not detect_risks(normalise(text))


@pytest.mark.parametrize("text", ["我一喝牛奶就胀气有没有适合的", "怎么避免吃钙片胀气"])
def test_wind_as_a_known_condition_is_not_a_risk(text):
    assert not detect_risks(normalise(text))
