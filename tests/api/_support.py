"""Helpers shared by the API, routing and workflow tests (imported as ``api._support``)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import event

# Texts whose automatic triage is known (dairy pack): (category, severity, department).
L3_DIARRHOEA = "喝了你们的牛奶孩子腹泻住院了"  # adverse_reaction, L3, management
L3_ALLERGY = "牛奶喝完过敏起疹子了"  # adverse_reaction, L3, management
L1_SOUR = "昨天收到的鲜牛奶打开就是酸的，已经结块了"  # quality, L1, quality
L1_ATTITUDE = "客服态度太差了"  # service_attitude, L1, customer_service
L1_LATE = "快递三天了还没到"  # logistics_delay, L1, logistics
L1_MISSING = "收到的酸奶少了一盒"  # wrong_or_missing_item, L1, after_sales
L1_BOX = "包装盒破了，牛奶漏了一箱"  # packaging_damage, L1, after_sales

API = "/api/v1"
PASSWORD = "correct horse battery"  # what the root conftest gives every agent


@pytest.fixture
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap Argon2 parameters: every agent the tests create costs milliseconds instead of 0.4 s."""
    import aftersales.kit.security as security

    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def png_bytes(width: int = 1, height: int = 1) -> bytes:
    """A small but valid PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def new_ticket(
    client: Any,
    headers: dict[str, str],
    description: str = L1_ATTITUDE,
    *,
    channel: str = "web",
    phone: str | None = "13800000001",
    expect: int = 201,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {"description": description, "channel": channel, **extra}
    if phone is not None and "customer" not in extra:
        body["customer"] = {"phone": phone, "name": "张女士"}
    response = client.post(f"{API}/tickets", headers=headers, json=body)
    assert response.status_code == expect, response.text
    return response.json()


def assign(
    client: Any, headers: dict[str, str], ticket_id: int, agent_id: int | None, expect: int = 200
) -> dict[str, Any]:
    response = client.post(f"{API}/tickets/{ticket_id}/assignment", headers=headers, json={"agent_id": agent_id})
    assert response.status_code == expect, response.text
    return response.json()


def act(
    client: Any, headers: dict[str, str], ticket_id: int, action: str, expect: int = 200, reason: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"action": action}
    if reason is not None:
        body["reason"] = reason
    response = client.post(f"{API}/tickets/{ticket_id}/transitions", headers=headers, json=body)
    assert response.status_code == expect, response.text
    return response.json()


def get_ticket(client: Any, headers: dict[str, str], ticket_id: int) -> dict[str, Any]:
    response = client.get(f"{API}/tickets/{ticket_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert "error" in body, body
    return body["error"]


def iter_routes(routes: Any) -> Iterator[tuple[str, str]]:
    """(METHOD, path) of every route, including those of included routers (FastAPI >= 0.16x keeps those in
    an ``_IncludedRouter`` wrapper instead of copying them into ``app.routes``)."""
    for route in routes:
        if hasattr(route, "effective_candidates"):
            yield from iter_routes(route.effective_candidates())
            continue
        original = getattr(route, "original_route", route)
        path = getattr(route, "path", None) or getattr(original, "path", None)
        for method in sorted(getattr(original, "methods", None) or ()):
            if method != "HEAD" and path:
                yield method, path


def api_routes(app: Any) -> set[tuple[str, str]]:
    return {(m, p) for m, p in iter_routes(app.routes) if p.startswith(API + "/")}


def short_sqlite_lock_wait(database: Any, ms: int = 1000) -> None:
    """Make a SQLite writer give up after ``ms`` instead of 30 s, so a self-deadlock fails fast."""
    if not database.is_sqlite:
        return

    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA busy_timeout={int(ms)}")

    event.listen(database.engine, "connect", _on_connect)
    database.engine.dispose()


def add_attachment_directly(
    database: Any,
    settings: Any,
    ticket_id: int,
    now: Any,
    content: bytes | None = None,
    filename: str = "a.png",
    content_type: str = "image/png",
) -> int:
    """Store an attachment through the service (bypasses the agent upload route)."""
    from aftersales.kit.actor import SYSTEM
    from aftersales.tickets import repository, service

    with database.transaction() as db:
        ticket = repository.get(db, ticket_id, for_update=True)
        row = service.add_attachment(
            db,
            ticket,
            filename=filename,
            content_type=content_type,
            content=content if content is not None else png_bytes(),
            actor=SYSTEM,
            now=now,
            storage_dir=settings.data_dir / "attachments",
            max_bytes=settings.attachment_max_bytes,
            allowed_types=settings.attachment_types,
        )
        return row.id


@contextmanager
def counted(database: Any) -> Iterator[list[str]]:
    """The SQL statements the engine runs inside the block."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
