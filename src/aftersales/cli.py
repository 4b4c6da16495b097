"""The `aftersales` command: serve, demo, db upgrade, user create, import, triage, sla, worker, webhooks, events."""

from __future__ import annotations

import getpass
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from aftersales.kit.settings import Settings, get_settings

app = typer.Typer(
    help="aftersales — after-sales service platform for consumer brands.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Agent accounts.", no_args_is_help=True)
sla_app = typer.Typer(help="SLA clocks.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(sla_app, name="sla")
webhooks_app = typer.Typer(help="Webhook endpoints.", no_args_is_help=True)
events_app = typer.Typer(help="Outbox events and dead letters.", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(events_app, name="events")


def _triage_app() -> typer.Typer:
    from aftersales.triage.cli import app as triage_app

    return triage_app


app.add_typer(_triage_app(), name="triage", help="Triage rules and their accuracy on the labelled set.")


def _kb_app() -> typer.Typer:
    from aftersales.kb.cli import app as kb_app

    return kb_app


def _assistant_app() -> typer.Typer:
    from aftersales.assistant.cli import app as assistant_app

    return assistant_app


app.add_typer(_kb_app(), name="kb", help="Knowledge base: import, export, starter packs.")
app.add_typer(_assistant_app(), name="assistant", help="The assistant: evaluation on packs and public data.")


def _settings() -> Settings:
    try:
        return get_settings()
    except Exception as exc:  # pydantic's message names the variable; show it without a traceback
        typer.secho(f"configuration error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc


def _upgrade(settings: Settings) -> None:
    from aftersales.kit.db import Database
    from aftersales.kit.migrate import upgrade
    from aftersales.sla.service import ensure_defaults

    upgrade(settings.database_url)
    database = Database(settings.database_url)
    with database.transaction() as session:
        ensure_defaults(session, datetime.now(UTC))
    database.dispose()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (creates the database on first run) and the default SLA policies."""
    settings = _settings()
    _upgrade(settings)
    typer.echo(f"database at head: {_safe_url(settings.database_url)}")


def _safe_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}:***@{host}" if ":" in creds else url
    return url


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Argument(help="Login e-mail")],
    name: Annotated[str, typer.Option(help="Display name")] = "",
    role: Annotated[str, typer.Option(help="agent | supervisor | admin | analyst")] = "agent",
    department: Annotated[
        str, typer.Option(help="customer_service | after_sales | quality | logistics | product | management")
    ] = "customer_service",
    skills: Annotated[str, typer.Option(help="Comma-separated categories, e.g. quality,cold_chain")] = "",
    capacity: Annotated[int, typer.Option(help="Most open tickets at once")] = 10,
    password_env: Annotated[
        str, typer.Option(help="Read the password from this environment variable instead of prompting")
    ] = "",
) -> None:
    """Create an agent account."""
    from pydantic import ValidationError

    from aftersales.agents.schemas import AgentCreate
    from aftersales.agents.service import create_agent
    from aftersales.kit.db import Database
    from aftersales.kit.errors import DomainError

    settings = _settings()
    password = os.environ.get(password_env, "") if password_env else ""
    if not password:
        if not sys.stdin.isatty():
            typer.secho("no password: use --password-env VAR or run in a terminal", fg="red", err=True)
            raise typer.Exit(2)
        password = getpass.getpass("password: ")
    try:
        data = AgentCreate(
            email=email,
            name=name or email.split("@")[0],
            password=password,
            role=role,  # type: ignore[arg-type]
            department=department,  # type: ignore[arg-type]
            skills=[s.strip() for s in skills.split(",") if s.strip()],
            capacity=capacity,
        )
    except ValidationError as exc:
        for err in exc.errors():
            typer.secho(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}", fg="red", err=True)
        raise typer.Exit(2) from exc
    database = Database(settings.database_url)
    try:
        with database.transaction() as session:
            agent = create_agent(session, data, datetime.now(UTC))
            typer.echo(f"created agent {agent.id} {agent.email} ({agent.role}, {agent.department})")
    except DomainError as exc:
        typer.secho(f"{exc.field or 'error'}: {exc.message}", fg="red", err=True)
        raise typer.Exit(1) from exc
    finally:
        database.dispose()


@app.command("import")
def import_csv(
    kind: Annotated[str, typer.Argument(help="customers | products | batches | orders")],
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    dry_run: Annotated[bool, typer.Option(help="Validate every row, write nothing")] = False,
) -> None:
    """Import customers, products, batches or orders from CSV; bad rows are reported, good rows kept."""
    from aftersales.catalog.importer import KINDS, import_file
    from aftersales.kit.db import Database

    if kind not in KINDS:
        typer.secho(f"kind must be one of: {', '.join(KINDS)}", fg="red", err=True)
        raise typer.Exit(2)
    settings = _settings()
    database = Database(settings.database_url)
    try:
        report = import_file(database, kind, path, datetime.now(UTC), dry_run=dry_run)
    finally:
        database.dispose()
    typer.echo(report.summary())
    for error in report.errors:
        typer.echo(f"  row {error.row}: {error.field}: {error.message}")
    raise typer.Exit(1 if report.errors else 0)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    upgrade: Annotated[bool, typer.Option(help="Apply migrations first")] = True,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from aftersales.kit.logging import configure_logging

    settings = _settings()
    configure_logging(settings.log_level)
    if upgrade:
        _upgrade(settings)
    typer.echo(f"aftersales on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "aftersales.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )


@app.command("demo")
def demo(
    pack: Annotated[str, typer.Option(help="Industry pack: dairy | tonic | calcium | cashmere")] = "dairy",
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the API afterwards")] = True,
    reset: Annotated[bool, typer.Option(help="Delete the demo database first")] = False,
    seed: Annotated[int, typer.Option(help="Random seed for the demo data")] = 7,
) -> None:
    """Create a demo brand with customers, orders, agents and tickets in every state, then serve it."""
    from aftersales.demo.generator import build_demo
    from aftersales.kit.db import Database

    settings = _settings()
    if reset and settings.is_sqlite:
        db_file = Path(settings.database_url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_file) + suffix).unlink(missing_ok=True)
    os.environ["AFTERSALES_INDUSTRY_PACK"] = pack
    get_settings.cache_clear()
    settings = _settings()
    _upgrade(settings)
    database = Database(settings.database_url)
    try:
        summary = build_demo(database, pack, datetime.now(UTC), seed=seed)
    finally:
        database.dispose()
    typer.echo(summary.describe(host, port))
    if serve_after:
        serve(host=host, port=port, workers=1, upgrade=False)


@sla_app.command("sweep")
def sla_sweep() -> None:
    """Record SLA warnings, breaches and escalations that are due now (the server also runs this)."""
    from aftersales.kit.db import Database
    from aftersales.sla.service import sweep

    settings = _settings()
    database = Database(settings.database_url)
    try:
        with database.transaction() as session:
            counts = sweep(session, datetime.now(UTC))
    finally:
        database.dispose()
    typer.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


@app.command("worker")
def worker(
    until_idle: Annotated[bool, typer.Option(help="Deliver what is due now, then exit")] = False,
    interval: Annotated[float, typer.Option(help="Seconds to wait when there is nothing to do")] = 0.5,
    name: Annotated[str, typer.Option(help="Dispatcher name in logs")] = "",
    batch_size: Annotated[int, typer.Option(help="Rows claimed per round")] = 100,
) -> None:
    """Run the outbox dispatcher: internal handlers, webhooks, notifications. Run several on PostgreSQL."""
    import signal
    import threading

    from aftersales.events.dispatcher import Dispatcher
    from aftersales.kit.clock import SystemClock
    from aftersales.kit.db import Database
    from aftersales.kit.logging import configure_logging

    settings = _settings()
    configure_logging(settings.log_level)
    database = Database(settings.database_url)
    dispatcher = Dispatcher(database, SystemClock(), settings, name=name or None, batch_size=batch_size)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        if until_idle:
            totals = dispatcher.run_until_idle(max_rounds=1_000_000)
            typer.echo(" ".join(f"{k}={v}" for k, v in totals.items()))
            return
        typer.echo(f"worker {dispatcher.name} dispatching (Ctrl-C to stop)")
        while not stop.is_set():
            try:
                counts = dispatcher.run_once()
            except Exception as exc:  # a passing database error: log it and keep going
                typer.secho(f"dispatch failed: {type(exc).__name__}: {exc}", fg="red", err=True)
                counts = {}
            if not any(counts.values()):
                stop.wait(interval)
    finally:
        dispatcher.close()
        database.dispose()


@webhooks_app.command("list")
def webhooks_list() -> None:
    """Registered webhook endpoints with their pending, delivered and dead deliveries."""
    from sqlalchemy import func, select

    from aftersales.events.models import WebhookDelivery
    from aftersales.events.webhooks import list_endpoints
    from aftersales.kit.db import Database

    database = Database(_settings().database_url)
    try:
        with database.transaction() as session:
            counts: dict[tuple[int, str], int] = {
                (endpoint_id, status): n
                for endpoint_id, status, n in session.execute(
                    select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count()).group_by(
                        WebhookDelivery.endpoint_id, WebhookDelivery.status
                    )
                )
            }
            endpoints = list_endpoints(session)
            if not endpoints:
                typer.echo("no webhooks registered (POST /api/v1/webhooks as an admin)")
            for e in endpoints:
                tally = " ".join(f"{s}={counts.get((e.id, s), 0)}" for s in ("pending", "delivered", "dead"))
                state = "active" if e.active else "paused"
                typer.echo(f"{e.id}\t{e.name}\t{e.url}\t{','.join(e.topics)}\t{state}\t{tally}")
    finally:
        database.dispose()


@events_app.command("dead")
def events_dead(limit: Annotated[int, typer.Option()] = 50) -> None:
    """Dead letters: webhook deliveries and internal events that ran out of attempts."""
    from sqlalchemy import select

    from aftersales.events.models import Notification
    from aftersales.events.webhooks import list_deliveries
    from aftersales.kit.db import Database
    from aftersales.kit.outbox import OutboxEvent

    database = Database(_settings().database_url)
    try:
        with database.transaction() as session:
            for d in list_deliveries(session, status="dead", limit=limit):
                typer.echo(
                    f"delivery {d.id}\twebhook {d.endpoint_id}\tevent {d.event_id}\t{d.attempts} tries\t{d.last_error}"
                )
            stmt = select(OutboxEvent).where(OutboxEvent.dead_at.is_not(None)).order_by(OutboxEvent.id).limit(limit)
            for ev in session.scalars(stmt):
                typer.echo(f"event {ev.id}\t{ev.topic}\t{ev.attempts} tries\t{ev.last_error}")
            dead = select(Notification).where(Notification.status == "dead").order_by(Notification.id).limit(limit)
            for n in session.scalars(dead):
                # The recipient is personal data: the template and channel are enough to find the cause.
                typer.echo(f"notification {n.id}\t{n.channel}\t{n.template}\t{n.attempts} tries\t{n.last_error}")
    finally:
        database.dispose()


@events_app.command("replay")
def events_replay(
    delivery: Annotated[int | None, typer.Option(help="Replay this dead delivery")] = None,
    webhook: Annotated[int | None, typer.Option(help="Replay the dead deliveries of this webhook")] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Replay every dead delivery, dead internal event and dead notification")
    ] = False,
) -> None:
    """Put dead letters back in the queue with a fresh attempt budget (the worker then sends them)."""
    from sqlalchemy import update

    from aftersales.events.models import Notification
    from aftersales.events.webhooks import replay
    from aftersales.kit.db import Database
    from aftersales.kit.errors import DomainError
    from aftersales.kit.outbox import OutboxEvent

    if delivery is None and webhook is None and not all_:
        typer.secho("say what to replay: --delivery ID, --webhook ID or --all", fg="red", err=True)
        raise typer.Exit(2)
    database = Database(_settings().database_url)
    now = datetime.now(UTC)
    try:
        with database.transaction() as session:
            count = replay(session, now, delivery_id=delivery, endpoint_id=webhook)
            events = 0
            if all_:
                result = session.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.dead_at.is_not(None), OutboxEvent.dispatched_at.is_(None))
                    .values(dead_at=None, attempts=0, next_attempt_at=None, last_error=None)
                )
                events = int(result.rowcount or 0)  # type: ignore[attr-defined]
                result = session.execute(
                    update(Notification)
                    .where(Notification.status == "dead")
                    .values(status="pending", attempts=0, next_attempt_at=Notification.created_at, lease_until=None)
                )
                events += int(result.rowcount or 0)  # type: ignore[attr-defined]
    except DomainError as exc:
        typer.secho(f"{exc.field or 'error'}: {exc.message}", fg="red", err=True)
        raise typer.Exit(1) from exc
    finally:
        database.dispose()
    typer.echo(f"replayed {count} deliveries" + (f" and {events} internal events/notifications" if all_ else ""))


if __name__ == "__main__":
    app()
