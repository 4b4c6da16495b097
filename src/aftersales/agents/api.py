"""Auth and agent management routes."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from sqlalchemy import select

from aftersales.agents import service
from aftersales.agents.models import Agent
from aftersales.agents.schemas import (
    AgentCreate,
    AgentOut,
    AgentUpdate,
    AgentWithLoad,
    LoginRequest,
    TokenOut,
)
from aftersales.kit.deps import Admin, CurrentAgent, DbSession, Now, PathId, Reader
from aftersales.kit.errors import Forbidden
from aftersales.tickets import repository as tickets_repo

router = APIRouter(tags=["auth & agents"])


@router.post("/auth/token", response_model=TokenOut, summary="Log in with e-mail and password; get an API token")
def login(body: LoginRequest, request: Request, db: DbSession, now: Now) -> TokenOut:
    agent = service.authenticate(db, body.email, body.password)
    token, row = service.issue_token(db, agent, now, request.app.state.settings.token_ttl_hours)
    db.commit()
    return TokenOut(token=token, expires_at=row.expires_at, agent=AgentOut.model_validate(agent))


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke the token used")
def logout(request: Request, actor: CurrentAgent, db: DbSession, now: Now) -> None:
    token = request.headers.get("authorization", "").split(" ", 1)[-1]
    service.revoke_token(db, token, now)
    db.commit()


@router.get("/me", response_model=AgentOut)
def me(actor: CurrentAgent, db: DbSession) -> Agent:
    return service.get_agent(db, actor.id or 0)


@router.get("/agents", response_model=list[AgentWithLoad])
def list_agents(actor: Reader, db: DbSession, department: str | None = None) -> list[AgentWithLoad]:
    stmt = select(Agent).order_by(Agent.id)
    if department:
        stmt = stmt.where(Agent.department == department)
    agents = list(db.scalars(stmt))
    loads = tickets_repo.open_load_by_agent(db, [a.id for a in agents])
    return [AgentWithLoad.model_validate(a).model_copy(update={"open_tickets": loads.get(a.id, 0)}) for a in agents]


@router.post("/agents", response_model=AgentOut, status_code=status.HTTP_201_CREATED)
def create_agent(body: AgentCreate, actor: Admin, db: DbSession, now: Now) -> Agent:
    agent = service.create_agent(db, body, now)
    db.commit()
    return agent


@router.patch(
    "/agents/{agent_id}",
    response_model=AgentOut,
    summary="Update an agent. Admins change anything; supervisors capacity and availability; "
    "agents only their own availability",
)
def update_agent(
    agent_id: PathId, body: AgentUpdate, request: Request, actor: CurrentAgent, db: DbSession, now: Now
) -> Agent:
    from aftersales.routing.service import drain_queue

    fields = set(body.model_dump(exclude_unset=True))
    if (
        actor.role == "admin"
        or (actor.role == "supervisor" and fields <= {"capacity", "available", "skills"})
        or (actor.role in ("agent", "supervisor") and agent_id == actor.id and fields <= {"available"})
    ):
        pass
    else:
        raise Forbidden("you may not change these fields of this agent", field=",".join(sorted(fields)) or None)
    agent = service.update_agent(db, service.get_agent(db, agent_id), body)
    db.flush()
    # More room (back on shift, higher capacity) lets the department's queue move.
    drain_queue(db, agent.department, now)
    db.commit()
    return agent
