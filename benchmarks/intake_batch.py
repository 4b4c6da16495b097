"""The intake writer's own cost per ticket, in-process (no HTTP, no wrk): batches of N tickets written by
``tickets/intake.IntakeWriter`` as the server does, beside batches of N bare INSERTs through the same writer.

    python benchmarks/intake_batch.py [--db sqlite|postgresql|both] [--batch 32] [--batches 15]

Prints, per database, medians over the batches: wall ms per ticket, statements per ticket (SQLAlchemy-executed;
kit/db's raw DB-API writes are not counted), and on PostgreSQL the driver's network waits per ticket and the
time spent in them, then the ratio ticket/bare. Less disturbed by other jobs than the HTTP benchmark, because no
load generator and no event loop compete with the writer thread. Drops its database afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import threading
import time
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import AGENT_EMAIL, AGENT_PASSWORD, app_env, fresh_database, make_tmp, prepare_schema, rm_tmp


def run(kind: str, batch: int, batches: int) -> dict[str, float]:
    texts = [
        json.loads(line)["text"]
        for line in (resources.files("aftersales.triage") / "labelled" / "dairy.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    tmp = make_tmp("aftersales-batch-")
    try:
        with fresh_database(kind, tmp) as url:
            env = app_env(url, tmp / "data", AFTERSALES_SLA_SWEEP_INTERVAL_SECONDS="0")
            prepare_schema(env)
            os.environ.update(env)
            from sqlalchemy import event, text

            from aftersales.agents.service import authenticate
            from aftersales.app import create_app
            from aftersales.kit.actor import Actor
            from aftersales.kit.settings import Settings
            from aftersales.tickets import api as tickets_api
            from aftersales.tickets import service as tickets_service
            from aftersales.tickets.intake import IntakeWriter
            from aftersales.tickets.schemas import TicketCreate

            app = create_app(Settings())
            db, clock = app.state.db, app.state.clock
            with db.transaction() as s:
                agent = authenticate(s, AGENT_EMAIL, AGENT_PASSWORD)
                actor = Actor(type="agent", id=agent.id, role=agent.role, name=agent.name)
                s.execute(text("CREATE TABLE IF NOT EXISTS bench_batch (body TEXT NOT NULL)"))
            request = SimpleNamespace(app=app)
            rnd = random.Random(1)
            writer = IntakeWriter(db, writers=1, prefetch=tickets_service.prefetch_customers)
            statements: list[str] = []
            waits = [0.0, 0]
            if kind == "postgresql":
                import psycopg

                real_wait = psycopg.Connection.wait

                def timed_wait(self: Any, gen: Any, *a: Any, **k: Any) -> Any:
                    t = time.perf_counter()
                    try:
                        return real_wait(self, gen, *a, **k)
                    finally:
                        waits[0] += time.perf_counter() - t
                        waits[1] += 1

                psycopg.Connection.wait = timed_wait  # type: ignore[method-assign]
            event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

            def ticket_job() -> tuple[Any, Any]:
                raw = {
                    "description": rnd.choice(texts),
                    "channel": "app",
                    "customer": {"phone": f"13{rnd.randrange(10**9):09d}"},
                }
                body = TicketCreate.model_validate_json(json.dumps(raw))
                now = clock.now()

                def work(s: Any) -> bytes:
                    return tickets_api._intake(s, body, request, actor, now, None)[1].model_dump_json().encode()

                return work, tickets_service.intake_hint(body)

            def bare_job() -> tuple[Any, Any]:
                body = rnd.choice(texts)

                def work(s: Any) -> None:
                    s.execute(text("INSERT INTO bench_batch (body) VALUES (:b)"), {"b": body})

                return work, None

            async def one_batch(make: Any) -> float:
                started, release = threading.Event(), threading.Event()

                def gate(s: Any) -> None:
                    started.set()
                    release.wait(10)

                first = asyncio.ensure_future(writer.submit(gate))
                while not started.is_set():
                    await asyncio.sleep(0.002)
                jobs = [make() for _ in range(batch)]
                rest = [asyncio.ensure_future(writer.submit(w, hint=h)) for w, h in jobs]
                await asyncio.sleep(0.02)  # all queued behind the gate: they form one batch
                statements.clear()
                waits[0], waits[1] = 0.0, 0
                t0 = time.perf_counter()
                release.set()
                await first
                await asyncio.gather(*rest)
                return time.perf_counter() - t0

            out: dict[str, float] = {}
            for name, make in (("ticket", ticket_job), ("bare", bare_job)):
                for _ in range(3):  # warm-up
                    asyncio.run(one_batch(make))
                wall, stmts, nwait, twait = [], [], [], []
                for _ in range(batches):
                    wall.append(asyncio.run(one_batch(make)) / batch * 1000)
                    stmts.append(len(statements) / batch)
                    nwait.append(waits[1] / batch)
                    twait.append(waits[0] / batch * 1000)
                med = statistics.median
                out.update(
                    {
                        f"{name}_ms": med(wall),
                        f"{name}_stmts": med(stmts),
                        f"{name}_waits": med(nwait),
                        f"{name}_wait_ms": med(twait),
                    }
                )
            writer.stop()
            db.dispose()
            return out
    finally:
        rm_tmp(tmp)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--batches", type=int, default=15)
    args = p.parse_args()
    if not (1 <= args.batch <= 64 and 1 <= args.batches <= 100):
        p.error("keep --batch in 1..64 (the writer's limit) and --batches in 1..100")
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    print(f"batches of {args.batch}, medians of {args.batches}; per ticket (per bare INSERT for the baseline)")
    print(f"{'db':<11} {'job':<7} {'wall ms':>8} {'stmts':>6} {'pg waits':>9} {'waiting ms':>11}")
    for kind in kinds:
        r = run(kind, args.batch, args.batches)
        for name in ("ticket", "bare"):
            wall, stmts, waits, waiting = (r[f"{name}_{k}"] for k in ("ms", "stmts", "waits", "wait_ms"))
            print(f"{kind:<11} {name:<7} {wall:8.2f} {stmts:6.2f} {waits:9.2f} {waiting:11.2f}")
        print(f"{kind}: ticket / bare wall ratio {r['ticket_ms'] / r['bare_ms']:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
