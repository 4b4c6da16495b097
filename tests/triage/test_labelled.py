from __future__ import annotations

import pytest

from aftersales.triage.engine import CATEGORIES, DEPARTMENTS, SEVERITIES, available_packs
from aftersales.triage.evaluate import evaluate, format_report, load_labelled


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    return evaluate()


@pytest.mark.parametrize("pack", ["dairy", "tonic", "calcium", "cashmere"])
def test_labelled_set_is_large_and_well_formed(pack: str) -> None:
    cases = load_labelled(pack)
    assert len(cases) >= 55
    assert sum(c.severity == "L3" for c in cases) >= 10
    assert len({c.text for c in cases}) == len(cases), "duplicate texts"
    for c in cases:
        assert c.category in CATEGORIES and c.severity in SEVERITIES and c.department in DEPARTMENTS


def test_labelled_set_meets_targets(report) -> None:  # type: ignore[no-untyped-def]
    overall = report.overall
    assert overall.n >= 220
    assert overall.category_accuracy >= 0.90, format_report(report)
    assert overall.severity_accuracy >= 0.85, format_report(report)
    assert overall.l3_recall == 1.0, format_report(report)
    assert not overall.l3_missed


def test_every_pack_is_evaluated(report) -> None:  # type: ignore[no-untyped-def]
    assert list(report.packs) == available_packs()
    text = format_report(report)
    for pack in available_packs():
        assert f"[{pack}]" in text
