"""List-endpoint latency on a large table: GET /api/v1/tickets with the filters agents actually use.

    python benchmarks/list_query.py [--rows 1000000] [--samples 200] [--workers 1] [--keep-server-log]
                                    [--sqlite-rows 0]

PostgreSQL: a fresh database, `aftersales db upgrade`, then COPY (psycopg ``cursor.copy``) of 40 agents,
100k customers and --rows tickets with a realistic mix (created_at over the last year, newer more frequent;
status by age; severity L1/L2/L3 ~ 60/28/12; department from category; 11 channels; assignees on handled
tickets; SLA due/warn times on open tickets; search_text segmented by the app's own jieba tokenizer). The
ticket indexes from the migration are dropped for the load and recreated from their own definitions, then
ANALYZE. Then the real server (uvicorn, sweeper off) is queried by one sequential keep-alive client, the filters
interleaved round-robin with varied values, --samples requests each; the SQL the app generates for each sample
is also timed on its own through psycopg (no HTTP, no ORM), and the baseline
``SELECT id FROM tickets ORDER BY id DESC LIMIT 50`` likewise. Prints p50/p99 per filter, and EXPLAIN (ANALYZE,
BUFFERS) for every filter whose p99 misses the 50 ms target. Optionally (--sqlite-rows N) the same on SQLite.
The database and server are removed afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import math
import random
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    PG_ADMIN_URL,
    app_env,
    fresh_database,
    log,
    login,
    make_tmp,
    plain_pg_url,
    prepare_schema,
    rm_tmp,
    running_server,
)

TARGET_P99_MS = 50.0
N_AGENTS = 40
N_CUSTOMERS = 100_000
DEPARTMENTS = ["customer_service", "after_sales", "quality", "logistics", "product", "management"]
STATUSES_OPEN = ["new", "triaged", "assigned", "in_progress", "waiting_on_customer"]
CHANNELS = ["chat", "wechat", "app", "phone", "web", "ecommerce", "email", "douyin", "api", "store", "social"]
CHANNEL_W = [30, 20, 12, 10, 8, 8, 4, 4, 2, 1, 1]
KIND_BY_CATEGORY = {
    "usage_question": "consultation",
    "suggestion": "suggestion",
    "wrong_or_missing_item": "reissue",
    "packaging_damage": "exchange",
}
SEARCH_WORDS = ["漏奶", "酸味", "拉肚子", "冰袋", "少了", "过期", "退款", "结块", "配送", "包装", "过敏", "发票"]


SEARCH_FIX = """
-- search on PostgreSQL (migration 0002, tickets/repository.py): a stored tsvector column search_tsv with a GIN
   index. Searches whose words PostgreSQL's statistics call frequent (>= 0.5 % of tickets) filter on it while
   walking ix_tickets_created; rarer ones first fetch the matching ids from the GIN index (the sql column of q=
   rows times only the page query; the http column includes the id lookup).
