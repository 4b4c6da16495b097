"""Group commit of intake (tickets/intake.py): a batch shares one transaction, but never one fate."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from aftersales.agents.service import TokenCache
from aftersales.catalog.models import Customer
from aftersales.kit.actor import Actor
from aftersales.kit.errors import NotFound
from aftersales.kit.outbox import OutboxEvent
from aftersales.tickets import service
from aftersales.tickets.intake import IntakeWriter
from aftersales.tickets.models import Ticket
from aftersales.tickets.schemas import TicketCreate
from api._support import API, L1_LATE, counted

Work = Callable[[Session], Any]


@pytest.fixture
def writer(database: Any) -> Any:
    w = IntakeWriter(database, writers=1)
    yield w
    w.stop()


@pytest.fixture
def create(app: Any, clock: Any, admin: tuple[int, dict[str, str]]) -> Callable[..., Work]:
    actor = Actor(type="agent", id=admin[0], role="admin", name="admin")

    def make(n: int, **fields: Any) -> Work:
        def work(db: Session) -> int:
            data = TicketCreate(
                description=f"{L1_LATE}（批量{n}）",
                channel="app",
                customer={"phone": f"1370000{n:04d}"},
                **fields,
            )
            return service.create_ticket(db, data, actor, clock.now(), app.state.pack).id

        return work

    return make


def run_in_one_batch(
    writer: IntakeWriter, works: list[Work], *, batches: int | None = 2, hints: list[Any] | None = None
) -> list[Any]:
    """Submit ``works`` (with their prefetch ``hints``, if given) while the writer is busy with a first job, so
    that they are written as one batch."""
    started, release = threading.Event(), threading.Event()

    def gate(db: Session) -> None:
        started.set()
        release.wait(10)

    async def main() -> list[Any]:
        first = asyncio.ensure_future(writer.submit(gate))
        while not started.is_set():
            await asyncio.sleep(0.005)
        rest = [
            asyncio.ensure_future(writer.submit(w, hint=h))
            for w, h in zip(works, hints or [None] * len(works), strict=True)
        ]
        await asyncio.sleep(0.05)  # every submit has queued its job
        release.set()
        await first
        return list(await asyncio.gather(*rest, return_exceptions=True))

    before = writer.batches
    results = asyncio.run(main())
    if batches is not None:  # the gate's batch and the works' (more if the works' batch was split)
        assert writer.batches - before == batches, "the works were not written as one batch"
    return results


def count(database: Any, model: Any) -> int:
    with database.session() as db:
        return int(db.scalar(select(func.count()).select_from(model)))


def test_one_bad_ticket_in_a_batch_fails_alone_and_leaves_nothing_behind(database, writer, create):
    results = run_in_one_batch(writer, [create(1), create(2, order_number="NO-SUCH-ORDER"), create(3)])
    assert isinstance(results[1], NotFound) and results[1].field == "order_number"
    good = [results[0], results[2]]
    assert all(isinstance(r, int) for r in good)
    with database.session() as db:
        assert sorted(db.scalars(select(Ticket.id))) == sorted(good)
        # The bad ticket's new customer (added before its order was looked up) was rolled back with it.
        assert sorted(db.scalars(select(Customer.phone))) == ["13700000001", "13700000003"]
        topics = list(db.scalars(select(OutboxEvent.aggregate_id).where(OutboxEvent.topic == "ticket.created")))
        assert sorted(topics) == sorted(good)


def test_a_batch_whose_commit_fails_is_written_again_ticket_by_ticket(database, writer, create, caplog):
    def boom(session: Session) -> None:
        raise RuntimeError("commit refused")

    def poisoned(db: Session) -> int:
        ticket_id = create(2)(db)
        event.listen(db, "before_commit", boom)  # this ticket's transaction can never commit
        return ticket_id

    results = run_in_one_batch(writer, [create(1), poisoned, create(3)], batches=None)  # a failed commit is not counted
    assert "intake batch of 3 failed at commit" in caplog.text
    assert isinstance(results[1], RuntimeError)
    assert isinstance(results[0], int) and isinstance(results[2], int)
    assert count(database, Ticket) == 2
    assert count(database, Customer) == 2
    with database.session() as db:
        assert sorted(db.scalars(select(Ticket.id))) == sorted([results[0], results[2]])


def test_a_ticket_refused_a_lock_inside_a_batch_is_written_in_the_next_batch(database, writer, create):
    class LockNotAvailable(Exception):
        sqlstate = "55P03"

    calls = []
    real = create(2)

    def refused_twice(db: Session) -> int:
        calls.append(1)
        if len(calls) <= 2:
            raise OperationalError("SELECT ... FOR UPDATE NOWAIT", {}, LockNotAvailable())
        return real(db)

    # Refused in the attempt without savepoints (rolled back whole) and again with savepoints, where the batch
    # commits ticket 1 and puts the rest back: the gate's batch, that one, and the next one with the rest.
    results = run_in_one_batch(writer, [create(1), refused_twice, create(3)], batches=3)
    assert all(isinstance(r, int) for r in results), results
    assert len(calls) == 3
    assert count(database, Ticket) == 3
    assert writer.optimistic_failures == 1


def test_a_batch_without_failures_uses_no_savepoints_and_one_with_a_failure_does(database, writer, create):
    """The first attempt of a batch has no per-ticket savepoints; a failing ticket makes the batch run again
    with them, and the next batches keep them for a while, so bad requests do not make every batch run twice."""

    def savepoints(statements: list[str]) -> list[str]:
        return [s for s in statements if s.lstrip().upper().startswith("SAVEPOINT")]

    with counted(database) as executed:
        results = run_in_one_batch(writer, [create(n) for n in range(1, 5)])
    assert all(isinstance(r, int) for r in results), results
    assert savepoints(executed) == [], savepoints(executed)
    assert writer.optimistic_failures == 0

    with counted(database) as executed:
        results = run_in_one_batch(writer, [create(5), create(6, order_number="NO-SUCH-ORDER"), create(7)])
    assert isinstance(results[1], NotFound) and isinstance(results[0], int) and isinstance(results[2], int)
    assert writer.optimistic_failures == 1
    assert len(savepoints(executed)) >= 3  # the second attempt: one per ticket
    assert count(database, Ticket) == 6

    with counted(database) as executed:  # the gate's batch and this one are written with savepoints at once
        results = run_in_one_batch(writer, [create(8), create(9)])
    assert all(isinstance(r, int) for r in results), results
    assert writer.optimistic_failures == 1 and len(savepoints(executed)) >= 2
    with database.session() as db:
        phones = sorted(db.scalars(select(Customer.phone)))
    assert phones == [f"1370000{n:04d}" for n in (1, 2, 3, 4, 5, 7, 8, 9)]


def test_a_ticket_alone_in_its_batch_fails_alone(database, writer, create):
    async def one() -> Any:
        return await writer.submit(create(1, order_number="NO-SUCH-ORDER"))

    with pytest.raises(NotFound):
        asyncio.run(one())
    assert count(database, Ticket) == 0 and count(database, Customer) == 0
    assert asyncio.run(writer.submit(create(2))) >= 1
    assert count(database, Ticket) == 1


def test_concurrent_posts_with_one_bad_request_answer_each_on_its_own(client, make_agent, admin):
    make_agent("agent", "logistics", capacity=2)
    barrier = threading.Barrier(6)
    answers: dict[int, Any] = {}

    def post(n: int) -> None:
        body: dict[str, Any] = {"description": f"{L1_LATE}（并发批{n}）", "channel": "app"}
        body["customer"] = {"phone": f"1371000{n:04d}"}
        if n == 3:
            body["order_number"] = "NO-SUCH-ORDER"
        barrier.wait()
        answers[n] = client.post(f"{API}/tickets", headers=admin[1], json=body)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert answers[3].status_code == 404 and answers[3].json()["error"]["field"] == "order_number"
    created = [answers[n].json() for n in range(6) if n != 3]
    assert all(answers[n].status_code == 201 for n in range(6) if n != 3)
    assert all(answers[n].headers["Location"] == f"/api/v1/tickets/{answers[n].json()['id']}" for n in (0, 5))
    assert sorted(t["assignee_id"] is not None for t in created) == [False] * 3 + [True] * 2
    listed = client.get(f"{API}/tickets", headers=admin[1], params={"limit": 50}).json()["items"]
    assert sorted(t["id"] for t in listed) == sorted(t["id"] for t in created)
    # The answer is the same document a read gives, timeline and SLA included.
    again = client.get(f"{API}/tickets/{created[0]['id']}", headers=admin[1]).json()
    assert again["timeline"] == created[0]["timeline"] and again["sla"] == created[0]["sla"]


def test_token_cache_is_bounded_and_forgets_after_its_ttl():
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 11, 23, tzinfo=UTC)
    cache = TokenCache(ttl_seconds=60, max_entries=3)
    actor = Actor(type="agent", id=1, role="agent")
    for n in range(3):
        cache.put(f"t{n}", actor, None)
    assert cache.get("t0", now) == actor
    cache.put("t3", actor, None)  # over the bound: starts over
    assert cache.get("t0", now) is None and cache.get("t3", now) == actor
    cache.put("expiring", actor, now + timedelta(minutes=1))
    assert cache.get("expiring", now) == actor
    assert cache.get("expiring", now + timedelta(minutes=1)) is None
    stale = TokenCache(ttl_seconds=0)
    stale.put("t", actor, None)
    assert stale.get("t", now) is None


def test_revoking_a_token_refuses_it_on_the_next_request(client, admin):
    headers = admin[1]
    assert client.get(f"{API}/tickets", headers=headers).status_code == 200  # now cached
    assert client.post(f"{API}/auth/logout", headers=headers).status_code in (200, 204)
    assert client.get(f"{API}/tickets", headers=headers).status_code == 401


def _owners(database: Any, ids: list[int]) -> list[int | None]:
    with database.session() as db:
        owner = dict(db.execute(select(Ticket.id, Ticket.assignee_id).where(Ticket.id.in_(ids))).all())
    return [owner[i] for i in ids]


def test_a_batch_reads_the_candidates_once_and_counts_its_own_assignments(database, writer, create, make_agent):
    """Routing's candidates and loads are read once per batch and kept up to date in memory: two agents of
    capacity 2 take exactly four of six tickets, lightest load first, and the other two wait in the queue."""
    first, _ = make_agent(department="logistics", capacity=2)
    second, _ = make_agent(department="logistics", capacity=2)

    def agent_read(statement: str) -> bool:
        return "FROM agents" in statement and "FOR UPDATE" not in statement and "api_tokens" not in statement

    with counted(database) as executed:
        results = run_in_one_batch(writer, [create(n) for n in range(1, 7)])
    agent_reads = [s for s in executed if agent_read(s)]
    assert all(isinstance(r, int) for r in results), results
    assert len(agent_reads) == 1, agent_reads
    assert _owners(database, results) == [first, second, first, second, None, None]


def test_a_failed_ticket_gives_its_agent_back_to_the_rest_of_the_batch(database, writer, create, make_agent):
    """A ticket assigned and then rolled back must not count against its agent for the tickets after it."""
    agent, _ = make_agent(department="logistics", capacity=1)

    def assigned_then_failed(db: Session) -> int:
        ticket_id = create(1)(db)
        assert db.get(Ticket, ticket_id).assignee_id == agent  # it took the agent's only place ...
        raise NotFound("the caller changed its mind", field="order_number")  # ... and is rolled back

    results = run_in_one_batch(writer, [assigned_then_failed, create(2), create(3)])
    assert isinstance(results[0], NotFound)
    assert _owners(database, results[1:]) == [agent, None]


def test_a_batch_asks_the_sequences_for_ids_about_once(database, writer, create):
    """PostgreSQL: the batch's ids are fetched ahead (kit/db.reserve_many), not once per ticket per table."""
    if database.is_sqlite:
        pytest.skip("SQLite takes ids from max(id) under its write lock, without a round trip to a server")
    with counted(database) as executed:
        results = run_in_one_batch(writer, [create(n) for n in range(1, 9)])
    fetches = [s for s in executed if "nextval(" in s]
    assert all(isinstance(r, int) for r in results), results
    assert results == sorted(results) and len(set(results)) == 8
    assert len(fetches) <= 3, fetches  # tickets and customers, then timeline entries and events


