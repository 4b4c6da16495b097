"""Outbox throughput: events/s delivered to a local webhook receiver by 1 and 4 dispatchers (`aftersales worker`
processes), on SQLite and PostgreSQL, beside a baseline measured in the same run: the same receiver driven
directly by one process with the same HTTP client (httpx, keep-alive), sending the same signed bodies.

    python benchmarks/outbox.py [--db sqlite|postgresql|both] [--events 1000] [--repeats 3] [--json out.json]

Each repetition: a fresh database, one webhook endpoint, N worker processes started and warmed up, then N events
committed in one transaction; the clock runs from that commit until every delivery is recorded as delivered
(the script polls the table every 20 ms). Medians over repetitions. Every run checks that the receiver got every
event id at least once and counts duplicates.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import app_env, free_port, fresh_database, log, make_tmp, median, rm_tmp

RECEIVER = textwrap.dedent(
    """
    import sys, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    seen, lock = {}, threading.Lock()
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            event_id = self.headers.get("X-Aftersales-Event-Id", "")
            with lock:
                seen[event_id] = seen.get(event_id, 0) + 1
            self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
        def do_GET(self):
            with lock:
                text = f"{len(seen)} {sum(seen.values())}".encode()
            self.send_response(200); self.send_header("Content-Length", str(len(text))); self.end_headers()
            self.wfile.write(text)
        def do_DELETE(self):
            with lock:
                seen.clear()
            self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
        def log_message(self, *a): pass
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()
    """
)

BASELINE = textwrap.dedent(
    """
    import json, sys, time, httpx
    from concurrent.futures import ThreadPoolExecutor
    from aftersales.events.backoff import sign
    url, n, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    limits = httpx.Limits(max_connections=threads, max_keepalive_connections=threads)
    with httpx.Client(timeout=10, limits=limits) as client, ThreadPoolExecutor(threads) as pool:
        def send(i):
            body = json.dumps({"id": i, "topic": "ticket.note_added", "aggregate_type": "ticket", "aggregate_id": i,
                               "created_at": "2026-11-23T00:00:00+00:00",
                               "payload": {"ticket_id": i, "text": "已联系配送员核实"}},
                              ensure_ascii=False, separators=(",", ":")).encode()
            signature = sign("bench-secret", int(time.time()), body)
            headers = {"X-Aftersales-Signature": signature, "X-Aftersales-Event-Id": f"b{i}",
                       "Content-Type": "application/json"}
            r = client.post(url, content=body, headers=headers)
            assert r.status_code == 200
        start = time.perf_counter()
        list(pool.map(send, range(n)))
        print(n / (time.perf_counter() - start))
    """
)


def _receiver_stats(url: str) -> tuple[int, int]:
    import httpx

    unique, total = httpx.get(url, timeout=5).text.split()
    return int(unique), int(total)


def start_receiver() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    return proc, f"http://127.0.0.1:{port}/hook"


def baseline(url: str, n: int, threads: int) -> float:
    import httpx

    cmd = [sys.executable, "-c", BASELINE, url, str(n), str(threads)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    httpx.delete(url, timeout=5)
    return float(out.stdout.strip())


def one_run(kind: str, dispatchers: int, n: int, receiver_url: str, tmp: Path) -> dict[str, Any]:
    import httpx
    from sqlalchemy import func, insert, select

    from aftersales.events.models import WebhookDelivery
    from aftersales.events.webhooks import create_endpoint
    from aftersales.kit.db import Database
    from aftersales.kit.migrate import upgrade
    from aftersales.kit.outbox import OutboxEvent

    with fresh_database(kind, tmp) as url:
        upgrade(url)
        database = Database(url, pool_size=2)
        now = datetime.now(UTC)
        with database.transaction() as db:
            create_endpoint(db, name="bench", url=receiver_url, topics=["*"], secret="bench-secret-0123456", now=now)
        env = app_env(url, tmp / "data")
        workers = [
            subprocess.Popen(
                [str(Path(sys.executable).parent / "aftersales"), "worker", "--interval", "0.02", "--name", f"w{i}"],
                env=env,
                stdout=subprocess.PIPE,
                start_new_session=True,
            )
            for i in range(dispatchers)
        ]
        try:
            for w in workers:  # wait until each has imported everything and built its dispatcher
                assert w.stdout is not None and b"dispatching" in w.stdout.readline()
            rows = [
                {
                    "topic": "ticket.note_added",
                    "aggregate_type": "ticket",
                    "aggregate_id": i,
                    "payload": {"ticket_id": i, "text": "已联系配送员核实"},
                    "created_at": now,
                    "attempts": 0,
                }
                for i in range(n)
            ]
            with database.transaction() as db:
                db.execute(insert(OutboxEvent), rows)
            start = time.perf_counter()
            deadline = start + 600
            while time.perf_counter() < deadline:
                with database.transaction() as db:
                    done = db.scalar(select(func.count()).where(WebhookDelivery.status == "delivered"))
                if done >= n:
                    break
                time.sleep(0.02)
            elapsed = time.perf_counter() - start
        finally:
            for w in workers:
                os.killpg(w.pid, signal.SIGTERM)
            for w in workers:
                w.wait(timeout=30)
            database.dispose()
        unique, total = _receiver_stats(receiver_url)
        httpx.delete(receiver_url, timeout=5)
        assert unique == n, f"receiver saw {unique} of {n} events"
        return {"events_per_s": n / elapsed, "seconds": elapsed, "duplicates": total - unique}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dispatchers", default="1,4")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    counts = [int(x) for x in args.dispatchers.split(",")]
    tmp = make_tmp("aftersales-outbox-bench-")
    receiver, url = start_receiver()
    results: dict[str, Any] = {"events": args.events, "repeats": args.repeats, "runs": {}}
    try:
        for threads in (1, 8):
            base = []
            for r in range(args.repeats):
                base.append(baseline(url, args.events, threads))
                log(f"baseline {threads} thread(s) rep {r + 1}: {base[-1]:.0f} req/s")
            results[f"baseline_{threads}"] = median(base)
        # The ratio is against the same client sending with the dispatcher's default parallelism (8).
        results["baseline_req_per_s"] = results["baseline_8"]
        for kind in kinds:
            for n in counts:
                runs = []
                for r in range(args.repeats):
                    runs.append(one_run(kind, n, args.events, url, tmp))
                    last = runs[-1]
                    log(f"{kind} x{n} rep {r + 1}: {last['events_per_s']:.0f} events/s, {last['duplicates']} dup")
                results["runs"][f"{kind}/{n}"] = {
                    "events_per_s": median([x["events_per_s"] for x in runs]),
                    "duplicates": sum(x["duplicates"] for x in runs),
                    "all": runs,
                }
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
        rm_tmp(tmp)
    print(f"\nOutbox throughput, {args.events} events, median of {args.repeats} (events/s delivered)")
    print(f"{'db':<12}{'dispatchers':>12}{'events/s':>10}{'ratio':>8}{'dup':>6}")
    for threads in (1, 8):
        rate = results[f"baseline_{threads}"]
        label = f"{threads} thread" + ("s" if threads > 1 else "")
        print(f"{'baseline':<12}{label:>12}{rate:>10.0f}{rate / results['baseline_req_per_s']:>8.2f}{0:>6}")
    for key, row in results["runs"].items():
        kind, n = key.split("/")
        ratio = row["events_per_s"] / results["baseline_req_per_s"]
        print(f"{kind:<12}{n:>12}{row['events_per_s']:>10.0f}{ratio:>8.2f}{row['duplicates']:>6}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
