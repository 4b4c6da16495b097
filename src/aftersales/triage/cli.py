"""Command line for triage rules: ``aftersales triage eval`` and ``aftersales triage classify``."""

from __future__ import annotations

import json

import typer

from aftersales.triage.engine import TriageInput, load_pack, triage
from aftersales.triage.evaluate import evaluate, format_report

app = typer.Typer(help="Triage rules and evaluation")


@app.command("eval")
def eval_cmd(
    pack: list[str] = typer.Option(None, "--pack", help="Pack to evaluate (repeatable); default all."),
    show_errors: bool = typer.Option(False, "--show-errors", help="List every misclassified case."),
) -> None:
    """Score the packs against the labelled tickets; exit 1 if any L3 case is missed."""
    try:
        report = evaluate(list(pack) if pack else None)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    typer.echo(format_report(report, show_errors=show_errors))
    if report.overall.l3_missed:
        raise typer.Exit(1)


@app.command("classify")
def classify_cmd(
    text: str = typer.Argument(..., help="Ticket text"),
    pack: str = typer.Option("dairy", "--pack", help="Industry pack"),
    subject: str = typer.Option("", "--subject"),
) -> None:
    """Classify one ticket text and print the decision as JSON."""
    try:
        p = load_pack(pack)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    decision = triage(p, TriageInput(text=text, subject=subject))
    typer.echo(json.dumps(decision.as_dict(), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    app()
