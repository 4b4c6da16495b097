"""Group commit for ticket intake: concurrent creates of one process are written in one transaction.

Every request still answers only after the transaction holding its ticket has committed, so a 201 means the
ticket, its timeline and its outbox events are durable. What is shared is the commit (and BEGIN, the connection
checkout, the session and its caches): on PostgreSQL one WAL flush for the whole batch instead of one per
ticket, on SQLite one write-lock hand-over instead of one per ticket. This is how databases themselves reach
high commit rates (PostgreSQL's commit_delay, InnoDB's binlog group commit).

How it works: the route hands the validated request to one writer thread per process and awaits a future.
The writer takes whatever has queued up while it was writing the previous batch (no waiting on purpose, so an
idle server adds no latency), and runs its tickets in one transaction. Most batches have no failing ticket, so a
batch is first written without savepoints (a SAVEPOINT and a RELEASE per ticket were a sixth of the writer's
Python time and two round trips). If any ticket fails, that attempt is rolled back whole and the batch is written
again with one savepoint per ticket: a ticket that fails (bad order number, a conflicting Idempotency-Key, ...)
rolls back to its savepoint and gets its error; the others go on. After such a failure the next batches use
savepoints from the start for a while (``CAREFUL_BATCHES``), so a stream of bad requests does not make every batch
run twice. If the commit itself fails, every ticket of the batch is run again on its own, so one ticket can never
take the others down with it.

Routing stays safe across processes: a ticket still locks its chosen agent's row until commit (PostgreSQL).
A batch may hold several such locks, so once it holds one it no longer waits for another: it asks with NOWAIT,
and if the row is taken it commits what it has and runs that ticket again at the head of the next batch, where
it holds nothing and may wait. Two batches therefore never wait on each other in a cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from aftersales.kit.db import ID_POOL_HINT, Database

log = logging.getLogger(__name__)

MAX_BATCH = 64
# After a batch written without savepoints had a failing ticket, this many batches are written with savepoints.
CAREFUL_BATCHES = 8


def must_not_wait(db: Session) -> bool:
    """Whether this transaction already holds row locks of a batch and so must not wait for another one."""
    return bool(db.info.get("intake_holds_locks"))


def batch_cache(db: Session) -> dict[str, Any] | None:
    """Where a use case may keep what it read for the next tickets of the same batch (routing keeps the
    candidates and their loads), or None outside a batch. Emptied whenever a ticket of the batch fails, since
    what was cached may include that ticket's rolled-back work."""
    if not db.info.get("intake_batch"):
        return None
    cache: dict[str, Any] = db.info.setdefault("intake_batch_cache", {})
    return cache


def note_locks_held(db: Session) -> None:
    if db.info.get("intake_batch"):
        db.info["intake_holds_locks"] = True


def _is_lock_wait_failure(exc: BaseException) -> bool:
    """A lock refused with NOWAIT (55P03) or a deadlock PostgreSQL broke (40P01): retry the ticket alone."""
    orig = getattr(exc, "orig", None)
    return isinstance(exc, DBAPIError) and getattr(orig, "sqlstate", None) in ("55P03", "40P01")


