"""Kill the service with SIGKILL while it creates tickets and actions under load; after a restart every request
that was answered 2xx is in the database with all its events, and every event reaches the test's webhook
receiver at least once. The figures are printed (run with -s to see them)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from aftersales.actions.models import ResolutionAction
from aftersales.agents.schemas import AgentCreate
from aftersales.agents.service import create_agent, issue_token
from aftersales.events.models import WebhookDelivery
from aftersales.events.webhooks import create_endpoint
from aftersales.kit.db import Database
from aftersales.kit.outbox import OutboxEvent
from aftersales.tickets.models import Ticket
from api._support import L1_SOUR

from ._servers import WebhookReceiver, free_port

pytestmark = pytest.mark.slow
CLIENTS = 6
ACKS_BEFORE_KILL = 40


def _start(db_url: str, port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "AFTERSALES_DATABASE_URL": db_url,
        "AFTERSALES_DATA_DIR": str(data_dir),
        "AFTERSALES_SECRET_KEY": "crash-test-secret-0123456789",
        "AFTERSALES_SLA_SWEEP_INTERVAL_SECONDS": "0",
        "AFTERSALES_DISPATCHER_IN_SERVER": "true",
        "AFTERSALES_DISPATCH_INTERVAL_SECONDS": "0.05",
        # Deliveries the killed server had claimed come back after this lease (default 60 s).
        "AFTERSALES_DISPATCH_LEASE_SECONDS": "3",
        "AFTERSALES_LOG_LEVEL": "WARNING",
    }
    cmd = [sys.executable, "-m", "uvicorn", "aftersales.asgi:app", "--host", "127.0.0.1", "--port", str(port)]
    log = (data_dir.parent / f"server-{port}.log").open("ab")
    # Logs go to a file: an unread pipe would fill up and stall the server.
    process = subprocess.Popen(cmd, env=env, stdout=log, stderr=log)
    # Start-up loads the jieba dictionaries; on two shared cores under load that takes a while.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
        if process.poll() is not None:
            raise AssertionError(f"server exited: {Path(log.name).read_text(errors='replace')[-3000:]}")
    process.kill()
    raise AssertionError("server did not start within 120 s")


def _wait_until_delivered(
    database: Database, receiver: WebhookReceiver, timeout: float = 40
) -> tuple[set[int], set[int]]:
    deadline = time.monotonic() + timeout
    while True:
        with database.transaction() as db:
            stored = set(db.scalars(select(OutboxEvent.id)))
            undelivered = db.scalar(select(WebhookDelivery.id).where(WebhookDelivery.status != "delivered").limit(1))
            undispatched = db.scalar(select(OutboxEvent.id).where(OutboxEvent.dispatched_at.is_(None)).limit(1))
        received = {e["id"] for e in receiver.events()}
        if (stored <= received and undelivered is None and undispatched is None) or time.monotonic() > deadline:
            return stored, received
        time.sleep(0.2)


def test_acknowledged_requests_and_their_events_survive_sigkill(db_url, tmp_path, receiver):
    database = Database(db_url, pool_size=2)
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    with database.transaction() as db:
        from aftersales.sla.service import ensure_defaults

        ensure_defaults(db, now)
        agent = create_agent(
            db,
            AgentCreate(
                email="crash@brand.example",
                name="crash",
                password="long enough password",
                role="supervisor",
                department="quality",
                skills=["quality"],
                capacity=500,
            ),
            now,
        )
        token, _ = issue_token(db, agent, now, ttl_hours=24)
        create_endpoint(db, name="receiver", url=receiver.url, topics=["*"], secret="crash-hook-secret-0123", now=now)
    headers = {"Authorization": f"Bearer {token}"}

    port = free_port()
    server = _start(db_url, port, tmp_path / "data")
    base = f"http://127.0.0.1:{port}/api/v1"
    sent = Counter[str]()
    acked_tickets: set[int] = set()
    acked_actions: dict[int, int] = {}  # action id -> ticket id
    lock = threading.Lock()
    stop = threading.Event()

    def load(n: int) -> None:
        with httpx.Client(timeout=10, headers=headers) as client:
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    with lock:
                        sent["tickets"] += 1
                    r = client.post(
                        f"{base}/tickets",
                        json={
                            "description": L1_SOUR,
                            "channel": "web",
                            "customer": {"phone": f"139{n:02d}{i:06d}"},
                        },
                    )
                    if r.status_code != 201:
                        continue
                    ticket_id = r.json()["id"]
                    with lock:
                        acked_tickets.add(ticket_id)
                        sent["actions"] += 1
                    r = client.post(
                        f"{base}/tickets/{ticket_id}/actions",
                        json={"kind": "reissue"},
                        headers={"Idempotency-Key": f"crash-{n}-{i}"},
                    )
                    if r.status_code == 201:
                        with lock:
                            acked_actions[r.json()["id"]] = ticket_id
                except httpx.HTTPError:
                    if stop.is_set() or server.poll() is not None:
                        return

    threads = [threading.Thread(target=load, args=(n,)) for n in range(CLIENTS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    while len(acked_tickets) < ACKS_BEFORE_KILL and time.monotonic() - started < 30:
        time.sleep(0.02)
    server.send_signal(signal.SIGKILL)  # mid-load: requests are in flight right now
    server.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=15)

    restarted = _start(db_url, port, tmp_path / "data")
    try:
        stored, received = _wait_until_delivered(database, receiver)
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=15)

    with database.transaction() as db:
        tickets = set(db.scalars(select(Ticket.id)))
        actions = {a.id: a for a in db.scalars(select(ResolutionAction))}
        topics: dict[tuple[str, int], set[str]] = {}
        for event in db.scalars(select(OutboxEvent)):
            topics.setdefault((event.aggregate_type, event.aggregate_id), set()).add(event.topic)
    found_tickets = acked_tickets & tickets
    found_actions = set(acked_actions) & set(actions)
    duplicates = sum(n - 1 for n in Counter(e["id"] for e in receiver.events()).values() if n > 1)
    print(
        f"\ncrash test ({db_url.split(':')[0]}): sent {sent['tickets']} ticket + {sent['actions']} action requests; "
        f"acknowledged {len(acked_tickets)} tickets + {len(acked_actions)} actions; found {len(found_tickets)} + "
        f"{len(found_actions)}; events stored {len(stored)}, delivered {len(stored & received)} "
        f"({duplicates} duplicate deliveries)"
    )
    assert len(acked_tickets) >= ACKS_BEFORE_KILL
    assert found_tickets == acked_tickets
    assert found_actions == set(acked_actions)
    for ticket_id in acked_tickets:
        assert {"ticket.created", "ticket.status_changed"} <= topics[("ticket", ticket_id)], ticket_id
    for action_id, ticket_id in acked_actions.items():
        assert actions[action_id].ticket_id == ticket_id and actions[action_id].status == "approved"
        assert {"action.requested", "action.approved"} <= topics[("action", action_id)], action_id
        assert "ticket.progress" in topics[("ticket", ticket_id)]
    assert stored <= received, f"{len(stored - received)} events never reached the receiver"
    assert receiver.all_signed("crash-hook-secret-0123")
    database.dispose()
