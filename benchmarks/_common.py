"""Shared plumbing for the benchmarks: fresh databases, a real server on a free port, wrk, medians.

Everything started here is started in its own process group and stopped by that group's id.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
# Another ASGI app path (e.g. a wrapper that applies an experimental patch) can be benchmarked the same way.
ASGI_APP = os.environ.get("BENCH_ASGI_APP", "aftersales.asgi:app")
AGENT_EMAIL = "bench.agent@example.com"
AGENT_PASSWORD = "bench-password-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ databases


def _pg_base_and_db(admin_url: str, name: str) -> str:
    base = admin_url.rsplit("/", 1)[0]
    return f"{base}/{name}"


@contextlib.contextmanager
def fresh_database(kind: str, tmp: Path) -> Iterator[str]:
    """Yields a SQLAlchemy URL to an empty database; drops/removes it afterwards."""
    if kind == "sqlite":
        path = tmp / f"bench-{uuid.uuid4().hex[:8]}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    Path(str(path) + suffix).unlink()
        return
    import psycopg

    name = f"aftersales_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_base_and_db(PG_ADMIN_URL, name).replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def plain_pg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def app_env(url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AFTERSALES_DATABASE_URL=url,
        AFTERSALES_DATA_DIR=str(data_dir),
        AFTERSALES_SECRET_KEY="bench-secret-key-0123456789abcdef",
        AFTERSALES_LOG_LEVEL="WARNING",
        AFTERSALES_AGENT_PW=AGENT_PASSWORD,
    )
    env.update(extra)
    return env


def cli(env: dict[str, str], *args: str, timeout: float = 300) -> None:
    subprocess.run(
        [str(VENV_BIN / "aftersales"), *args],
        env=env,
        check=True,
        timeout=timeout,
        stdout=subprocess.DEVNULL,
    )


def prepare_schema(env: dict[str, str], *, agent: bool = True) -> None:
    cli(env, "db", "upgrade")
    if agent:
        cli(env, "user", "create", AGENT_EMAIL, "--role", "agent", "--password-env", "AFTERSALES_AGENT_PW")


# ------------------------------------------------------------------ server


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _server_cmd(kind: str, port: int, workers: int) -> list[str]:
    if kind == "gunicorn":
        return [
            str(VENV_BIN / "gunicorn"),
            ASGI_APP,
            "-k",
            "uvicorn.workers.UvicornWorker",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--backlog",
            "2048",
        ]
    return [
        str(VENV_BIN / "uvicorn"),
        ASGI_APP,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
        "--backlog",
        "2048",
    ]


@contextlib.contextmanager
def running_server(env: dict[str, str], tmp: Path, *, workers: int, kind: str = "uvicorn") -> Iterator[Server]:
    port = free_port()
    log_path = tmp / f"server-{port}.log"
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(
            _server_cmd(kind, port, workers), env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(proc, port, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{log_path.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(server.base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become healthy within 60 s")
            time.sleep(0.2)
        # All workers must be up, not only the first one: give the others a moment to import.
        time.sleep(1.0 + 0.5 * workers)
        yield server
    finally:
        stop_group(proc)


_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> tuple[str, int, int, float] | None:
    """(command, parent pid, process group, user+system CPU seconds) of one process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return comm, int(fields[1]), int(fields[2]), (int(fields[11]) + int(fields[12])) / _TICKS


def cpu_seconds(*, group: int | None = None, command: str | None = None) -> float:
    """CPU time used so far by every live process of a process group, or with a given command name."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _proc_stat(int(entry.name))
        if stat is None:
            continue
        comm, _ppid, pgrp, cpu = stat
        if (group is not None and pgrp == group) or (command is not None and comm == command):
            total += cpu
    return total


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def http_json(method: str, url: str, body: Any | None = None, token: str | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def login(server: Server) -> str:
    return http_json("POST", server.base + "/api/v1/auth/token", {"email": AGENT_EMAIL, "password": AGENT_PASSWORD})[
        "token"
    ]


# ------------------------------------------------------------------ wrk


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    codes: dict[str, int]
    non2xx: int
    socket_errors: dict[str, int]
    ids: list[int] = field(default_factory=list)
    server_cpu_ms: float = 0.0  # CPU of the server's workers per row written, filled in by the caller
    db_cpu_ms: float = 0.0  # CPU of PostgreSQL's processes per row written

    @property
    def ok(self) -> int:
        return sum(n for c, n in self.codes.items() if c.startswith("2"))

    @property
    def errors(self) -> int:
        return self.non2xx + sum(self.socket_errors.values())


def run_wrk(
    url: str,
    script: Path,
    *,
    duration: int,
    connections: int,
    threads: int,
    env_extra: dict[str, str],
    tmp: Path,
    timeout_s: int = 10,
) -> WrkResult:
    ids_path = tmp / f"ids-{uuid.uuid4().hex[:8]}.txt"
    env = dict(os.environ)
    env.update(env_extra)
    env["WRK_IDS_FILE"] = str(ids_path)
    cmd = [
        "wrk",
        "--latency",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{duration}s",
        "--timeout",
        f"{timeout_s}s",
        "-s",
        str(script),
        url,
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + 60)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr}\n{proc.stdout}")
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"no WRK_JSON line in wrk output:\n{proc.stdout}")
    d = json.loads(line[len("WRK_JSON ") :])
    ids: list[int] = []
    if ids_path.exists():
        ids = [int(x) for x in ids_path.read_text().split()]
        ids_path.unlink()
    return WrkResult(
        requests=d["requests"],
        duration_s=d["duration_us"] / 1e6,
        rps=d["requests"] / (d["duration_us"] / 1e6),
        p50_ms=d["p50_us"] / 1000,
        p90_ms=d["p90_us"] / 1000,
        p99_ms=d["p99_us"] / 1000,
        max_ms=d["max_us"] / 1000,
        codes={str(k): int(v) for k, v in d["codes"].items()},
        non2xx=int(d["non2xx"]),
        socket_errors={k: int(v) for k, v in d["socket_errors"].items()},
        ids=ids,
    )


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def make_tmp(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def rm_tmp(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
