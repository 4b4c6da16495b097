"""Evaluate the triage packs against the hand-labelled tickets in ``labelled/<pack>.jsonl``.

Labelling conventions (written before the rules were tuned):

* severity L3: health harm (diarrhoea, vomiting, allergy/rash, hospital, poisoning, bleeding), a pregnant
  woman / infant / child / elderly person unwell, or media exposure, 12315, regulator, lawyer, lawsuit;
  L2: repeated (第二次/又), batch-level or multi-unit problems, any cold-chain failure, any milder adverse
  reaction (上火, 便秘, 胃胀), suspected counterfeit or misleading claims, threats of bad reviews;
  L1: everything else.
* department: L3 → management; otherwise quality/authenticity/adverse_reaction → quality,
  logistics_delay/cold_chain → logistics, packaging_damage/wrong_or_missing_item → after_sales,
  usage_question/service_attitude → customer_service, suggestion → product.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from aftersales.triage.engine import (
    OrderContext,
    TriageDecision,
    TriageInput,
    available_packs,
    load_pack,
    triage,
)


@dataclass(frozen=True)
class LabelledCase:
    pack: str
    line: int
    text: str
    subject: str
    order: OrderContext | None
    category: str
    severity: str
    department: str


@dataclass(frozen=True)
class CaseResult:
    case: LabelledCase
    decision: TriageDecision

    @property
    def category_ok(self) -> bool:
        return self.decision.category == self.case.category

    @property
    def severity_ok(self) -> bool:
        return self.decision.severity == self.case.severity

    @property
    def department_ok(self) -> bool:
        return self.decision.department == self.case.department


@dataclass
class Scores:
    name: str
    results: list[CaseResult] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.results)

    def _rate(self, ok: int, total: int) -> float:
        return ok / total if total else 1.0

    @property
    def category_accuracy(self) -> float:
        return self._rate(sum(r.category_ok for r in self.results), self.n)

    @property
    def severity_accuracy(self) -> float:
        return self._rate(sum(r.severity_ok for r in self.results), self.n)

    @property
    def department_accuracy(self) -> float:
        return self._rate(sum(r.department_ok for r in self.results), self.n)

    @property
    def l3_labelled(self) -> list[CaseResult]:
        return [r for r in self.results if r.case.severity == "L3"]

    @property
    def l3_predicted(self) -> list[CaseResult]:
        return [r for r in self.results if r.decision.severity == "L3"]

    @property
    def l3_missed(self) -> list[CaseResult]:
        return [r for r in self.l3_labelled if r.decision.severity != "L3"]

    @property
    def l3_recall(self) -> float:
        return self._rate(len(self.l3_labelled) - len(self.l3_missed), len(self.l3_labelled))

    @property
    def l3_precision(self) -> float:
        true_pos = sum(r.case.severity == "L3" for r in self.l3_predicted)
        return self._rate(true_pos, len(self.l3_predicted))

    @property
    def category_confusion(self) -> Counter[tuple[str, str]]:
        return Counter((r.case.category, r.decision.category) for r in self.results if not r.category_ok)


@dataclass
class EvalReport:
    packs: dict[str, Scores]
    overall: Scores


def load_labelled(pack_name: str) -> list[LabelledCase]:
    text = resources.files("aftersales.triage").joinpath("labelled", f"{pack_name}.jsonl").read_text("utf-8")
    cases: list[LabelledCase] = []
    for i, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        row: dict[str, Any] = json.loads(raw)
        order = OrderContext(**row["order"]) if row.get("order") else None
        cases.append(
            LabelledCase(
                pack=pack_name,
                line=i,
                text=row["text"],
                subject=row.get("subject", ""),
                order=order,
                category=row["category"],
                severity=row["severity"],
                department=row["department"],
            )
        )
    return cases


def evaluate(pack_names: list[str] | None = None) -> EvalReport:
    names = pack_names or available_packs()
    overall = Scores("overall")
    packs: dict[str, Scores] = {}
    for name in names:
        pack = load_pack(name)
        scores = Scores(name)
        for case in load_labelled(name):
            decision = triage(pack, TriageInput(text=case.text, subject=case.subject, order=case.order))
            scores.results.append(CaseResult(case, decision))
        packs[name] = scores
        overall.results.extend(scores.results)
    return EvalReport(packs, overall)


def _fmt_scores(s: Scores) -> list[str]:
    caught = len(s.l3_labelled) - len(s.l3_missed)
    lines = [
        f"[{s.name}] {s.n} cases",
        f"  category accuracy   {s.category_accuracy:6.1%}",
        f"  severity accuracy   {s.severity_accuracy:6.1%}",
        f"  department accuracy {s.department_accuracy:6.1%}",
        f"  L3 recall           {s.l3_recall:6.1%}  ({caught}/{len(s.l3_labelled)})",
        f"  L3 precision        {s.l3_precision:6.1%}  ({len(s.l3_predicted)} predicted L3)",
        f"  L3 missed           {len(s.l3_missed)}",
    ]
    for r in s.l3_missed:
        lines.append(f"    MISSED {r.case.pack}:{r.case.line} → {r.decision.severity}  {r.case.text}")
    confusion = s.category_confusion
    if confusion:
        lines.append("  category confusion (expected → predicted: count)")
        for (exp, got), count in confusion.most_common():
            lines.append(f"    {exp} → {got}: {count}")
    return lines


def format_report(report: EvalReport, show_errors: bool = False) -> str:
    lines: list[str] = []
    for scores in report.packs.values():
        lines += _fmt_scores(scores)
    if len(report.packs) > 1:
        lines += _fmt_scores(report.overall)
    if show_errors:
        lines.append("errors:")
        for r in report.overall.results:
            if r.category_ok and r.severity_ok and r.department_ok:
                continue
            d, c = r.decision, r.case
            rules = ",".join(h.rule_id for h in d.hits if h.field in ("category", "severity"))
            lines.append(
                f"  {c.pack}:{c.line} exp {c.category}/{c.severity}/{c.department} "
                f"got {d.category}/{d.severity}/{d.department} [{rules}] {c.text}"
            )
    return "\n".join(lines)
