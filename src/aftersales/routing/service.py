"""Assignment with capacity limits, safe when several workers assign at once.

Intake chooses an agent from unlocked loads, then locks only the chosen agent's row and counts its load again
under the lock (PostgreSQL, READ COMMITTED: the recount sees every assignment committed meanwhile); if the
agent filled up, the next best is tried. So concurrent intakes contend only when they pick the same agent, and
not at all while everyone is full. Draining a queue locks the department's agent rows (in id order, so two
workers never deadlock) because it hands out many tickets at once. A batch of intakes written in one
transaction (tickets/intake.py) may hold several agent locks, so once it holds one it asks for the next with
NOWAIT and, if refused, runs that ticket again in the next batch, holding nothing. On SQLite every write
transaction holds the database's single write lock (BEGIN IMMEDIATE), which serialises assignment just the same.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import bindparam, case, select, text
from sqlalchemy.orm import Session

from aftersales.agents.models import Agent
from aftersales.kit.actor import Actor
from aftersales.routing.rules import Candidate, choose
from aftersales.tickets import repository as tickets_repo
from aftersales.tickets.intake import batch_cache, must_not_wait, note_locks_held
from aftersales.tickets.models import Ticket


def _is_pg(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


_CANDIDATES = (
    select(Agent)
    .where(
        Agent.department == bindparam("department"),
        Agent.active.is_(True),
        Agent.role.in_(("agent", "supervisor")),
    )
    .order_by(Agent.id)
)
_CANDIDATES_LOCKED = _CANDIDATES.with_for_update()
_SAVEPOINT = text("SAVEPOINT routing_pick")
_ROLLBACK_TO_SAVEPOINT = text("ROLLBACK TO SAVEPOINT routing_pick")
_AGENT_ROW = select(Agent.capacity, Agent.available, Agent.active).where(Agent.id == bindparam("agent_id"))
_AGENT_LOCKED = _AGENT_ROW.with_for_update()
# A batch of intakes that already holds agent locks must not wait for another (see tickets/intake.py).
_AGENT_LOCKED_NOWAIT = _AGENT_ROW.with_for_update(nowait=True)


_ALL_CANDIDATES = (
    select(Agent).where(Agent.active.is_(True), Agent.role.in_(("agent", "supervisor"))).order_by(Agent.id)
)


def _as_candidates(db: Session, agents: list[Agent]) -> list[Candidate]:
    loads = tickets_repo.open_load_by_agent(db, [a.id for a in agents])
    return [
        Candidate(
            agent_id=a.id,
            department=a.department,
            skills=tuple(a.skills or ()),
            capacity=a.capacity,
            open_load=loads.get(a.id, 0),
            available=a.available,
            active=a.active,
        )
        for a in agents
    ]


def candidates(db: Session, department: str, *, lock: bool = False) -> list[Candidate]:
    """The department's agents who may own tickets, with their open loads."""
    stmt = _CANDIDATES_LOCKED if lock and _is_pg(db) else _CANDIDATES
    return _as_candidates(db, list(db.scalars(stmt, {"department": department})))


def _candidates_by_department(db: Session, keep: list[Agent]) -> dict[str, list[Candidate]]:
    """Every department's candidates in two statements, for a batch that routes tickets of many departments.
    ``keep`` holds the Agent rows (the session refers to them only weakly, and assigning looks them up again)."""
    agents = list(db.scalars(_ALL_CANDIDATES))
    keep.extend(agents)
    pools: dict[str, list[Candidate]] = {}
    for candidate in _as_candidates(db, agents):
        pools.setdefault(candidate.department, []).append(candidate)
    return pools


