"""Round 5j (session 14): a short question asked inside a guided return flow, and what session 14's longer
phrasings must keep."""

from __future__ import annotations

import pytest

from aftersales.assistant.engine import CustomerContext, DialogueState
from aftersales.assistant.evaluate import EVAL_DAY, build_assistant, demo_catalogue


@pytest.fixture(scope="module")
def calcium():
    return build_assistant("calcium")[0], CustomerContext(today=EVAL_DAY, catalogue=demo_catalogue("calcium"))


def test_a_short_question_inside_a_return_flow_is_answered_and_the_flow_waits(calcium):
    assistant, ctx = calcium
    state = DialogueState()
    assert assistant.respond(state, "我要退货", ctx).action == "flow"
    reply = assistant.respond(state, "那运费谁出", ctx)
    # Before: "没有识别到订单号" (the question alone was too vague to answer, the flow's subject was not read).
    assert reply.entry_key == "calcium-policy-no-reason-return" and not reply.handoff
    assert "订单号" in reply.text  # the flow still asks for what it needs
    assert state.flow is not None and state.flow["awaiting"] == "order_number"
    done = assistant.respond(state, "没有", ctx)
    assert done.action == "flow" and "原因" in done.text


def test_inside_a_flow_an_order_number_is_still_taken_as_the_order_number(calcium):
    assistant, ctx = calcium
    state = DialogueState()
    assistant.respond(state, "我要退货", ctx)
    reply = assistant.respond(state, "CAL202611200001", ctx)
    assert state.flow is not None and state.flow["facts"].get("order_number") == "CAL202611200001"
    assert "原因" in reply.text


def test_what_the_flow_was_opened_with_picks_the_return(calcium):
    assistant, ctx = calcium
    state = DialogueState()
    assistant.respond(state, "我想退货 没拆封", ctx)
    assert state.flow is not None and state.flow["topic"] == "我想退货 没拆封"
    reply = assistant.respond(state, "运费谁出", ctx)
    assert reply.entry_key == "calcium-policy-no-reason-return"


def test_the_held_out_report_counts_each_kind_of_error_without_showing_a_row(mini_assistant):
    from aftersales.assistant.evaluate import Case, evaluate_cases, format_pack_reports

    cases = [
        Case("鲜奶保质期多久", "milk-shelf-life", False, False),  # right
        Case("鲜奶保质期多久", "milk-storage-opened", False, False),  # another entry answered
        Case("鲜奶保质期多久", None, True, False),  # answered a case that needs a person
        Case("火星上能送货吗 量子纠缠", "order-status", False, False),  # handed over an answerable case
    ]
    report = evaluate_cases(mini_assistant, "dairy", cases)
    assert report.correct == 1
    assert (report.wrong_entry, report.answered_for_person, report.handed_answerable) == (1, 1, 1)
    table = format_pack_reports([report])
    assert table.splitlines()[1].rstrip().endswith("1 /   1 /   1")
    assert "鲜奶" not in table and "火星" not in table
