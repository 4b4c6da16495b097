"""``aftersales assistant``: evaluation on the packs' held-out questions and on public data."""

from __future__ import annotations

from pathlib import Path

import typer

from aftersales.assistant import evaluate as ev

app = typer.Typer(help="The assistant: evaluation.", no_args_is_help=True)


@app.command("eval")
def eval_cmd(
    pack: list[str] = typer.Option(None, "--pack", help="pack to evaluate (repeatable); default all shipped"),
    packs_dir: Path = typer.Option(None, "--packs-dir", help="read knowledge packs from this folder instead"),
    eval_dir: Path = typer.Option(None, "--eval-dir", help="read held-out questions from this folder instead"),
) -> None:
    """Answer accuracy, coverage, risk handoff recall/precision and latency on each pack's held-out sets, each
    set reported on its own (v1 = ``<pack>.jsonl``, v2 = ``<pack>.v2.jsonl``, ...). Aggregates only: the
    held-out rows are a test set, so per-row listings live in ``dev`` (and ``cv``), never here.
    Exits 1 if a risk case was not handed to a person."""
    sets = ev.eval_sets(eval_dir)
    if not sets:
        typer.secho("no evaluation set found", fg="red", err=True)
        raise typer.Exit(2)
    wanted = list(pack) if pack else ev.pack_names(packs_dir)
    built: dict[str, ev.Assistant] = {}
    all_reports = []
    for set_name, set_packs in sets.items():
        reports = []
        for name in [p for p in wanted if p in set_packs]:
            try:
                if name not in built:
                    built[name] = ev.build_assistant(name, packs_dir)[0]
                cases = ev.load_cases(name, eval_dir, set_name)
                reports.append(ev.evaluate_cases(built[name], name, cases, set_name))
            except (FileNotFoundError, ValueError) as exc:
                typer.secho(f"{set_name}/{name}: skipped ({exc})", fg="yellow", err=True)
        if reports:
            _print_set(set_name, reports, "eval", first_set="v1")
            all_reports += reports
    _finish(all_reports, "no pack could be evaluated")


def _print_set(set_name: str, reports: list[ev.PackReport], folder: str, *, first_set: str) -> None:
    suffix = ".jsonl" if set_name == first_set else f".{set_name}.jsonl"
    typer.echo(f"set {set_name} ({folder}/<pack>{suffix})")
    typer.echo(ev.format_pack_reports(reports))
    typer.echo("")


def _finish(all_reports: list[ev.PackReport], nothing: str) -> None:
    """Exit 2 when nothing could be run, 1 when a risk case was not handed to a person."""
    if not all_reports:
        typer.secho(nothing, fg="red", err=True)
        raise typer.Exit(2)
    if any(r.risk_handed < r.risk_cases for r in all_reports):
        raise typer.Exit(1)


@app.command("dev")
def dev_cmd(
    pack: list[str] = typer.Option(None, "--pack", help="pack to evaluate (repeatable); default all shipped"),
    packs_dir: Path = typer.Option(None, "--packs-dir", help="read knowledge packs from this folder instead"),
    dev_dir: Path = typer.Option(None, "--dev-dir", help="read development questions from this folder instead"),
    dev_set: list[str] = typer.Option(None, "--set", help="dev set to run (repeatable: dev, dev2); default all"),
    all_rows: bool = typer.Option(False, "--all-rows", help="list every case, not only the wrong ones"),
) -> None:
    """The development sets (``assistant/dev/<pack>.jsonl`` = "dev", ``<pack>.dev2.jsonl`` = "dev2", ...), for
    error analysis: every wrong case (or every case) with what the assistant did, then one table per set like
    ``eval``'s. Exits 1 if a risk case was not handed over."""
    names = list(pack) if pack else ev.pack_names(packs_dir)
    sets = ev.dev_sets(dev_dir)
    if dev_set:
        sets = {k: v for k, v in sets.items() if k in dev_set}
    built: dict[str, ev.Assistant] = {}
    all_reports = []
    for set_name, set_packs in sets.items():
        reports = []
        for name in [p for p in names if p in set_packs]:
            cases = ev.dev_cases(name, dev_dir, set_name)
            if name not in built:
                built[name] = ev.build_assistant(name, packs_dir)[0]
            reports.append(ev.evaluate_cases(built[name], name, cases, set_name))
        if not reports:
            continue
        for r in reports:
            rows = ev.format_rows(r, only_errors=not all_rows)
            if rows:
                typer.echo(rows)
        _print_set(set_name, reports, "dev", first_set="dev")
        all_reports += reports
    _finish(all_reports, "no development set found")


