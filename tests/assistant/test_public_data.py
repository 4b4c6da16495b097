"""Public evaluation data (read from ../shared/data at run time; skipped, with the reason, when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aftersales.assistant import evaluate as ev

DATA = Path(os.environ.get("AFTERSALES_PUBLIC_DATA", str(ev.DEFAULT_DATA)))


def need(part: str) -> None:
    if not ev.data_available(DATA, part):
        pytest.skip(f"public data for {part!r} not found under {DATA} (set AFTERSALES_PUBLIC_DATA)")


def test_atec_faq_retrieval_reports_ours_beside_the_bm25_baseline():
    need("atec")
    report = ev.atec_retrieval(DATA, limit=1500)
    assert report.queries == 1500 and report.entries > 1000
    assert set(report.recall_at_1) == {"bm25 baseline", "ours"}
    for name in report.recall_at_1:
        assert 0 < report.recall_at_1[name] <= report.recall_at_5[name] <= 1
    assert report.recall_at_5["ours"] >= report.recall_at_5["bm25 baseline"]


def test_atec_pair_classification_beats_chance():
    need("pairs")
    report = ev.atec_pairs(DATA, limit=4000)
    assert report.valid == 4000 and 0 < report.positive_f1 < 1
    assert report.accuracy > 0.5


def test_emotion_detector_on_reviews_it_never_saw():
    need("emotion")
    report = ev.emotion(DATA, limit=3000)
    assert report.reviews == 3000
    assert report.accuracy > 0.6 and report.negative_f1 > 0.5