@dataclass
class _Job:
    work: Callable[[Session], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    hint: Any = None  # what the batch's prefetch may read ahead for this job (see IntakeWriter)
    retries: int = 0
    outcome: tuple[bool, Any] | None = field(default=None)


class IntakeWriter:
    """One writer thread per process that commits concurrent intake requests in shared transactions."""

    def __init__(
        self,
        database: Database,
        *,
        writers: int | None = None,
        max_batch: int = MAX_BATCH,
        prefetch: Callable[[Session, list[Any]], None] | None = None,
        optimistic: bool = True,
    ) -> None:
        self.database = database
        self.max_batch = max_batch
        # Write a batch without per-ticket savepoints first (see the module docstring); False: always savepoints.
        self.optimistic = optimistic
        self._careful = 0  # batches still to write with savepoints after a failed optimistic attempt
        self.optimistic_failures = 0
        # Called once per batch, before its first ticket, with the jobs' hints (those not None): reads what
        # every ticket of the batch would otherwise look up on its own, into ``batch_cache`` (the tickets'
        # customers by phone). Only an optimisation: if it fails, the tickets look things up themselves.
        self.prefetch = prefetch
        # One thread: SQLite has one writer at a time, and on PostgreSQL more threads per process only fought
        # over the GIL and split the queue into smaller batches (measured 2026-12-02, benchmarks/intake.py on
        # 2 workers: 4 threads 14.7 ms of server CPU per ticket, ratio 0.30; 1 thread 12.3 ms, ratio 0.37). With
        # one worker process per core, PostgreSQL still has a batch in flight per core.
        self.writers = writers or 1
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._start_lock = threading.Lock()
        self.batches = 0  # counters, for tests and the benchmark's notes
        self.tickets = 0

    async def submit(self, work: Callable[[Session], Any], *, hint: Any = None) -> Any:
        """Run ``work(session)`` in the next batch; returns its result once the batch has committed, or raises
        the exception the work raised (its savepoint rolled back), or the commit's error. ``hint`` goes to the
        batch's prefetch."""
        loop = asyncio.get_running_loop()
        job = _Job(work, loop, loop.create_future(), hint)
        self._ensure_thread()
        self._queue.put(job)
        return await job.future

    def _ensure_thread(self) -> None:
        if self._threads:
            return
        with self._start_lock:
            if not self._threads:
                for i in range(self.writers):
                    thread = threading.Thread(target=self._run, name=f"intake-writer-{i}", daemon=True)
                    thread.start()
                    self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the batches in progress and the queued requests, then end the threads."""
        threads, self._threads = self._threads, []
        for _ in threads:
            self._queue.put(None)
        for thread in threads:
            thread.join(timeout)

    # ------------------------------------------------------------ writer thread

    def _take_batch(self, pending: list[_Job]) -> list[_Job] | None:
        batch = list(pending)
        pending.clear()
        if not batch:
            first = self._queue.get()
            if first is None:
                return None
            batch = [first]
        stop = False
        while len(batch) < self.max_batch:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                stop = True
                break
            batch.append(job)
        if stop:
            self._queue.put(None)  # seen again once this batch is written
        return batch

    def _run(self) -> None:
        pending: list[_Job] = []  # tickets of the last batch put back for the next one
        while True:
            batch = self._take_batch(pending)
            if batch is None:
                return
            try:
                pending.extend(self._write(batch))
            except BaseException as exc:  # never leave a request waiting forever
                log.exception("intake batch failed")
                pending.clear()
                for job in batch:
                    if job.outcome is None:
                        job.outcome = (False, exc)
            for job in batch:
                if job.outcome is not None:
                    self._deliver(job)

    def _deliver(self, job: _Job) -> None:
        ok, value = job.outcome  # type: ignore[misc]

        def settle() -> None:
            if job.future.done():  # the client went away and the request was cancelled
                return
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)

        with contextlib.suppress(RuntimeError):  # that event loop is closed (a test client that has gone)
            job.loop.call_soon_threadsafe(settle)

    def _write(self, batch: list[_Job]) -> list[_Job]:
        """The batch in one transaction: first without savepoints, then (if a ticket failed) with one per ticket.

        Returns the tickets to run again at the head of the next batch."""
        if self.optimistic and len(batch) == 1:  # nothing to share a fate with: no savepoint, no second run
            self._write_alone(batch[0])
            if batch[0].outcome is not None and batch[0].outcome[0]:
                self.batches += 1
                self.tickets += 1
            return []
        if self.optimistic and self._careful == 0:
            if self._write_optimistic(batch):
                return []
            self.optimistic_failures += 1
            self._careful = CAREFUL_BATCHES
        elif self._careful:
            self._careful -= 1
        return self._write_with_savepoints(batch)

    def _write_optimistic(self, batch: list[_Job]) -> bool:
        """Every ticket of the batch in one transaction without savepoints; False (and nothing written, nothing
        answered) if any ticket or the commit failed."""
        session = self.database.session(write=True)
        session.info["intake_batch"] = True
        results: list[tuple[_Job, Any]] = []
        try:
            self._prefetch(session, batch)
            for i, job in enumerate(batch):
                session.info[ID_POOL_HINT] = len(batch) - i
                results.append((job, job.work(session)))
            session.commit()
        except Exception as exc:
            log.debug("intake batch of %d failed without savepoints (%s); writing it with savepoints", len(batch), exc)
            session.rollback()
            return False
        finally:
            session.close()
        self.batches += 1
        self.tickets += len(results)
        for job, value in results:
            job.outcome = (True, value)
        return True

    def _write_with_savepoints(self, batch: list[_Job]) -> list[_Job]:
        """One transaction, one savepoint per ticket; on a failed commit, each ticket again on its own."""
        session = self.database.session(write=True)
        session.info["intake_batch"] = True
        results: list[tuple[_Job, tuple[bool, Any]]] = []
        deferred: list[_Job] = []
        try:
            self._prefetch(session, batch)
            for i, job in enumerate(batch):
                session.info[ID_POOL_HINT] = len(batch) - i  # ids are fetched ahead for the rest of the batch
                try:
                    with session.begin_nested():
                        value = job.work(session)
                    results.append((job, (True, value)))
                except Exception as exc:
                    session.info.pop("intake_batch_cache", None)  # see batch_cache
                    if _is_lock_wait_failure(exc) and job.retries < 3 and len(batch) > 1:
                        job.retries += 1
                        deferred = batch[i:]
                        break
                    results.append((job, (False, exc)))
            session.commit()
        except Exception as exc:
            session.rollback()
            session.close()
            if len(results) == 1:
                results[0][0].outcome = (False, exc)
                return deferred
            log.warning("intake batch of %d failed at commit (%s); writing its tickets one by one", len(batch), exc)
            for job, _ in results:
                self._write_alone(job)
            return deferred
        finally:
            session.close()
        self.batches += 1
        self.tickets += sum(1 for _, (ok, _v) in results if ok)
        for job, outcome in results:
            job.outcome = outcome
        return deferred

    def _prefetch(self, session: Session, batch: list[_Job]) -> None:
        hints = [job.hint for job in batch if job.hint is not None]
        if self.prefetch is None or len(hints) < 2:  # for one ticket, its own lookup is the same statement
            return
        try:
            with session.begin_nested():
                self.prefetch(session, hints)
        except Exception:
            log.warning("intake prefetch failed; the batch's tickets look up on their own", exc_info=True)
            session.info.pop("intake_batch_cache", None)

    def _write_alone(self, job: _Job) -> None:
        session = self.database.session(write=True)
        try:
            value = job.work(session)
            session.commit()
            job.outcome = (True, value)
        except Exception as exc:
            session.rollback()
            job.outcome = (False, exc)
        finally:
            session.close()
