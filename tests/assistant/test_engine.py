"""The assistant's dialogue policy on a small fixture knowledge base (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from aftersales.assistant import tools
from aftersales.assistant.engine import CustomerContext, DialogueState, OrderFacts
from aftersales.assistant.knowledge import ProductFacts
from aftersales.assistant.signals import detect_emotion, detect_risks
from aftersales.assistant.slots import extract

TODAY = date(2026, 11, 23)
MILK = ProductFacts(sku="MLK-001", name="牧云 巴氏鲜奶", category="dairy", shelf_life_days=7, storage="2-6℃冷藏")


def ctx(**kw):
    return CustomerContext(today=kw.pop("today", TODAY), catalogue=kw.pop("catalogue", [MILK]), **kw)


def ask(assistant, *messages, context=None):
    state = DialogueState()
    reply = None
    for m in messages:
        reply = assistant.respond(state, m, context or ctx())
    return reply, state


def test_a_known_question_is_answered_from_its_entry(mini_assistant):
    reply, _ = ask(mini_assistant, "能开增值税发票吗")
    assert (reply.action, reply.entry_key, reply.handoff) == ("answer", "invoice", False)
    assert "电子发票" in reply.text


def test_follow_up_resolves_against_the_previous_question(mini_assistant):
    first, state = ask(mini_assistant, "每天喝多少牛奶合适")
    assert first.entry_key == "milk-daily-amount"
    follow = mini_assistant.respond(state, "那孕妇呢？", ctx())
    assert follow.understanding.follow_up
    assert follow.entry_key == "milk-pregnancy"
    assert "孕期" in follow.text


def test_the_same_follow_up_without_a_previous_question_is_not_guessed(mini_assistant):
    reply, _ = ask(mini_assistant, "那孕妇呢？")
    assert not reply.understanding.follow_up
    assert reply.entry_key != "milk-daily-amount"


@pytest.mark.parametrize("question", ["你们卖手机吗", "帮我订一张去北京的机票", "花呗怎么还款"])
def test_a_question_outside_the_knowledge_base_gets_an_honest_handoff_not_a_guess(mini_assistant, question):
    reply, _ = ask(mini_assistant, question)
    assert reply.handoff and reply.handoff_reason == "low_confidence"
    assert reply.entry_key is None
    assert "无法准确回答" in reply.text and "同事" in reply.text


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("孩子喝了你们的牛奶拉肚子", "adverse_reaction"),
        ("我爸喝完住院了", "hospital"),
        ("再不处理我就找媒体曝光", "media"),
        ("我已经打了12315", "regulator"),
    ],
)
def test_risk_words_hand_over_at_once_at_l3(mini_assistant, text, kind):
    reply, _ = ask(mini_assistant, text)
    assert reply.handoff and reply.handoff_reason == "risk" and reply.severity == "L3"
    assert kind in {r.kind for r in reply.understanding.risks}


def test_negated_risk_word_is_not_a_risk():
    assert detect_risks("喝了没有过敏，就是想问保质期") == []
    assert detect_risks("会不会过敏") != []  # asking about an allergy still reaches a person


def test_pregnancy_alone_is_a_question_but_with_a_symptom_it_is_a_risk():
    assert detect_risks("孕妇钙能放多久") == []
    kinds = {r.kind for r in detect_risks("孕妇喝了以后一直吐")}
    assert kinds == {"adverse_reaction", "pregnancy"}


@pytest.mark.parametrize(
    "text",
    [
        "喝了三天舌头上长了好几个溃疡",  # a body part and a sign of harm, in no word list
        "穿上这件毛衣后背一片红斑",
        "用了你们的东西喝出毛病来了",  # the customer blames the product for an illness
        "哺乳期 昨天喝了一瓶变质的奶 会影响孩子吗",  # nursing, something happened, worried about harm
    ],
)
def test_symptoms_in_the_customers_own_words_are_risks(text):
    assert any(r.kind == "adverse_reaction" for r in detect_risks(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "脖子上没有红点也不痒，就问问怎么洗",  # denied
        "嗓子疼的时候能喝鲜奶吗",  # a suitability question, nothing happened
        "哺乳期能喝这款奶吗 会影响孩子吗",  # a question before drinking: the knowledge base answers it
        "附近医院能做骨密度吗",  # asking about a hospital is not having been to one
        "需不需要先去医院查一下再买钙片",
    ],
)
def test_questions_and_denials_are_not_risks(text):
    assert detect_risks(text) == [], text


def test_having_been_to_hospital_is_a_risk():
    assert {r.kind for r in detect_risks("孩子喝完送医院了")} >= {"hospital"}


def test_anger_is_de_escalated_and_handed_over(mini_assistant):
    reply, _ = ask(mini_assistant, "什么破牛奶，气死我了，你们太差了！！")
    assert reply.handoff and reply.handoff_reason == "anger"
    assert reply.text.startswith("非常抱歉")


def test_asking_for_a_person_hands_over(mini_assistant):
    reply, _ = ask(mini_assistant, "转人工")
    assert reply.handoff and reply.handoff_reason == "request"


def test_an_entry_outside_its_validity_dates_is_never_given(mini_assistant):
    during, _ = ask(mini_assistant, "双十一有什么活动", context=ctx(today=date(2026, 11, 5)))
    after, _ = ask(mini_assistant, "双十一有什么活动")
    assert during.entry_key == "double-eleven"
    assert after.entry_key != "double-eleven" and after.handoff


def test_product_facts_come_from_the_catalogue(mini_assistant):
    reply, _ = ask(mini_assistant, "鲜牛奶的保质期是多少天")
    assert reply.entry_key == "milk-shelf-life" and "7天" in reply.text
    changed = ProductFacts(sku="MLK-001", name="牧云 巴氏鲜奶", category="dairy", shelf_life_days=5)
    reply, _ = ask(mini_assistant, "鲜牛奶的保质期是多少天", context=ctx(catalogue=[changed]))
    assert "5天" in reply.text and "7天" not in reply.text


def test_a_fact_missing_from_the_catalogue_is_not_invented(mini_assistant):
    unknown = ProductFacts(sku="MLK-001", name="牧云 巴氏鲜奶", category="dairy", shelf_life_days=None)
    reply, _ = ask(mini_assistant, "鲜牛奶的保质期是多少天", context=ctx(catalogue=[unknown]))
    assert reply.handoff and reply.handoff_reason == "missing_fact"
    assert "{shelf_life_days}" not in reply.text


def test_order_status_is_answered_from_the_customers_own_order(mini_assistant):
    order = OrderFacts(
        number="SMP202611200001",
        status="in_transit",
        carrier="顺丰冷运",
        tracking_number="SF123",
        products=("牧云 巴氏鲜奶",),
        product_skus=("MLK-001",),
    )
    reply, _ = ask(mini_assistant, "查一下我的订单", context=ctx(orders=[order], identified=True))
    assert reply.entry_key == "order-status"
    assert "SMP202611200001" in reply.text and "运输中" in reply.text and "SF123" in reply.text
    anonymous, state = ask(mini_assistant, "查一下我的订单")
    assert "订单号和下单手机号" in anonymous.text and state.pending_lookup == "order-status"


def test_return_flow_gathers_the_facts_before_opening_a_ticket(mini_assistant):
    state = DialogueState()
    first = mini_assistant.respond(state, "我要退货", ctx())
    assert first.action == "flow" and "订单号" in first.text and first.flow_result is None
    second = mini_assistant.respond(state, "订单号 SMP202611200001", ctx())
    assert second.flow_result is None and "原因" in second.text
    third = mini_assistant.respond(state, "牛奶打开就是酸的，已经结块了", ctx())
    assert third.flow_result == {
        "flow": "return",
        "order_number": "SMP202611200001",
        "description": "牛奶打开就是酸的，已经结块了",
    }
    assert third.ticket_kind == "return" and state.flow is None


def test_slots_are_extracted():
    slots = extract("订单号SMP202611200001，手机13812345601，批号MLK20261120B，11月20日买的，孩子8岁", TODAY, [MILK])
    assert slots.order_number == "SMP202611200001"
    assert slots.phone == "13812345601"
    assert slots.batch_code == "MLK20261120B"
    assert slots.dates == [date(2026, 11, 20)]
    assert slots.age_years == 8
    assert extract("昨天买的巴氏鲜奶", TODAY, [MILK]).dates == [date(2026, 11, 22)]
    assert extract("昨天买的巴氏鲜奶", TODAY, [MILK]).product_sku == "MLK-001"


def test_calcium_need_by_age():
    assert tools.daily_calcium_mg(0.3) == 200
    assert tools.daily_calcium_mg(8) == 1000
    assert tools.daily_calcium_mg(12) == 1200
    assert tools.daily_calcium_mg(30) == 800
    assert tools.daily_calcium_mg(65) == 1000
    assert tools.daily_calcium_mg(28, pregnant=True) == 1000
    with pytest.raises(ValueError):
        tools.daily_calcium_mg(-1)


def test_calcium_tool_answers_with_the_age_given(mini_assistant):
    reply, _ = ask(mini_assistant, "12岁的孩子每天需要多少钙")
    assert "1200 mg" in reply.text and not reply.handoff


def test_emotion_lexicon_handles_negation():
    assert detect_emotion("质量很好，很满意").score > 0
    assert detect_emotion("质量不好，很失望").score < 0
    assert detect_emotion("快递太慢了，赶紧给我发货").urgency


def test_a_hotline_number_inside_a_phone_number_is_not_a_risk():
    assert detect_risks("订单号SMP202611200001 手机13812345601") == []
    assert {r.kind for r in detect_risks("我已经打了12345热线")} == {"regulator"}


def test_chat_shorthand_is_written_out_but_order_numbers_and_sizes_are_not():
    from aftersales.assistant.text import normalise

    assert normalise("kf 在吗 奶没到 TK") == "客服 在吗 奶没到 退款"
    assert normalise("肿么退货") == "怎么退货"
    assert normalise("订单 DD20261101 XL码 想换") == "订单 DD20261101 XL码 想换"


def test_a_named_thing_the_entry_never_mentions_goes_to_a_person(mini_assistant):
    from aftersales.assistant.text import specifics

    assert specifics("能跟维生素C一起吃吗") == [("维生素c", "维c", "vc")]
    assert specifics("VC能一起吃吗") and not specifics("维生素D要一起补吗")
    reply, _ = ask(mini_assistant, "能开增值税发票吗 顺丰寄过来吗")
    assert reply.handoff and reply.entry_key is None


def test_a_symptom_asked_about_as_a_possibility_is_not_a_risk_but_one_that_happened_is():
    assert not detect_risks("补钙会不会长结石啊 网上说的")
    assert not detect_risks("乳糖不耐受喝你们奶会不会拉肚子")
    assert detect_risks("宝宝喝了会不会过敏 现在身上起红点")
    assert detect_risks("我吃了会不会中毒")
    assert detect_risks("宝宝吃这个会不会过敏")  # an allergy depends on the person


def test_a_datum_no_answer_gives_is_asked_of_a_person():
    from aftersales.assistant.text import asked_facts

    assert asked_facts("用的什么快递") and asked_facts("退货地址给一下") and asked_facts("客服电话是多少")
    # When it arrives is not such a datum: the dispatch time and the tracking link answer it (tried in 5i and
    # reverted: the dev sets' writers disagree, 3 to 2, and the rule lost one dev case net).
    assert not asked_facts("快递多久能到") and not asked_facts("退款多久到账")
    (coupon,) = asked_facts("优惠券用不了 显示不满足条件")
    assert not coupon.search("优惠券可在“领券中心”领取，下单时自动使用最优方案")
    assert not asked_facts("用的什么快递")[0].search("现货订单付款后48小时内发货")
    assert asked_facts("用的什么快递")[0].search("默认发顺丰")


def test_an_upcoming_promotion_is_announced_with_its_start_date_and_another_festival_is_not_answered(mini_assistant):
    before, _ = ask(mini_assistant, "双十一有什么活动", context=ctx(today=date(2026, 10, 20)))
    assert before.entry_key == "double-eleven" and "11月1日开始" in before.text and not before.handoff
    too_early, _ = ask(mini_assistant, "双十一有什么活动", context=ctx(today=date(2026, 6, 1)))
    assert too_early.entry_key != "double-eleven"
    other, _ = ask(mini_assistant, "618有什么活动", context=ctx(today=date(2026, 11, 5)))
    assert other.entry_key != "double-eleven" and other.handoff


def test_made_to_order_and_personal_calculations_go_to_a_person():
    from aftersales.assistant.text import asked_facts, specifics

    assert specifics("能不能定制一款无糖的") and asked_facts("帮我算一下我一天吃了多少钙")
    assert not asked_facts("帮我查一下订单")


@pytest.mark.parametrize(
    "text",
    [
        "喝完一直跑厕所",  # bowels, no symptom word
        "喝了你家的奶一晚上跑了五趟厕所",
        "喝了你们鲜奶 我全家都拉了",
        "吃钙片后胃里烧得慌",
        "老公吃了你们的钙片 晚上心跳得厉害睡不着",
        "老人吃了钙片后 胸口闷得慌",
        "穿上羊绒衫 一直打喷嚏 喘不过气",  # cashmere: breathing
        "穿了羊毛衫 哮喘犯了",
        "穿完浑身刺挠",
        "穿了一天 脖子那圈全红了",
        "干洗回来的衣服味道很冲 穿了头昏脑胀",  # dry-cleaning smell with a symptom
        "吃阿胶后月经一直不干净",  # tonic: bleeding
        "孕妇 吃了阿胶肚子一阵阵发紧",
        "宝宝喝了奶粉后大便有血丝",
        "我女儿喝你们儿童奶 嘴巴周围一圈红",
        "两岁宝宝趁我不注意吃了七八颗钙片",  # a child got hold of it
        "小孩把一板钙片都嚼了",
        "我家孩子把干燥剂吃了",
        "孩子喝了半盒过期酸奶 现在一直哭",
        "我吃了你们的钙片得了肾结石",
        "吃完以后嘴麻",
        "吃了阿胶口服液 一直冒虚汗",
    ],
)
def test_reactions_in_everyday_words_across_the_packs_are_risks(text):
    assert any(r.kind == "adverse_reaction" for r in detect_risks(text)), text


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("我会把这件事发到小红书", "media"),
        ("我要在网上发视频让大家评评理", "media"),
        ("我要去市场监督管理局投诉你们", "regulator"),
        ("按食品安全法 你们得退一赔十", "legal"),
        ("带孩子去社区卫生院看了", "hospital"),
    ],
)
def test_going_public_regulators_lawyers_and_clinics_in_other_words_are_risks(text, kind):
    assert kind in {r.kind for r in detect_risks(text)}, text


@pytest.mark.parametrize(
    "text",
    [
        "吃钙片会便秘吗",
        "羊绒衫会不会扎人",
        "抖音直播间买的什么时候发货",  # a sales channel, not going public
        "发小红书笔记有返现吗",
        "孩子把这瓶吃完了 再买一瓶",
        "宝宝一次吃几片",
        "我妈吃了半年了 腿脚好多了",
        "羊绒衫洗了以后缩水了",
        "便秘的人能吃阿胶吗",
    ],
)
def test_everyday_questions_with_those_words_nearby_are_not_risks(text):
    assert detect_risks(text) == [], text


def test_a_greeting_before_a_question_does_not_take_the_message_over(mini_assistant):
    reply, _ = ask(mini_assistant, "在吗 亲 孩子喝了你们的牛奶拉肚子")
    assert reply.handoff_reason == "risk"
    reply, _ = ask(mini_assistant, "你好 在吗")
    assert reply.action == "smalltalk"
