"""Intent classification with calibrated probabilities (scikit-learn), trained on the knowledge base's own
phrasings plus the labelled examples the package ships (greetings, requests for a person, out-of-scope, …)."""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Sequence
from importlib import resources

import numpy as np
import yaml
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

OUT_OF_SCOPE = "out_of_scope"
MIN_PER_CLASS = 3  # calibration uses 3-fold cross-validation, so each class needs three examples


def labelled_examples() -> list[tuple[str, str]]:
    """(text, intent) pairs shipped in ``assistant/labelled/intents.yaml``."""
    data = yaml.safe_load(resources.files("aftersales.assistant").joinpath("labelled/intents.yaml").read_text("utf-8"))
    return [(str(text), str(intent)) for intent, texts in data.items() for text in texts]


def _balanced(texts: Sequence[str], labels: Sequence[str]) -> tuple[list[str], list[str]]:
    """Repeat the examples of classes with fewer than three, so a one-phrasing entry does not break calibration."""
    counts = Counter(labels)
    out_t, out_l = list(texts), list(labels)
    by_class: dict[str, list[str]] = {}
    for text, label in zip(texts, labels, strict=True):
        by_class.setdefault(label, []).append(text)
    for label, count in counts.items():
        i = 0
        while count < MIN_PER_CLASS:
            out_t.append(by_class[label][i % len(by_class[label])])
            out_l.append(label)
            count += 1
            i += 1
    return out_t, out_l


def new_model() -> Pipeline:
    # Character 1-3-grams need no segmentation and survive typos and unusual product names.
    return make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1),
        CalibratedClassifierCV(LinearSVC(C=0.5), cv=MIN_PER_CLASS, method="temperature", ensemble=False),
    )


class IntentClassifier:
    def __init__(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        texts, labels = _balanced(texts, labels)
        if len(set(labels)) < 2:
            raise ValueError("intent classification needs at least two intents")
        self.model = new_model().fit(texts, labels)
        self.classes: list[str] = list(self.model.classes_)

    def predict(self, text: str) -> dict[str, float]:
        probs = self.model.predict_proba([text])[0]
        return dict(zip(self.classes, (float(p) for p in probs), strict=True))

    def top(self, probs: dict[str, float]) -> tuple[str, float]:
        label = max(probs, key=probs.__getitem__)
        return label, probs[label]


def text_fold(text: str, folds: int) -> int:
    """The fold a text belongs to, from its content (CRC-32): the same text is in the same fold whatever else the
    training data holds, so an edit to one entry does not reshuffle the folds of all the others."""
    return zlib.crc32(text.encode("utf-8")) % folds


def held_out_probabilities(
    texts: Sequence[str], labels: Sequence[str], folds: int = 3, *, by_text: bool = True
) -> tuple[list[str], np.ndarray]:
    """Each text's intent probabilities from a model that did not see it (for training the confidence model).
    Folds by text (``text_fold``); ``by_text=False`` is the positional stratified split this replaced, kept as
    the baseline of ``benchmarks/assistant_churn.py``."""
    from sklearn.model_selection import StratifiedKFold

    n = len(texts)
    all_texts, all_labels = _balanced(texts, labels)
    y = np.asarray(all_labels)
    classes = sorted(set(all_labels))
    out = np.zeros((len(all_texts), len(classes)))
    if by_text:
        fold = np.asarray([text_fold(t, folds) for t in all_texts])
        splits = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(folds)]
    else:
        splits = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=0).split(np.zeros(len(y)), y))
    for train, test in splits:
        if not len(test) or len(set(y[train])) < 2:
            continue
        train_t, train_l = _balanced([all_texts[i] for i in train], [all_labels[i] for i in train])
        model = new_model().fit(train_t, train_l)
        probs = model.predict_proba([all_texts[i] for i in test])
        for j, cls in enumerate(model.classes_):
            out[test, classes.index(cls)] = probs[:, j]
    return classes, out[:n]
