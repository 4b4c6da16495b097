"""Issue 5c: the learned candidate ranker, unopened vs opened, risk rules, anger handoffs, dev sets (no database)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from aftersales.assistant import evaluate as ev
from aftersales.assistant.engine import Assistant, CustomerContext, DialogueState, _candidate_features
from aftersales.assistant.knowledge import Entry
from aftersales.assistant.retrieval import EntryIndex, Hit
from aftersales.assistant.signals import detect_risks
from aftersales.assistant.text import phrase_matches, retrieval_tokens

TODAY = date(2026, 11, 23)


def entry(key: str, intent: str, questions: str, answer: str, products: tuple[str, ...] = ()) -> Entry:
    return Entry(key=key, intent=intent, answer=answer, questions=tuple(questions.split()), products=products)


@pytest.fixture(scope="module")
def assistant() -> Assistant:
    return Assistant(
        [
            entry("opened", "storage",
                  "开封后的鲜奶能放多久 鲜奶打开了能放几天 开了盖的奶第二天能喝吗 拆开没喝完的奶怎么放",
                  "开封后冷藏，24小时内喝完。"),
            entry("unopened", "shelf_life",
                  "没开封的鲜奶能放几天 未开封的鲜奶保质期多久 鲜奶原封放冰箱能放多久 没打开的鲜奶几天过期",
                  "未开封冷藏7天。"),
            entry("invoice", "invoice", "能开发票吗 怎么开发票 可以开专票吗 发票怎么开", "下单后可开电子发票。"),
            entry("order", "order_status", "我的订单发货了吗 什么时候发货 东西发出来没有 查一下物流",
                  "下单后48小时内发货。"),
            entry("returns", "return_policy", "可以退货吗 七天无理由退货吗 不想要了能退吗 怎么退货", "签收7天内可退。"),
            entry("hours", "service_policy", "客服几点上班 客服工作时间是几点到几点 晚上几点下班 什么时候有人在",
                  "客服每天9:00-21:00在线。"),
            entry("reaction", "adverse_reaction", "喝了以后拉肚子 喝完过敏了 孩子喝了吐了 喝了不舒服",
                  "请立即停止饮用，专员会联系您。"),
        ]
    )  # fmt: skip


def ask(assistant: Assistant, text: str):
    return assistant.respond(DialogueState(), text, CustomerContext(today=TODAY))


# ---------------------------------------------------------------- opened / unopened


def test_a_phrase_inside_a_longer_one_does_not_count():
    assert phrase_matches("鲜奶没开封能放多久") == [("没开封", "~unopened")]
    assert ("开封", "~opened") in phrase_matches("开封后的鲜奶")
    tokens = retrieval_tokens("还没拆的鲜奶能放多久")
    assert "~unopened" in tokens and "~opened" not in tokens
    assert "~opened" in retrieval_tokens("拆开的鲜奶能放多久")


@pytest.mark.parametrize(
    ("text", "key"),
    [("鲜奶还没拆能放几天", "unopened"), ("没开过的鲜奶放多久", "unopened"), ("鲜奶拆开了能放几天", "opened")],
)
def test_unopened_and_opened_questions_reach_their_own_entries(assistant, text, key):
    assert ask(assistant, text).entry_key == key


# ---------------------------------------------------------------- learned ranker


def test_the_ranker_is_learned_from_the_knowledge_base(assistant):
    assert assistant._ranker is not None
    # Every candidate feature is a number for every candidate, and the order it gives is by its probability.
    hits = [Hit(entry=0, score=3.0, doc=0, overlap=0.5), Hit(entry=1, score=1.0, doc=4, overlap=0.2)]
    rows = _candidate_features(hits, [0.2, -0.4], [0.6, 0.1], [False, False], [5.0, 1.0])
    assert rows.shape == (2, assistant._ranker.n_features_in_)
    assert np.isfinite(rows).all()
    ordered = assistant._learned_order(hits[::-1], [-0.4, 0.2], {"storage": 0.6}, assistant._ranker, np.zeros(6))
    assert ordered[0].rank_score >= ordered[1].rank_score


def test_the_entry_index_scores_words_spread_over_sibling_phrasings():
    index = EntryIndex([["阿胶糕"], ["冰箱"], ["发票"]], [0, 0, 1], 2)
    scores = index.scores(["阿胶糕", "冰箱"])
    assert scores[0] > 0 and scores[1] == 0
    assert index.scores(["没见过"]).tolist() == [0.0, 0.0]


def test_a_resolved_follow_up_keeps_its_order_and_the_rankers_scores_follow_it(assistant):
    state, c = DialogueState(), CustomerContext(today=TODAY)
    assistant.respond(state, "开封后的鲜奶能放多久", c)
    reply = assistant.respond(state, "没开封的呢", c)
    u = reply.understanding
    assert u.resolved and u.hits[0].entry == assistant.entries.index(assistant.by_key["unopened"])
    scores = [h.rank_score for h in u.hits]
    assert scores == sorted(scores, reverse=True)  # the confidence model does not read the reordering as doubt
    assert reply.entry_key == "unopened"


# ---------------------------------------------------------------- risk and anger


@pytest.mark.parametrize(
    "text",
    ["吃钙片后不舒服", "孕妇吃钙片不舒服", "宝宝喝了儿童奶后一直哭闹", "小孩吃了很多软糖钙", "老人忘了吃过又吃了一遍",
     "吃了一个月钙片，体检查出肾结石，医生说可能跟补钙有关", "吃完阿胶拉了三天肚子了"],
)  # fmt: skip
def test_reactions_told_in_the_customers_words_are_risks(text):
    assert any(r.kind == "adverse_reaction" for r in detect_risks(text)), text


@pytest.mark.parametrize(
    "text",
    ["吃钙片会不舒服吗", "哪些人吃阿胶会不舒服", "钙吃多了有什么坏处", "拆开了能退吗 吃了一块觉得不适合",
     "吃完饭以后吃钙片可以吗"],
)  # fmt: skip
def test_asking_whether_it_would_happen_is_not_a_risk(text):
    assert detect_risks(text) == [], text


def test_the_intent_model_alone_can_call_a_reaction(assistant):
    state, c = DialogueState(), CustomerContext(today=TODAY)
    u = assistant.understand("能开发票吗", state, c)
    assert not u.risks
    u.probabilities = {**u.probabilities, "adverse_reaction": 0.9}
    reply = assistant._decide(state, u, c)
    assert reply.handoff and reply.handoff_reason == "risk" and reply.severity == "L3"


def test_an_event_with_a_risk_entry_among_the_candidates_is_a_risk(assistant):
    state, c = DialogueState(), CustomerContext(today=TODAY)
    u = assistant.understand("昨天喝了鲜奶今天怪怪的", state, c)
    u.risks = []
    reaction = assistant.entries.index(assistant.by_key["reaction"])
    others = [h for h in u.hits if h.entry != reaction][:2]
    u.hits = [*others, Hit(entry=reaction, score=1.0, doc=0, overlap=0.1)]
    u.probabilities = {**u.probabilities, "adverse_reaction": 0.2}
    reply = assistant._decide(state, u, c)
    assert reply.handoff_reason == "risk" and reply.severity == "L3"
    # ... but not when nothing happened
    u2 = assistant.understand("鲜奶能放几天", state, c)
    u2.hits = [*u2.hits[:2], Hit(entry=reaction, score=1.0, doc=0, overlap=0.1)]
    u2.probabilities = {**u2.probabilities, "adverse_reaction": 0.2}
    assert assistant._decide(DialogueState(), u2, c).handoff_reason != "risk"


def test_an_angry_handoff_shows_the_answer_but_does_not_claim_it(assistant):
    reply = ask(assistant, "一个礼拜了还没发货 你们是骗子吧 什么时候发货")
    assert reply.handoff and reply.handoff_reason == "anger"
    assert reply.entry_key is None


def test_asking_for_a_refund_is_not_anger(assistant):
    assert not ask(assistant, "不想要了能退钱吗").understanding.emotion.anger


def test_asking_for_a_supervisor_hands_over(assistant):
    reply = ask(assistant, "说了半天没用 叫你们主管来")
    assert reply.handoff and reply.handoff_reason in ("request", "anger")


def test_asking_when_people_are_there_is_answered_not_handed_over(assistant):
    reply = ask(assistant, "人工客服几点上班")
    assert reply.entry_key == "hours" and not reply.handoff
    transfer = ask(assistant, "转人工 客服几点上班都不知道")
    assert transfer.handoff and transfer.handoff_reason in ("request", "anger")


# ---------------------------------------------------------------- dev sets


def test_dev_sets_are_found_and_reported_apart(tmp_path: Path):
    from aftersales.cli import app

    row = '{"text": "能开发票吗", "expected_key": "invoice", "expect_handoff": false, "risk": false}\n'
    (tmp_path / "mini.jsonl").write_text(row, "utf-8")
    (tmp_path / "mini.dev2.jsonl").write_text(row * 2, "utf-8")
    assert ev.dev_sets(tmp_path) == {"dev": ["mini"], "dev2": ["mini"]}
    assert len(ev.dev_cases("mini", tmp_path, "dev2")) == 2
    packs = Path(__file__).parent / "fixtures"
    result = CliRunner().invoke(
        app, ["assistant", "dev", "--packs-dir", str(packs), "--dev-dir", str(tmp_path), "--pack", "mini"]
    )
    assert result.exit_code == 0, result.output
    assert "set dev (dev/<pack>.jsonl)" in result.output and "set dev2 (dev/<pack>.dev2.jsonl)" in result.output
    result = CliRunner().invoke(
        app,
        ["assistant", "dev", "--packs-dir", str(packs), "--dev-dir", str(tmp_path), "--pack", "mini", "--set", "dev2"],
    )
    assert "set dev2" in result.output and "set dev " not in result.output
