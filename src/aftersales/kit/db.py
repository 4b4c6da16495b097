"""Database plumbing: declarative base, portable column types, engines for SQLite (WAL) and PostgreSQL."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData, Table, create_engine, event, inspect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
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


def _raw(db: Session) -> Any:
    """The DB-API connection under the session, inside its transaction: for statements that do not need
    SQLAlchemy's statement machinery (which costs more than the statement itself on the intake path)."""
    return db.connection().connection.dbapi_connection


def _cursor(db: Session) -> Any:
    return _raw(db).cursor()


def reserve_ids(db: Session, model: type[Base], n: int = 1) -> list[int]:
    """The primary keys the next ``n`` rows of ``model`` will have, taken before the rows are written.

    Lets a use case build a row and everything that points at it (timeline, events) in memory and write them
    all at once with their final values, instead of INSERT, then UPDATE once the id is known. PostgreSQL
    hands out the ids from the column's sequence (never reused, even if this transaction rolls back); SQLite
    serialises write transactions (BEGIN IMMEDIATE), so the largest id + 1 cannot be taken twice.
    """
    return reserve_many(db, {model: n}).get(model, [])


def reserve_many(db: Session, wanted: dict[type[Base], int]) -> dict[type[Base], list[int]]:
    """``reserve_ids`` for several models in one round trip."""
    wanted = {model: n for model, n in wanted.items() if n > 0}
    if not wanted:
        return {}
    if db.get_bind().dialect.name == "postgresql":
        return _reserve_from_sequences(db, wanted)
    names = [model.__table__.name for model in wanted]  # type: ignore[attr-defined]
    out: dict[type[Base], list[int]] = {}
    cursor = _cursor(db)
    try:
        cursor.execute("SELECT " + ", ".join(f"(SELECT max(id) FROM {name})" for name in names))
        largest = cursor.fetchone()
    finally:
        cursor.close()
    for (model, n), top in zip(wanted.items(), largest, strict=True):
        # Rows of this model added in this session and not yet written hold ids too.
        pending = [getattr(obj, "id", None) for obj in db.new if isinstance(obj, model)]
        first = max([top or 0, *(i for i in pending if i is not None)]) + 1
        out[model] = list(range(first, first + n))
    return out


ID_POOL_HINT = "id_pool_hint"  # session.info key: how many more intakes of the same shape this transaction expects


def _reserve_from_sequences(db: Session, wanted: dict[type[Base], int]) -> dict[type[Base], list[int]]:
    """PostgreSQL: ids from each table's sequence, fetched ahead for the whole transaction when it says how
    many intakes it still holds (``session.info[ID_POOL_HINT]``, set by the intake writer): a request that needs
    n ids of a table then fetches n × that many, so a batch asks the sequences about once per table instead of
    once per ticket. Ids fetched but not used are skipped, as after any rollback: a sequence never hands out the
    same value twice, so gaps are its normal behaviour."""
    pools: dict[type[Base], list[int]] = db.info.setdefault("id_pools", {})
    ahead = max(int(db.info.get(ID_POOL_HINT, 1) or 1), 1)  # this request and the ones after it
    fetch = {model: n * ahead for model, n in wanted.items() if len(pools.get(model, ())) < n}
    if fetch:
        cursor = _cursor(db)
        try:
            # Tables are ours, so their names are safe to inline; a bigserial key's sequence is <table>_id_seq.
            parts = [
                f"SELECT {i}, nextval('{model.__table__.name}_id_seq') FROM generate_series(1, {int(n)})"  # type: ignore[attr-defined]
                for i, (model, n) in enumerate(fetch.items())
            ]
            cursor.execute(" UNION ALL ".join(parts))
            got: list[list[int]] = [[] for _ in fetch]
            for i, value in cursor.fetchall():
                got[i].append(int(value))
        finally:
            cursor.close()
        for model, ids in zip(fetch, got, strict=True):
            pools[model] = sorted([*pools.get(model, ()), *ids])
    out: dict[type[Base], list[int]] = {}
    for model, n in wanted.items():
        pool = pools[model]
        out[model], pools[model] = pool[:n], pool[n:]
    return out


_TABLE_ORDER: dict[Table, int] = {}
_INSERT_PLANS: dict[tuple[Any, str], _InsertPlan] = {}


class _NotPlain(Exception):
    pass