"""

# ------------------------------------------------------------------ data


def labelled_texts() -> list[dict[str, Any]]:
    rows = []
    for pack in ("dairy", "tonic", "calcium"):
        f = resources.files("aftersales.triage") / "labelled" / f"{pack}.jsonl"
        rows += [json.loads(x) for x in f.read_text("utf-8").splitlines() if x.strip()]
    from aftersales.kit.text import search_tokens

    for r in rows:
        r["subject"] = r["text"][:60]
        r["search_text"] = " ".join(search_tokens(f"{r['subject']} {r['text']}"))
    return rows


def _ts(d: datetime | None) -> str:
    return "\\N" if d is None else d.isoformat()


def _esc(s: str) -> str:
    return s.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def ticket_rows(n: int, now: datetime, policy_ids: dict[str, int], seed: int = 7):  # type: ignore[no-untyped-def]
    """Yields COPY text lines for tickets, oldest first (ids grow with created_at, as in production)."""
    rnd = random.Random(seed)
    texts = labelled_texts()
    by_sev: dict[str, list[dict[str, Any]]] = {"L1": [], "L2": [], "L3": []}
    for t in texts:
        by_sev[t["severity"]].append(t)
    year = 365 * 86400
    # Newer tickets are more frequent (a growing brand): age = year * u^1.3, then sorted oldest first.
    ages = sorted((year * rnd.random() ** 1.3 for _ in range(n)), reverse=True)
    due_hours = {"L3": 2, "L2": 8, "L1": 24}
    for age in ages:
        created = now - timedelta(seconds=age)
        sev = rnd.choices(("L1", "L2", "L3"), (60, 28, 12))[0]
        t = rnd.choice(by_sev[sev])
        days = age / 86400
        if days > 30:
            status = rnd.choices(("closed", "resolved", "waiting_on_customer", "in_progress"), (80, 18, 1, 1))[0]
        elif days > 3:
            status = rnd.choices(("closed", "resolved", *STATUSES_OPEN), (40, 30, 2, 3, 5, 12, 8))[0]
        else:
            status = rnd.choices(("closed", "resolved", *STATUSES_OPEN), (5, 15, 10, 20, 20, 20, 10))[0]
        assignee = None if status in ("new", "triaged") else rnd.randint(1, N_AGENTS)
        customer = rnd.randint(1, N_CUSTOMERS) if rnd.random() < 0.95 else None
        tier = rnd.choices(("standard", "silver", "gold", "vip"), (80, 12, 6, 2))[0]
        is_open = status in STATUSES_OPEN
        due = created + timedelta(hours=due_hours[sev])
        warn = created + timedelta(hours=due_hours[sev] * 0.8)
        breach_at = due if is_open else None
        warn_at = warn if is_open else None
        next_check = (
            (due + timedelta(hours=due_hours[sev])) if is_open and due + timedelta(hours=due_hours[sev]) > now else None
        )
        sla_state = ("paused" if status == "waiting_on_customer" else "active") if is_open else "none"
        updated = min(now, created + timedelta(hours=rnd.uniform(0.1, 72)))
        first_reply = (
            None if status in ("new", "triaged") else min(now, created + timedelta(minutes=rnd.uniform(2, 600)))
        )
        resolved = updated if status in ("resolved", "closed") else None
        closed = updated if status == "closed" else None
        category = t["category"]
        yield (
            "\t".join(
                (
                    _esc(t["subject"]),
                    _esc(t["text"]),
                    KIND_BY_CATEGORY.get(category, "complaint"),
                    rnd.choices(CHANNELS, CHANNEL_W)[0],
                    category,
                    sev,
                    t["department"],
                    status,
                    "\\N" if customer is None else str(customer),
                    tier,
                    "\\N" if assignee is None else str(assignee),
                    json.dumps(
                        {"category": category, "severity": sev, "department": t["department"]}, ensure_ascii=False
                    ),
                    "f",
                    str(policy_ids.get(sev, next(iter(policy_ids.values())))) if policy_ids else "\\N",
                    sla_state,
                    _ts(warn_at),
                    _ts(breach_at),
                    _ts(next_check),
                    "1" if is_open and breach_at is not None and breach_at < now and rnd.random() < 0.5 else "0",
                    _esc(t["search_text"]),
                    _ts(created),
                    _ts(updated),
                    _ts(first_reply),
                    _ts(resolved),
                    _ts(closed),
                    "1",
                )
            )
            + "\n"
        )


TICKET_COLS = (
    "subject, description, kind, channel, category, severity, department, status, customer_id, customer_tier, "
    "assignee_id, triage, triage_overridden, sla_policy_id, sla_state, sla_warn_at, sla_breach_at, "
    "sla_next_check_at, escalation_level, search_text, created_at, updated_at, first_replied_at, resolved_at, "
    "closed_at, version"
)


def load_postgres(url: str, rows: int, now: datetime) -> dict[str, Any]:
    import psycopg

    t0 = time.monotonic()
    with psycopg.connect(plain_pg_url(url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, name, conditions FROM sla_policies ORDER BY position, id")
        policies = cur.fetchall()
        policy_ids: dict[str, int] = {}
        for pid, _name, cond in policies:
            for sev in (cond or {}).get("severity", []) or []:
                policy_ids.setdefault(sev, pid)
        if not policy_ids and policies:
            policy_ids = {"L1": policies[0][0]}
        cur.execute("SELECT max(id) FROM agents")
        existing_agents = cur.fetchone()[0] or 0
        with cur.copy(
            "COPY agents (email, name, password_hash, role, department, skills, capacity, available, active, "
            "created_at) FROM STDIN"
        ) as cp:
            for i in range(existing_agents + 1, N_AGENTS + 1):
                cp.write_row(
                    (
                        f"agent{i}@example.com",
                        f"坐席{i}",
                        "x",
                        "agent",
                        DEPARTMENTS[i % len(DEPARTMENTS)],
                        "[]",
                        30,
                        True,
                        True,
                        now,
                    )
                )
        with cur.copy("COPY customers (name, phone, tier, tags, created_at) FROM STDIN") as cp:
            buf = io.StringIO()
            for i in range(1, N_CUSTOMERS + 1):
                buf.write(f"客户{i}\t13{i:09d}\tstandard\t[]\t{now.isoformat()}\n")
            cp.write(buf.getvalue())
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tickets' AND indexname <> 'pk_tickets'"
        )
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        conn.commit()
        t1 = time.monotonic()
        with cur.copy(f"COPY tickets ({TICKET_COLS}) FROM STDIN") as cp:
            chunk: list[str] = []
            for line in ticket_rows(rows, now, policy_ids):
                chunk.append(line)
                if len(chunk) >= 20000:
                    cp.write("".join(chunk))
                    chunk.clear()
            if chunk:
                cp.write("".join(chunk))
        conn.commit()
        t2 = time.monotonic()
        cur.execute("SET maintenance_work_mem = '256MB'")
        for _, ddl in indexes:
            cur.execute(ddl)
        conn.commit()
        t3 = time.monotonic()
    with psycopg.connect(plain_pg_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE tickets")
        conn.execute("ANALYZE customers")
        conn.execute("ANALYZE agents")
    t4 = time.monotonic()
    return {
        "copy_s": t2 - t1,
        "index_s": t3 - t2,
        "analyze_s": t4 - t3,
        "total_s": t4 - t0,
        "indexes": [n for n, _ in indexes],
    }


def load_sqlite(url: str, rows: int, now: datetime) -> dict[str, Any]:
    import sqlite3

    path = url.split("///", 1)[1]
    t0 = time.monotonic()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    cur = conn.cursor()
    policies = cur.execute("SELECT id, conditions FROM sla_policies ORDER BY position, id").fetchall()
    policy_ids: dict[str, int] = {}
    for pid, cond in policies:
        for sev in (json.loads(cond) if cond else {}).get("severity", []) or []:
            policy_ids.setdefault(sev, pid)
    existing = cur.execute("SELECT coalesce(max(id), 0) FROM agents").fetchone()[0]
    cur.executemany(
        "INSERT INTO agents (email, name, password_hash, role, department, skills, capacity, available, active, "
        "created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        [
            (
                f"agent{i}@example.com",
                f"坐席{i}",
                "x",
                "agent",
                DEPARTMENTS[i % 6],
                "[]",
                30,
                1,
                1,
                now.replace(tzinfo=None).isoformat(" "),
            )
            for i in range(existing + 1, N_AGENTS + 1)
        ],
    )
    cur.executemany(
        "INSERT INTO customers (name, phone, tier, tags, created_at) VALUES (?,?,?,?,?)",
        [
            (f"客户{i}", f"13{i:09d}", "standard", "[]", now.replace(tzinfo=None).isoformat(" "))
            for i in range(1, N_CUSTOMERS + 1)
        ],
    )

    def conv(v: str) -> Any:
        if v == "\\N":
            return None
        if len(v) >= 25 and v[4] == "-" and v[10] == "T" and v.endswith("+00:00"):
            return v[:-6].replace("T", " ")  # SQLite stores naive UTC, as UTCDateTime does
        return v

    ph = ",".join("?" * len(TICKET_COLS.split(",")))
    batch: list[tuple[Any, ...]] = []
    for line in ticket_rows(rows, now, policy_ids):
        vals = [conv(v) for v in line.rstrip("\n").split("\t")]
        vals[12] = 0  # triage_overridden
        batch.append(tuple(vals))
        if len(batch) >= 20000:
            cur.executemany(f"INSERT INTO tickets ({TICKET_COLS}) VALUES ({ph})", batch)
            batch.clear()
    if batch:
        cur.executemany(f"INSERT INTO tickets ({TICKET_COLS}) VALUES ({ph})", batch)
    conn.commit()
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    return {"total_s": time.monotonic() - t0}


# ------------------------------------------------------------------ filters


def filter_makers(now: datetime) -> dict[str, Callable[[random.Random], dict[str, Any]]]:
    def date_range(r: random.Random) -> dict[str, Any]:
        start = now - timedelta(days=r.randint(1, 360))
        return {"created_from": start.isoformat(), "created_to": (start + timedelta(days=7)).isoformat()}

    return {
        "newest": lambda r: {},
        "status+department": lambda r: {
            "status": r.choice(["new", "triaged", "assigned", "in_progress"]),
            "department": r.choice(DEPARTMENTS),
        },
        "severity=L3": lambda r: {"severity": "L3"},
        "assignee+status": lambda r: {
            "assignee_id": r.randint(1, N_AGENTS),
            "status": r.choice(["assigned", "in_progress", "waiting_on_customer"]),
        },
        "sla=breached": lambda r: {"sla": "breached"},
        "created 7-day range": date_range,
        "page 2 (cursor)": lambda r: {"__page2__": True},
        "q= search": lambda r: {"q": r.choice(SEARCH_WORDS)},
        "q= + status open": lambda r: {"q": r.choice(SEARCH_WORDS), "status": "in_progress"},
    }


def _to_filters(params: dict[str, Any]):  # type: ignore[no-untyped-def]
    from aftersales.tickets.repository import TicketFilters

    def lst(k: str) -> list[str] | None:
        return [params[k]] if k in params else None

    return TicketFilters(
        status=lst("status"),
        severity=lst("severity"),
        department=lst("department"),
        assignee_id=params.get("assignee_id"),
        sla=params.get("sla"),
        created_from=datetime.fromisoformat(params["created_from"]) if "created_from" in params else None,
        created_to=datetime.fromisoformat(params["created_to"]) if "created_to" in params else None,
        q=params.get("q"),
    )


def app_sql(engine: Any, params: dict[str, Any], now: datetime, cursor: str | None) -> tuple[str, dict[str, Any]]:
    """The SELECT the app runs for these query parameters, compiled for the engine's dialect."""
    from sqlalchemy import and_, or_
    from sqlalchemy.orm import Session

    from aftersales.tickets import repository as repo
    from aftersales.tickets.models import Ticket

    with Session(engine) as s:
        stmt = repo.list_query(s, _to_filters(params), now)
        if cursor:
            created, tid = repo.decode_cursor(cursor)
            stmt = stmt.where(or_(Ticket.created_at < created, and_(Ticket.created_at == created, Ticket.id < tid)))
        stmt = stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(51)
        compiled = stmt.compile(dialect=engine.dialect)
        raw = compiled.params
        procs = compiled._bind_processors
        bound = {k: (procs[k](v) if k in procs else v) for k, v in raw.items()}
        if engine.dialect.paramstyle == "qmark":  # sqlite: positional, in the compiled order
            return str(compiled), tuple(bound[k] for k in compiled.positiontup)  # type: ignore[return-value]
        return str(compiled), bound