def _still_has_room(db: Session, agent_id: int) -> int | None:
    """Lock the agent's row until commit and count its open tickets again, now that nobody else can assign:
    the agent's open load if there is still room (the lock is then held until commit), else None.

    A full agent's lock is given back at once (rolling back to the savepoint releases it), so an intake holds
    at most one agent lock while it waits for another, and two intakes cannot deadlock. The savepoint is plain
    SQL: the ORM's begin_nested() would flush the ticket this intake is still building.
    """
    db.execute(_SAVEPOINT)
    row = db.execute(_AGENT_LOCKED_NOWAIT if must_not_wait(db) else _AGENT_LOCKED, {"agent_id": agent_id}).one_or_none()
    if row is not None and row.active and row.available:
        load = tickets_repo.open_load_by_agent(db, [agent_id]).get(agent_id, 0)
        if load < row.capacity:
            note_locks_held(db)
            return load
    db.execute(_ROLLBACK_TO_SAVEPOINT)
    return None


def pick_agent(db: Session, ticket: Ticket) -> int | None:
    """The agent a new ticket goes to (the caller assigns it at once), or None: it waits in the queue.

    In an intake batch (tickets/intake.py) every department's candidates and their loads are read once per
    batch and kept up to date in memory as the batch assigns; the batch discards them when one of its tickets
    fails, since that ticket's assignment was rolled back. On SQLite the batch is the only writer, so the
    counts stay exact; on PostgreSQL the chosen agent's load is counted again under its row lock as before."""
    cache = batch_cache(db)
    pools: dict[str, list[Candidate]] | None = None
    if cache is not None:
        if "routing" not in cache:
            cache["routing"] = _candidates_by_department(db, cache.setdefault("agents", []))
        pools = cache["routing"]
        pool = pools.get(ticket.department, [])
    else:
        pool = candidates(db, ticket.department)
    while True:
        chosen = choose(
            pool,
            department=ticket.department,
            category=ticket.category,
            customer_tier=ticket.customer_tier,
        )
        if chosen is None:
            if pools is not None:
                pools[ticket.department] = pool
            return None
        load: int | None = chosen.open_load
        if _is_pg(db):
            load = _still_has_room(db, chosen.agent_id)
            if load is None:
                # Full, away or gone after all: not a candidate again in this pick or this batch.
                pool = [replace(c, open_load=c.capacity) if c.agent_id == chosen.agent_id else c for c in pool]
                continue
        if pools is not None and load is not None:
            pools[ticket.department] = [
                replace(c, open_load=load + 1) if c.agent_id == chosen.agent_id else c for c in pool
            ]
        return chosen.agent_id


def drain_queue(db: Session, department: str, now: datetime, *, limit: int = 50) -> list[int]:
    """Assign waiting tickets of a department while agents have capacity; returns the ticket ids assigned."""
    from aftersales.tickets import service as ticket_service

    pool = candidates(db, department, lock=True)
    if not any(c.available and c.open_load < c.capacity for c in pool):
        return []
    tier_rank = case({"vip": 0, "gold": 1, "silver": 2}, value=Ticket.customer_tier, else_=3)
    severity_rank = case({"L3": 0, "L2": 1}, value=Ticket.severity, else_=2)
    stmt = (
        select(Ticket)
        .where(Ticket.department == department, Ticket.status == "triaged", Ticket.assignee_id.is_(None))
        .order_by(tier_rank, severity_rank, Ticket.created_at, Ticket.id)
        .limit(limit)
    )
    if _is_pg(db):
        stmt = stmt.with_for_update(skip_locked=True)
    assigned: list[int] = []
    loads = {c.agent_id: c for c in pool}
    for ticket in db.scalars(stmt):
        chosen = choose(
            loads.values(),
            department=department,
            category=ticket.category,
            customer_tier=ticket.customer_tier,
        )
        if chosen is None:
            continue
        ticket_service.assign_to(db, ticket, chosen.agent_id, Actor(type="system", name="routing"), now, reason="queue")
        loads[chosen.agent_id] = Candidate(**{**chosen.__dict__, "open_load": chosen.open_load + 1})
        assigned.append(ticket.id)
        if not any(c.available and c.open_load < c.capacity for c in loads.values()):
            break
    return assigned
