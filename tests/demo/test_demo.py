"""The demo brand builds through the real services, on SQLite and PostgreSQL, and only once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from aftersales.catalog.models import Customer, Order, Product
from aftersales.demo import texts
from aftersales.demo.generator import ADMIN_EMAIL, DEMO_PASSWORD, build_demo
from aftersales.kit.db import Database
from aftersales.tickets.models import STATUSES, Ticket, TicketEntry
from aftersales.triage.engine import load_pack

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # as in tests/conftest.py
# "new" only exists inside create_ticket (it triages straight away), so the demo cannot leave a ticket there.
REACHABLE = [s for s in STATUSES if s != "new"]


def test_demo_has_every_state_and_is_built_once(database: Database) -> None:
    summary = build_demo(database, "dairy", START, seed=7)

    assert not summary.already_present
    for status in REACHABLE:
        assert summary.tickets_by_status[status] > 0, (status, summary.tickets_by_status)
    assert summary.tickets == 80
    assert summary.customers >= 100 and summary.orders >= 180 and summary.agents >= 10
    assert summary.sla_breached > 0 and summary.sla_warned > 0 and summary.sla_paused > 0
    with database.transaction() as session:
        breached = session.scalar(
            select(func.count())
            .select_from(TicketEntry)
            .where(TicketEntry.kind == "sla_event", TicketEntry.body.like("% breached"))
        )
        paused = session.scalars(
            select(Ticket).where(Ticket.status == "waiting_on_customer", Ticket.sla_state == "paused")
        ).all()
        timeline_kinds = set(session.scalars(select(TicketEntry.kind).distinct()))
        overridden = session.scalar(select(func.count()).select_from(Ticket).where(Ticket.triage_overridden))
        cold = session.scalars(select(Product).where(Product.cold_chain)).all()
        linked = session.scalar(select(func.count()).select_from(Ticket).where(Ticket.order_id.is_not(None)))
        # every ticket's history is in the past, in order
        last_entry = session.scalar(select(func.max(TicketEntry.created_at)))
    assert breached and paused
    assert {
        "message",
        "note",
        "progress",
        "status_change",
        "assignment",
        "sla_event",
        "escalation",
        "triage_override",
    } <= timeline_kinds
    assert overridden >= 1
    assert cold, "the dairy pack has cold-chain products"
    assert linked >= 20
    assert last_entry is not None and last_entry <= START

    text = summary.describe("127.0.0.1", 8000)
    assert "http://127.0.0.1:8000/docs" in text
    assert f"{ADMIN_EMAIL} / {DEMO_PASSWORD}" in text
    assert "curl" in text and "/api/v1/auth/token" in text

    again = build_demo(database, "dairy", START, seed=7)
    assert again.already_present
    assert again.tickets_by_status == summary.tickets_by_status
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == summary.customers
        assert session.scalar(select(func.count()).select_from(Order)) == summary.orders
    assert "already there" in again.describe("localhost", 9000)


@pytest.mark.parametrize("pack", ["dairy", "tonic", "calcium", "cashmere"])
def test_every_pack_has_demo_texts_and_products(pack: str) -> None:
    lines = texts.CUSTOMER_TEXTS[pack]
    assert len(lines) >= 15
    assert {need for _, need in lines} == {"delivered", "transit", "none"}
    assert load_pack(pack).product_attributes
    assert pack in texts.SKU_PREFIX and pack in texts.EXTRA_PRODUCTS


def test_demo_tickets_have_actions_callbacks_and_surveys(database: Database) -> None:
    from aftersales.actions.models import ResolutionAction
    from aftersales.surveys.models import CallbackTask, Survey

    build_demo(database, "dairy", START, seed=7)
    with database.transaction() as session:
        actions = list(session.scalars(select(ResolutionAction)))
        tasks = list(session.scalars(select(CallbackTask)))
        surveys = list(session.scalars(select(Survey)))
    kinds = {a.kind for a in actions}
    assert {"reissue", "compensation"} <= kinds and len(kinds) >= 3, kinds
    # Every state the approvals page and the ticket's actions card show, not only carried-out actions.
    states = {a.status for a in actions}
    assert {"requested", "approved", "executed", "rejected"} <= states, states
    assert any(a.needs_approval and a.decided_by is not None and a.decided_by != a.requested_by for a in actions)
    assert any(a.status == "rejected" and a.reason for a in actions)
    assert any((a.params or {}).get("customer_response", {}).get("accepted") is False for a in actions)
    statuses = {t.status for t in tasks}
    assert {"open", "done"} <= statuses, statuses
    assert any(t.status == "open" and t.due_at < START for t in tasks), "some callbacks are overdue"
    assert any(t.status == "open" and t.due_at >= START for t in tasks), "some callbacks are due, not overdue"
    answered = [s for s in surveys if s.answered_at is not None]
    assert len(answered) >= 10 and any(s.comment for s in answered)
    assert sum(s.csat_overall or 0 for s in answered) / len(answered) >= 4
    assert any(s.low_score for s in answered) and len({s.nps for s in answered}) >= 3
    # Answered over recent weeks (so the dashboard's trends have a shape), never in the future.
    days = {s.answered_at.date() for s in answered}
    assert len(days) >= 7 and all(s.answered_at <= START for s in answered)
    assert len({d for d in days if (START.date() - d).days <= 14}) >= 4
