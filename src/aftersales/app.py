"""The FastAPI application: routes under /api/v1, JSON errors that name the failing field."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from aftersales import __version__
from aftersales.kit.clock import Clock, SystemClock
from aftersales.kit.db import Database
from aftersales.kit.errors import DomainError
from aftersales.kit.security import LinkSigner
from aftersales.kit.settings import Settings, get_settings

log = logging.getLogger("aftersales")


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {
                # A body that is not JSON at all fails at a character offset ("body", 0): the field is the body.
                "field": "body" if e.get("type") == "json_invalid" else _field_name(tuple(e.get("loc", ()))),
                "message": e.get("msg", "invalid"),
                "type": e.get("type", ""),
            }
            for e in exc.errors()
        ]
        first = fields[0] if fields else {"field": "", "message": "invalid request"}
        return _error(
            422,
            "validation_error",
            f"{first['field']}: {first['message']}",
            field=first["field"],
            fields=fields,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}
        return (
            _error(
                exc.status_code,
                codes.get(exc.status_code, "http_error"),
                str(exc.detail),
            )
            if exc.status_code != 401
            else JSONResponse(
                {"error": {"code": "unauthorized", "message": str(exc.detail)}},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        )

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
        return _error(409, "conflict", "the record was changed by someone else meanwhile; reload and retry")

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity error on %s %s: %s", request.method, request.url.path, exc.orig)
        return _error(409, "conflict", "the change conflicts with existing data (duplicate or missing reference)")

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable on %s %s: %s", request.method, request.url.path, exc.orig)
        return JSONResponse(
            {"error": {"code": "unavailable", "message": "the database is busy; retry shortly"}},
            status_code=503,
            headers={"Retry-After": "1"},
        )


async def _sweep_forever(app: FastAPI, interval: int) -> None:
    """Record SLA warnings, breaches and escalations as they fall due, so nobody has to ask for them."""
    from starlette.concurrency import run_in_threadpool

    from aftersales.sla.service import sweep

    def once() -> None:
        with app.state.db.transaction() as session:
            counts = sweep(session, app.state.clock.now())
        if counts["warned"] or counts["breached"] or counts["escalated"]:
            log.info("sla sweep: %s", counts)

    while True:
        try:
            await run_in_threadpool(once)
        except Exception:  # keep sweeping; a passing database error must not stop SLA escalation for good
            log.exception("sla sweep failed")
        await asyncio.sleep(interval)


async def _dispatch_forever(app: FastAPI, interval: float) -> None:
    """The in-process outbox dispatcher (SQLite's one dispatcher; `aftersales worker` runs it standalone)."""
    from starlette.concurrency import run_in_threadpool

    from aftersales.events.dispatcher import Dispatcher

    dispatcher = Dispatcher(app.state.db, app.state.clock, app.state.settings, name="server")
    try:
        while True:
            counts: dict[str, int] = {}
            try:
                counts = await run_in_threadpool(dispatcher.run_once)
            except Exception:  # a passing database error must not stop event delivery for good
                log.exception("outbox dispatch failed")
            if not any(counts.values()):
                await asyncio.sleep(interval)
    finally:
        dispatcher.close()


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, database: Database | None = None
) -> FastAPI:
    from aftersales.actions.api import router as actions_router
    from aftersales.agents.api import router as agents_router
    from aftersales.assistant.api import agent_router as assistant_agent_router
    from aftersales.assistant.api import router as assistant_router
    from aftersales.assistant.api import widget_router as assistant_widget_router
    from aftersales.assistant.runtime import AssistantCache
    from aftersales.assistant.service import ConversationSigner
    from aftersales.catalog.api import router as catalog_router
    from aftersales.channels.api import router as inbox_router
    from aftersales.events.api import router as webhooks_router
    from aftersales.kb.api import router as kb_router
    from aftersales.kit.text import warm_up
    from aftersales.sla.api import router as sla_router
    from aftersales.surveys.api import router as surveys_router
    from aftersales.tickets import service as tickets_service
    from aftersales.tickets.api import router as tickets_router
    from aftersales.tickets.intake import IntakeWriter
    from aftersales.tickets.portal import router as portal_router
    from aftersales.triage.api import router as triage_router
    from aftersales.triage.engine import load_pack
    from aftersales.triage.engine import warm_up as triage_warm_up
    from aftersales.triage.runtime import PackRules

    settings = settings or get_settings()
    db = database or Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = None
        if settings.sla_sweep_interval_seconds > 0:
            task = asyncio.create_task(_sweep_forever(app, settings.sla_sweep_interval_seconds))
        in_server = settings.dispatcher_in_server if settings.dispatcher_in_server is not None else db.is_sqlite
        dispatch_task = None
        if in_server and settings.dispatch_interval_seconds > 0:
            dispatch_task = asyncio.create_task(_dispatch_forever(app, settings.dispatch_interval_seconds))
        yield
        app.state.intake.stop()
        if task is not None:
            task.cancel()
        if dispatch_task is not None:
            dispatch_task.cancel()
        if database is None:
            db.dispose()

    app = FastAPI(
        title="aftersales",
        version=__version__,
        summary="After-sales service platform: tickets, triage, tiered SLAs and routing.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.clock = clock or SystemClock()
    app.state.pack = load_pack(settings.industry_pack)  # the shipped pack; triage uses triage_rules.pack(db)
    app.state.triage_rules = PackRules(settings.industry_pack)
    app.state.signer = LinkSigner(settings.resolved_secret_key(), max_age_days=settings.customer_link_max_age_days)
    app.state.conversation_signer = ConversationSigner(settings.resolved_secret_key())
    app.state.assistant = AssistantCache(threshold=settings.assistant_answer_threshold)
    app.state.intake = IntakeWriter(
        db, writers=settings.intake_writers or None, prefetch=tickets_service.prefetch_customers
    )
    # Load dictionaries now rather than on the first request, which would otherwise take a second.
    warm_up()
    triage_warm_up()
    install_error_handlers(app)

    for router in (agents_router, catalog_router, tickets_router, portal_router, sla_router, triage_router):
        app.include_router(router, prefix="/api/v1")
    for router in (actions_router, surveys_router, webhooks_router, inbox_router):
        app.include_router(router, prefix="/api/v1")
    for router in (kb_router, assistant_router, assistant_agent_router):
        app.include_router(router, prefix="/api/v1")
    app.include_router(assistant_widget_router)

    from aftersales.web import install as install_web

    install_web(app)

    @app.get("/healthz", tags=["ops"], summary="Liveness and database reachability")
    def healthz() -> dict[str, str]:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "database": db.engine.dialect.name, "version": __version__}

    if settings.bench_endpoints:
        from aftersales.kit.bench import install_bench_routes

        install_bench_routes(app)
    return app
