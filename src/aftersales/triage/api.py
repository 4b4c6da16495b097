"""The brand's triage rules: read them with the shipped pack's, save edits (admins), list the versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from aftersales.kit.deps import Admin, DbSession, Now, Supervisor
from aftersales.triage import overlay as ov
from aftersales.triage import service
from aftersales.triage.runtime import PackRules
from aftersales.triage.schemas import RulesOut, RulesUpdate, RulesVersionOut

router = APIRouter(prefix="/triage", tags=["triage"])


def rules_of(request: Request) -> PackRules:
    rules: PackRules = request.app.state.triage_rules
    return rules


def rules_state(request: Request, db: Session) -> dict[str, Any]:
    rules = rules_of(request)
    row = service.current(db, rules.name)
    overlay = row.overlay if row else ov.empty()
    return {
        "pack": rules.name,
        "title": rules.base.title,
        "version": row.version if row else 0,
        "changed_by": row.changed_by if row else None,
        "changed_by_name": row.changed_by_name if row else None,
        "changed_at": row.created_at if row else None,
        "overlay": overlay,
        "rules": ov.describe(rules.base, overlay),
    }


@router.get("/rules", response_model=RulesOut)
def get_rules(request: Request, actor: Supervisor, db: DbSession) -> dict[str, Any]:
    """The pack's editable rules as triage uses them now, each with its shipped value and whether it was edited."""
    return rules_state(request, db)


@router.put("/rules", response_model=RulesOut)
def put_rules(body: RulesUpdate, request: Request, actor: Admin, db: DbSession, now: Now) -> dict[str, Any]:
    """Save the brand's edits as a new version; new tickets are triaged with them at once, in every process."""
    rules = rules_of(request)
    service.save(db, rules.base, body.overlay, base_version=body.base_version, change=body.change, actor=actor, now=now)
    db.commit()
    return rules_state(request, db)


@router.get("/rules/versions", response_model=list[RulesVersionOut])
def rule_versions(request: Request, actor: Supervisor, db: DbSession) -> list[Any]:
    return service.versions(db, rules_of(request).name)