class _InsertPlan:
    """A table's INSERT compiled once for a dialect, with each column's default and bind processor."""

    def __init__(self, mapper: Any, dialect: Any) -> None:
        table = mapper.local_table
        self.columns: list[tuple[str, str, Any, Any]] = []  # (attribute, column key, default maker, processor)
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            if column.table is not table or column.server_default is not None or column.computed is not None:
                continue
            default = column.default
            maker: Any = None
            if default is not None:
                if default.is_scalar:
                    maker = lambda value=default.arg: value  # noqa: E731
                elif default.is_callable:
                    maker = lambda fn=default.arg: fn(None)  # noqa: E731
                else:  # a SQL expression default: let the ORM write such rows
                    raise _NotPlain
            processor = column.type.dialect_impl(dialect).bind_processor(dialect)
            self.columns.append((prop.key, column.key, maker, processor))
        compiled = table.insert().compile(dialect=dialect, column_keys=[key for _, key, _, _ in self.columns])
        self.sql = compiled.string
        self.positional = dialect.positional
        order = {key: i for i, (_, key, _, _) in enumerate(self.columns)}
        if self.positional:
            positions = [order[key] for key in compiled.positiontup or ()]
        else:
            # PostgreSQL: "VALUES (%(id)s::BIGINT, ...)" becomes "VALUES (%s::BIGINT, ...)", so that one statement
            # can carry many rows ("VALUES (...), (...)") in one round trip.
            head, sep, values = self.sql.partition(" VALUES ")
            if not sep:
                raise _NotPlain
            positions = [order[name] for name in re.findall(r"%\((\w+)\)s", values)]
            self._head = head + sep
            self._group = re.sub(r"%\((\w+)\)s", "%s", values)
            self.positional = True
        if sorted(positions) != list(range(len(self.columns))):
            raise _NotPlain
        self.columns = [self.columns[i] for i in positions]
        self._many: dict[int, str] = {}

    def many_sql(self, n: int) -> str:
        """One INSERT of ``n`` rows (PostgreSQL); the rows' values go in flattened, row after row."""
        sql = self._many.get(n)
        if sql is None:
            sql = self._head + ", ".join([self._group] * n)
            if len(self._many) < 64:
                self._many[n] = sql
        return sql

    def row(self, values: dict[str, Any]) -> Any:
        out: list[Any] = []
        for attr, _key, maker, processor in self.columns:
            if attr in values:
                value = values[attr]
            else:
                value = values[attr] = maker() if maker is not None else None
            out.append(processor(value) if processor is not None and value is not None else value)
        return out


def _insert_plan(mapper: Any, dialect: Any) -> _InsertPlan:
    plan = _INSERT_PLANS.get((mapper, dialect.name))
    if plan is None:
        plan = _INSERT_PLANS[(mapper, dialect.name)] = _InsertPlan(mapper, dialect)
    return plan


def write_new(db: Session, models: tuple[type[Base], ...], *, keep: tuple[type[Base], ...] = ()) -> bool:
    """Write the session's new objects with one multi-row INSERT per table, straight through the DB-API.

    The ORM's flush spends most of its time on bookkeeping (dependency sorting, attribute history, per-row
    RETURNING) that rows built whole in memory do not need; on the intake path it cost more than triage, SLA and
    routing together. This writes the same rows (ids from ``reserve_ids`` where missing, column defaults and
    SQLAlchemy's own bind processing for each type) with the driver's ``executemany``, statements compiled once.

    Afterwards objects of ``keep`` are attached to the session as persistent, exactly as if they had just been
    loaded, so later changes to them become UPDATEs as usual; the others (append-only rows such as timeline
    entries and outbox events) leave the session, still readable in memory.

    Only when every new object is of one of ``models``, whose rows hold their foreign keys as plain columns (no
    relationship to follow); otherwise nothing is written here and False is returned, and the caller's
    ``flush`` writes everything the usual way. Changed existing objects are left to that flush in any case.
    Statements written here do not pass through SQLAlchemy's execution events or echo.
    """
    new = list(db.new)
    if not new:
        return True
    dialect = db.get_bind().dialect
    groups: dict[Any, list[Any]] = {}
    try:
        for obj in new:
            if type(obj) not in models:
                return False
            state = inspect(obj)
            if state.key is not None:
                return False
            groups.setdefault(state.mapper, []).append(state)
        plans = {mapper: _insert_plan(mapper, dialect) for mapper in groups}
    except _NotPlain:
        return False
    if not _TABLE_ORDER:
        _TABLE_ORDER.update({t: i for i, t in enumerate(Base.metadata.sorted_tables)})
    ordered = sorted(groups, key=lambda m: _TABLE_ORDER[m.local_table])
    for mapper in ordered:
        groups[mapper].sort(key=lambda s: s.insert_order)
    missing = {m.class_: [s for s in groups[m] if s.dict.get("id") is None] for m in ordered}
    for model, new_ids in reserve_many(db, {model: len(states) for model, states in missing.items()}).items():
        for state, new_id in zip(missing[model], new_ids, strict=True):
            state.obj().id = new_id
    postgresql = dialect.name == "postgresql"
    raw = _raw(db)
    cursor = raw.cursor()
    try:
        # PostgreSQL: one statement per table, all sent before waiting for any answer (pipeline mode).
        with raw.pipeline() if postgresql else contextlib.nullcontext():
            for mapper in ordered:
                plan = plans[mapper]
                rows = [plan.row(state.dict) for state in groups[mapper]]
                if postgresql:
                    cursor.execute(plan.many_sql(len(rows)), [value for row in rows for value in row])
                elif len(rows) == 1:
                    cursor.execute(plan.sql, rows[0])
                else:
                    cursor.executemany(plan.sql, rows)
    except dialect.loaded_dbapi.Error as exc:
        # The same exception classes the ORM would raise (IntegrityError, DataError, OperationalError ...).
        raise DBAPIError.instance(
            "INSERT (kit.db.write_new)", None, exc, dialect.loaded_dbapi.Error, hide_parameters=True, dialect=dialect
        ) from exc
    finally:
        cursor.close()
    for states in groups.values():
        for state in states:
            obj = state.obj()
            db.expunge(obj)
            if isinstance(obj, keep):
                make_transient_to_detached(obj)
                db.add(obj)
    return True
