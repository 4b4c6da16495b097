"""Service policies as data, evaluated without a database."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from aftersales.actions.policy import ActionFacts, ServicePolicies, evaluate, load_policies

POLICIES = load_policies()
BASE = ActionFacts(
    kind="refund",
    amount=Decimal("50"),
    requester_role="agent",
    severity="L1",
    category="service_attitude",
    customer_tier="standard",
    days_since_delivery=3.0,
    order_total=Decimal("120"),
)


def test_no_reason_return_is_open_for_seven_days_from_delivery():
    assert evaluate(POLICIES, replace(BASE, days_since_delivery=6.9)).allowed
    refused = evaluate(POLICIES, replace(BASE, days_since_delivery=7.5))
    assert (refused.allowed, refused.refused_by) == (False, "return_window")
    assert "7-day" in refused.message


@pytest.mark.parametrize("category", ["quality", "cold_chain", "packaging_damage"])
def test_quality_spoilage_and_cold_chain_problems_ignore_the_window(category):
    decision = evaluate(POLICIES, replace(BASE, category=category, days_since_delivery=40))
    assert decision.allowed and not decision.needs_approval
    assert any("ignored" in n for n in decision.notes)


def test_the_window_does_not_apply_to_reissues():
    assert evaluate(POLICIES, replace(BASE, kind="reissue", amount=None, days_since_delivery=40)).allowed


def test_unknown_delivery_date_needs_a_supervisor():
    decision = evaluate(POLICIES, replace(BASE, days_since_delivery=None))
    assert decision.allowed and decision.needs_approval and "supervisor" in decision.approver_roles


def test_amounts_above_the_role_limit_need_a_higher_role():
    agent = evaluate(POLICIES, replace(BASE, category="quality", amount=Decimal("200.01"), order_total=None))
    assert agent.needs_approval and agent.approver_roles == ("supervisor", "admin")
    within = evaluate(POLICIES, replace(BASE, category="quality", amount=Decimal("200"), order_total=None))
    assert not within.needs_approval
    supervisor = evaluate(
        POLICIES,
        replace(BASE, category="quality", requester_role="supervisor", amount=Decimal("2500"), order_total=None),
    )
    assert supervisor.needs_approval and supervisor.approver_roles == ("admin",)
    admin = evaluate(
        POLICIES, replace(BASE, category="quality", requester_role="admin", amount=Decimal("99999"), order_total=None)
    )
    assert not admin.needs_approval


def test_refund_cannot_exceed_the_order_total():
    refused = evaluate(POLICIES, replace(BASE, amount=Decimal("121")))
    assert refused.refused_by == "refund_amount"


def test_refund_before_return_is_for_trusted_customers_up_to_a_limit():
    assert evaluate(POLICIES, replace(BASE, refund_before_return=True)).refused_by == "refund_before_return"
    gold = evaluate(POLICIES, replace(BASE, refund_before_return=True, customer_tier="gold"))
    assert gold.allowed and any("trusted gold" in n for n in gold.notes)
    too_much = evaluate(
        POLICIES,
        replace(BASE, refund_before_return=True, customer_tier="vip", amount=Decimal("600"), order_total=None),
    )
    assert too_much.refused_by == "refund_before_return"


def test_vip_repairs_are_free_and_on_site_is_an_entitlement():
    vip = evaluate(POLICIES, replace(BASE, kind="repair", amount=Decimal("800"), customer_tier="vip", on_site=True))
    assert vip.allowed and vip.amount == 0 and not vip.needs_approval
    assert any(n.startswith("entitlements.on_site_service") for n in vip.notes)
    standard = evaluate(POLICIES, replace(BASE, kind="repair", amount=Decimal("80"), on_site=True))
    assert standard.refused_by == "entitlements.on_site_service"
    silver_minor = evaluate(
        POLICIES, replace(BASE, kind="repair", amount=Decimal("30"), customer_tier="silver", minor_repair=True)
    )
    assert silver_minor.amount == 0
    silver_major = evaluate(POLICIES, replace(BASE, kind="repair", amount=Decimal("300"), customer_tier="silver"))
    assert silver_major.amount == Decimal("300") and silver_major.needs_approval


def test_medical_referral_is_for_l3_only():
    assert evaluate(POLICIES, replace(BASE, kind="medical_referral", amount=None, severity="L3")).allowed
    assert (
        evaluate(POLICIES, replace(BASE, kind="medical_referral", amount=None, severity="L2")).refused_by
        == "medical_referral"
    )


def test_a_broken_policy_file_names_what_is_missing():
    with pytest.raises(ValueError, match="return_window"):
        ServicePolicies.from_dict({"approval_limits": {"agent": 1}})
