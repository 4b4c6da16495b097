"""Assignment with capacity limits, safe when several workers assign at once.

On PostgreSQL the department's agent rows are locked (FOR UPDATE, in id order, so two workers never deadlock)
before loads are counted; on SQLite every write transaction holds the database's single write lock
(BEGIN IMMEDIATE), which serialises assignment just the same.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from aftersales.agents.models import Agent
from aftersales.kit.actor import Actor
from aftersales.routing.rules import Candidate, choose
from aftersales.tickets import repository as tickets_repo
from aftersales.tickets.models import Ticket


def _is_pg(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def candidates(db: Session, department: str) -> list[Candidate]:
    stmt = (
        select(Agent)
        .where(Agent.department == department, Agent.active.is_(True), Agent.role.in_(("agent", "supervisor")))
        .order_by(Agent.id)
    )
    if _is_pg(db):
        stmt = stmt.with_for_update()
    agents = list(db.scalars(stmt))
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


def pick_agent(db: Session, ticket: Ticket) -> int | None:
    chosen = choose(
        candidates(db, ticket.department),
        department=ticket.department,
        category=ticket.category,
        customer_tier=ticket.customer_tier,
    )
    return chosen.agent_id if chosen else None


def drain_queue(db: Session, department: str, now: datetime, *, limit: int = 50) -> list[int]:
    """Assign waiting tickets of a department while agents have capacity; returns the ticket ids assigned."""
    from aftersales.tickets import service as ticket_service

    pool = candidates(db, department)
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
