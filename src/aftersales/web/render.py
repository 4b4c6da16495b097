"""Templates, static files, per-request page context and the HTML form of errors on page routes."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from aftersales.kit.actor import Actor
from aftersales.kit.errors import DomainError
from aftersales.web.i18n import (
    calendar_name,
    duration,
    event_reason,
    label,
    language_of,
    policy_note,
    rule_reason,
    sla_policy_name,
    translator,
)
from aftersales.web.nav import visible_items
from aftersales.web.ratelimit import RateLimits
from aftersales.web.session import CSRF_FIELD, CSRF_HEADER, SessionCodec, save_session, session_of

log = logging.getLogger("aftersales.web")
_SLOT = re.compile(r"\{(\w+)\}")

# Paths served as HTML pages; errors there render as a page instead of the API's JSON.
PAGE_PREFIXES = ("/app", "/portal", "/login", "/logout", "/lang")


# No inline script anywhere in the templates, so the policy can forbid it: injected markup cannot run.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class LoginRequired(Exception):
    """Raised by page dependencies when nobody is logged in; answered with a redirect to the login page."""


@dataclass
class WebState:
    templates: Jinja2Templates
    sessions: SessionCodec
    limits: RateLimits
    zone: ZoneInfo


def sla_class(ticket: Any, now: datetime) -> str:
    """ok / warning / breached / paused / none, from the SLA times cached on the ticket row."""
    if ticket.sla_breach_at is not None and ticket.sla_breach_at <= now:
        return "breached"
    if ticket.sla_warn_at is not None and ticket.sla_warn_at <= now:
        return "warning"
    if ticket.sla_state in ("paused", "none"):
        return str(ticket.sla_state)
    return "ok"


def is_page(request: Request) -> bool:
    path = request.url.path
    return path == "/" or path.startswith(PAGE_PREFIXES)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def install_rendering(app: FastAPI) -> None:
    settings = app.state.settings
    package = resources.files("aftersales.web")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(package.joinpath("templates"))),
        autoescape=True,  # every {{ value }} is HTML-escaped; nothing in the templates marks user text safe
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    zone = ZoneInfo(settings.timezone)

    def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(zone).strftime(fmt) if value else ""

    env.filters["localtime"] = localtime
    env.filters["iso"] = lambda value: value.isoformat() if value else ""
    env.globals["sla_class"] = sla_class
    env.globals["CSRF_FIELD"] = CSRF_FIELD
    env.globals["CSRF_HEADER"] = CSRF_HEADER
    app.state.web = WebState(
        templates=Jinja2Templates(env=env),
        sessions=SessionCodec(
            settings.resolved_secret_key(),
            max_age_seconds=settings.token_ttl_hours * 3600,
            secure=settings.session_cookie_secure,
        ),
        limits=RateLimits(),
        zone=zone,
    )
    app.mount("/static", StaticFiles(directory=str(package.joinpath("static"))), name="static")
    _install_page_errors(app)


def context(request: Request, actor: Actor | None, **values: Any) -> dict[str, Any]:
    lang = language_of(request)
    now = request.app.state.clock.now()
    return {
        "request": request,
        "lang": lang,
        "t": translator(lang),
        "duration": lambda seconds: duration(seconds, lang),
        "note": lambda text: policy_note(text, lang),
        "why": lambda rule_id, reason: rule_reason(rule_id, reason or "", lang),
        "policy_name": lambda name: sla_policy_name(name or "", lang),
        "calendar": lambda name: calendar_name(name or "", lang),
        "event_reason": lambda reason: event_reason(reason or "", lang),
        "label": lambda prefix, value: label(prefix, value or "", lang),
        # A knowledge-base answer's {shelf_life_days} is filled in per product; the list names it instead.
        "slots": lambda text: _SLOT.sub(lambda m: f"〔{label('kbp.slot', m[1], lang)}〕", text or ""),
        "roles": lambda names: "、".join(translator(lang)(f"role.{n}") for n in names),
        "actor": actor,
        "csrf": session_of(request).csrf,
        "nav": visible_items(actor.role if actor else None),
        "now": now,
        "zone": request.app.state.settings.timezone,
        "htmx": is_htmx(request),
        **values,
    }


def page(
    request: Request, template: str, actor: Actor | None, *, status_code: int = 200, **values: Any
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.web.templates
    response = templates.TemplateResponse(request, template, context(request, actor, **values), status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    save_session(request, response)
    return response


def redirect(request: Request, url: str) -> Response:
    if is_htmx(request):
        response: Response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    save_session(request, response)
    return response


def _install_page_errors(app: FastAPI) -> None:
    """Page routes answer errors with a page; API routes keep the JSON handlers installed before."""
    json_domain = app.exception_handlers[DomainError]
    json_validation = app.exception_handlers[RequestValidationError]

    async def domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        if not is_page(request):
            return await json_domain(request, exc)  # type: ignore[misc,no-any-return]
        # A refusal by a service policy (approval limits, four-eyes, return window …) names that policy,
        # so the agent knows which rule said no and whom to ask.
        policy = exc.extra.get("policy")
        if "page_roles" in exc.extra:
            lang = language_of(request)
            t = translator(lang)
            roles = ("、" if lang == "zh" else ", ").join(t(f"role.{name}") for name in exc.extra["page_roles"])
            return error_page(
                request, exc.status_code, t("error.page_roles", roles=roles, role=t(f"role.{exc.extra['role']}"))
            )
        return error_page(request, exc.status_code, f"[{policy}] {exc.message}" if policy else exc.message)

    async def validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if not is_page(request):
            return await json_validation(request, exc)  # type: ignore[misc,no-any-return]
        errors = exc.errors()
        first = errors[0] if errors else {}
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "form"))
        return error_page(request, 422, f"{field}: {first.get('msg', 'invalid')}")

    async def login_required(request: Request, exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        url = f"/login?next={target}" if request.method == "GET" else "/login"
        if is_htmx(request):
            response: Response = Response(status_code=401, headers={"HX-Redirect": url})
        else:
            response = RedirectResponse(url, status_code=303)
        return save_session(request, response)

    app.add_exception_handler(DomainError, domain)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(LoginRequired, login_required)


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    actor = getattr(request.state, "web_actor", None)
    if is_htmx(request):
        # HTMX swaps this into the page's message area (hx-target-error / the flash slot).
        response = page(request, "_flash.html", actor, status_code=status_code, error=message)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return page(request, "error.html", actor, status_code=status_code, error=message, status=status_code)
