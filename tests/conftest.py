"""Shared fixtures: every test that takes `database` runs on SQLite and on real PostgreSQL.

PostgreSQL is found at AFTERSALES_TEST_PG_URL (default: the local server's `test` database, trust auth). Each
test session creates its own database there and drops it afterwards. Where no server answers, the PostgreSQL
half is skipped with the reason shown — unless AFTERSALES_REQUIRE_PG=1 (CI), where that is an error.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from aftersales.kit.clock import FrozenClock
from aftersales.kit.db import Database
from aftersales.kit.migrate import upgrade

PG_URL = os.environ.get("AFTERSALES_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("AFTERSALES_REQUIRE_PG") == "1"
START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Shanghai
PASSWORD = "correct horse battery"


def _pg_admin_connect() -> Any:
    import psycopg

    return psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True, connect_timeout=3)


@pytest.fixture(scope="session")
def pg_template_url() -> Iterator[str]:
    try:
        conn = _pg_admin_connect()
    except Exception as exc:  # no server: skip visibly, or fail where a server is promised
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL required (AFTERSALES_REQUIRE_PG=1) but unreachable at {PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc}")
    name = f"aftersales_test_{uuid.uuid4().hex[:10]}"
    conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    try:
        yield url
    finally:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database for one test."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("pg_template_url")
    yield url
    database = Database(url, pool_size=1)
    with database.engine.begin() as conn:
        tables = (
            conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
            )
            .scalars()
            .all()
        )
        if tables:
            # TRUNCATE fires no row triggers, so the append-only guard on the timeline stays in place.
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    database.dispose()


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    from aftersales.sla.service import ensure_defaults

    db = Database(db_url, pool_size=5)
    with db.transaction() as session:
        ensure_defaults(session, START)
    yield db
    db.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Any:
    from aftersales.kit.settings import Settings

    return Settings(
        database_url=db_url,
        data_dir=tmp_path / "data",
        secret_key="test-secret-key-0123456789",
        industry_pack="dairy",
        sla_sweep_interval_seconds=0,
        dispatch_interval_seconds=0,  # tests run the outbox dispatcher themselves, at the frozen clock's time
    )


@pytest.fixture
def app(settings: Any, clock: FrozenClock, database: Database) -> Any:
    from aftersales.app import create_app

    return create_app(settings, clock=clock, database=database)


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def make_agent(database: Database, client: Any) -> Callable[..., tuple[int, dict[str, str]]]:
    """Create an agent and log in; returns (agent_id, auth headers)."""
    from aftersales.agents.schemas import AgentCreate
    from aftersales.agents.service import create_agent

    counter = iter(range(1, 10_000))

    def make(
        role: str = "agent",
        department: str = "customer_service",
        skills: list[str] | None = None,
        capacity: int = 10,
        email: str | None = None,
    ) -> tuple[int, dict[str, str]]:
        email = email or f"{role}{next(counter)}@brand.example"
        with database.transaction() as session:
            agent = create_agent(
                session,
                AgentCreate(
                    email=email,
                    name=email.split("@")[0],
                    password=PASSWORD,
                    role=role,
                    department=department,  # type: ignore[arg-type]
                    skills=skills or [],
                    capacity=capacity,
                ),
                START,
            )
            agent_id = agent.id
        response = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return agent_id, {"Authorization": f"Bearer {response.json()['token']}"}

    return make


@pytest.fixture
def admin(make_agent: Callable[..., tuple[int, dict[str, str]]]) -> tuple[int, dict[str, str]]:
    return make_agent("admin", "management")


@pytest.fixture
def supervisor(make_agent: Callable[..., tuple[int, dict[str, str]]]) -> tuple[int, dict[str, str]]:
    return make_agent("supervisor", "customer_service", capacity=0)


@pytest.fixture
def analyst(make_agent: Callable[..., tuple[int, dict[str, str]]]) -> tuple[int, dict[str, str]]:
    return make_agent("analyst", "management")
