"""``aftersales kb``: import and export the knowledge base (CSV or YAML), load a shipped starter pack."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from aftersales.kit.actor import Actor

app = typer.Typer(help="Knowledge base: import, export, starter packs.", no_args_is_help=True)
CLI = Actor(type="system", name="cli")


def _database():  # type: ignore[no-untyped-def]
    from aftersales.kit.db import Database
    from aftersales.kit.settings import get_settings

    return Database(get_settings().database_url)


@app.command("import")
def import_cmd(path: Path = typer.Argument(..., exists=True, dir_okay=False, help="FILE.csv or FILE.yaml")) -> None:
    """Create or update entries by key; every change becomes a new version. Bad rows are listed, none imported."""
    from aftersales.kb import service
    from aftersales.kit.errors import DomainError

    text = path.read_text("utf-8")
    try:
        if path.suffix.lower() == ".csv":
            entries, errors = service.parse_csv(text)
        else:
            entries, errors = service.parse_yaml(text), []
    except DomainError as exc:
        typer.secho(f"{path}: {exc.message}", fg="red", err=True)
        raise typer.Exit(1) from exc
    if errors:
        for line in errors:
            typer.secho(line, fg="red", err=True)
        typer.secho(f"{len(errors)} bad rows; nothing imported", fg="red", err=True)
        raise typer.Exit(1)
    database = _database()
    with database.transaction() as session:
        report = service.import_entries(session, entries, CLI, datetime.now(UTC), source="import")
    typer.echo(report.summary())


@app.command("load-pack")
def load_pack_cmd(pack: str = typer.Argument(..., help="dairy | tonic | calcium | cashmere")) -> None:
    """Load a shipped starter knowledge base (assistant/packs/<pack>.yaml)."""
    from aftersales.assistant.knowledge import EntryError, load_pack
    from aftersales.kb import service

    try:
        entries = load_pack(pack)
    except EntryError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from exc
    database = _database()
    with database.transaction() as session:
        report = service.import_entries(session, entries, CLI, datetime.now(UTC), source=pack)
    typer.echo(f"{pack}: {report.summary()}")


@app.command("export")
def export_cmd(
    output: Path = typer.Option(None, "--output", "-o", help="file to write; stdout when omitted"),
    fmt: str = typer.Option("yaml", "--format", help="yaml | csv"),
) -> None:
    """Export the active entries."""
    from aftersales.kb import service

    if fmt not in ("yaml", "csv"):
        typer.secho("--format must be yaml or csv", fg="red", err=True)
        raise typer.Exit(2)
    database = _database()
    with database.transaction() as session:
        entries = service.active_entries(session)
    text = service.export_csv(entries) if fmt == "csv" else service.export_yaml(entries)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"{len(entries)} entries written to {output}")
