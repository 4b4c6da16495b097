"""Tuning round 5h for the tonic pack: soaking two tonics together is not a blister."""

from __future__ import annotations

import pytest

from aftersales.assistant.signals import detect_risks
from aftersales.assistant.text import normalise


@pytest.mark.parametrize("text", ["阿胶和西洋参能一起泡吗", "人参跟阿胶可以一起泡着喝吗", "红枣和阿胶一起泡酒行不行"])
def test_soaking_together_is_not_a_blister(text):
    assert not detect_risks(normalise(text))


@pytest.mark.parametrize("text", ["吃了阿胶糕嘴里起泡了", "吃阿胶上火了 嘴里起泡 要不要停", "喝完口服液嘴唇起泡"])
def test_a_blister_is_still_a_risk(text):
    assert detect_risks(normalise(text))
