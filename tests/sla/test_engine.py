"""Behaviour of the SLA engine derived from a ticket timeline."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from aftersales.sla.engine import TimelineFact, compute_sla, escalation, escalation_level

from ._helpers import CALENDARS, SH, T0, at, created, fact, policy, status

L3 = policy(30, 30, 72 * 60, 30 * 24 * 60, name="L3")


def events_of(report, metric: str) -> list[tuple[datetime, str]]:  # type: ignore[no-untyped-def]
    return [(e.at, e.event) for e in report.events if e.metric == metric]


def test_l3_first_reply_breaches_after_30_minutes() -> None:
    facts = created(L3)
    before = compute_sla(facts, CALENDARS, at(29))
    assert before.metrics["first_reply"].status == "active"
    assert before.metrics["first_reply"].due_at == at(30)
    assert before.metrics["first_reply"].remaining_seconds == pytest.approx(60)
    report = compute_sla(facts, CALENDARS, at(45))
    fr = report.metrics["first_reply"]
    assert fr.status == "breached"
    assert fr.breached_at == at(30)
    assert fr.remaining_seconds == pytest.approx(-15 * 60)
    assert report.state == "breached"
    assert (at(30), "breached") in events_of(report, "first_reply")


def test_reply_at_exact_due_time_is_fulfilled() -> None:
    report = compute_sla([*created(L3), fact(30, "agent_reply")], CALENDARS, at(60))
    assert report.metrics["first_reply"].status == "fulfilled"
    assert report.metrics["first_reply"].fulfilled_at == at(30)


def test_warning_at_75_percent() -> None:
    facts = created(L3)
    assert not compute_sla(facts, CALENDARS, at(22)).metrics["first_reply"].warning
    report = compute_sla(facts, CALENDARS, at(22.5))
    assert report.metrics["first_reply"].warning
    assert report.state == "warning"
    assert events_of(report, "first_reply")[-1] == (at(22.5), "warned")


def test_first_reply_is_fulfilled_by_agent_reply() -> None:
    report = compute_sla([*created(L3), fact(10, "agent_reply")], CALENDARS, at(100))
    fr = report.metrics["first_reply"]
    assert fr.status == "fulfilled"
    assert fr.elapsed_seconds == 600
    assert fr.due_at == at(30)
    assert report.metrics["next_reply"].status == "inactive"


def test_waiting_on_customer_pauses_resolution_clock() -> None:
    facts = [
        *created(L3),
        fact(5, "agent_reply"),
        status(10, "waiting_on_customer"),
        status(10 + 24 * 60, "in_progress"),
    ]
    paused = compute_sla(facts[:4], CALENDARS, at(600))
    res = paused.metrics["resolution"]
    assert res.status == "paused"
    assert res.paused_since == at(10)
    assert res.elapsed_seconds == 600
    assert res.due_at is None
    assert paused.state == "paused"
    resumed = compute_sla(facts, CALENDARS, at(24 * 60 + 70))
    res = resumed.metrics["resolution"]
    assert res.status == "active"
    assert res.elapsed_seconds == 70 * 60
    assert res.due_at == at(72 * 60 + 24 * 60)
    assert [e for _, e in events_of(resumed, "resolution")] == ["activated", "paused", "resumed"]


def test_waiting_on_customer_does_not_pause_first_reply() -> None:
    facts = [*created(L3), status(5, "waiting_on_customer")]
    report = compute_sla(facts, CALENDARS, at(40))
    assert report.metrics["first_reply"].status == "breached"
    assert report.metrics["resolution"].status == "paused"


def test_customer_message_ends_the_wait() -> None:
    facts = [
        *created(L3),
        fact(5, "agent_reply"),
        status(10, "waiting_on_customer"),
        fact(70, "customer_message"),
    ]
    report = compute_sla(facts, CALENDARS, at(80))
    assert report.metrics["resolution"].status == "active"
    assert report.metrics["resolution"].elapsed_seconds == 20 * 60
    assert report.metrics["next_reply"].started_at == at(70)


def test_reopen_resumes_resolution_clock() -> None:
    facts = [
        *created(L3),
        fact(5, "agent_reply"),
        status(60, "resolved"),
        status(600, "in_progress"),
    ]
    resolved = compute_sla(facts[:4], CALENDARS, at(300))
    assert resolved.metrics["resolution"].status == "fulfilled"
    assert resolved.metrics["follow_up"].status == "active"
    assert resolved.metrics["follow_up"].started_at == at(60)
    report = compute_sla(facts, CALENDARS, at(630))
    res = report.metrics["resolution"]
    assert res.status == "active"
    assert res.fulfilled_at is None
    assert res.elapsed_seconds == 90 * 60  # 60 min before resolution + 30 min since reopen
    assert res.started_at == T0
    assert report.metrics["follow_up"].status == "inactive"
    assert events_of(report, "resolution")[-1] == (at(600), "resumed")


def test_follow_up_runs_from_latest_resolution_until_callback() -> None:
    facts = [
        *created(L3),
        fact(5, "agent_reply"),
        status(60, "resolved"),
        status(120, "in_progress"),
        status(180, "resolved"),
        fact(240, "callback_done"),
    ]
    report = compute_sla(facts, CALENDARS, at(300))
    fu = report.metrics["follow_up"]
    assert fu.started_at == at(180)
    assert fu.status == "fulfilled"
    assert fu.elapsed_seconds == 60 * 60


def test_next_reply_counts_from_oldest_unanswered_message() -> None:
    facts = [
        *created(L3),
        fact(5, "agent_reply"),
        fact(100, "customer_message"),
        fact(110, "customer_message"),
        fact(120, "customer_message"),
    ]
    report = compute_sla(facts, CALENDARS, at(125))
    nr = report.metrics["next_reply"]
    assert nr.started_at == at(100)
    assert nr.elapsed_seconds == 25 * 60
    assert nr.due_at == at(130)
    answered = compute_sla([*facts, fact(128, "agent_reply")], CALENDARS, at(200))
    assert answered.metrics["next_reply"].status == "fulfilled"
    assert answered.metrics["next_reply"].fulfilled_at == at(128)


def test_customer_messages_before_first_reply_do_not_start_next_reply() -> None:
    facts = [*created(L3), fact(3, "customer_message"), fact(10, "agent_reply")]
    report = compute_sla(facts, CALENDARS, at(60))
    assert report.metrics["next_reply"].status == "inactive"


def test_policy_change_never_backdates_breach() -> None:
    loose = policy(120, 120, 72 * 60, None, name="L1")
    strict = policy(30, 30, 72 * 60, None, name="L3", version=2)
    facts = [*created(loose), TimelineFact(at(50), "policy", policy=strict)]
    report = compute_sla(facts, CALENDARS, at(60))
    fr = report.metrics["first_reply"]
    assert fr.status == "breached"
    assert fr.breached_at == at(50)  # not at(30)
    assert fr.target_minutes == 30
    assert fr.remaining_seconds == pytest.approx(-30 * 60)
    warned = [e for e in report.events if e.metric == "first_reply" and e.event == "warned"]
    assert [e.at for e in warned] == [at(50)]
    assert "L3" in warned[0].detail
    # Before the change nothing was breached.
    assert compute_sla(facts, CALENDARS, at(49)).metrics["first_reply"].status == "active"


def test_policy_change_does_not_reevaluate_fulfilled_metrics() -> None:
    loose = policy(120, 120, 72 * 60, None, name="L1")
    strict = policy(1, 1, 72 * 60, None, name="L3")
    facts = [*created(loose), fact(60, "agent_reply"), TimelineFact(at(70), "policy", policy=strict)]
    fr = compute_sla(facts, CALENDARS, at(80)).metrics["first_reply"]
    assert fr.status == "fulfilled"
    assert fr.target_minutes == 120


def test_policy_change_applies_new_target_from_that_moment() -> None:
    first = policy(60, 60, 72 * 60, None, name="a")
    second = policy(90, 90, 72 * 60, None, name="b")
    facts = [*created(first), TimelineFact(at(10), "policy", policy=second)]
    report = compute_sla(facts, CALENDARS, at(20))
    assert report.metrics["first_reply"].due_at == at(90)


def test_untracked_metric_is_inactive() -> None:
    p = policy(30, None, None, None)
    report = compute_sla(created(p), CALENDARS, at(10))
    assert report.metrics["resolution"].status == "inactive"
    assert report.metrics["resolution"].target_minutes is None
    assert report.state == "ok"


def test_no_policy_means_no_sla() -> None:
    report = compute_sla([TimelineFact(T0, "created")], CALENDARS, at(10_000))
    assert report.state == "none"
    assert report.events == ()


def test_business_hours_policy_counts_only_working_time() -> None:
    p = policy(120, 120, 24 * 60, None, calendar="cn_business_hours")
    start = datetime(2026, 9, 30, 17, 0, tzinfo=SH)
    report = compute_sla(created(p, start), CALENDARS, datetime(2026, 10, 5, 12, 0, tzinfo=SH))
    fr = report.metrics["first_reply"]
    assert fr.status == "active"
    assert fr.elapsed_seconds == 3600
    assert fr.due_at == datetime(2026, 10, 8, 10, 0, tzinfo=SH)


def test_events_after_now_are_not_emitted() -> None:
    report = compute_sla(created(L3), CALENDARS, at(10))
    assert [e.event for e in report.events] == ["activated", "activated"]
    assert all(e.at <= at(10) for e in report.events)


def test_unknown_calendar_is_reported() -> None:
    with pytest.raises(KeyError, match="nowhere"):
        compute_sla(created(policy(calendar="nowhere")), CALENDARS, at(1))


def test_escalation_levels() -> None:
    p = policy(30, 30, 72 * 60, None, management_after_ratio=0.5)
    facts = created(p)
    assert escalation_level(compute_sla(facts, CALENDARS, at(29)), at(29)) == 0
    report = compute_sla(facts, CALENDARS, at(40))
    assert escalation_level(report, at(40), p) == 1
    assert escalation(report).supervisor_at == at(30)
    report = compute_sla(facts, CALENDARS, at(45))
    esc = escalation(report, at(45))
    assert esc.level == 2
    assert esc.management_at == at(45)
    assert esc.metric == "first_reply"


def test_management_escalation_is_not_backdated_on_policy_change() -> None:
    loose = policy(600, 600, None, None, name="loose")
    strict = policy(10, 10, None, None, name="strict")
    facts = [*created(loose), TimelineFact(at(100), "policy", policy=strict)]
    esc = escalation(compute_sla(facts, CALENDARS, at(101)))
    assert (esc.level, esc.supervisor_at, esc.management_at) == (2, at(100), at(100))


def test_unsorted_facts_are_rejected() -> None:
    facts = [*created(L3), fact(10, "agent_reply"), fact(5, "customer_message")]
    with pytest.raises(ValueError, match="sorted"):
        compute_sla(facts, CALENDARS, at(20))


def test_resolving_without_reply_fulfils_reply_clocks() -> None:
    report = compute_sla([*created(L3), status(10, "closed")], CALENDARS, at(100))
    assert report.metrics["first_reply"].status == "fulfilled"
    assert report.metrics["resolution"].status == "fulfilled"
    assert report.metrics["follow_up"].status == "active"
    assert report.next_due_at == at(10) + timedelta(days=30)
