"""Agent accounts and authentication."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aftersales.agents.models import ROLES, Agent, ApiToken
from aftersales.agents.schemas import AgentCreate, AgentUpdate
from aftersales.kit.actor import Actor
from aftersales.kit.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from aftersales.kit.security import hash_password, needs_rehash, new_api_token, token_digest, verify_password

# Verifying against a fixed hash keeps the time of a login for an unknown e-mail like that of a wrong password.
_DUMMY_HASH = hash_password("not-a-real-password-0")


def create_agent(db: Session, data: AgentCreate, now: datetime) -> Agent:
    email = data.email.lower()
    if db.scalars(select(Agent).where(Agent.email == email)).first():
        raise Conflict(f"an agent with e-mail {email} already exists", field="email")
    agent = Agent(
        email=email,
        name=data.name,
        password_hash=hash_password(data.password),
        role=data.role,
        department=data.department,
        skills=sorted(set(data.skills)),
        capacity=data.capacity,
        available=True,
        active=True,
        created_at=now,
    )
    db.add(agent)
    try:
        db.flush()
    except IntegrityError as exc:
        raise Conflict(f"an agent with e-mail {email} already exists", field="email") from exc
    return agent


def update_agent(db: Session, agent: Agent, data: AgentUpdate) -> Agent:
    changes = data.model_dump(exclude_unset=True)
    if "role" in changes and changes["role"] not in ROLES:
        raise ValidationFailed("unknown role", field="role")
    password = changes.pop("password", None)
    if password:
        agent.password_hash = hash_password(password)
    for field, value in changes.items():
        if value is None:
            raise ValidationFailed(f"{field} cannot be null", field=field)
        setattr(agent, field, sorted(set(value)) if field == "skills" else value)
    if changes.get("active") is False or password:
        revoke_all_tokens(db, agent.id, None)
    TOKEN_CACHE.clear()  # a role or name change shows on the next request of this process
    return agent


def get_agent(db: Session, agent_id: int) -> Agent:
    agent = db.get(Agent, agent_id)
    if agent is None:
        raise NotFound(f"agent {agent_id} does not exist", field="agent_id")
    return agent


def authenticate(db: Session, email: str, password: str) -> Agent:
    agent = db.scalars(select(Agent).where(Agent.email == email.lower())).first()
    if agent is None:
        verify_password(_DUMMY_HASH, password)
        raise Unauthorized("wrong e-mail or password", field="password")
    if not verify_password(agent.password_hash, password) or not agent.active:
        raise Unauthorized("wrong e-mail or password", field="password")
    if needs_rehash(agent.password_hash):
        agent.password_hash = hash_password(password)
    return agent


def issue_token(db: Session, agent: Agent, now: datetime, ttl_hours: int, name: str = "login") -> tuple[str, ApiToken]:
    token = new_api_token()
    row = ApiToken(
        agent_id=agent.id,
        token_hash=token_digest(token),
        name=name,
        created_at=now,
        expires_at=now + timedelta(hours=ttl_hours) if ttl_hours else None,
    )
    db.add(row)
    db.flush()
    return token, row


# Built once: every authenticated request runs one of them, and building a statement costs more than executing it.
def _by_valid_token(columns: Any) -> Any:
    """``columns`` of the active agent whose unrevoked, unexpired token hashes to :digest (as of :now)."""
    return (
        select(*columns)
        .join(ApiToken, ApiToken.agent_id == Agent.id)
        .where(
            ApiToken.token_hash == bindparam("digest"),
            ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > bindparam("now")),
            Agent.active.is_(True),
        )
    )


_AGENT_FOR_TOKEN = _by_valid_token([Agent])


def agent_for_token(db: Session, token: str, now: datetime) -> Agent | None:
    """The active agent an unrevoked, unexpired token belongs to, in one query."""
    return db.scalars(_AGENT_FOR_TOKEN, {"digest": token_digest(token), "now": now}).first()


_ACTOR_FOR_TOKEN = _by_valid_token([Agent.id, Agent.role, Agent.name, ApiToken.expires_at])


class TokenCache:
    """Recent token lookups of this process: at most ``max_entries`` tokens, each trusted for ``ttl_seconds``.

    The bound on staleness: a token revoked, or an agent deactivated or changed, through this process is
    forgotten at once (``clear``); through another process (another worker, the CLI) it is honoured within
    ``ttl_seconds``. A token's own expiry is checked on every request against the request's clock.
    Only tokens that were valid are kept: an unknown token costs a lookup every time.
    """

    def __init__(self, *, ttl_seconds: float = 5.0, max_entries: int = 1024) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[Actor, datetime | None, float]] = {}
        self._lock = threading.Lock()

    def get(self, token: str, now: datetime) -> Actor | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        actor, expires_at, fetched = entry
        if time.monotonic() - fetched > self.ttl_seconds or (expires_at is not None and expires_at <= now):
            with self._lock:
                self._entries.pop(token, None)
            return None
        return actor

    def put(self, token: str, actor: Actor, expires_at: datetime | None) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # rare (more live tokens than entries): start over rather than track age
            self._entries[token] = (actor, expires_at, time.monotonic())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


TOKEN_CACHE = TokenCache()


def actor_for_token(db: Session, token: str, now: datetime) -> Actor | None:
    """The acting agent of an unrevoked, unexpired token of an active agent, in one query; remembered in
    TOKEN_CACHE."""
    row = db.execute(_ACTOR_FOR_TOKEN, {"digest": token_digest(token), "now": now}).first()
    if row is None:
        return None
    actor = Actor(type="agent", id=row.id, role=row.role, name=row.name)
    TOKEN_CACHE.put(token, actor, row.expires_at)
    return actor


def revoke_token(db: Session, token: str, now: datetime) -> None:
    row = db.scalars(select(ApiToken).where(ApiToken.token_hash == token_digest(token))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
    TOKEN_CACHE.clear()


def revoke_all_tokens(db: Session, agent_id: int, now: datetime | None) -> None:
    from datetime import UTC

    when = now or datetime.now(UTC)
    for row in db.scalars(select(ApiToken).where(ApiToken.agent_id == agent_id, ApiToken.revoked_at.is_(None))):
        row.revoked_at = when
    TOKEN_CACHE.clear()
