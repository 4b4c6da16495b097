"""How much an edit to one knowledge entry changes the assistant's other answers, beside the positional folds.

    python benchmarks/assistant_churn.py [--pack calcium --pack tonic] [--edits 3]

The confidence model and the learned ranker are trained by asking each phrasing of models that did not see its
fold. With folds by position (phrasing n in fold n % 3, the baseline), adding one phrasing moves every later
phrasing to another fold, so the models change everywhere and answers far from the edit flip. With folds by the
phrasing's text (``text_fold``, the default), the other phrasings stay in their folds.

Each edit adds two phrasings to one entry ("请问" + its first phrasing, its second phrasing + "呢"); every message
of the pack's development sets is asked of the assistant before and after the edit, and the replies (entry given,
handed over or not) that differ are counted. Prints, per pack, the median over the edits for both fold schemes
and the ratio. No timing: this measures stability, not speed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from aftersales.assistant import engine  # noqa: E402
from aftersales.assistant import evaluate as ev  # noqa: E402
from aftersales.assistant.engine import Assistant, CustomerContext  # noqa: E402
from aftersales.assistant.knowledge import Entry, load_pack  # noqa: E402


def replies(assistant: Assistant, pack: str, cases: list[ev.Case]) -> list[tuple[str | None, bool]]:
    ctx = CustomerContext(today=ev.EVAL_DAY, catalogue=ev.demo_catalogue(pack))
    return [(reply.entry_key, reply.handoff) for reply, _ in (ev.ask_case(assistant, case, ctx) for case in cases)]


def edited(entries: list[Entry], n: int) -> list[Entry]:
    e = entries[n]
    extra = (f"请问{e.questions[0]}", f"{e.questions[min(1, len(e.questions) - 1)]}呢")
    return [*entries[:n], replace(e, questions=(*e.questions, *extra)), *entries[n + 1 :]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack", action="append", help="pack (repeatable); default calcium and tonic")
    parser.add_argument("--edits", type=int, default=3, help="edits per pack (entries spread over the pack)")
    args = parser.parse_args()
    packs = args.pack or ["calcium", "tonic"]
    print(f"{'pack':9}{'dev msgs':>9}{'by text (median changed)':>26}{'by position (baseline)':>24}{'ratio':>7}")
    for pack in packs:
        entries = load_pack(pack)
        cases = [c for s, ps in ev.dev_sets().items() if pack in ps for c in ev.dev_cases(pack, None, s)]
        targets = [round(i * (len(entries) - 1) / (args.edits + 1)) for i in range(1, args.edits + 1)]
        medians = {}
        for by_text in (True, False):
            engine.FOLDS_BY_TEXT = by_text
            before = replies(Assistant(entries), pack, cases)
            changed = []
            for n in targets:
                after = replies(Assistant(edited(entries, n)), pack, cases)
                changed.append(sum(a != b for a, b in zip(before, after, strict=True)))
            medians[by_text] = (statistics.median(changed), changed)
        engine.FOLDS_BY_TEXT = True
        text_m, text_all = medians[True]
        pos_m, pos_all = medians[False]
        ratio = f"{text_m / pos_m:.2f}" if pos_m else "-"
        row = f"{pack:9}{len(cases):9}{text_m:>14} {text_all!s:>11}{pos_m:>12} {pos_all!s:>11}{ratio:>7}"
        print(row, flush=True)


if __name__ == "__main__":
    main()
