"""Database plumbing: declarative base, portable column types, engines for SQLite (WAL) and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData, Table, create_engine, event, func, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MAX_ID = 2**63 - 1  # ids are 64-bit on both databases; larger numbers are refused as input, not sent to SQL

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JsonType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back aware UTC datetimes (SQLite would otherwise drop the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def sqlite_path(url: str) -> Path | None:
    path = url.split("///", 1)[1] if "///" in url else ""
    if not path or path == ":memory:":
        return None
    return Path(path)


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    """Engine with the project's connection settings. SQLite: WAL, foreign keys, IMMEDIATE writes."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=20,
        )
        _configure_sqlite(engine)
        return engine
    # No pool_pre_ping: it costs a round trip on every checkout. A connection the server dropped is detected on
    # first use instead; SQLAlchemy then invalidates the pool and that one request answers 503 (retry).
    return create_engine(url, echo=echo, pool_size=pool_size, max_overflow=20, pool_recycle=3600)


_SQLITE_BUSY_TIMEOUT_S = 30.0


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from pysqlite so writers can BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(_SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.close()

    # Writers of this process queue on a lock of their own before BEGIN IMMEDIATE. SQLite's busy handler makes
    # a waiting writer sleep and poll (up to 100 ms a nap), so under load some writers lost every race for
    # seconds (p99 of 6-8 s at 32 clients); a lock hands the database to the next waiter as soon as it is free.
    # Other processes still meet at SQLite's own lock and its busy timeout.
    writers = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A write transaction takes the write lock up front: a deferred one that later upgrades from
        # read to write fails with SQLITE_BUSY instead of waiting when another writer got there first.
        if conn.get_execution_options().get("sqlite_write", False):
            # Past the busy timeout go on without the gate: SQLite's own lock still keeps writes apart.
            if writers.acquire(timeout=_SQLITE_BUSY_TIMEOUT_S):
                conn.info["holds_writer_gate"] = True
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                _release(conn.info)
                raise
        else:
            conn.exec_driver_sql("BEGIN")

    def _release(info: dict[str, Any]) -> None:
        if info.pop("holds_writer_gate", False):
            writers.release()

    @event.listens_for(engine, "commit")
    def _on_commit(conn: Any) -> None:
        _release(conn.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Any) -> None:
        _release(conn.info)

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        # A connection handed back without commit or rollback (the pool rolls it back itself) frees the gate too.
        _release(record.info)


class Database:
    """Owns the engine and hands out sessions; ``write=True`` sessions serialise writers on SQLite."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size, echo=echo)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        write_bind = self.engine.execution_options(sqlite_write=True) if self.is_sqlite else self.engine
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._write = sessionmaker(bind=write_bind, expire_on_commit=False)

    def session(self, *, write: bool = False) -> Session:
        return (self._write if write else self._read)()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error."""
        session = self.session(write=True)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


_NEXTVAL: dict[str, Any] = {}


def reserve_id(db: Session, model: type[Base]) -> int:
    """The primary key the next row of ``model`` will have, taken before the row is written.

    Lets a use case build a row and everything that points at it (timeline, events) in memory and write them
    all in one flush with their final values, instead of INSERT, then UPDATE once the id is known. PostgreSQL
    hands out the id from the column's sequence (never reused, even if this transaction rolls back); SQLite
    serialises write transactions (BEGIN IMMEDIATE), so the largest id + 1 cannot be taken twice.
    """
    table: Table = model.__table__  # type: ignore[assignment]
    if db.get_bind().dialect.name == "postgresql":
        statement = _NEXTVAL.get(table.name)
        if statement is None:
            # Tables are ours, so the name is safe to inline; a bigserial key's sequence is <table>_id_seq.
            statement = _NEXTVAL[table.name] = text(f"SELECT nextval('{table.name}_id_seq')")
        return int(db.execute(statement).scalar_one())
    with db.no_autoflush:
        largest = db.execute(select(func.max(table.c.id))).scalar_one()
    # Rows of this model added in this session and not yet written hold ids too.
    pending = [getattr(obj, "id", None) for obj in db.new if isinstance(obj, model)]
    return max([largest or 0, *(i for i in pending if i is not None)]) + 1
