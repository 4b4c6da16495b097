"""cProfile of the POST /api/v1/tickets path in-process (route function + auth + validation, no HTTP), fresh database.

    python benchmarks/profile_create.py [--db sqlite|postgresql] [--n 300] [--top 35] [--sort cumulative|tottime]

Shows where one request's time goes without the server, network or wrk. Drops its database afterwards.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import statistics
import sys
import time
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import AGENT_EMAIL, AGENT_PASSWORD, app_env, fresh_database, make_tmp, prepare_schema, rm_tmp


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--top", type=int, default=35)
    p.add_argument("--sort", default="cumulative")
    p.add_argument("--no-auto-assign", action="store_true")
    args = p.parse_args()
    texts = [
        json.loads(line)["text"]
        for line in (resources.files("aftersales.triage") / "labelled" / "dairy.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    tmp = make_tmp("aftersales-prof-")
    try:
        with fresh_database(args.db, tmp) as url:
            env = app_env(url, tmp / "data", AFTERSALES_SLA_SWEEP_INTERVAL_SECONDS="0")
            if args.no_auto_assign:
                env["AFTERSALES_AUTO_ASSIGN"] = "false"
            prepare_schema(env)
            os.environ.update(env)

            from aftersales.app import create_app
            from aftersales.kit.settings import Settings

            app = create_app(Settings())
            from types import SimpleNamespace

            from fastapi import Response

            from aftersales.agents.service import agent_for_token, authenticate, issue_token
            from aftersales.kit.actor import Actor
            from aftersales.tickets import api as tickets_api
            from aftersales.tickets.schemas import TicketCreate

            db = app.state.db
            clock = app.state.clock
            with db.transaction() as s:
                agent = authenticate(s, AGENT_EMAIL, AGENT_PASSWORD)
                token, _ = issue_token(s, agent, clock.now(), 24)
            request = SimpleNamespace(app=app)
            rnd = random.Random(1)

            def one() -> None:
                # What the route does for one request, minus HTTP: auth dependency, validation, create, detail.
                raw = json.dumps(
                    {
                        "description": rnd.choice(texts),
                        "channel": rnd.choice(["chat", "wechat", "app", "phone"]),
                        "customer": {"phone": f"13{rnd.randrange(10**9):09d}"},
                    }
                )
                session = db.session(write=True)
                try:
                    now = clock.now()
                    a = agent_for_token(session, token, now)
                    actor = Actor(type="agent", id=a.id, role=a.role, name=a.name)
                    body = TicketCreate.model_validate_json(raw)
                    out = tickets_api.create_ticket(body, request, Response(), actor, session, now, None)
                    out.model_dump_json()
                finally:
                    session.rollback()
                    session.close()

            from sqlalchemy import text

            with db.engine.begin() as conn:
                conn.execute(text("CREATE TABLE IF NOT EXISTS bench_profile (body TEXT NOT NULL)"))

            def bare() -> None:
                # The intake benchmark's baseline in-process: a write session, one INSERT, commit.
                raw = json.dumps({"description": rnd.choice(texts), "channel": "chat"})
                body = TicketCreate.model_validate_json(raw)
                with db.transaction() as session:
                    session.execute(text("INSERT INTO bench_profile (body) VALUES (:b)"), {"b": body.description})

            for _ in range(30):  # warm-up
                one()
                bare()
            # Alternate blocks of creates and bare inserts, so both see the same machine load; medians of blocks.
            create_cpu: list[float] = []
            bare_cpu: list[float] = []
            create_wall: list[float] = []
            block = max(args.n // 10, 1)
            for _ in range(10):
                for fn, cpu, wall in ((one, create_cpu, create_wall), (bare, bare_cpu, None)):
                    t0, c0 = time.perf_counter(), time.process_time()
                    for _ in range(block):
                        fn()
                    cpu.append((time.process_time() - c0) / block * 1000)
                    if wall is not None:
                        wall.append((time.perf_counter() - t0) / block * 1000)
            med = statistics.median
            print(
                f"{args.db}: unprofiled, 1 thread, medians of 10 blocks of {block}: create {med(create_wall):.1f} ms "
                f"wall, {med(create_cpu):.2f} ms CPU; bare insert {med(bare_cpu):.2f} ms CPU; "
                f"CPU ratio create/bare {med(create_cpu) / med(bare_cpu):.1f}x"
            )
            prof = cProfile.Profile(time.process_time)  # CPU time, so waits on the database do not count
            t0 = time.perf_counter()
            prof.enable()
            for _ in range(args.n):
                one()
            prof.disable()
            dt = time.perf_counter() - t0
            print(
                f"{args.db}: {args.n} creates in {dt:.2f}s = {dt / args.n * 1000:.1f} ms each (profiled, 1 thread); "
                "the profile below is CPU time"
            )
            pstats.Stats(prof).sort_stats(args.sort).print_stats(args.top)
            db.dispose()
    finally:
        rm_tmp(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
