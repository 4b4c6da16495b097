"""Measuring the assistant: the packs' held-out questions, and public data read at run time (never shipped).

Pack evaluation (``assistant/eval/<pack>.jsonl``, written separately from the knowledge base and never used to
train or tune): answer accuracy, coverage (answered without a person), risk handoff precision/recall, latency.
Public evaluation (``../shared/data`` by default): FAQ retrieval on ATEC paraphrase pairs beside a plain BM25
baseline, pair classification on ATEC's valid split, and the emotion detector on online-shopping reviews.
"""

from __future__ import annotations

import csv
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from aftersales.assistant.engine import Assistant, CustomerContext, DialogueState, Reply
from aftersales.assistant.knowledge import EntryError, ProductFacts, load_pack
from aftersales.assistant.retrieval import FaqIndex
from aftersales.assistant.signals import is_negative
from aftersales.assistant.text import baseline_tokens, char_bigrams, retrieval_tokens, words

DEFAULT_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
EVAL_DAY = date(2026, 11, 23)


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else 0.0


# ---------------------------------------------------------------- packs


def demo_catalogue(pack: str) -> list[ProductFacts]:
    """The demo brand's products for a pack (same SKUs as ``aftersales demo``), for filling answers' facts."""
    from aftersales.demo import texts as T
    from aftersales.triage.engine import load_pack as load_triage_pack

    try:
        triage_pack = load_triage_pack(pack)
    except ValueError:  # a knowledge pack without a demo brand (e.g. a test fixture): no catalogue
        return []
    prefix = T.SKU_PREFIX.get(pack, pack[:3].upper())
    brand = T.BRAND.get(pack, "演示品牌")
    specs = [(a.name, a.shelf_life_days, a.storage, a.cold_chain) for a in triage_pack.product_attributes]
    specs += [(n, life, storage, cold) for n, life, storage, cold in T.EXTRA_PRODUCTS.get(pack, ())]
    return [
        ProductFacts(
            sku=f"{prefix}-{i:03d}",
            name=f"{brand} {name}",
            category=pack,
            shelf_life_days=life,
            storage=storage or None,
            cold_chain=cold,
        )
        for i, (name, life, storage, cold) in enumerate(specs, start=1)
    ]


@dataclass
class Case:
    text: str
    expected_key: str | None
    expect_handoff: bool
    risk: bool
    context: list[str] = field(default_factory=list)


def load_cases(pack: str, directory: Path | None = None) -> list[Case]:
    if directory is not None:
        raw = (directory / f"{pack}.jsonl").read_text("utf-8")
    else:
        raw = resources.files("aftersales.assistant").joinpath(f"eval/{pack}.jsonl").read_text("utf-8")
    cases = []
    for n, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            cases.append(
                Case(
                    d["text"],
                    d.get("expected_key"),
                    bool(d.get("expect_handoff")),
                    bool(d.get("risk")),
                    list(d.get("context") or []),
                )
            )
        except (ValueError, KeyError) as exc:
            raise ValueError(f"eval/{pack}.jsonl line {n}: {exc}") from exc
    return cases


@dataclass
class PackReport:
    pack: str
    cases: int = 0
    correct: int = 0
    answered: int = 0
    risk_cases: int = 0
    risk_handed: int = 0  # risk cases handed to a person at L3
    risk_flagged: int = 0  # cases the assistant handed over as a risk
    risk_flagged_right: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    build_seconds: float = 0.0
    entries: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.cases if self.cases else 0.0

    @property
    def coverage(self) -> float:
        return self.answered / self.cases if self.cases else 0.0

    @property
    def risk_recall(self) -> float:
        return self.risk_handed / self.risk_cases if self.risk_cases else 1.0

    @property
    def risk_precision(self) -> float:
        return self.risk_flagged_right / self.risk_flagged if self.risk_flagged else 1.0


def is_correct(case: Case, reply: Reply) -> bool:
    """Right entry (whether or not a person also follows up); for a question outside the knowledge base, an
    honest handoff without an answer; for a case that must go to a person, a handoff."""
    if case.expect_handoff and not reply.handoff:
        return False
    if case.expected_key is None:
        return reply.handoff and reply.entry_key is None
    return reply.entry_key == case.expected_key


