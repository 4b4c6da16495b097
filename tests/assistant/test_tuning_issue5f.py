"""Tuning round 5f for the cashmere and tonic packs: word boundaries the anger and risk lexicons could not see
(a mother's gift read as a swear word, soaking in water read as a blister), customers' own words for weight, medicine
and breastfeeding, something made at home, and the entries the blind dev3 set found missing (exchanging the colour
of a garment, foreign matter in food)."""

from __future__ import annotations

import pytest

from aftersales.assistant.signals import detect_emotion, detect_risks
from aftersales.assistant.text import normalise, retrieval_tokens, specifics


@pytest.mark.parametrize(
    "text",
    [
        "买给我妈的阿胶糕开封了要放冰箱吗",
        "给妈妈的生日礼物 能帮忙包装吗",
        "老妈的固元膏放冰箱变硬了",
        "来大姨妈的时候能吃阿胶吗",
        "我家是滚筒洗衣机 羊绒围巾能放进去洗吗",
        "大衣上的毛絮用粘毛滚能粘掉吗",
    ],
)
def test_family_words_and_washers_are_not_anger(text):
    assert not detect_emotion(normalise(text)).anger  # the normalised text, which the engine reads


@pytest.mark.parametrize("text", ["你妈的 什么破东西", "他妈的 到底发不发货", "滚", "妈的 又没到"])
def test_real_swearing_is_still_anger(text):
    assert detect_emotion(normalise(text)).anger


@pytest.mark.parametrize(
    "text", ["阿胶块要用黄酒泡多久 没有黄酒用温水泡行不行", "阿胶块用温水泡软再蒸可以吗", "阿胶能用开水泡着喝吗"]
)
def test_soaking_in_water_is_not_a_blister(text):
    assert not detect_risks(normalise(text))


@pytest.mark.parametrize("text", ["吃了阿胶糕嘴里起了好几个水泡", "穿了以后脖子上起了水泡"])
def test_a_real_blister_is_still_a_risk(text):
    assert detect_risks(normalise(text))


def test_normalise_keeps_meaning():
    assert normalise("来大姨妈的时候能吃吗") == "来月经的时候能吃吗"
    assert normalise("滚筒洗衣机能洗吗") == "洗衣机能洗吗"
    assert normalise("给我妈的礼物").replace(" ", "") == "给我妈的礼物"
    assert normalise("你妈的") == "你妈的"


def test_customer_words_meet_the_stored_ones():
    assert "~weight" in retrieval_tokens("168 120斤穿哪个码")
    assert "~weight" in retrieval_tokens("身高165体重55穿什么码")
    assert "~medicine" in retrieval_tokens("一直在吃降压药能一起吃吗")
    assert "~medicine" in retrieval_tokens("吃中药期间可以吃阿胶吗")
    assert "~postpartum" in retrieval_tokens("还在喂奶能吃固元膏吗")
    assert "~size" in retrieval_tokens("他180 170斤 穿多大")


def test_something_made_at_home_is_a_specific():
    assert specifics("那泡好的能放多久")
    assert specifics("烊化好的阿胶放冰箱能放几天")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("给我妈的阿胶糕 拆开了要不要放冰箱", "tonic-storage-cake-opened"),
        ("月经来的时候还能吃阿胶糕吗", "tonic-suit-menstruation"),
        ("阿胶块用温水泡软了再蒸行吗", "tonic-usage-block-melt"),
        ("阿胶糕里居然吃出一根头发", "tonic-quality-foreign-matter"),
        ("喂母乳的妈妈能吃阿胶糕吗", "tonic-suit-postpartum"),
    ],
)
def test_tonic_answers(ask_pack, text, key):
    reply = ask_pack("tonic", text)
    assert reply.entry_key == key and not reply.handoff


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("黑色的不喜欢 能换成驼色吗 没穿过", "cashmere-exchange-colour"),
        ("滚筒洗衣机的羊毛程序能洗羊绒衫吗", "cashmere-care-machine-wash"),
        ("给我妈的开衫 她165 110斤穿什么码", "cashmere-size-guide"),
    ],
)
def test_cashmere_answers(ask_pack, text, key):
    reply = ask_pack("cashmere", text)
    assert reply.entry_key == key and not reply.handoff


def test_a_drink_made_at_home_is_handed_over(ask_pack):
    reply = ask_pack("tonic", "阿胶块怎么吃", "那泡好的能放多久")
    assert reply.handoff and reply.entry_key is None


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("羊绒杉起求了怎么办", "羊绒衫起球了怎么办"),
        ("羊毛山缩水了", "羊毛衫缩水了"),
        ("尺吗怎么选", "尺码怎么选"),
        ("阿娇糕开封了放冰箱吗", "阿胶糕开封了放冰箱吗"),
        ("固原膏一天吃几勺", "固元膏一天吃几勺"),
        ("口服夜一天喝几支", "口服液一天喝几支"),
        ("退宽什么时候到", "退款什么时候到"),
    ],
)
def test_pinyin_slips_in_product_words_are_read_as_meant(typed, meant):
    assert normalise(typed) == meant