@app.command("cv")
def cv_cmd(
    pack: list[str] = typer.Option(None, "--pack", help="pack to evaluate (repeatable); default all shipped"),
    packs_dir: Path = typer.Option(None, "--packs-dir", help="read knowledge packs from this folder instead"),
    folds: int = typer.Option(4, "--folds", min=2, help="phrasing groups per entry"),
    show_errors: bool = typer.Option(False, "--show-errors", help="list every phrasing answered wrongly"),
) -> None:
    """Cross-validation over the knowledge base's own phrasings: each group of phrasings is asked of an
    assistant built without it. Shows which entries lack phrasings customers would use."""
    names = list(pack) if pack else ev.pack_names(packs_dir)
    reports = [ev.cross_validate(name, packs_dir, folds) for name in names]
    if show_errors:
        for r in reports:
            rows = ev.format_rows(r, only_errors=True)
            if rows:
                typer.echo(rows)
    typer.echo(ev.format_pack_reports(reports))


@app.command("agreement")
def agreement_cmd(
    pack: list[str] = typer.Option(None, "--pack", help="pack to evaluate (repeatable); default all shipped"),
    packs_dir: Path = typer.Option(None, "--packs-dir", help="read knowledge packs from this folder instead"),
    eval_dir: Path = typer.Option(None, "--eval-dir", help="read held-out questions from this folder instead"),
) -> None:
    """The held-out sets labelled twice (``eval/second/<pack>.<set>.jsonl``, a second annotator who worked blind):
    how often the two labellings agree, Cohen's kappa, and the assistant's accuracy under each, where they agree,
    and under either. Aggregates only, like ``eval``."""
    names = list(pack) if pack else ev.pack_names(packs_dir)
    built: dict[str, ev.Assistant] = {}
    shown = 0
    for set_name, set_packs in ev.eval_sets(eval_dir).items():
        reports = []
        for name in [p for p in names if p in set_packs]:
            if ev.second_labels(name, set_name, eval_dir) is None:
                continue
            if name not in built:
                built[name] = ev.build_assistant(name, packs_dir)[0]
            try:
                report = ev.agreement(built[name], name, set_name, eval_dir)
            except ValueError as exc:
                typer.secho(str(exc), fg="red", err=True)
                raise typer.Exit(2) from exc
            if report is not None:
                reports.append(report)
        if reports:
            typer.echo(f"set {set_name}: first labels (the set's author) beside a second annotator's")
            typer.echo(ev.format_agreement(reports))
            typer.echo("")
            shown += 1
    if not shown:
        typer.secho("no held-out set has second labels", fg="red", err=True)
        raise typer.Exit(2)


@app.command("public-eval")
def public_eval_cmd(
    data: Path = typer.Option(ev.DEFAULT_DATA, "--data", help="folder of the public evaluation data"),
    only: list[str] = typer.Option(None, "--only", help="atec | pairs | emotion (repeatable); default all"),
    limit: int = typer.Option(0, "--limit", help="use only the first N rows of each set (0 = all)"),
) -> None:
    """FAQ retrieval on ATEC beside plain BM25, ATEC pair classification, emotion on shopping reviews."""
    parts = list(only) if only else ["atec", "pairs", "emotion"]
    ran = 0
    for part in parts:
        if part not in ("atec", "pairs", "emotion"):
            typer.secho(f"unknown part {part!r}", fg="red", err=True)
            raise typer.Exit(2)
        if not ev.data_available(data, part):
            typer.secho(f"{part}: skipped, data not found under {data}", fg="yellow", err=True)
            continue
        ran += 1
        n = limit or None
        if part == "atec":
            r = ev.atec_retrieval(data, n)
            typer.echo(f"ATEC FAQ retrieval: {r.queries} queries, {r.entries} entries (all distractors)")
            for name in r.recall_at_1:
                typer.echo(
                    f"  {name:<14} recall@1 {r.recall_at_1[name]:.1%}  recall@5 {r.recall_at_5[name]:.1%}  "
                    f"p50 {r.p50_ms[name]:.2f} ms"
                )
        elif part == "pairs":
            p = ev.atec_pairs(data, n)
            typer.echo(
                f"ATEC pair classification (valid split, {p.valid} pairs; fitted on {p.train} train pairs): "
                f"accuracy {p.accuracy:.1%}, F1 on 'same' {p.positive_f1:.1%} "
                f"(majority class {p.majority_accuracy:.1%})"
            )
        else:
            e = ev.emotion(data, n)
            typer.echo(
                f"Emotion on online_shopping reviews ({e.reviews}): accuracy {e.accuracy:.1%}, negative F1 "
                f"{e.negative_f1:.1%} (precision {e.negative_precision:.1%}, recall {e.negative_recall:.1%})"
            )
            typer.echo("  by category: " + ", ".join(f"{c} {a:.0%}" for c, a in e.by_category.items()))
    if ran == 0:
        raise typer.Exit(2)
