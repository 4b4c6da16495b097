"""Measuring the assistant: the packs' held-out questions, and public data read at run time (never shipped).

Pack evaluation (``assistant/eval/<pack>.jsonl``, written separately from the knowledge base and never used to
train or tune): answer accuracy, coverage (answered without a person), risk handoff precision/recall, latency.
Public evaluation (``../shared/data`` by default): FAQ retrieval on ATEC paraphrase pairs beside a plain BM25
baseline, pair classification on ATEC's valid split, and the emotion detector on online-shopping reviews.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable
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
_SET_FILE = re.compile(r"^([a-z0-9_-]+?)(?:\.([a-z0-9_-]+))?\.jsonl$")


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
    # Other answers the set's author judged right too, when two entries (or an entry and a handoff, None)
    # fit the message; written with the labels, before any run.
    also_ok: list[str | None] = field(default_factory=list)


def parse_cases(raw: str, source: str) -> list[Case]:
    """Cases from JSON lines (``text``, ``expected_key``, ``expect_handoff``, ``risk``, optional ``context`` and
    ``also_ok``)."""
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
                    list(d.get("also_ok") or []),
                )
            )
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{source} line {n}: {exc}") from exc
    return cases


def load_cases(pack: str, directory: Path | None = None, set_name: str = "v1") -> list[Case]:
    """One evaluation set of a pack: ``<pack>.jsonl`` is set v1, ``<pack>.<set>.jsonl`` any later set."""
    name = f"{pack}.jsonl" if set_name == "v1" else f"{pack}.{set_name}.jsonl"
    folder: Traversable = directory if directory is not None else resources.files("aftersales.assistant") / "eval"
    return parse_cases(folder.joinpath(name).read_text("utf-8"), f"eval/{name}")


def eval_sets(directory: Path | None = None, folder: str = "eval") -> dict[str, list[str]]:
    """The evaluation sets found in a folder and the packs each covers: ``dairy.jsonl`` belongs to set v1,
    ``dairy.v2.jsonl`` to set v2 (a second set written blind by someone else), and so on. Sets are kept apart
    so that a later, blind set is never averaged into the first."""
    where: Traversable = directory if directory is not None else resources.files("aftersales.assistant") / folder
    sets: dict[str, list[str]] = {}
    if not where.is_dir():
        return sets
    for item in sorted(where.iterdir(), key=lambda t: t.name):
        match = _SET_FILE.match(item.name)
        if match and item.is_file():
            sets.setdefault(match.group(2) or "v1", []).append(match.group(1))
    return dict(sorted(sets.items(), key=lambda kv: (kv[0] != "v1", kv[0])))


def dev_cases(pack: str, directory: Path | None = None, set_name: str = "dev") -> list[Case]:
    """A development set (``assistant/dev/<pack>.jsonl`` is set "dev", ``<pack>.<set>.jsonl`` a later one such as
    "dev2"): for error analysis and tuning, unlike eval/."""
    folder: Traversable = directory if directory is not None else resources.files("aftersales.assistant") / "dev"
    name = f"{pack}.jsonl" if set_name == "dev" else f"{pack}.{set_name}.jsonl"
    return parse_cases(folder.joinpath(name).read_text("utf-8"), f"dev/{name}")


def dev_sets(directory: Path | None = None) -> dict[str, list[str]]:
    """The development sets in ``assistant/dev/`` (or ``directory``) and the packs each covers, "dev" first."""
    found = eval_sets(directory, folder="dev")
    return {("dev" if name == "v1" else name): packs for name, packs in found.items()}


@dataclass
class PackReport:
    pack: str
    set_name: str = "v1"
    cases: int = 0
    correct: int = 0
    answered: int = 0
    risk_cases: int = 0
    risk_handed: int = 0  # risk cases handed to a person at L3
    risk_flagged: int = 0  # cases the assistant handed over as a risk
    risk_flagged_right: int = 0
    # The three kinds of error, counted (for held-out sets, what can be said without showing a row):
    wrong_entry: int = 0  # answered with another entry than the case's
    answered_for_person: int = 0  # answered a case that needs a person (outside the knowledge base, or a risk)
    handed_answerable: int = 0  # handed over a case the knowledge base answers
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    build_seconds: float = 0.0
    entries: int = 0
    rows: list[Row] = field(default_factory=list)

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
    return any(_matches(case, key, reply) for key in (case.expected_key, *case.also_ok))


def _matches(case: Case, key: str | None, reply: Reply) -> bool:
    if case.expect_handoff and not reply.handoff:
        return False
    if key is None:
        return reply.handoff and reply.entry_key is None
    return reply.entry_key == key


@dataclass
class Row:
    """One case's outcome, for the development set's per-row listing (never printed for held-out sets)."""

    case: Case
    ok: bool
    got: str
    confidence: float
    handoff: bool
    risk: bool


def build_assistant(pack: str, packs_dir: Path | None = None) -> tuple[Assistant, int, float]:
    started = time.perf_counter()
    entries = load_pack(pack, packs_dir)
    return Assistant(entries), len(entries), time.perf_counter() - started


def ask_case(assistant: Assistant, case: Case, ctx: CustomerContext) -> tuple[Reply, float]:
    """A case asked in a fresh conversation: its ``context`` first, then its text; the reply to the text and the
    milliseconds that reply took."""
    state = DialogueState()
    for earlier in case.context:
        assistant.respond(state, earlier, ctx)
    t0 = time.perf_counter()
    reply = assistant.respond(state, case.text, ctx)
    return reply, (time.perf_counter() - t0) * 1000


def evaluate_cases(assistant: Assistant, pack: str, cases: Sequence[Case], set_name: str = "v1") -> PackReport:
    report = PackReport(pack, set_name=set_name)
    report.entries = len(assistant.entries)
    ctx = CustomerContext(today=EVAL_DAY, catalogue=demo_catalogue(pack))
    for case in cases:
        reply, ms = ask_case(assistant, case, ctx)
        report.latencies_ms.append(ms)
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
        got = reply.entry_key or f"<{reply.handoff_reason or reply.action}>"
        if reply.entry_key and reply.handoff:
            got += f"+<{reply.handoff_reason}>"
        report.rows.append(Row(case, ok, got, reply.understanding.confidence, reply.handoff, flagged))
        if not ok:
            if case.expected_key is None or (case.expect_handoff and not reply.handoff):
                report.answered_for_person += 1
            elif reply.entry_key is None:
                report.handed_answerable += 1
            else:
                report.wrong_entry += 1
            report.errors.append(
                f"{case.text} | expected {case.expected_key} | got {got} ({reply.understanding.confidence:.2f})"
            )
    return report


def evaluate_pack(
    pack: str, *, packs_dir: Path | None = None, eval_dir: Path | None = None, set_name: str = "v1"
) -> PackReport:
    assistant, _, seconds = build_assistant(pack, packs_dir)
    report = evaluate_cases(assistant, pack, load_cases(pack, eval_dir, set_name), set_name)
    report.build_seconds = seconds
    return report


def format_rows(report: PackReport, only_errors: bool = False) -> str:
    lines = []
    tag = "" if report.set_name in ("v1", "dev", "cv") else f"/{report.set_name}"
    for row in report.rows:
        if only_errors and row.ok:
            continue
        context = f" [after: {' / '.join(row.case.context)}]" if row.case.context else ""
        want = row.case.expected_key or "<person>"
        lines.append(
            f"{'ok ' if row.ok else 'BAD'} [{report.pack}{tag}] {row.case.text}{context} | want {want}"
            f"{' (risk)' if row.case.risk else ''} | got {row.got} ({row.confidence:.2f})"
        )
    return "\n".join(lines)


HANDOFF_INTENTS = frozenset({"contact_human", "adverse_reaction"})


def cross_validate(pack: str, packs_dir: Path | None = None, folds: int = 4) -> PackReport:
    """Leave-phrasings-out cross-validation on the knowledge base itself: each entry's phrasings are dealt into
    ``folds`` groups; per fold the assistant is built without that group and asked its phrasings. A phrasing of a
    handoff entry (a request for a person, an adverse reaction) is right when it is handed over."""
    entries = load_pack(pack, packs_dir)
    report = PackReport(pack, set_name="cv")
    report.entries = len(entries)
    ctx = CustomerContext(today=EVAL_DAY, catalogue=demo_catalogue(pack))
    for k in range(folds):
        kept, asked = [], []
        for i, e in enumerate(entries):
            out = [q for j, q in enumerate(e.questions) if (i + j) % folds == k]
            rest = tuple(q for j, q in enumerate(e.questions) if (i + j) % folds != k)
            if not rest:  # an entry with a single phrasing stays whole (and is not asked)
                kept.append(e)
                continue
            kept.append(replace(e, questions=rest))
            if e.valid_on(EVAL_DAY):  # a promotion outside its dates is rightly never given
                asked += [(q, e) for q in out]
        assistant = Assistant(kept)
        for text, entry in asked:
            t0 = time.perf_counter()
            reply = assistant.respond(DialogueState(), text, ctx)
            report.latencies_ms.append((time.perf_counter() - t0) * 1000)
            handoff_entry = entry.intent in HANDOFF_INTENTS
            risk = entry.intent == "adverse_reaction"
            flagged = reply.handoff_reason == "risk"
            # A handoff entry is right when handed over (an adverse reaction: as a risk); others by their key.
            ok = (reply.handoff and (flagged or not risk)) if handoff_entry else reply.entry_key == entry.key
            case = Case(text, entry.key, handoff_entry, risk)
            report.cases += 1
            report.correct += ok
            report.answered += reply.answered
            report.risk_cases += risk
            report.risk_handed += risk and flagged
            report.risk_flagged += flagged
            report.risk_flagged_right += flagged and risk
            got = reply.entry_key or f"<{reply.handoff_reason or reply.action}>"
            report.rows.append(Row(case, ok, got, reply.understanding.confidence, reply.handoff, flagged))
    return report


def _report_line(name: str, r: PackReport) -> str:
    return (
        f"{name:<10}{r.entries:>8}{r.cases:>7}{r.accuracy:>10.1%}{r.coverage:>10.1%}"
        f"{f'{r.risk_handed}/{r.risk_cases}':>13}{r.risk_precision:>12.1%}"
        f"{percentile(r.latencies_ms, 50):>8.1f}{percentile(r.latencies_ms, 99):>8.1f}"
        f"   {r.wrong_entry:>3} / {r.answered_for_person:>3} / {r.handed_answerable:>3}"
    )


def format_pack_reports(reports: Sequence[PackReport], show_errors: bool = False) -> str:
    lines = [
        f"{'pack':<10}{'entries':>8}{'cases':>7}{'accuracy':>10}{'coverage':>10}{'risk recall':>13}"
        f"{'risk prec.':>12}{'p50 ms':>8}{'p99 ms':>8}"
        "   errors: wrong entry / answered, needs person / handed, answerable",
    ]
    total = PackReport("overall")
    for r in reports:
        lines.append(_report_line(r.pack, r))
        for name in (
            "wrong_entry",
            "answered_for_person",
            "handed_answerable",
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
        lines.append(_report_line("overall", total))
    if show_errors:
        for r in reports:
            for e in r.errors:
                lines.append(f"  [{r.pack}] {e}")
    return "\n".join(lines)


# ---------------------------------------------------------------- a second annotator's labels


@dataclass
class AgreementReport:
    """A held-out set labelled twice, by its author and by a second annotator working blind (neither saw the
    assistant's replies): how often they agree, and the assistant's accuracy under each. Aggregates only."""

    pack: str
    set_name: str
    rows: int = 0
    same_label: int = 0  # the same expected answer (entry or person) and the same handoff flag
    same_kind: int = 0  # both an entry, or both a person
    overlap: int = 0  # the accepted answers (expected plus also_ok) of the two share one
    kappa: float = 0.0  # Cohen's kappa on the label (expected answer and handoff flag), as same_label
    correct_first: int = 0
    correct_second: int = 0
    agreed_correct: int = 0  # on the rows with the same label
    correct_either: int = 0


def second_labels(pack: str, set_name: str = "v3", directory: Path | None = None) -> list[dict[str, Any]] | None:
    """The second annotator's labels of a held-out set (``eval/second/<pack>.<set>.jsonl``: one JSON object per
    row of the set, in its order, with ``id``, ``expected_key``, ``expect_handoff``, ``risk``, ``also_ok``), or
    None when the set has none."""
    name = f"{pack}.jsonl" if set_name == "v1" else f"{pack}.{set_name}.jsonl"
    folder: Traversable = directory if directory is not None else resources.files("aftersales.assistant") / "eval"
    item = folder.joinpath("second").joinpath(name)
    if not item.is_file():
        return None
    rows = []
    for n, line in enumerate(item.read_text("utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"eval/second/{name} line {n}: {exc}") from exc
    return rows


def agreement(
    assistant: Assistant, pack: str, set_name: str = "v3", directory: Path | None = None
) -> AgreementReport | None:
    """The assistant's replies to a held-out set scored under both annotators' labels (None: no second labels)."""
    from sklearn.metrics import cohen_kappa_score

    second = second_labels(pack, set_name, directory)
    if second is None:
        return None
    first = load_cases(pack, directory, set_name)
    if len(second) != len(first) or [r.get("id") for r in second] != list(range(1, len(first) + 1)):
        raise ValueError(f"eval/second/{pack}.{set_name}.jsonl: one row per case of the set, ids 1..{len(first)}")
    report = AgreementReport(pack, set_name)
    ctx = CustomerContext(today=EVAL_DAY, catalogue=demo_catalogue(pack))
    a_labels, b_labels = [], []
    for case, row in zip(first, second, strict=True):
        other = Case(
            case.text,
            row.get("expected_key"),
            bool(row.get("expect_handoff")),
            bool(row.get("risk")),
            case.context,
            list(row.get("also_ok") or []),
        )
        reply, _ = ask_case(assistant, case, ctx)
        ok_first, ok_second = is_correct(case, reply), is_correct(other, reply)
        same = case.expected_key == other.expected_key and case.expect_handoff == other.expect_handoff
        report.rows += 1
        report.same_label += same
        report.same_kind += (case.expected_key is None) == (other.expected_key is None)
        report.overlap += bool({case.expected_key, *case.also_ok} & {other.expected_key, *other.also_ok})
        report.correct_first += ok_first
        report.correct_second += ok_second
        report.correct_either += ok_first or ok_second
        report.agreed_correct += same and ok_first
        a_labels.append(f"{case.expected_key or '<person>'}{'+handoff' if case.expect_handoff else ''}")
        b_labels.append(f"{other.expected_key or '<person>'}{'+handoff' if other.expect_handoff else ''}")
    report.kappa = float(cohen_kappa_score(a_labels, b_labels)) if report.rows else 0.0
    return report


def _pct(a: int, b: int) -> str:
    return f"{a / b:.1%}" if b else "-"


def _agreement_line(r: AgreementReport, kappa: str) -> str:
    agreed = f"{r.agreed_correct}/{r.same_label} = {_pct(r.agreed_correct, r.same_label)}"
    return (
        f"{r.pack:<10}{r.rows:>5}{_pct(r.same_label, r.rows):>12}{_pct(r.same_kind, r.rows):>11}"
        f"{_pct(r.overlap, r.rows):>9}{kappa:>7}{_pct(r.correct_first, r.rows):>10}"
        f"{_pct(r.correct_second, r.rows):>10}{agreed:>24}{_pct(r.correct_either, r.rows):>13}"
    )


def format_agreement(reports: Sequence[AgreementReport]) -> str:
    lines = [
        f"{'pack':<10}{'rows':>5}{'same label':>12}{'same kind':>11}{'overlap':>9}{'kappa':>7}"
        f"{'acc. 1st':>10}{'acc. 2nd':>10}{'acc. where they agree':>24}{'acc. either':>13}"
    ]
    total = AgreementReport("overall", "")
    counts = ("rows", "same_label", "same_kind", "overlap", "correct_first", "correct_second", "agreed_correct")
    for r in reports:
        lines.append(_agreement_line(r, f"{r.kappa:.2f}"))
        for name in (*counts, "correct_either"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    if len(reports) > 1:
        lines.append(_agreement_line(total, ""))  # kappa is per pack: the label sets differ
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


_QUESTION_WORDS = ("怎么", "为什么", "多少", "能不能", "可以", "什么时候", "哪里", "是否", "如何", "吗", "几")
_NEGATIONS = ("不", "没", "未", "无", "别")


def _pair_dense(a: str, b: str, wa: list[str], wb: list[str]) -> list[float]:
    from difflib import SequenceMatcher

    sa, sb = set(wa), set(wb)
    qa = {w for w in _QUESTION_WORDS if w in a}
    qb = {w for w in _QUESTION_WORDS if w in b}
    diff = sa ^ sb
    return [
        *_pair_features(a, b),
        SequenceMatcher(None, a, b).ratio(),
        abs(len(a) - len(b)) / max(len(a), len(b), 1),
        len(diff) / max(len(sa | sb), 1),
        float(len(diff)),
        float(qa == qb),
        abs(sum(a.count(n) for n in _NEGATIONS) - sum(b.count(n) for n in _NEGATIONS)),
        float(len(a) + len(b)),
    ]


def _pair_words(wa: list[str], wb: list[str]) -> str:
    """The pair as a bag of tokens: words both share (s:) and words only one side has (d:); the model learns
    that a 花呗/借呗 difference matters and a 呢/吗 one does not."""
    sa, sb = set(wa), set(wb)
    return " ".join([f"s:{w}" for w in sa & sb] + [f"d:{w}" for w in sa ^ sb])


def atec_pairs(data: Path, limit: int | None = None) -> PairReport:
    """Same-meaning classification, fitted on the ATEC train file at run time and scored on the valid split.
    Train pairs that also occur in the valid split (SOURCE.txt: the files may overlap) are left out of training.
    Features: character and word TF-IDF cosines, overlap and edit ratios, question-word and negation agreement,
    and a logistic regression over shared and differing words whose out-of-fold probability joins them in a
    gradient-boosted classifier; the cut is the one most accurate out-of-fold on the train file."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    train = _read_tsv(data / "atec_nlp_sim" / "atec_nlp_sim_train.tsv", 4)
    valid = _read_tsv(data / "atec_nlp_sim" / "ATEC.valid.data", 3)
    if limit:
        train, valid = train[:limit], valid[:limit]
    valid_pairs = [(r[0].strip(), r[1].strip(), int(r[2].strip())) for r in valid]
    seen = {frozenset((a, b)) for a, b, _ in valid_pairs}
    train_pairs = [
        (r[1].strip(), r[2].strip(), int(r[3].strip()))
        for r in train
        if frozenset((r[1].strip(), r[2].strip())) not in seen
    ]

    char_tfidf = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
    word_tfidf = TfidfVectorizer(analyzer=str.split, token_pattern=None, sublinear_tf=True)
    corpus = [t for a, b, _ in train_pairs for t in (a, b)]
    char_tfidf.fit(corpus)
    word_tfidf.fit([" ".join(words(t)) for t in corpus])

    def featurise(pairs: list[tuple[str, str, int]]) -> tuple[np.ndarray, list[str], np.ndarray]:
        wa = [words(a) for a, _, _ in pairs]
        wb = [words(b) for _, b, _ in pairs]
        dense = np.asarray([_pair_dense(a, b, x, y) for (a, b, _), x, y in zip(pairs, wa, wb, strict=True)])
        ca = char_tfidf.transform([a for a, _, _ in pairs])
        cb = char_tfidf.transform([b for _, b, _ in pairs])
        va = word_tfidf.transform([" ".join(x) for x in wa])
        vb = word_tfidf.transform([" ".join(y) for y in wb])
        cos = np.column_stack([np.asarray(ca.multiply(cb).sum(1)).ravel(), np.asarray(va.multiply(vb).sum(1)).ravel()])
        bags = [_pair_words(x, y) for x, y in zip(wa, wb, strict=True)]
        return np.hstack([dense, cos]), bags, np.asarray([y for _, _, y in pairs])

    x_train, bags_train, y_train = featurise(train_pairs)
    x_valid, bags_valid, y_valid = featurise(valid_pairs)
    bag = TfidfVectorizer(analyzer=str.split, token_pattern=None, min_df=2, sublinear_tf=True)
    b_train = bag.fit_transform(bags_train)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    words_model = LogisticRegression(C=2.0, max_iter=2000)
    oof_words = cross_val_predict(words_model, b_train, y_train, cv=folds, method="predict_proba")[:, 1]
    words_model.fit(b_train, y_train)
    x_train = np.column_stack([x_train, oof_words])
    x_valid = np.column_stack([x_valid, words_model.predict_proba(bag.transform(bags_valid))[:, 1]])
    booster = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.06, random_state=0)
    oof = cross_val_predict(booster, x_train, y_train, cv=folds, method="predict_proba")[:, 1]
    cut = max(np.linspace(0.2, 0.8, 61), key=lambda c: float(((oof >= c) == y_train).mean()))
    booster.fit(x_train, y_train)
    predicted = (booster.predict_proba(x_valid)[:, 1] >= cut).astype(int)
    majority = max(float((y_valid == 1).mean()), float((y_valid == 0).mean()))
    return PairReport(
        len(train_pairs),
        len(valid_pairs),
        float((predicted == y_valid).mean()),
        float(f1_score(y_valid, predicted)),
        majority,
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


__all__ = ["Any", "Assistant", "EntryError", "atec_pairs", "atec_retrieval", "emotion", "evaluate_pack"]
