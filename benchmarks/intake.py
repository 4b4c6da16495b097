"""Intake throughput: POST /api/v1/tickets under wrk load vs. the bare-insert baseline on the same stack.

    python benchmarks/intake.py [--db sqlite|postgresql|both] [--duration 15] [--connections 32] [--workers 2]
                                [--repeats 3] [--server uvicorn|gunicorn] [--threads 2]

Each repetition: fresh database (SQLite file in a temp dir / new PostgreSQL database), `aftersales db upgrade`,
one agent, the real server (uvicorn --workers N, uvloop + httptools, AFTERSALES_BENCH_ENDPOINTS=1) on a free
port, a token from POST /api/v1/auth/token, then wrk (--latency, Lua-generated bodies) against
  * tickets:  POST /api/v1/tickets     (triage, customer lookup/creation, SLA, routing, timeline, outbox)
  * baseline: POST /bench/baseline     (same app and server, one bare INSERT)
each after a short warm-up. After each run the ids wrk got back in 2xx responses are checked against the
table: every one must be there (no lost writes), and the row delta may exceed the 2xx count only by the
requests still in flight when wrk stopped (at most --connections, plus any requests wrk timed out on).

Prints a table of medians over the repetitions and the ratio tickets/baseline; exits 1 if a write was lost.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    HERE,
    WrkResult,
    app_env,
    cpu_seconds,
    fresh_database,
    log,
    login,
    make_tmp,
    median,
    prepare_schema,
    rm_tmp,
    run_wrk,
    running_server,
)

TARGET_RPS = 500
TARGET_P99_MS = 100
TARGET_RATIO = 0.5
WARMUP_S = 3


@dataclass
class Check:
    table: str
    rows_before: int
    rows_after: int
    ok_responses: int
    missing_ids: int
    in_flight_allowance: int

    @property
    def delta(self) -> int:
        return self.rows_after - self.rows_before

    @property
    def passed(self) -> bool:
        return self.missing_ids == 0 and 0 <= self.delta - self.ok_responses <= self.in_flight_allowance


def write_texts(tmp: Path) -> Path:
    pkg = resources.files("aftersales.triage") / "labelled" / "dairy.jsonl"
    texts = [json.loads(line)["text"] for line in pkg.read_text(encoding="utf-8").splitlines() if line.strip()]
    for t in texts:
        assert '"' not in t and "\\" not in t and "\n" not in t, t
    path = tmp / "texts.txt"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    return path


def write_script(tmp: Path) -> Path:
    path = tmp / "intake.lua"
    path.write_text(
        (HERE / "wrk_common.lua").read_text(encoding="utf-8") + "\n" + (HERE / "intake_body.lua").read_text("utf-8"),
        encoding="utf-8",
    )
    return path


def _count_and_ids(url: str, table: str) -> tuple[int, set[int]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ids = {int(r[0]) for r in conn.execute(text(f"SELECT id FROM {table}"))}
    finally:
        engine.dispose()
    return len(ids), ids


def measure(
    url: str,
    table: str,
    endpoint: str,
    *,
    server_base: str,
    server_group: int,
    script: Path,
    env_extra: dict[str, str],
    args: argparse.Namespace,
    tmp: Path,
) -> tuple[WrkResult, Check]:
    common = dict(connections=args.connections, threads=args.threads, tmp=tmp)
    env = {**env_extra, "WRK_PATH": endpoint}
    run_wrk(server_base + endpoint, script, duration=WARMUP_S, env_extra=env, **common)  # warm-up, not counted
    time.sleep(1.0)  # let the warm-up's in-flight requests finish before counting
    before, _ = _count_and_ids(url, table)
    cpu_before = cpu_seconds(group=server_group), cpu_seconds(command="postgres")
    res = run_wrk(server_base + endpoint, script, duration=args.duration, env_extra=env, **common)
    time.sleep(1.5)
    cpu_after = cpu_seconds(group=server_group), cpu_seconds(command="postgres")
    after, ids = _count_and_ids(url, table)
    # CPU per request: the server's worker processes, and PostgreSQL's backends (0 on SQLite, which runs inside
    # the workers). Other jobs on the machine do not count here, unlike in req/s.
    res.server_cpu_ms = (cpu_after[0] - cpu_before[0]) * 1000 / max(after - before, 1)
    res.db_cpu_ms = (cpu_after[1] - cpu_before[1]) * 1000 / max(after - before, 1)
    missing = sum(1 for i in res.ids if i not in ids)
    # Requests still in flight when wrk stopped (or that wrk gave up on) may commit without wrk seeing the answer.
    check = Check(table, before, after, len(res.ids), missing, args.connections + sum(res.socket_errors.values()))
    if len(res.ids) != res.ok:
        log(f"  note: {res.ok} 2xx responses but {len(res.ids)} ids parsed from bodies")
    return res, check


def run_once(kind: str, rep: int, args: argparse.Namespace, tmp: Path, texts: Path, script: Path) -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    with fresh_database(kind, tmp) as url:
        env = app_env(url, tmp / f"data-{kind}-{rep}", AFTERSALES_BENCH_ENDPOINTS="1")
        prepare_schema(env)
        workers = args.sqlite_workers if kind == "sqlite" else args.workers
        with running_server(env, tmp, workers=workers, kind=args.server) as server:
            token = login(server)
            extra = {"WRK_TOKEN": token, "WRK_TEXTS": str(texts)}
            order = [("tickets", "/api/v1/tickets"), ("baseline", "/bench/baseline")]
            if rep % 2 == 1:  # alternate the order so neither always runs on the warmer/fuller database
                order.reverse()
            for name, endpoint in order:
                table = "tickets" if name == "tickets" else "bench_baseline"
                res, check = measure(
                    url,
                    table,
                    endpoint,
                    server_base=server.base,
                    server_group=server.proc.pid,
                    script=script,
                    env_extra=extra,
                    args=args,
                    tmp=tmp,
                )
                out[name] = (res, check)
                log(
                    f"  {kind} rep {rep + 1} {name:8s}: {res.rps:7.1f} req/s  p50 {res.p50_ms:6.1f} ms  "
                    f"p99 {res.p99_ms:6.1f} ms  CPU/req server {res.server_cpu_ms:.2f} ms db {res.db_cpu_ms:.2f} ms  "
                    f"codes {res.codes}  socket errors {res.socket_errors}  "
                    f"rows +{check.delta} vs 2xx {check.ok_responses} missing {check.missing_ids}"
                )
                errors_in_log = [ln for ln in server.log_path.read_text(errors="replace").splitlines() if "Error" in ln]
                if errors_in_log:
                    log(f"  server log has {len(errors_in_log)} error lines, e.g. {errors_in_log[-1][:300]}")
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--duration", type=int, default=15, help="seconds per measured wrk run")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--workers", type=int, default=2, help="server worker processes (PostgreSQL)")
    p.add_argument(
        "--sqlite-workers",
        type=int,
        default=1,
        help="server worker processes on SQLite: one, as `aftersales serve` runs it, since SQLite has one writer",
    )
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--server", choices=["uvicorn", "gunicorn"], default="uvicorn")
    p.add_argument("--json", type=Path, help="also write all raw results here")
    args = p.parse_args()
    if args.duration > 300 or args.repeats > 10:
        p.error("keep --duration <= 300 and --repeats <= 10 so the run stays bounded")

    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    tmp = make_tmp("aftersales-intake-")
    texts = write_texts(tmp)
    script = write_script(tmp)
    results: dict[str, list[dict[str, tuple]]] = {k: [] for k in kinds}
    started = time.monotonic()
    try:
        for kind in kinds:
            for rep in range(args.repeats):
                log(f"{kind}: repetition {rep + 1}/{args.repeats}")
                results[kind].append(run_once(kind, rep, args, tmp, texts, script))
    finally:
        rm_tmp(tmp)

    print()
    print(
        f"intake benchmark: wrk {args.threads} threads, {args.connections} connections, {args.duration}s x "
        f"{args.repeats} (medians); server {args.server} --workers {args.workers} (SQLite: {args.sqlite_workers}); "
        f"{time.monotonic() - started:.0f}s total"
    )
    header = (
        f"{'db':<11} {'endpoint':<9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'ratio':>6} "
        f"{'cpu/req srv':>11} {'db':>6}  writes"
    )
    print(header)
    print("-" * len(header))
    all_checks_ok = True
    raw: dict[str, dict] = {}
    verdicts = []
    for kind in kinds:
        reps = results[kind]
        med = {}
        for name in ("tickets", "baseline"):
            rs = [r[name][0] for r in reps]
            cs = [r[name][1] for r in reps]
            med[name] = dict(
                rps=median([r.rps for r in rs]),
                p50=median([r.p50_ms for r in rs]),
                p99=median([r.p99_ms for r in rs]),
                errors=int(median([r.errors for r in rs])),
                errors_total=sum(r.errors for r in rs),
                server_cpu=median([r.server_cpu_ms for r in rs]),
                db_cpu=median([r.db_cpu_ms for r in rs]),
                checks=cs,
            )
            raw.setdefault(kind, {})[name] = [
                dict(
                    rps=r.rps,
                    p50_ms=r.p50_ms,
                    p90_ms=r.p90_ms,
                    p99_ms=r.p99_ms,
                    max_ms=r.max_ms,
                    codes=r.codes,
                    socket_errors=r.socket_errors,
                    rows_delta=c.delta,
                    ok=c.ok_responses,
                    missing=c.missing_ids,
                    server_cpu_ms=r.server_cpu_ms,
                    db_cpu_ms=r.db_cpu_ms,
                )
                for r, c in zip(rs, cs, strict=True)
            ]
        ratio = med["tickets"]["rps"] / med["baseline"]["rps"] if med["baseline"]["rps"] else float("nan")
        for name in ("tickets", "baseline"):
            m = med[name]
            ok = all(c.passed for c in m["checks"])
            all_checks_ok &= ok
            writes = "ok" if ok else "LOST/EXTRA"
            detail = ", ".join(f"+{c.delta}/{c.ok_responses}" for c in m["checks"])
            print(
                f"{kind:<11} {name:<9} {m['rps']:8.1f} {m['p50']:8.1f} {m['p99']:8.1f} {m['errors']:7d} "
                f"{(f'{ratio:.2f}' if name == 'tickets' else ''):>6} {m['server_cpu']:8.2f} ms {m['db_cpu']:6.2f}  "
                f"{writes} (rows/2xx per rep: {detail})"
            )
        t = med["tickets"]
        verdicts.append(
            f"{kind}: {t['rps']:.0f} tickets/s (target >= {TARGET_RPS}) {'MET' if t['rps'] >= TARGET_RPS else 'MISSED'}"
            f"; p99 {t['p99']:.0f} ms (target < {TARGET_P99_MS}) {'MET' if t['p99'] < TARGET_P99_MS else 'MISSED'}"
            f"; ratio {ratio:.2f} (target >= {TARGET_RATIO}) {'MET' if ratio >= TARGET_RATIO else 'MISSED'}"
            f"; non-2xx/socket errors over all reps {t['errors_total']}"
        )
    print()
    print("errors = non-2xx responses + wrk socket errors (median per run). writes: every id returned with a 2xx")
    print("is in the table, and rows added - 2xx responses is between 0 and the requests in flight when wrk stopped")
    print("(<= connections + wrk socket errors/timeouts). cpu/req: CPU ms of the server's workers and of PostgreSQL")
    print("per row written, from /proc (not disturbed by other jobs on the machine, unlike req/s).")
    for v in verdicts:
        print(v)
    if args.json:
        args.json.write_text(json.dumps(raw, indent=2), encoding="utf-8")
    return 0 if all_checks_ok else 1


if __name__ == "__main__":
    sys.exit(main())
