"""The outbox dispatcher: hands committed events to internal handlers and delivers webhooks and notifications.

Three stages, each its own short transaction so no lock is held during network I/O:

1. **Events.** Pending ``outbox_events`` rows are claimed (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
   dispatchers split the work; SQLite serialises writers with ``BEGIN IMMEDIATE``). Each event's internal handlers
   run in a savepoint together with a compare-and-set that marks it dispatched, so a handler's writes and the
   mark commit together or not at all. A failing handler is retried with backoff and dead-lettered after N tries.
2. **Webhooks.** Due ``webhook_deliveries`` are leased (the same claim, plus ``lease_until`` so a crashed
   sender's rows come back after the lease), POSTed with an HMAC signature outside any transaction, then marked
   delivered, rescheduled with exponential backoff, or dead-lettered.
3. **Notifications.** The same lease-send-record loop for outbound e-mail and gateway messages.

Delivery is at least once: a crash between sending and recording sends again, so receivers deduplicate on the
``X-Aftersales-Event-Id`` header.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from aftersales.channels.base import Channel, DeliveryError, OutboundMessage, configured_channels
from aftersales.events.backoff import SIGNATURE_HEADER, retry_delay_seconds, sign
from aftersales.events.models import Notification, WebhookDelivery, WebhookEndpoint
from aftersales.events.registry import HandlerContext, Registry, default_registry
from aftersales.events.webhooks import event_body
from aftersales.kit.clock import Clock
from aftersales.kit.db import Database
from aftersales.kit.outbox import OutboxEvent
from aftersales.kit.settings import Settings

log = logging.getLogger("aftersales.events")


@dataclass
class _Claimed:
    id: int
    attempts: int
    url: str = ""
    secret: str = ""
    body: bytes = b""
    event_id: int = 0
    topic: str = ""
    message: OutboundMessage | None = None
    channel: str = ""


class Dispatcher:
    """One dispatcher; run several side by side on PostgreSQL (they never take the same row)."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        settings: Settings,
        *,
        name: str | None = None,
        registry: Registry | None = None,
        channels: dict[str, Channel] | None = None,
        batch_size: int = 100,
        lease_seconds: float | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.settings = settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.registry = registry or default_registry()
        self.channels = channels if channels is not None else configured_channels(settings)
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds or settings.dispatch_lease_seconds)
        self._own_http = http is None
        concurrency = settings.webhook_concurrency
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self.http = http or httpx.Client(timeout=settings.webhook_timeout_seconds, limits=limits)
        # Receivers are slow compared to the database: a batch's POSTs go out in parallel (httpx.Client is
        # thread-safe), which is what lets one dispatcher keep up with a busy service.
        self._pool = (
            ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="webhook") if concurrency > 1 else None
        )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if self._own_http:
            self.http.close()

    # ---------------------------------------------------------------- loop

    def run_once(self) -> dict[str, int]:
        from aftersales.surveys.service import flag_overdue_callbacks

        counts = {
            "events": self.handle_events(),
            "webhooks": self.deliver_webhooks(),
            "notifications": self.send_notifications(),
        }
        with self.database.transaction() as db:
            counts["overdue_callbacks"] = flag_overdue_callbacks(db, self.clock.now())
        return counts

    def run_until_idle(self, max_rounds: int = 100) -> dict[str, int]:
        """Drain everything that is due now (tests and the `worker --until-idle` command)."""
        total: dict[str, int] = {}
        for _ in range(max_rounds):
            counts = self.run_once()
            for key, value in counts.items():
                total[key] = total.get(key, 0) + value
            if not any(counts.values()):
                break
        return total

    # ---------------------------------------------------------------- stage 1: events -> internal handlers

    def _retry_at(self, attempts: int, now: datetime) -> datetime:
        delay = retry_delay_seconds(
            attempts, base=self.settings.webhook_backoff_seconds, cap=self.settings.webhook_backoff_max_seconds
        )
        return now + timedelta(seconds=delay)

    def handle_events(self) -> int:
        now = self.clock.now()
        handled = 0
        with self.database.transaction() as db:
            stmt = (
                select(OutboxEvent)
                .where(
                    OutboxEvent.dispatched_at.is_(None),
                    OutboxEvent.dead_at.is_(None),
                    or_(OutboxEvent.next_attempt_at.is_(None), OutboxEvent.next_attempt_at <= now),
                )
                .order_by(OutboxEvent.id)
                .limit(self.batch_size)
            )
            if not self.database.is_sqlite:
                stmt = stmt.with_for_update(skip_locked=True)
            events = list(db.scalars(stmt))
            if not events:
                return 0
            ctx = HandlerContext(now=now, settings=self.settings)
            if self._handle_batch(db, events, ctx):
                return len(events)
            # Something in the batch failed: redo it one event per savepoint, so only the culprit waits.
            ctx.cache.clear()
            for event in events:
                if self._handle_one(db, event, ctx):
                    handled += 1
        return handled

    def _handle_batch(self, db: Session, events: list[OutboxEvent], ctx: HandlerContext) -> bool:
        """The common case, all handlers succeed: one savepoint and one marking statement for the whole batch."""
        ids = [e.id for e in events]
        try:
            with db.begin_nested():
                for event in events:
                    for _name, handler in self.registry.handlers_for(event.topic):
                        handler(db, event, ctx)
                db.flush()
                marked = db.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.id.in_(ids), OutboxEvent.dispatched_at.is_(None))
                    .values(dispatched_at=ctx.now, attempts=OutboxEvent.attempts + 1)
                    .execution_options(synchronize_session=False)
                )
                if marked.rowcount != len(ids):  # type: ignore[attr-defined]
                    raise _AlreadyTaken
            return True
        except Exception:
            return False

    def _handle_one(self, db: Session, event: OutboxEvent, ctx: HandlerContext) -> bool:
        event_id, attempts = event.id, event.attempts
        try:
            with db.begin_nested():
                for _name, handler in self.registry.handlers_for(event.topic):
                    handler(db, event, ctx)
                db.flush()
                # Compare-and-set: only the dispatcher that flips dispatched_at from NULL owns the event.
                marked = db.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.id == event_id, OutboxEvent.dispatched_at.is_(None))
                    .values(dispatched_at=ctx.now, attempts=OutboxEvent.attempts + 1)
                    .execution_options(synchronize_session=False)
                )
                if marked.rowcount != 1:  # type: ignore[attr-defined]
                    raise _AlreadyTaken
            return True
        except _AlreadyTaken:
            return False
        except Exception as exc:  # a handler bug must not stop every later event; it is retried, then parked
            log.exception("handler failed for event %s (%s)", event_id, event.topic)
            attempts += 1
            values: dict[str, Any] = {"attempts": attempts, "last_error": f"{type(exc).__name__}: {exc}"[:2000]}
            if attempts >= self.settings.webhook_max_attempts:
                values["dead_at"] = ctx.now
            else:
                values["next_attempt_at"] = self._retry_at(attempts, ctx.now)
            db.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id == event_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            # The handlers' writes were rolled back with the savepoint; so is the per-batch memo they filled.
            ctx.cache.clear()
            return False

    # ---------------------------------------------------------------- leasing (stages 2 and 3)

    def _lease(self, db: Session, model: Any, now: datetime, *extra: Any) -> list[tuple[int, int]]:
        due = (
            select(model.id)
            .where(
                model.status == "pending",
                model.next_attempt_at <= now,
                or_(model.lease_until.is_(None), model.lease_until < now),
                *extra,
            )
            .order_by(model.next_attempt_at, model.id)
            .limit(self.batch_size)
        )
        if not self.database.is_sqlite:
            due = due.with_for_update(skip_locked=True)
        ids = list(db.scalars(due))
        if not ids:
            return []
        # Compare-and-set on the lease: a row someone else leased meanwhile is not returned.
        leased = db.execute(
            update(model)
            .where(
                model.id.in_(ids),
                model.status == "pending",
                or_(model.lease_until.is_(None), model.lease_until < now),
            )
            .values(lease_until=now + self.lease, attempts=model.attempts + 1)
            .returning(model.id, model.attempts)
            .execution_options(synchronize_session=False)
        )
        return [(row[0], row[1]) for row in leased]

    def _record(self, model: Any, results: list[tuple[_Claimed, bool, int | None, str | None]], now: datetime) -> None:
        if not results:
            return
        max_attempts = self.settings.webhook_max_attempts
        done_at = "delivered_at" if model is WebhookDelivery else "sent_at"
        done_status = "delivered" if model is WebhookDelivery else "sent"
        with self.database.transaction() as db:
            delivered = [c.id for c, ok, code, _ in results if ok and (model is not WebhookDelivery or code == 200)]
            if delivered:
                # The usual outcome in one statement (all 200s); anything else is written row by row below.
                values_ok: dict[str, Any] = {
                    "lease_until": None,
                    "status": done_status,
                    done_at: now,
                    "last_error": None,
                }
                if model is WebhookDelivery:
                    values_ok["last_status_code"] = 200
                db.execute(
                    update(model)
                    .where(model.id.in_(delivered))
                    .values(**values_ok)
                    .execution_options(synchronize_session=False)
                )
            done = set(delivered)
            for claimed, ok, code, error in results:
                if claimed.id in done:
                    continue
                values: dict[str, Any] = {"lease_until": None}
                if model is WebhookDelivery:
                    values["last_status_code"] = code
                if ok:
                    values.update({"status": done_status, done_at: now, "last_error": None})
                elif claimed.attempts >= max_attempts:
                    values.update({"status": "dead", "last_error": error})
                    log.warning(
                        "%s %s dead after %s attempts: %s", model.__tablename__, claimed.id, claimed.attempts, error
                    )
                else:
                    values.update({"next_attempt_at": self._retry_at(claimed.attempts, now), "last_error": error})
                db.execute(
                    update(model)
                    .where(model.id == claimed.id)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )

    # ---------------------------------------------------------------- stage 2: webhooks

    def deliver_webhooks(self) -> int:
        now = self.clock.now()
        claimed: list[_Claimed] = []
        with self.database.transaction() as db:
            leased: dict[int, int] = dict(self._lease(db, WebhookDelivery, now))
            if leased:
                rows = db.execute(
                    select(WebhookDelivery.id, WebhookEndpoint.url, WebhookEndpoint.secret, OutboxEvent)
                    .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                    .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
                    .where(WebhookDelivery.id.in_(list(leased)))
                    .order_by(WebhookDelivery.id)
                )
                for delivery_id, url, secret, event in rows:
                    body = json.dumps(event_body(event), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
                    claimed.append(
                        _Claimed(
                            id=delivery_id,
                            attempts=leased[delivery_id],
                            url=url,
                            secret=secret,
                            body=body,
                            event_id=event.id,
                            topic=event.topic,
                        )
                    )
        results = (
            list(self._pool.map(self._post, claimed))
            if self._pool and len(claimed) > 1
            else [self._post(c) for c in claimed]
        )
        self._record(WebhookDelivery, results, self.clock.now())
        return len(claimed)

    def _post(self, c: _Claimed) -> tuple[_Claimed, bool, int | None, str | None]:
        timestamp = int(self.clock.now().timestamp())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(c.secret, timestamp, c.body),
            "X-Aftersales-Event": c.topic,
            "X-Aftersales-Event-Id": str(c.event_id),
            "X-Aftersales-Delivery": str(c.id),
            "X-Aftersales-Attempt": str(c.attempts),
        }
        try:
            response = self.http.post(c.url, content=c.body, headers=headers)
        except httpx.HTTPError as exc:
            return c, False, None, f"{type(exc).__name__}: {exc}"[:2000]
        if 200 <= response.status_code < 300:
            return c, True, response.status_code, None
        return c, False, response.status_code, f"HTTP {response.status_code}: {response.text[:500]}"

    # ---------------------------------------------------------------- stage 3: notifications

    def send_notifications(self) -> int:
        if not self.channels:
            return 0
        now = self.clock.now()
        claimed: list[_Claimed] = []
        with self.database.transaction() as db:
            leased: dict[int, int] = dict(
                self._lease(db, Notification, now, Notification.channel.in_(list(self.channels)))
            )
            if leased:
                for row in db.scalars(select(Notification).where(Notification.id.in_(list(leased)))):
                    claimed.append(
                        _Claimed(
                            id=row.id,
                            attempts=leased[row.id],
                            channel=row.channel,
                            message=OutboundMessage(
                                recipient=row.recipient,
                                subject=row.subject,
                                body=row.body,
                                locale=row.locale,
                                template=row.template,
                                data=dict(row.data),
                            ),
                        )
                    )
        results: list[tuple[_Claimed, bool, int | None, str | None]] = []
        for c in claimed:
            assert c.message is not None
            try:
                self.channels[c.channel].send(c.message)
                results.append((c, True, None, None))
            except DeliveryError as exc:
                results.append((c, False, None, str(exc)[:2000]))
        self._record(Notification, results, self.clock.now())
        return len(claimed)


class _AlreadyTaken(Exception):
    """Another dispatcher marked the event first; this one's savepoint is rolled back."""