@pytest.fixture
def prefetching_writer(database: Any) -> Any:
    w = IntakeWriter(database, writers=1, prefetch=service.prefetch_customers)
    yield w
    w.stop()


def test_a_batch_looks_up_its_customers_in_one_statement(database, prefetching_writer, create, app, clock, admin):
    """The batch reads every ticket's customer by phone at once: a known phone gets its customer, a new phone
    a new customer, and two tickets of the batch from the same new phone get the same one."""
    actor = Actor(type="agent", id=admin[0], role="admin", name="admin")
    with database.transaction() as db:
        db.add(Customer(name="老客户", phone="13900000001", tier="gold", tags=[], created_at=clock.now()))

    def from_phone(phone: str) -> Any:
        data = TicketCreate(description=L1_LATE, channel="app", customer={"phone": phone})

        def work(db: Session) -> int:
            return service.create_ticket(db, data, actor, clock.now(), app.state.pack).customer_id

        return work, service.intake_hint(data)

    jobs = [from_phone(p) for p in ("13900000001", "13900000002", "13900000002", "13900000003")]

    def customer_read(statement: str) -> bool:
        return statement.lstrip().startswith("SELECT") and "FROM customers" in statement

    with counted(database) as executed:
        owners = run_in_one_batch(prefetching_writer, [w for w, _ in jobs], hints=[h for _, h in jobs])
    seen = [s for s in executed if customer_read(s)]
    assert all(isinstance(o, int) for o in owners), owners
    assert len(seen) == 1 and " IN " in seen[0], seen
    with database.session() as db:
        by_phone = dict(db.execute(select(Customer.phone, Customer.id)).all())
    assert owners == [
        by_phone["13900000001"],
        by_phone["13900000002"],
        by_phone["13900000002"],
        by_phone["13900000003"],
    ]
    assert count(database, Customer) == 3


def test_a_failed_ticket_does_not_leave_its_new_customer_to_the_next(database, prefetching_writer, app, clock, admin):
    """A ticket that created a customer and then failed is rolled back with that customer; the next ticket of
    the batch from the same phone creates the customer again instead of pointing at a row that is gone."""
    actor = Actor(type="agent", id=admin[0], role="admin", name="admin")
    data = TicketCreate(description=L1_LATE, channel="app", customer={"phone": "13900000009"})

    def written_then_failed(db: Session) -> int:
        service.create_ticket(db, data, actor, clock.now(), app.state.pack)
        raise NotFound("the caller changed its mind", field="order_number")

    def fine(db: Session) -> int:
        return service.create_ticket(db, data, actor, clock.now(), app.state.pack).customer_id

    hint = service.intake_hint(data)
    failed, customer_id = run_in_one_batch(prefetching_writer, [written_then_failed, fine], hints=[hint, hint])
    assert isinstance(failed, NotFound)
    with database.session() as db:
        assert db.scalars(select(Customer.id).where(Customer.phone == "13900000009")).all() == [customer_id]