def test_a_slip_no_longer_changes_the_answer(ask_pack):
    assert ask_pack("cashmere", "羊绒杉起求了怎么办").entry_key == "cashmere-care-pilling"


def test_seasonal_storage_is_storage_so_its_follow_up_stays_on_storage(ask_pack):
    # "羊绒衫怎么收纳" is answered by the seasonal-storage entry; "大衣呢" must then get the coat's storage entry,
    # not its daily care (the two storage entries had different intents, so the follow-up changed the question).
    reply = ask_pack("cashmere", "羊绒衫怎么收纳", "大衣呢")
    assert reply.entry_key == "cashmere-fact-coat"


@pytest.mark.parametrize("text", ["我上个月买的衣服 现在降价了200 能补吗", "买完就降价了 能退差价吗"])
def test_price_protection_is_handed_over_not_answered_by_a_neighbour(ask_pack, text):
    # No entry offers price protection: "能补吗" after a price cut got the mending entry.
    reply = ask_pack("cashmere", text)
    assert reply.handoff and reply.entry_key is None


def test_a_visit_to_the_farm_is_handed_over(ask_pack):
    reply = ask_pack("tonic", "驴皮是哪里来的 你们的养驴场可以去参观吗")
    assert reply.handoff and reply.entry_key is None


def test_a_new_year_offer_question_gets_the_new_year_offer(ask_pack):
    # "过年有活动吗" was ranked beside the winter offer, which does not name 过年, and was handed over.
    reply = ask_pack("tonic", "过年买阿胶有什么活动吗")
    assert reply.entry_key == "tonic-promo-spring-festival"


@pytest.mark.parametrize(
    "text", ["阿胶糕里阿胶含量根本没有你们写的那么多 我送检了", "我买的阿胶是假的吧 跟药店买的完全不一样"]
)
def test_a_tonic_authenticity_dispute_goes_to_a_person(ask_pack, text):
    # Like cashmere's: the ingredients or identification answer is not an answer to an accusation with evidence.
    reply = ask_pack("tonic", text)
    assert reply.handoff and reply.entry_key is None


def test_asking_how_to_tell_genuine_tonic_is_still_answered(ask_pack):
    assert ask_pack("tonic", "怎么辨别阿胶真假").entry_key == "tonic-authenticity-identify"


def test_near_expiry_tonic_goes_to_a_person(ask_pack):
    # No policy says what happens to goods delivered close to their date: a colleague checks the batch.
    reply = ask_pack("tonic", "收到的固元膏离过期只剩一个多月了")
    assert reply.handoff and reply.entry_key is None
    assert ask_pack("tonic", "阿胶块保质期多久").entry_key == "tonic-fact-block"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("阿胶块表面长了一些白色的霉点", "tonic-quality-mold"),
        ("一个星期了物流一直没更新", "tonic-logistics-delay"),
    ],
)
def test_tonic_seed_complaints(ask_pack, text, key):
    assert ask_pack("tonic", text).entry_key == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("建议多出几款男士围巾 颜色多一点", "cashmere-suggestion"),
        ("快递袋破了 羊绒衫上沾了一块油渍", "cashmere-packaging-damage"),
    ],
)
def test_cashmere_seed_complaints(ask_pack, text, key):
    assert ask_pack("cashmere", text).entry_key == key


def test_an_injury_from_a_garment_is_a_risk(ask_pack):
    # "流了好多血" after a zip caught a child's hand is not in the lexicon; the knowledge base now says it is harm.
    reply = ask_pack("cashmere", "拉链把孩子的手夹破了 流了好多血")
    assert reply.handoff and reply.handoff_reason == "risk"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("吃阿胶到底有没有用", "tonic-info-efficacy"),
        ("阿胶对身体好吗", "tonic-info-efficacy"),
        ("阿胶能不能和茶一起喝", "tonic-usage-taboo"),
        ("阿胶成分是啥", "tonic-ingr-block"),
    ],
)
def test_tonic_everyday_questions(ask_pack, text, key):
    # What 阿胶 does, tea with it and what it is made of, in customers' words (were handed over or got pairing).
    assert ask_pack("tonic", text).entry_key == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("羊绒大衣能机洗吗", "cashmere-care-dry-clean"),  # the coat is dry-cleaned; the general answer allows a machine
        ("羊绒衫要用什么衣架", "cashmere-fact-sweater"),
        ("几天能到", "cashmere-order-status"),
    ],
)
def test_cashmere_everyday_questions(ask_pack, text, key):
    assert ask_pack("cashmere", text).entry_key == key
