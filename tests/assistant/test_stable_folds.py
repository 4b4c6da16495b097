"""The confidence model is trained on the knowledge base's own phrasings, each asked from a fold that left it out.
Folds follow the text alone, so adding a phrasing moves no other phrasing to another fold (the positional and
shuffled splits before did, and every knowledge-base edit moved borderline answers on every set)."""

from __future__ import annotations

from aftersales.assistant.intent import held_out_probabilities, stable_fold
from aftersales.assistant.knowledge import load_pack


def test_adding_phrasings_keeps_every_other_phrasings_fold():
    texts = [q for e in load_pack("dairy") for q in e.questions]
    before = {t: stable_fold(t, 3) for t in texts}
    grown = [*texts[:10], "新加的一句 鲜奶能不能放到明天", "再加一句 酸奶冻了还能喝吗", *texts[10:]]
    assert all(stable_fold(t, 3) == before[t] for t in grown if t in before)


def test_folds_are_all_used_and_balanced_enough():
    texts = [q for e in load_pack("dairy") for q in e.questions]
    sizes = [sum(1 for t in texts if stable_fold(t, 3) == k) for k in range(3)]
    assert min(sizes) > 0.25 * len(texts)


def test_held_out_probabilities_are_unchanged_for_texts_whose_fold_is_unchanged_by_order():
    pack = load_pack("dairy")
    texts = [q for e in pack for q in e.questions]
    labels = [e.intent for e in pack for _ in e.questions]
    classes, out = held_out_probabilities(texts, labels)
    classes2, out2 = held_out_probabilities(texts[::-1], labels[::-1])
    assert classes == classes2
    # The same folds whatever the order: each text's held-out probabilities agree closely (the model inside
    # may still break exact ties by order).
    by_text = {t: row for t, row in zip(texts, out, strict=True)}
    diffs = [abs(by_text[t] - row).max() for t, row in zip(texts[::-1], out2, strict=True)]
    assert sorted(diffs)[len(diffs) // 2] < 0.05
