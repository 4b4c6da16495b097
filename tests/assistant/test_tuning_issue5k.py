"""Round 5k (session 15): two dialogue cases of the conversation before a short question."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("pack", ["calcium", "tonic"])
def test_a_return_flow_without_a_problem_asks_about_the_seven_day_return(ask_pack, pack):
    # "我要退货" told of no problem: its shipping is the 7-day return's (the customer pays), not the quality
    # return's (the brand pays). Before, tonic answered with the quality return.
    for question in ("那运费谁出", "运费谁出"):
        reply = ask_pack(pack, "我要退货", question)
        assert reply.entry_key == f"{pack}-policy-no-reason-return" and not reply.handoff
        assert "订单号" in reply.text  # the flow still waits for what it needs


def test_a_return_flow_after_a_problem_keeps_the_quality_return(ask_pack):
    assert ask_pack("tonic", "阿胶糕发霉了", "我要退货", "运费谁出").entry_key == "tonic-policy-quality-return"
    assert ask_pack("tonic", "阿胶糕发霉了", "运费谁出").entry_key == "tonic-policy-quality-return"


@pytest.mark.parametrize("pack", ["calcium", "tonic"])
def test_once_shipped_the_cancel_question_is_still_the_cancel_question(ask_pack, pack):
    # "已经发货了怎么办" alone reads as out of scope to the intent model (calcium: 0.53), which vetoed the answer
    # the conversation had chosen and handed over; the cancel answer says what to do once shipped.
    reply = ask_pack(pack, "我想取消订单", "已经发货了怎么办")
    assert reply.entry_key == f"{pack}-cancel-order" and not reply.handoff
    assert "已发货" in reply.text


def test_an_out_of_scope_message_after_the_cancel_answer_is_still_handed_over(ask_pack):
    reply = ask_pack("calcium", "我想取消订单", "你们老板叫什么名字")
    assert reply.handoff and reply.entry_key is None


# Round 5k, second part: the blind dev12 set's classes (a measured sign after taking, facets no answer gives).


def test_a_measured_sign_that_changed_after_taking_is_a_risk(ask_pack):
    from aftersales.assistant.signals import detect_risks

    reply = ask_pack("tonic", "我爸高血压 吃了几天固元膏 今天量血压180了")
    assert reply.handoff and reply.handoff_reason == "risk" and reply.severity == "L3"
    assert detect_risks("喝了以后血糖一下子升上去了")
    assert detect_risks("吃了阿胶糕以后心跳快了好多")
    # a condition told, nothing measured or changed: a suitability question
    assert not detect_risks("我妈高血压能吃阿胶吗")
    assert not detect_risks("高血压吃了几年药了 能吃固元膏吗")
    assert ask_pack("tonic", "我妈高血压能吃阿胶吗").entry_key == "tonic-suit-chronic"


@pytest.mark.parametrize(
    "pack, messages",
    [
        # how long once opened: these answers give no period after opening
        ("calcium", ("氨糖钙片开瓶以后几个月内要吃完啊",)),
        ("calcium", ("孕妇钙开了瓶多久吃完比较好",)),
        # how much cheaper: no answer gives the amount
        ("calcium", ("周期购的专属价比平时便宜多少",)),
        # the customer's own level: their account, which no answer holds
        ("calcium", ("会员有什么好处", "那我现在是什么等级")),
        # sediment in the kids' liquid calcium: no calcium answer speaks of it
        ("calcium", ("液体钙瓶底有白色沉淀 是坏了吗 摇一摇就散了",)),
        # a number of calories: no answer gives one
        ("tonic", ("阿胶糕一块多少大卡 在减肥",)),
    ],
)
def test_a_facet_no_answer_gives_goes_to_a_person(ask_pack, pack, messages):
    reply = ask_pack(pack, *messages)
    assert reply.handoff and reply.entry_key is None


@pytest.mark.parametrize(
    "pack, text, key",
    [
        ("calcium", "碳酸钙D3片开瓶后多久要吃完", "calcium-fact-carbonate-d3"),  # "开瓶后建议在3个月内吃完"
        ("calcium", "儿童液体钙开封后能放多久", "calcium-fact-kids-liquid"),  # "开封后1个月内用完"
        ("calcium", "孕妇钙没开封能放多久", "calcium-fact-pregnant"),  # unopened: the shelf life answers
        ("tonic", "口服液瓶底有沉淀正常吗", "tonic-info-sediment"),
        ("tonic", "阿胶糕热量高不高 吃多了会长胖吧", "tonic-usage-cake-daily"),  # asks no number
        # left in a hot car: the answer about heat answers it (the fridge rule wanted "常温" and handed it over)
        ("calcium", "夏天软糖放车里化了 粘在一起了还能吃不", "calcium-storage-gummy-stuck"),
    ],
)
def test_the_answers_that_give_the_facet_still_answer(ask_pack, pack, text, key):
    reply = ask_pack(pack, text)
    assert reply.entry_key == key and not reply.handoff


def test_asking_whether_anyone_is_in_charge_is_anger(ask_pack):
    reply = ask_pack("calcium", "等了一个星期了还没退款 你们到底有没有人管")
    assert reply.handoff and reply.handoff_reason == "anger"


def test_a_question_no_entry_answers_inside_a_flow_is_handed_over_and_the_flow_goes_on():
    from aftersales.assistant.engine import CustomerContext, DialogueState
    from aftersales.assistant.evaluate import EVAL_DAY, build_assistant, demo_catalogue

    assistant = build_assistant("calcium")[0]
    ctx = CustomerContext(today=EVAL_DAY, catalogue=demo_catalogue("calcium"))
    state = DialogueState()
    assert assistant.respond(state, "我要退货 没拆的", ctx).action == "flow"
    reply = assistant.respond(state, "退货地址在哪", ctx)
    # Before: "没有识别到订单号" (the question was ignored for the prompt).
    assert reply.handoff and reply.entry_key is None and reply.ticket_kind == "return"
    assert "订单号" in reply.text
    assert state.flow is not None and state.flow["awaiting"] == "order_number"
    assert "原因" in assistant.respond(state, "CAL202611200001", ctx).text
    # a remark that asks nothing still gets the prompt
    state = DialogueState()
    assistant.respond(state, "我要退货", ctx)
    assert assistant.respond(state, "好的", ctx).action == "flow"


def test_a_follow_up_never_moves_to_another_products_entry(ask_pack):
    # The block's answer says "拆开的小块…尽快吃完"; before, the paste's entry (another product) answered.
    reply = ask_pack("tonic", "阿胶块能放多久", "那开封以后呢")
    assert reply.entry_key == "tonic-fact-block"


@pytest.mark.parametrize("pack", ["calcium", "tonic"])
@pytest.mark.parametrize("text", ["退货运费谁出", "退货的运费谁出"])
def test_return_shipping_alone_is_the_seven_day_returns(ask_pack, pack, text):
    # The two return policies lead; with no problem told their closeness is not doubt (before: handed over).
    reply = ask_pack(pack, text)
    assert reply.entry_key == f"{pack}-policy-no-reason-return" and not reply.handoff


def test_return_shipping_after_a_problem_is_the_quality_returns(ask_pack):
    assert ask_pack("tonic", "质量问题退货运费谁出").entry_key == "tonic-policy-quality-return"


def test_a_plain_question_gets_no_apology_and_an_apology_is_not_doubled(ask_pack):
    # "退货" scores -1 in the review-trained lexicon: a how-to question is not a grievance.
    assert not ask_pack("tonic", "退货运费谁出").text.startswith("抱歉")
    mould = ask_pack("tonic", "阿胶糕收到就坏了 发霉了")
    assert mould.entry_key == "tonic-quality-mold"
    assert mould.text.count("抱歉") == 1  # the answer's own "非常抱歉", not "抱歉让您遇到这样的情况。" before it
