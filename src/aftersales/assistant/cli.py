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
    show_errors: bool = typer.Option(False, "--show-errors", help="list every wrong case"),
) -> None:
    """Answer accuracy, coverage, risk handoff recall/precision and latency on each pack's held-out set.
    Exits 1 if a risk case was not handed to a person."""
    names = list(pack) if pack else ev.pack_names(packs_dir)
    reports = []
    for name in names:
        try:
            reports.append(ev.evaluate_pack(name, packs_dir=packs_dir, eval_dir=eval_dir))
        except (FileNotFoundError, ValueError) as exc:
            typer.secho(f"{name}: skipped ({exc})", fg="yellow", err=True)
    if not reports:
        typer.secho("no pack could be evaluated", fg="red", err=True)
        raise typer.Exit(2)
    typer.echo(ev.format_pack_reports(reports, show_errors=show_errors))
    if any(r.risk_handed < r.risk_cases for r in reports):
        raise typer.Exit(1)


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
