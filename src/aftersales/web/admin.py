"""Admin pages: agents with their roles and skills, SLA policies and calendars, the industry pack's rules.

Writes go through the API handlers (agents/api.py, sla/api.py), with the same role each of them demands.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from aftersales.agents import api as agents_api
from aftersales.agents import service as agents_service
from aftersales.agents.schemas import AgentCreate, AgentUpdate
from aftersales.kit.deps import DbSession, Now, PathId
from aftersales.kit.errors import ValidationFailed
from aftersales.sla import api as sla_api
from aftersales.sla.policy import METRICS
from aftersales.web.auth import AdminPage, SupervisorPage
from aftersales.web.forms import blank_to_none, int_or_none, parse
from aftersales.web.nav import SUPERVISORS, NavItem, register
from aftersales.web.render import page, redirect
from aftersales.web.session import check_csrf
from aftersales.web.views import CATEGORIES, DEPARTMENTS

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
register(NavItem("nav.agents", "/app/admin/agents", SUPERVISORS, shortcut="a"))
register(NavItem("nav.sla", "/app/admin/sla", SUPERVISORS, shortcut="s"))
register(NavItem("nav.rules", "/app/admin/rules", SUPERVISORS, shortcut="r"))

ROLES = ("agent", "supervisor", "admin", "analyst")


def _skills(text: str) -> list[str]:
    return [s.strip() for s in text.replace("，", ",").split(",") if s.strip()]


# ---------------------------------------------------------------- agents


@router.get("/app/admin/agents")
def agents_page(request: Request, actor: SupervisorPage, db: DbSession) -> Response:
    agents = agents_api.list_agents(actor, db, None)
    return page(
        request,
        "admin/agents.html",
        actor,
        agents=agents,
        roles=ROLES,
        departments=DEPARTMENTS,
        categories=CATEGORIES,
    )


@router.post("/app/admin/agents")
def create_agent(
    request: Request,
    actor: AdminPage,
    db: DbSession,
    now: Now,
    email: Annotated[str, Form(max_length=254)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=16)] = "agent",
    department: Annotated[str, Form(max_length=32)] = "customer_service",
    skills: Annotated[str, Form(max_length=1000)] = "",
    capacity: Annotated[str, Form(max_length=6)] = "10",
) -> Response:
    body = parse(
        AgentCreate,
        email=email.strip(),
        name=name.strip(),
        password=password,
        role=role,
        department=department,
        skills=_skills(skills),
        capacity=int_or_none(capacity, "capacity") or 0,
    )
    agents_api.create_agent(body, actor, db, now)
    return redirect(request, "/app/admin/agents")


@router.post("/app/admin/agents/{agent_id}")
def update_agent(
    agent_id: PathId,
    request: Request,
    actor: SupervisorPage,
    db: DbSession,
    now: Now,
    role: Annotated[str | None, Form(max_length=16)] = None,
    department: Annotated[str | None, Form(max_length=32)] = None,
    skills: Annotated[str | None, Form(max_length=1000)] = None,
    capacity: Annotated[str | None, Form(max_length=6)] = None,
    available: Annotated[str | None, Form(max_length=5)] = None,
    active: Annotated[str | None, Form(max_length=5)] = None,
) -> Response:
    """Sends only the fields the form changed, so a supervisor's capacity edit is not refused for the role field."""
    current = agents_service.get_agent(db, agent_id)
    fields: dict[str, Any] = {}
    if role is not None and role != current.role:
        fields["role"] = role
    if department is not None and department != current.department:
        fields["department"] = department
    if skills is not None and sorted(set(_skills(skills))) != sorted(current.skills):
        fields["skills"] = _skills(skills)
    if capacity is not None and int_or_none(capacity, "capacity") != current.capacity:
        fields["capacity"] = int_or_none(capacity, "capacity")
    for name, value in (("available", available), ("active", active)):
        if value is not None and (value == "true") != getattr(current, name):
            fields[name] = value == "true"
    if not fields:
        return redirect(request, "/app/admin/agents")
    agents_api.update_agent(agent_id, parse(AgentUpdate, **fields), request, actor, db, now)
    return redirect(request, "/app/admin/agents")


# ---------------------------------------------------------------- SLA policies and calendars


@router.get("/app/admin/sla")
def sla_page(request: Request, actor: SupervisorPage, db: DbSession) -> Response:
    policies = sla_api.list_policies(actor, db)
    calendars = sla_api.list_calendars(actor, db)
    return page(
        request,
        "admin/sla.html",
        actor,
        policies=policies,
        calendars=calendars,
        metrics=METRICS,
        pretty=lambda value: json.dumps(value, ensure_ascii=False, indent=2),
        compact=lambda value: json.dumps(value, ensure_ascii=False),
    )


def _json_field(text: str, field: str) -> Any:
    try:
        return json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"{field} is not valid JSON: {exc.msg} (line {exc.lineno})", field=field) from exc


def _float_or_none(text: str, field: str) -> float | None:
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise ValidationFailed(f"{field} must be a number", field=field) from exc


async def _policy_body(request: Request) -> sla_api.PolicyIn:
    form = await request.form()

    def value(name: str, default: str = "") -> str:
        raw = form.get(name, default)
        return raw if isinstance(raw, str) else default

    return parse(
        sla_api.PolicyIn,
        name=value("name").strip(),
        position=int_or_none(value("position"), "position") or 0,
        conditions=_json_field(value("conditions"), "conditions"),
        targets={m: _float_or_none(value(f"target_{m}"), f"targets.{m}") for m in METRICS},
        calendar_name=value("calendar_name", "24x7"),
        warn_ratio=_float_or_none(value("warn_ratio"), "warn_ratio") or 0.75,
        management_after_ratio=_float_or_none(value("management_after_ratio"), "management_after_ratio") or 0.5,
        active=value("active") == "true",
    )


@router.post("/app/admin/sla/policies")
async def create_policy(request: Request, actor: AdminPage, db: DbSession, now: Now) -> Response:
    body = await _policy_body(request)
    sla_api.create_policy(body, actor, db, now)
    return redirect(request, "/app/admin/sla")


@router.post("/app/admin/sla/policies/{policy_id}")
async def update_policy(policy_id: PathId, request: Request, actor: AdminPage, db: DbSession, now: Now) -> Response:
    body = await _policy_body(request)
    sla_api.update_policy(policy_id, body, actor, db, now)
    return redirect(request, "/app/admin/sla")


@router.post("/app/admin/sla/calendars")
def put_calendar(
    request: Request,
    actor: AdminPage,
    db: DbSession,
    now: Now,
    name: Annotated[str, Form(max_length=64)] = "",
    spec: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    if not blank_to_none(name):
        raise ValidationFailed("the calendar needs a name", field="name")
    body = parse(sla_api.CalendarIn, spec=_json_field(spec, "spec"))
    sla_api.put_calendar(name.strip(), body, actor, db, now)
    return redirect(request, "/app/admin/sla")


# ---------------------------------------------------------------- industry pack rules


@router.get("/app/admin/rules")
def rules_page(request: Request, actor: SupervisorPage) -> Response:
    return page(request, "admin/rules.html", actor, pack=request.app.state.pack)
