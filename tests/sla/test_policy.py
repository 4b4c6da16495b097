"""Policy matching and the SPEC §2 defaults."""

from __future__ import annotations

import itertools

import pytest

from aftersales.sla.policy import (
    PolicyConfigError,
    SlaPolicy,
    SlaTargets,
    default_policies,
    match_policy,
    targets_for,
)


def _targets(**attrs: str | None) -> SlaTargets:
    p = match_policy(default_policies(), attrs)
    assert p is not None
    return p.targets


def test_first_match_by_position_wins() -> None:
    a = SlaPolicy(id=1, name="late", position=20, conditions={"severity": ["L3"]})
    b = SlaPolicy(id=2, name="early", position=10, conditions={"severity": ["L3", "L2"]})
    c = SlaPolicy(id=3, name="any", position=30)
    assert match_policy([a, b, c], {"severity": "L3"}) is b
    assert match_policy([a, b, c], {"severity": "L1"}) is c
    assert match_policy([a, b], {"severity": None}) is None


def test_missing_condition_field_matches_anything() -> None:
    p = SlaPolicy(id=1, name="chat", conditions={"channel": ["chat"]})
    assert p.matches({"channel": "chat", "severity": "L3", "customer_tier": "vip"})
    assert not p.matches({"channel": "email"})
    assert not p.matches({})


@pytest.mark.parametrize(
    ("attrs", "first_reply", "resolution", "follow_up"),
    [
        ({"severity": "L3"}, 30, 72 * 60, 30 * 24 * 60),
        ({"severity": "L2"}, 60, 48 * 60, 7 * 24 * 60),
        ({"severity": "L1"}, 120, 24 * 60, 3 * 24 * 60),
        ({"severity": "L3", "channel": "email"}, 30, 72 * 60, 30 * 24 * 60),  # channel never loosens a tier
        ({"severity": "L1", "channel": "chat"}, 3, 24 * 60, 3 * 24 * 60),
        ({"severity": "L2", "channel": "phone"}, 1, 48 * 60, 7 * 24 * 60),
        ({"severity": "L1", "channel": "social"}, 120, 24 * 60, 3 * 24 * 60),
        ({"severity": "L2", "kind": "consultation"}, 10, 48 * 60, 7 * 24 * 60),
        ({"severity": None, "channel": "email"}, 240, 24 * 60, 3 * 24 * 60),
        ({"channel": "web"}, 240, 24 * 60, 3 * 24 * 60),
    ],
)
def test_default_policy_targets(
    attrs: dict[str, str | None], first_reply: int, resolution: int, follow_up: int
) -> None:
    t = _targets(**attrs)
    assert (t.first_reply, t.resolution, t.follow_up) == (first_reply, resolution, follow_up)


def test_next_reply_defaults_to_the_tier_first_reply() -> None:
    assert _targets(severity="L3", channel="chat").next_reply == 30
    assert _targets(severity="L1").next_reply == 120


def test_defaults_equal_elementwise_minimum_of_rules_for_every_combination() -> None:
    for sev, ch, kind, tier in itertools.product(
        ["L1", "L2", "L3", None, "X"],
        ["chat", "phone", "email", "social", "web", "wechat", None],
        ["consultation", "complaint", None],
        ["vip", "standard", None],
    ):
        attrs = {"severity": sev, "channel": ch, "kind": kind, "customer_tier": tier, "category": "logistics"}
        assert _targets(**attrs) == targets_for(attrs), attrs


def test_defaults_use_24x7_calendar_and_end_with_catch_all() -> None:
    policies = default_policies()
    assert all(p.calendar_name == "24x7" for p in policies)
    assert dict(policies[-1].conditions) == {}
    assert len({p.position for p in policies}) == len(policies)


def test_policy_round_trips_through_dict() -> None:
    for p in default_policies():
        assert SlaPolicy.from_dict(p.to_dict()) == p


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"id": 1, "name": "x", "conditions": {"colour": ["red"]}}, "conditions.colour"),
        ({"id": 1, "name": "x", "conditions": {"severity": "L3"}}, "conditions.severity"),
        ({"id": 1, "name": "x", "targets": {"first_reply": -5}}, "targets.first_reply"),
        ({"id": 1, "name": "x", "targets": {"eventually": 5}}, "targets.eventually"),
        ({"id": 1, "name": "x", "warn_ratio": 1.5}, "warn_ratio"),
        ({"name": "x"}, "id: required"),
    ],
)
def test_invalid_policy_errors_name_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyConfigError, match=message.replace(".", r"\.")):
        SlaPolicy.from_dict(data)
