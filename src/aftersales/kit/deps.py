"""FastAPI dependencies shared by every domain's routes: session, clock, current actor, role checks."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from aftersales.kit.actor import Actor
from aftersales.kit.db import MAX_ID
from aftersales.kit.errors import Forbidden, Unauthorized, ValidationFailed

_bearer = HTTPBearer(auto_error=False, description="API token from POST /api/v1/auth/token")


def get_db(request: Request) -> Iterator[Session]:
    """A session whose transaction the route commits; rolled back if the route raised or forgot."""
    write = request.method not in ("GET", "HEAD", "OPTIONS")
    session = request.app.state.db.session(write=write)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


# Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in the threadpool, a thread
# hop (and a fight for the GIL) per dependency per request.
async def get_now(request: Request) -> datetime:
    return request.app.state.clock.now()


PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
DbSession = Annotated[Session, Depends(get_db)]
Now = Annotated[datetime, Depends(get_now)]


async def current_agent(
    request: Request,
    now: Now,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """The agent of the bearer token; looked up in the database, or in the bounded per-process cache of
    lookups made in the last few seconds (agents/service.py: TOKEN_CACHE), without a thread hop."""
    from aftersales.agents.service import TOKEN_CACHE, actor_for_token

    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("this endpoint needs an API token: Authorization: Bearer <token>")
    token = credentials.credentials
    actor = TOKEN_CACHE.get(token, now)
    if actor is None:
        database = request.app.state.db

        def lookup() -> Actor | None:
            with database.session() as session:
                return actor_for_token(session, token, now)

        actor = await run_in_threadpool(lookup)
    if actor is None:
        raise Unauthorized("the API token is unknown, expired or revoked")
    return actor


CurrentAgent = Annotated[Actor, Depends(current_agent)]

WRITERS = ("agent", "supervisor", "admin")
SUPERVISORS = ("supervisor", "admin")
ADMINS = ("admin",)


def require(*roles: str) -> Callable[[Actor], Awaitable[Actor]]:
    async def check(actor: CurrentAgent) -> Actor:
        if actor.role not in roles:
            raise Forbidden(f"this needs one of the roles: {', '.join(roles)}; you are {actor.role}")
        return actor

    return check


Writer = Annotated[Actor, Depends(require(*WRITERS))]
Supervisor = Annotated[Actor, Depends(require(*SUPERVISORS))]
Admin = Annotated[Actor, Depends(require(*ADMINS))]
Reader = CurrentAgent


_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


async def idempotency_key(key: Annotated[str | None, Header(alias="Idempotency-Key")] = None) -> str | None:
    """The Idempotency-Key header of a create request, if sent: 1-255 visible ASCII characters."""
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        raise ValidationFailed("Idempotency-Key must be 1-255 visible ASCII characters", field="Idempotency-Key")
    return key


IdempotencyKeyHeader = Annotated[str | None, Depends(idempotency_key)]
