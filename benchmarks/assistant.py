"""Assistant latency per message with 10,000 knowledge entries, beside a plain BM25 baseline in the same run.

    python benchmarks/assistant.py [--entries 10000] [--messages 2000] [--repeat 3] [--data ../shared/data]

The knowledge base is generated at run time: the shipped starter packs (assistant/packs/*.yaml), the 5,000
Taobao customer-service question/answer pairs of ecommerce_cs_qa_5000 (read from --data, never copied), and
product-scoped variants of the pack entries ("【羊绒大衣】…") until --entries is reached. Traffic is the
ecommerce questions and the packs' phrasings, shuffled, each with one character dropped or not, so queries are
not all verbatim copies of stored phrasings.

Measured in one process, one message at a time: the whole assistant turn (``Assistant.respond``: follow-up
resolution, risk and emotion lexicons, slots, BM25 over words + character n-grams, calibrated intent, confidence
model, dialogue policy) against the baseline: bm25s over jieba words on the same questions (retrieval only).
Prints p50/p99 per repetition and the medians; the target is p99 < 50 ms. No database is involved: the turn's
SQL (a handful of indexed reads and inserts) is measured by the API benchmarks.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from aftersales.assistant.engine import Assistant, CustomerContext, DialogueState  # noqa: E402
from aftersales.assistant.evaluate import demo_catalogue  # noqa: E402
from aftersales.assistant.knowledge import Entry, load_pack, shipped_packs  # noqa: E402
from aftersales.assistant.retrieval import FaqIndex  # noqa: E402
from aftersales.assistant.text import baseline_tokens  # noqa: E402

PRODUCT_WORDS = ("鲜奶", "酸奶", "阿胶糕", "固元膏", "钙片", "液体钙", "羊绒衫", "羊绒围巾", "羊绒大衣", "礼盒装")


def generate(n: int, data: Path, rng: random.Random, packs_dir: Path | None) -> tuple[list[Entry], list[str]]:
    names = sorted(f.stem for f in packs_dir.glob("*.yaml")) if packs_dir else shipped_packs()
    packs = [e for name in names for e in load_pack(name, packs_dir)]
    qa_path = data / "ecommerce_cs_qa_5000" / "question_answer.txt"
    if not qa_path.is_file():
        raise SystemExit(f"{qa_path} not found: pass --data (the folder holding ecommerce_cs_qa_5000/)")
    ecommerce: list[Entry] = []
    for i, line in enumerate(qa_path.read_text("utf-8").splitlines()):
        parts = line.split("\t")
        if len(parts) != 2:
            continue
        q, a = parts[0].replace(" ", "").strip(), parts[1].replace(" ", "").strip()
        if q and a:
            ecommerce.append(Entry(key=f"ecom-{i}", intent=f"ecommerce_{i % 20}", answer=a, questions=(q,)))
    entries = list(packs) + ecommerce
    sources = packs or ecommerce
    k = 0
    while len(entries) < n:
        base = sources[k % len(sources)]
        word = PRODUCT_WORDS[(k // len(sources)) % len(PRODUCT_WORDS)]
        entries.append(
            Entry(
                key=f"{base.key}-v{k}",
                intent=base.intent,
                answer=base.answer,
                questions=tuple(f"{word}{q}" for q in base.questions),
                category=base.category,
                tags=base.tags,
            )
        )
        k += 1
    entries = entries[:n]
    traffic = [q for e in ecommerce for q in e.questions] + [q for e in packs for q in e.questions]
    rng.shuffle(traffic)

    def perturb(q: str) -> str:
        if len(q) > 4 and rng.random() < 0.5:
            i = rng.randrange(len(q))
            return q[:i] + q[i + 1 :]
        return q

    return entries, [perturb(q) for q in traffic]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--entries", type=int, default=10_000)
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    p.add_argument("--packs-dir", type=Path, default=None, help="read starter packs from here instead")
    args = p.parse_args()
    rng = random.Random(7)
    entries, traffic = generate(args.entries, args.data, rng, args.packs_dir)
    messages = traffic[: args.messages]
    print(f"{len(entries)} entries ({sum(len(e.questions) for e in entries)} phrasings), {len(messages)} messages")

    t0 = time.perf_counter()
    assistant = Assistant(entries)
    print(
        f"assistant built in {time.perf_counter() - t0:.1f} s "
        f"(per-entry re-ranker {'on' if assistant.entry_model else 'off above 3000 entries'})"
    )
    t0 = time.perf_counter()
    baseline = FaqIndex([e.questions for e in entries], baseline_tokens)
    print(f"baseline index built in {time.perf_counter() - t0:.1f} s")
    # The four demo brands' catalogues, so product names in messages are looked up as in production.
    catalogue = [p for pack in shipped_packs() for p in demo_catalogue(pack)]
    ctx = CustomerContext(today=date(2026, 11, 23), catalogue=catalogue)
    t0 = time.perf_counter()
    assistant.respond(DialogueState(), messages[0], ctx)  # the first message computes the product aliases
    print(f"first message (product aliases for {len(catalogue)} products) {time.perf_counter() - t0:.2f} s")
    for m in messages[:50]:  # warm caches (jieba, numpy) before timing
        assistant.respond(DialogueState(), m, ctx)
        baseline.search(m)

    rows = []
    for rep in range(args.repeat):
        ours, base = [], []
        for m in messages:
            t = time.perf_counter()
            assistant.respond(DialogueState(), m, ctx)
            ours.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            baseline.search(m)
            base.append((time.perf_counter() - t) * 1000)
        row = (np.percentile(ours, 50), np.percentile(ours, 99), np.percentile(base, 50), np.percentile(base, 99))
        rows.append(row)
        print(
            f"run {rep + 1}: assistant p50 {row[0]:.2f} ms p99 {row[1]:.2f} ms | "
            f"bm25 baseline p50 {row[2]:.2f} ms p99 {row[3]:.2f} ms"
        )
    med = [statistics.median(r[i] for r in rows) for i in range(4)]
    print(
        f"median of {args.repeat}: assistant p50 {med[0]:.2f} ms, p99 {med[1]:.2f} ms; "
        f"baseline p50 {med[2]:.2f} ms, p99 {med[3]:.2f} ms; p99 ratio assistant/baseline {med[1] / med[3]:.1f}x; "
        f"target p99 < 50 ms: {'met' if med[1] < 50 else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