# ------------------------------------------------------------------ measuring


def pct(values: list[float], p: float) -> float:
    v = sorted(values)
    if not v:
        return float("nan")
    k = min(len(v) - 1, max(0, math.ceil(p / 100 * len(v)) - 1))  # nearest-rank percentile
    return v[k]


def measure(kind: str, url: str, args: argparse.Namespace, tmp: Path, now: datetime) -> dict[str, Any]:
    from sqlalchemy import create_engine

    env = app_env(url, tmp / f"data-{kind}", AFTERSALES_SLA_SWEEP_INTERVAL_SECONDS="0")
    engine = create_engine(url)
    makers = filter_makers(now)
    results: dict[str, dict[str, list[float]]] = {name: {"http": [], "sql": [], "rows": []} for name in makers}
    results["baseline: id DESC LIMIT 50"] = {"http": [], "sql": [], "rows": []}
    worst_sql: dict[str, tuple[float, str, Any, dict[str, Any]]] = {}  # slowest sample per filter, for EXPLAIN
    rnd = random.Random(11)
    with running_server(env, tmp, workers=args.workers) as server:
        token = login(server)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        headers = {"Authorization": f"Bearer {token}"}

        def get(params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
            qs = urllib.parse.urlencode({**params, "limit": 50})
            t0 = time.perf_counter()
            conn.request("GET", "/api/v1/tickets?" + qs, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            dt = (time.perf_counter() - t0) * 1000
            if resp.status != 200:
                raise RuntimeError(f"GET {qs} -> {resp.status}: {body[:300]!r}")
            return dt, json.loads(body)

        if kind == "postgresql":
            import psycopg

            pg = psycopg.connect(plain_pg_url(url), autocommit=True)

            def sql_time(sql: str, params: dict[str, Any]) -> tuple[float, int]:
                t0 = time.perf_counter()
                rows = pg.execute(sql, params).fetchall()
                return (time.perf_counter() - t0) * 1000, len(rows)
        else:
            import sqlite3

            sq = sqlite3.connect(url.split("///", 1)[1])

            def sql_time(sql: str, params: dict[str, Any]) -> tuple[float, int]:
                t0 = time.perf_counter()
                rows = sq.execute(sql, params).fetchall()
                return (time.perf_counter() - t0) * 1000, len(rows)

        base_sql = "SELECT id FROM tickets ORDER BY id DESC LIMIT 50"
        for _ in range(10):  # warm-up: caches, prepared statements
            for make in makers.values():
                p = make(rnd)
                if "__page2__" not in p:
                    get(p)
            sql_time(base_sql, {})
        deadline = time.monotonic() + args.max_seconds
        for i in range(args.samples):
            if time.monotonic() > deadline:
                log(f"  stopping after {i} rounds: --max-seconds reached")
                break
            for name, make in makers.items():
                params = make(rnd)
                cursor = None
                if "__page2__" in params:
                    _, first = get({})
                    cursor = first["next_cursor"]
                    params = {"cursor": cursor}
                dt, page = get(params)
                results[name]["http"].append(dt)
                results[name]["rows"].append(len(page["items"]))
                sql, bound = app_sql(engine, {k: v for k, v in params.items() if k != "cursor"}, now, cursor)
                st, _ = sql_time(sql, bound)
                results[name]["sql"].append(st)
                if name not in worst_sql or st > worst_sql[name][0]:
                    worst_sql[name] = (st, sql, bound, params)
            st, _ = sql_time(base_sql, {})
            results["baseline: id DESC LIMIT 50"]["sql"].append(st)
        conn.close()

        explains: dict[str, str] = {}
        for name, r in results.items():
            worst = max(pct(r["http"], 99) if r["http"] else 0, pct(r["sql"], 99))
            if worst < TARGET_P99_MS or name not in worst_sql:
                continue
            _, sql, bound, params = worst_sql[name]
            head = f"slowest sample: {params}\n"
            if kind == "postgresql":
                plan = pg.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, bound).fetchall()
                explains[name] = head + "\n".join(row[0] for row in plan)
            else:
                plan = sq.execute("EXPLAIN QUERY PLAN " + sql, bound).fetchall()
                explains[name] = head + "\n".join(str(row) for row in plan)
        if kind == "postgresql":
            pg.close()
        else:
            sq.close()
    engine.dispose()
    return {"results": results, "explains": explains}


def report(kind: str, rows: int, load: dict[str, Any], m: dict[str, Any], workers: int) -> None:
    print()
    print(
        f"== {kind}: {rows:,} tickets; load {load.get('total_s', 0):.0f}s "
        + (
            f"(COPY {load['copy_s']:.0f}s, indexes {load['index_s']:.0f}s, VACUUM ANALYZE {load['analyze_s']:.0f}s)"
            if "copy_s" in load
            else ""
        )
    )
    print(
        f"   one sequential keep-alive client; server uvicorn --workers {workers}; target p99 < {TARGET_P99_MS:.0f} ms"
    )
    hdr = f"{'filter':<28} {'n':>4} {'http p50':>9} {'http p99':>9} {'sql p50':>8} {'sql p99':>8} {'rows':>5}  verdict"
    print(hdr)
    print("-" * len(hdr))
    for name, r in m["results"].items():
        n = len(r["sql"])
        hp50 = f"{pct(r['http'], 50):9.1f}" if r["http"] else f"{'-':>9}"
        hp99 = f"{pct(r['http'], 99):9.1f}" if r["http"] else f"{'-':>9}"
        rows_med = f"{pct(r['rows'], 50):5.0f}" if r["rows"] else f"{'-':>5}"
        worst = max(pct(r["http"], 99) if r["http"] else 0, pct(r["sql"], 99))
        print(
            f"{name:<28} {n:>4} {hp50} {hp99} {pct(r['sql'], 50):8.1f} {pct(r['sql'], 99):8.1f} {rows_med}  "
            f"{'ok' if worst < TARGET_P99_MS else 'MISSES TARGET'}"
        )
    for name, plan in m["explains"].items():
        print()
        print(f"-- EXPLAIN for '{name}':")
        print(plan)
        if kind == "postgresql" and name.startswith("q="):
            print(SEARCH_FIX)


@contextlib.contextmanager
def kept_database(name: str) -> Iterator[str]:
    """A named PostgreSQL database that outlives the run (created if missing)."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + "/" + name


def _has_tickets(url: str) -> bool:
    import psycopg

    with psycopg.connect(plain_pg_url(url)) as conn:
        if not conn.execute("SELECT to_regclass('tickets')").fetchone()[0]:
            return False
        return bool(conn.execute("SELECT EXISTS (SELECT 1 FROM tickets)").fetchone()[0])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--samples", type=int, default=200, help="requests per filter (>= 200 for a usable p99)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--sqlite-rows", type=int, default=0, help="also run on SQLite with this many tickets (0 = skip)")
    p.add_argument("--max-seconds", type=int, default=600, help="cap on the measuring loop per database")
    p.add_argument("--json", type=Path)
    p.add_argument(
        "--keep-pg",
        metavar="NAME",
        help="PostgreSQL only: load into database NAME and keep it; if NAME exists already, measure it as it is "
        "(for iterating on a query without a 7-minute reload; drop it yourself afterwards)",
    )
    args = p.parse_args()
    if args.rows > 5_000_000:
        p.error("--rows is capped at 5,000,000 to keep the run bounded")
    now = datetime.now(UTC).replace(microsecond=0)
    tmp = make_tmp("aftersales-list-")
    out: dict[str, Any] = {}
    try:
        plan = [("postgresql", args.rows)] + ([("sqlite", args.sqlite_rows)] if args.sqlite_rows else [])
        for kind, rows in plan:
            keep = args.keep_pg if kind == "postgresql" else None
            with kept_database(keep) if keep else fresh_database(kind, tmp) as url:
                env = app_env(url, tmp / f"data-{kind}")
                if keep and _has_tickets(url):
                    load = {"total_s": 0.0, "reused": keep}
                    log(f"{kind}: measuring the kept database {keep} as it is")
                else:
                    prepare_schema(env)
                    log(f"{kind}: loading {rows:,} tickets")
                    load = (load_postgres if kind == "postgresql" else load_sqlite)(url, rows, now)
                    log(f"{kind}: loaded in {load['total_s']:.0f}s; measuring")
                m = measure(kind, url, args, tmp, now)
                report(kind, rows, load, m, args.workers)
                out[kind] = {"load": load, **{k: v for k, v in m.items()}}
    finally:
        rm_tmp(tmp)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