def evaluate_pack(pack: str, *, packs_dir: Path | None = None, eval_dir: Path | None = None) -> PackReport:
    report = PackReport(pack)
    started = time.perf_counter()
    entries = load_pack(pack, packs_dir)
    assistant = Assistant(entries)
    report.build_seconds = time.perf_counter() - started
    report.entries = len(entries)
    ctx = CustomerContext(today=EVAL_DAY, catalogue=demo_catalogue(pack))
    for case in load_cases(pack, eval_dir):
        state = DialogueState()
        for earlier in case.context:
            assistant.respond(state, earlier, ctx)
        t0 = time.perf_counter()
        reply = assistant.respond(state, case.text, ctx)
        report.latencies_ms.append((time.perf_counter() - t0) * 1000)
        report.cases += 1
        ok = is_correct(case, reply)
        report.correct += ok
        report.answered += reply.answered
        flagged = reply.handoff_reason == "risk"
        if case.risk:
            report.risk_cases += 1
            report.risk_handed += flagged and reply.severity == "L3"
        if flagged:
            report.risk_flagged += 1
            report.risk_flagged_right += case.risk
        if not ok:
            got = reply.entry_key or f"<{reply.handoff_reason or reply.action}>"
            report.errors.append(
                f"{case.text} | expected {case.expected_key} | got {got} ({reply.understanding.confidence:.2f})"
            )
    return report


def format_pack_reports(reports: Sequence[PackReport], show_errors: bool = False) -> str:
    lines = [
        f"{'pack':<10}{'entries':>8}{'cases':>7}{'accuracy':>10}{'coverage':>10}{'risk recall':>13}"
        f"{'risk prec.':>12}{'p50 ms':>8}{'p99 ms':>8}",
    ]
    total = PackReport("overall")
    for r in reports:
        lines.append(
            f"{r.pack:<10}{r.entries:>8}{r.cases:>7}{r.accuracy:>10.1%}{r.coverage:>10.1%}"
            f"{f'{r.risk_handed}/{r.risk_cases}':>13}{r.risk_precision:>12.1%}"
            f"{percentile(r.latencies_ms, 50):>8.1f}{percentile(r.latencies_ms, 99):>8.1f}"
        )
        for name in (
            "cases",
            "correct",
            "answered",
            "risk_cases",
            "risk_handed",
            "risk_flagged",
            "risk_flagged_right",
            "entries",
        ):
            setattr(total, name, getattr(total, name) + getattr(r, name))
        total.latencies_ms += r.latencies_ms
    if len(reports) > 1:
        r = total
        lines.append(
            f"{'overall':<10}{r.entries:>8}{r.cases:>7}{r.accuracy:>10.1%}{r.coverage:>10.1%}"
            f"{f'{r.risk_handed}/{r.risk_cases}':>13}{r.risk_precision:>12.1%}"
            f"{percentile(r.latencies_ms, 50):>8.1f}{percentile(r.latencies_ms, 99):>8.1f}"
        )
    if show_errors:
        for r in reports:
            for e in r.errors:
                lines.append(f"  [{r.pack}] {e}")
    return "\n".join(lines)


# ---------------------------------------------------------------- public data: ATEC FAQ retrieval


def _read_tsv(path: Path, columns: int) -> list[list[str]]:
    rows = []
    with path.open(encoding="utf-8-sig") as f:
        for line in f:
            parts = line.rstrip("\n").replace("\ufeff", "").split("\t")
            if len(parts) >= columns:
                rows.append(parts)
    return rows


@dataclass
class RetrievalReport:
    queries: int
    entries: int
    recall_at_1: dict[str, float]
    recall_at_5: dict[str, float]
    p50_ms: dict[str, float]


def atec_retrieval(data: Path, limit: int | None = None) -> RetrievalReport:
    """Each same-meaning pair: the first question is a knowledge entry, the second the query; every entry is a
    distractor for every query. Ours (jieba words + character bigrams) beside plain BM25 on jieba words."""
    rows = _read_tsv(data / "atec_nlp_sim" / "atec_nlp_sim_train.tsv", 4)
    pairs = [(r[1].strip(), r[2].strip()) for r in rows if r[3].strip() == "1" and r[1].strip() and r[2].strip()]
    if limit:
        pairs = pairs[:limit]
    entry_of: dict[str, int] = {}
    for question, _ in pairs:
        entry_of.setdefault(question, len(entry_of))
    texts = list(entry_of)
    systems: dict[str, Callable[[str], list[str]]] = {"bm25 baseline": baseline_tokens, "ours": retrieval_tokens}
    r1: dict[str, float] = {}
    r5: dict[str, float] = {}
    p50: dict[str, float] = {}
    for name, tokenizer in systems.items():
        index = FaqIndex([[t] for t in texts], tokenizer)
        hit1 = hit5 = 0
        times = []
        for question, query in pairs:
            t0 = time.perf_counter()
            hits = index.search(query, k=5)
            times.append((time.perf_counter() - t0) * 1000)
            got = [h.entry for h in hits]
            want = entry_of[question]
            hit1 += bool(got) and got[0] == want
            hit5 += want in got
        r1[name] = hit1 / len(pairs)
        r5[name] = hit5 / len(pairs)
        p50[name] = statistics.median(times)
    return RetrievalReport(len(pairs), len(texts), r1, r5, p50)


