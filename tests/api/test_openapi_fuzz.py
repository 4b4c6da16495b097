"""Property-based fuzzing of every operation in the OpenAPI schema: no input may cause a server error.

Runs on SQLite only (the module overrides ``db_url``) and with a bounded number of examples per operation.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from schemathesis.checks import not_a_server_error

from ._support import L1_ATTITUDE, new_ticket, short_sqlite_lock_wait

MAX_EXAMPLES = 10


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path):
    """SQLite only: the fuzzer checks the API's input handling, not the database."""
    template: Path = request.getfixturevalue("sqlite_template")
    path = tmp_path / "fuzz.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def api_schema(app, client, admin, database, clock):
    from aftersales.agents.models import Agent
    from aftersales.agents.service import issue_token

    admin_id, headers = admin
    short_sqlite_lock_wait(database, ms=200)  # the known upload self-deadlock must not cost 30 s per example
    new_ticket(client, headers, L1_ATTITUDE)  # something to read, so ids like 1 exist
    auth = dict(headers)

    def keep_admin_usable() -> None:
        """The fuzzer may deactivate, demote or log out the admin it runs as; put that right between calls."""
        if (
            client.get("/api/v1/me", headers=auth).status_code == 200
            and client.get("/api/v1/me", headers=auth).json()["role"] == "admin"
        ):
            return
        with database.transaction() as db:
            agent = db.get(Agent, admin_id)
            agent.active, agent.role = True, "admin"
            token, _ = issue_token(db, agent, clock.now(), 24)
        auth["Authorization"] = f"Bearer {token}"

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return schema, auth, keep_admin_usable


def test_no_input_causes_a_server_error(api_schema):
    """Every operation, MAX_EXAMPLES generated inputs each, as an admin: never a 5xx."""
    schema, auth, keep_admin_usable = api_schema
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @hsettings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
        )
        def run(case) -> None:
            keep_admin_usable()
            response = case.call(headers=dict(auth))
            case.validate_response(response, checks=[not_a_server_error])

        try:
            run()
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # collect every failing operation (FailureGroup included), report together
            failures[f"{operation.method.upper()} {operation.path}"] = str(exc)[:1500]
    assert operations >= 35
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
