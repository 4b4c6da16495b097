"""Who is looking at a page: the agent behind the session's API token, checked with the API's roles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from aftersales.agents.service import agent_for_token
from aftersales.kit.actor import Actor
from aftersales.kit.deps import DbSession, Now
from aftersales.kit.errors import Forbidden
from aftersales.web.nav import ADMINS, ALL_ROLES, DASHBOARD_ROLES, SUPERVISORS, WRITERS
from aftersales.web.render import LoginRequired
from aftersales.web.session import session_of


def optional_actor(request: Request, db: DbSession, now: Now) -> Actor | None:
    session = session_of(request)
    if not session.token:
        return None
    agent = agent_for_token(db, session.token, now)
    if agent is None:
        # Revoked, expired or the agent deactivated: forget the token so the next page asks for a login.
        session.log_out()
        return None
    actor = Actor(type="agent", id=agent.id, role=agent.role, name=agent.name)
    request.state.web_actor = actor
    return actor


def page_for(roles: frozenset[str]) -> Callable[..., Actor]:
    def check(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
        if actor is None:
            raise LoginRequired()
        if actor.role not in roles:
            raise Forbidden(
                f"this page needs one of the roles: {', '.join(sorted(roles))}; you are {actor.role}",
                page_roles=sorted(roles),
                role=actor.role,
            )
        return actor

    check.roles = roles  # type: ignore[attr-defined]  # read by the authorization test
    return check


ReaderPage = Annotated[Actor, Depends(page_for(ALL_ROLES))]
WriterPage = Annotated[Actor, Depends(page_for(WRITERS))]
SupervisorPage = Annotated[Actor, Depends(page_for(SUPERVISORS))]
DashboardPage = Annotated[Actor, Depends(page_for(DASHBOARD_ROLES))]
AdminPage = Annotated[Actor, Depends(page_for(ADMINS))]
OptionalActor = Annotated[Actor | None, Depends(optional_actor)]
