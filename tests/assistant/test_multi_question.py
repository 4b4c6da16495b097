"""One message, several questions ("鲜奶能放几天 另外能开发票吗"): each one the knowledge base answers confidently is
answered, in the order asked; a risk, anger, an unknown question or one needing the customer's own data never
turns into an answer."""

from __future__ import annotations

import pytest

from aftersales.assistant.engine import CustomerContext, DialogueState
from aftersales.assistant.evaluate import EVAL_DAY, build_assistant, demo_catalogue


def test_a_second_question_after_another_is_answered_too(ask_pack):
    alone = ask_pack("dairy", "能开发票吗")
    both = ask_pack("dairy", "鲜奶能放几天 另外能开发票吗")
    assert both.entry_key == alone.entry_key == "dairy-invoice"  # the main answer is what the message alone got
    assert both.also_answered == ["dairy-fact-fresh-milk"]
    assert both.text.startswith(alone.text)
    assert "关于“鲜奶能放几天”：" in both.text and "7天" in both.text
    assert not both.handoff


def test_two_questions_that_together_confuse_the_ranker_are_answered_one_by_one(ask_pack):
    whole = "酸奶需要冷藏吗。你们周末配送吗"
    reply = ask_pack("dairy", whole)
    assert not reply.handoff and reply.action == "answer"
    assert reply.entry_key == ask_pack("dairy", "酸奶需要冷藏吗").entry_key == "dairy-storage-yogurt"
    assert reply.also_answered == [ask_pack("dairy", "你们周末配送吗").entry_key]
    # Answered in the order asked, each quoted.
    assert reply.text.index("关于“酸奶需要冷藏吗”") < reply.text.index("关于“你们周末配送吗”")


def test_an_unknown_question_beside_a_known_one_is_not_guessed(ask_pack):
    unknown = "你们老板是哪里人啊"
    assert ask_pack("dairy", unknown).handoff  # alone, it is for a person
    reply = ask_pack("dairy", f"鲜奶能放几天？{unknown}")
    # Either the known part is answered and the unknown one adds nothing, or the whole goes to a person; the
    # unknown part is never answered with some entry.
    assert reply.handoff or reply.also_answered == []
    if not reply.handoff:
        assert "关于“你们老板" not in reply.text


def test_an_unknown_question_keeps_an_unsure_message_with_a_person(ask_pack):
    reply = ask_pack("dairy", "你们老板是哪里人啊？你们公司有多少员工")
    assert reply.handoff and reply.handoff_reason == "low_confidence" and reply.also_answered == []


@pytest.mark.parametrize(
    "message",
    ["我买的鲜奶喝了拉肚子。另外能开发票吗", "鲜奶能放几天？孩子喝了以后一直吐"],
)
def test_a_risk_in_any_question_hands_the_whole_message_over(ask_pack, message):
    reply = ask_pack("dairy", message)
    assert reply.handoff and reply.handoff_reason == "risk" and reply.severity == "L3"
    assert reply.also_answered == []


def test_anger_is_not_answered_question_by_question(ask_pack):
    reply = ask_pack("dairy", "你们什么破服务！鲜奶能放几天？能开发票吗")
    assert reply.handoff and reply.also_answered == []


def test_a_question_about_the_customers_own_order_is_not_answered_without_the_order(ask_pack):
    reply = ask_pack("dairy", "能开发票吗？我的订单到哪了")
    assert all(key not in ("dairy-order-status", "dairy-logistics-delay") for key in reply.also_answered)


def test_a_single_question_is_unchanged(ask_pack):
    for message in ("鲜奶能放几天？", "酸奶需要冷藏吗", "你好。酸奶需要冷藏吗"):
        assert ask_pack("dairy", message).also_answered == []


def test_the_reply_in_the_api_lists_the_other_answers():
    from aftersales.assistant.schemas import AssistantReply

    assert "also_answered" in AssistantReply.model_fields


def test_state_after_two_questions_follows_the_message(ask_pack):
    assistant = build_assistant("dairy")[0]
    state = DialogueState()
    context = CustomerContext(today=EVAL_DAY, catalogue=demo_catalogue("dairy"))
    assistant.respond(state, "鲜奶能放几天 另外能开发票吗", context)
    assert state.last_entry == "dairy-invoice"


def test_a_long_message_costs_a_bounded_number_of_understandings(monkeypatch):
    from aftersales.assistant import engine

    assistant = build_assistant("dairy")[0]
    context = CustomerContext(today=EVAL_DAY, catalogue=demo_catalogue("dairy"))
    calls = []
    understand = assistant.understand
    monkeypatch.setattr(assistant, "understand", lambda *a: calls.append(a[0]) or understand(*a))
    pasted = ("你们周末配送吗？鲜奶能放几天？" + "".join(f"第{n}个问题能开发票吗？" for n in range(40)))[:2000]
    reply = assistant.respond(DialogueState(), pasted, context)
    assert len(calls) <= 1 + engine.MAX_PARTS  # the whole message, then at most MAX_PARTS of its questions
    assert len(reply.also_answered) <= engine.MAX_ALSO
    calls.clear()
    assistant.respond(DialogueState(), "鲜奶能放几天？" * 280, context)
    assert len(calls) == 1  # one question pasted 280 times is one question