# ---------------------------------------------------------------- public data: ATEC pair classification


def _pair_features(a: str, b: str) -> list[float]:
    wa, wb = set(words(a)), set(words(b))
    ca, cb = set(char_bigrams(a)), set(char_bigrams(b))
    ua, ub = set(a), set(b)

    def jac(x: set[str], y: set[str]) -> float:
        return len(x & y) / len(x | y) if x | y else 0.0

    def cover(x: set[str], y: set[str]) -> float:
        return len(x & y) / min(len(x), len(y)) if x and y else 0.0

    return [
        jac(wa, wb),
        jac(ca, cb),
        jac(ua, ub),
        cover(wa, wb),
        cover(ca, cb),
        min(len(a), len(b)) / max(len(a), len(b), 1),
    ]


@dataclass
class PairReport:
    train: int
    valid: int
    accuracy: float
    positive_f1: float
    majority_accuracy: float


def atec_pairs(data: Path, limit: int | None = None) -> PairReport:
    """Same-meaning classification: a logistic regression over the assistant's overlap features, fitted on the
    ATEC train file at run time and scored on the valid split (the two files may overlap; see SOURCE.txt)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    train = _read_tsv(data / "atec_nlp_sim" / "atec_nlp_sim_train.tsv", 4)
    valid = _read_tsv(data / "atec_nlp_sim" / "ATEC.valid.data", 3)
    if limit:
        train, valid = train[:limit], valid[:limit]
    x_train = np.asarray([_pair_features(r[1], r[2]) for r in train])
    y_train = np.asarray([int(r[3].strip()) for r in train])
    x_valid = np.asarray([_pair_features(r[0], r[1]) for r in valid])
    y_valid = np.asarray([int(r[2].strip()) for r in valid])
    model = LogisticRegression(max_iter=1000, class_weight="balanced").fit(x_train, y_train)
    # Balanced weights would over-predict "same" on a 18 % positive set; pick the cut that fits the train file.
    probs_train = model.predict_proba(x_train)[:, 1]
    cut = max(np.linspace(0.1, 0.9, 81), key=lambda c: float(((probs_train >= c) == y_train).mean()))
    predicted = (model.predict_proba(x_valid)[:, 1] >= cut).astype(int)
    majority = max(float((y_valid == 1).mean()), float((y_valid == 0).mean()))
    return PairReport(
        len(train), len(valid), float((predicted == y_valid).mean()), float(f1_score(y_valid, predicted)), majority
    )


# ---------------------------------------------------------------- public data: emotion


@dataclass
class EmotionReport:
    reviews: int
    accuracy: float
    negative_f1: float
    negative_precision: float
    negative_recall: float
    by_category: dict[str, float]


def emotion(data: Path, limit: int | None = None) -> EmotionReport:
    """The shipped lexicon detector on labelled reviews (label 0 = negative); nothing is learned from them."""
    path = data / "online_shopping_10_cats" / "online_shopping_9_cats.csv"
    tp = fp = fn = right = n = 0
    per_cat: dict[str, list[int]] = {}
    with path.open(encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            review = (row.get("review") or "").replace("\ufeff", "").strip()
            if not review or row.get("label") not in ("0", "1"):
                continue
            truth_negative = row["label"] == "0"
            predicted_negative = is_negative(review)
            n += 1
            ok = truth_negative == predicted_negative
            right += ok
            per_cat.setdefault(row["cat"], [0, 0])
            per_cat[row["cat"]][0] += ok
            per_cat[row["cat"]][1] += 1
            tp += truth_negative and predicted_negative
            fp += predicted_negative and not truth_negative
            fn += truth_negative and not predicted_negative
            if limit and n >= limit:
                break
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return EmotionReport(
        n, right / n if n else 0.0, f1, precision, recall, {c: a / t for c, (a, t) in sorted(per_cat.items())}
    )


def data_available(data: Path, what: str) -> bool:
    needed = {
        "atec": data / "atec_nlp_sim" / "atec_nlp_sim_train.tsv",
        "pairs": data / "atec_nlp_sim" / "ATEC.valid.data",
        "emotion": data / "online_shopping_10_cats" / "online_shopping_9_cats.csv",
    }[what]
    return needed.is_file()


def pack_names(packs_dir: Path | None) -> list[str]:
    from aftersales.assistant.knowledge import shipped_packs

    if packs_dir is not None:
        return sorted(p.stem for p in packs_dir.glob("*.yaml") if not p.stem.startswith("_"))
    return shipped_packs()


__all__ = ["Any", "EntryError", "atec_pairs", "atec_retrieval", "emotion", "evaluate_pack"]
