"""Admin pages: agents with their roles and skills, SLA policies and calendars, the industry pack's rules.

Writes go through the API handlers (agents/api.py, sla/api.py), with the same role each of them demands.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.agents import api as agents_api
from aftersales.agents import service as agents_service
from aftersales.agents.schemas import AgentCreate, AgentUpdate
from aftersales.kit.actor import Actor
from aftersales.kit.deps import DbSession, Now, PathId
from aftersales.kit.errors import DomainError, ValidationFailed
from aftersales.sla import api as sla_api
from aftersales.sla.policy import METRICS
from aftersales.triage import api as triage_api
from aftersales.triage import overlay as triage_overlay
from aftersales.triage.engine import SEVERITIES
from aftersales.web.auth import AdminPage, SupervisorPage
from aftersales.web.forms import blank_to_none, int_or_none, parse
from aftersales.web.i18n import language_of, translator
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
    """Skills typed as category names in either language (质量/变质、冷链问题) or as keys (quality, cold_chain)."""
    by_label = {translator(lang)(f"cat.{c}").lower(): c for lang in ("zh", "en") for c in CATEGORIES}
    words = (w.strip() for w in re.split(r"[,，、;；\n]", text))
    return [by_label.get(w.lower(), w) for w in words if w]


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

    name = value("name").strip()
    if value("stored_name") and name == value("shown_name"):
        name = value("stored_name")  # a default policy's translated name, left as it was: keep the stored one
    return parse(
        sla_api.PolicyIn,
        name=name,
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


def _rules_page(
    request: Request, actor: Actor, db: Session, *, error: str | None = None, status: int = 200
) -> Response:
    state = triage_api.rules_state(request, db)
    return page(
        request,
        "admin/rules.html",
        actor,
        status_code=status,
        pack=request.app.state.triage_rules.base,
        state=state,
        rules=state["rules"],
        versions=triage_api.rule_versions(request, actor, db),
        can_edit=actor.role == "admin",
        error=error,
        categories=CATEGORIES,
        departments=DEPARTMENTS,
        severities=SEVERITIES,
    )


@router.get("/app/admin/rules")
def rules_page(request: Request, actor: SupervisorPage, db: DbSession) -> Response:
    return _rules_page(request, actor, db)


def _words(text: str) -> list[str]:
    return [w.strip() for w in re.split(r"[,，、\s]+", text) if w.strip()]


def _rule_edit(overlay: dict[str, Any], form: dict[str, str], base: Any) -> str:
    """One rule's level / department, keywords and on/off, for a shipped rule or one of the brand's."""
    rule_id = form.get("rule_id", "")
    enabled = form.get("enabled") == "true"
    for section, key in (("severity_rules", "level"), ("department_rules", "department")):
        for rule in overlay[section]:
            if f"brand.{section.split('_')[0]}.{rule['id']}" == rule_id:
                rule["enabled"] = enabled
                if form.get(key):
                    rule[key] = form[key]
                if section == "severity_rules" and "keywords" in form:
                    rule["any"] = _words(form["keywords"])
                return f"修改规则 {rule_id}"
    shipped = {r.rule_id: r for r in (*base.severity_rules, *base.department_rules)}
    if rule_id not in shipped:
        raise ValidationFailed(f"the pack has no rule {rule_id!r}", field="rule_id")
    rule = shipped[rule_id]
    edit: dict[str, Any] = {}
    if not enabled:
        edit["enabled"] = False
    if hasattr(rule, "level"):
        if form.get("level") and form["level"] != rule.level:
            edit["level"] = form["level"]
        if "keywords" in form and rule.any and _words(form["keywords"]) != list(rule.any):
            edit["any"] = _words(form["keywords"])
    elif form.get("department") and form["department"] != rule.department:
        edit["department"] = form["department"]
    if edit:
        overlay["rules"][rule_id] = edit
    else:
        overlay["rules"].pop(rule_id, None)  # back to the shipped rule
    return f"修改规则 {rule_id}"


def _apply_op(op: str, overlay: dict[str, Any], form: dict[str, str], base: Any) -> str:
    """Change the overlay as the form asks; returns the history line (in the brand's language: Chinese)."""
    group, word = form.get("group", ""), form.get("keyword", "").strip()
    keywords = overlay["keywords"]
    if op == "set_keyword":
        if not word:
            raise ValidationFailed("give the keyword", field="keyword")
        if not group:
            group = f"brand.category.{form.get('category', '')}"
        weight = _float_or_none(form.get("weight", ""), "weight")
        keywords.setdefault(group, {})[word] = weight if weight is not None else 2.0
        return f"关键词 {word}（{group}）权重 {keywords[group][word]:g}"
    if op in ("remove_keyword", "restore_keyword"):
        shipped: dict[str, float] = next((dict(g.keywords) for g in base.categories if g.rule_id == group), {})
        edits = keywords.setdefault(group, {})
        if op == "remove_keyword" and word in shipped:
            edits[word] = None
        else:
            edits.pop(word, None)
        if not edits:
            keywords.pop(group, None)
        return f"{'删除' if op == 'remove_keyword' else '恢复'}关键词 {word}（{group}）"
    if op == "edit_rule":
        return _rule_edit(overlay, form, base)
    if op == "add_severity":
        words = _words(form.get("keywords", ""))
        rule = {
            "id": form.get("id", "").strip(),
            "level": form.get("level", ""),
            "reason": form.get("reason", "").strip(),
            "any": words,
            "category_in": [form["category"]] if form.get("category") else [],
            "enabled": True,
        }
        overlay["severity_rules"].append(rule)
        return f"新增级别规则 brand.severity.{rule['id']}：{'、'.join(words)} → {rule['level']}"
    if op == "add_department":
        rule = {
            "id": form.get("id", "").strip(),
            "department": form.get("department", ""),
            "category_in": [form["category"]] if form.get("category") else [],
            "severity_in": [form["severity"]] if form.get("severity") else [],
            "enabled": True,
        }
        overlay["department_rules"].append(rule)
        return f"新增部门规则 brand.department.{rule['id']} → {rule['department']}"
    if op == "delete_rule":
        rule_id = form.get("rule_id", "")
        for section in ("severity_rules", "department_rules"):
            kept = [r for r in overlay[section] if f"brand.{section.split('_')[0]}.{r['id']}" != rule_id]
            if len(kept) != len(overlay[section]):
                overlay[section] = kept
                return f"删除规则 {rule_id}"
        raise ValidationFailed(f"no rule {rule_id!r} of the brand's own to delete", field="rule_id")
    if op == "reset":
        overlay.clear()
        overlay.update(triage_overlay.empty())
        return "恢复为行业包原始规则"
    raise ValidationFailed(f"unknown operation {op!r}", field="op")


RULE_FORM_FIELDS = (
    "op", "base_version", "group", "category", "keyword", "weight", "rule_id", "level", "department", "severity",
    "keywords", "enabled", "id", "reason",
)  # fmt: skip


@router.post("/app/admin/rules")
async def edit_rules(request: Request, actor: AdminPage, db: DbSession, now: Now) -> Response:
    """Every edit of the rules page: one form per change, each saved as a new version through the API handler."""
    data = await request.form()
    form = {name: str(data[name])[:2000] for name in RULE_FORM_FIELDS if name in data}
    try:
        base_version = int_or_none(form.get("base_version"), "base_version")
        if base_version is None:
            raise ValidationFailed("the form lost the version it was made from; reload the page", field="base_version")
        current = triage_api.rules_state(request, db)["overlay"]
        overlay = copy.deepcopy(current)
        change = _apply_op(form.get("op", ""), overlay, form, request.app.state.triage_rules.base)
        body = parse(triage_api.RulesUpdate, base_version=base_version, overlay=overlay, change=change)
        triage_api.put_rules(body, request, actor, db, now)
    except DomainError as exc:
        db.rollback()
        where = f"（{exc.field}）" if exc.field else ""
        message = exc.message
        if exc.status_code == 409 and exc.field == "base_version":
            # Someone saved since this page was loaded; say it in the page's words, not the API's.
            message = translator(language_of(request))("rules.stale")
        return _rules_page(request, actor, db, error=f"未保存{where}：{message}", status=exc.status_code)
    return redirect(request, "/app/admin/rules")
