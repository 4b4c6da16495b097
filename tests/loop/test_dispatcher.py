"""The outbox dispatcher: signed webhooks, backoff, dead letters and replay, leases, concurrent dispatchers,
failing handlers, and the SMTP channel — against real local receivers and real databases."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from aftersales.channels.base import DeliveryError, OutboundMessage
from aftersales.channels.email.channel import EmailChannel
from aftersales.channels.service import render
from aftersales.events.backoff import retry_delay_seconds, sign, verify
from aftersales.events.dispatcher import Dispatcher
from aftersales.events.models import WebhookDelivery
from aftersales.events.registry import Registry
from aftersales.events.webhooks import create_endpoint, fan_out
from aftersales.kit.outbox import OutboxEvent, emit

from ._servers import SmtpServer, free_port


def _emit(database: Any, clock: Any, n: int, topic: str = "ticket.note_added") -> list[int]:
    with database.transaction() as db:
        for i in range(n):
            emit(db, topic, "ticket", i + 1, {"n": i, "text": "已联系配送员核实"}, clock.now())
        db.flush()
        return list(db.scalars(select(OutboxEvent.id).where(OutboxEvent.dispatched_at.is_(None))))


def _endpoint(database: Any, clock: Any, url: str, topics: list[str] | None = None, secret: str = "s" * 20) -> int:
    with database.transaction() as db:
        return create_endpoint(db, name="erp", url=url, topics=topics or ["*"], secret=secret, now=clock.now()).id


def _cli(database: Any, *args: str) -> Any:
    from aftersales.cli import app
    from aftersales.kit.settings import get_settings

    get_settings.cache_clear()  # the command reads AFTERSALES_* afresh, as a new process would
    try:
        return CliRunner().invoke(app, list(args), env={"AFTERSALES_DATABASE_URL": database.url})
    finally:
        get_settings.cache_clear()


def _deliveries(database: Any) -> list[WebhookDelivery]:
    with database.transaction() as db:
        return list(db.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_backoff_doubles_and_is_capped():
    assert [retry_delay_seconds(n, base=10, cap=100) for n in range(0, 6)] == [0, 10, 20, 40, 80, 100]
    assert retry_delay_seconds(10_000, base=10, cap=3600) == 3600


def test_signature_verifies_and_detects_tampering():
    header = sign("secret-key", 1_700_000_000, b'{"a":1}')
    assert verify("secret-key", header, b'{"a":1}')
    assert not verify("secret-key", header, b'{"a":2}')
    assert not verify("other-key", header, b'{"a":1}')
    assert not verify("secret-key", header, b'{"a":1}', now=1_700_000_000 + 301)
    assert not verify("secret-key", "garbage", b"")


def test_webhook_is_signed_and_only_subscribed_topics_are_sent(database, clock, settings, receiver, dispatcher):
    _endpoint(database, clock, receiver.url, topics=["action.*"], secret="whsec_" + "k" * 20)
    _emit(database, clock, 2, "ticket.note_added")
    _emit(database, clock, 1, "action.executed")
    dispatcher.run_until_idle()
    assert [e["topic"] for e in receiver.events()] == ["action.executed"]
    request = receiver.received[0]
    assert verify("whsec_" + "k" * 20, request.headers["X-Aftersales-Signature"], request.body)
    assert request.headers["X-Aftersales-Event"] == "action.executed"
    assert request.json()["payload"]["text"] == "已联系配送员核实"


def test_failed_delivery_backs_off_then_dead_letters_then_replays(database, clock, settings, receiver, dispatcher):
    _endpoint(database, clock, receiver.url)
    _emit(database, clock, 1)
    receiver.fail_next = 10
    start = clock.now()
    dispatcher.run_until_idle()
    (row,) = _deliveries(database)
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 500)
    assert row.next_attempt_at == start + timedelta(seconds=10)

    dispatcher.run_until_idle()  # not due yet: nothing is sent
    assert _deliveries(database)[0].attempts == 1
    for delay in (10, 20, 40):  # settings: base 10 s, 4 attempts
        clock.advance(seconds=delay)
        dispatcher.run_until_idle()
    (row,) = _deliveries(database)
    assert (row.status, row.attempts) == ("dead", 4)
    assert "HTTP 500" in (row.last_error or "")
    assert receiver.received == []

    receiver.fail_next = 0
    result = _cli(database, "events", "replay", "--delivery", str(row.id))
    assert result.exit_code == 0, result.output
    assert "replayed 1 deliveries" in result.output
    dispatcher.run_until_idle()
    (row,) = _deliveries(database)
    assert (row.status, row.attempts) == ("delivered", 1)
    assert len(receiver.received) == 1


def test_unreachable_receiver_is_retried_like_a_failure(database, clock, settings, dispatcher):
    _endpoint(database, clock, f"http://127.0.0.1:{free_port()}/nobody-listens")
    _emit(database, clock, 1)
    dispatcher.run_until_idle()
    (row,) = _deliveries(database)
    assert row.status == "pending" and row.last_status_code is None and "ConnectError" in (row.last_error or "")


def test_a_crashed_senders_lease_expires_and_the_delivery_is_sent_again(database, clock, settings, receiver):
    _endpoint(database, clock, receiver.url)
    _emit(database, clock, 1)
    crashed = Dispatcher(database, clock, settings, lease_seconds=60)
    crashed.handle_events()
    with database.transaction() as db:
        assert crashed._lease(db, WebhookDelivery, clock.now())  # leased, then the process "dies" before sending
    other = Dispatcher(database, clock, settings, lease_seconds=60)
    assert other.deliver_webhooks() == 0  # the lease keeps others away
    clock.advance(seconds=61)
    assert other.deliver_webhooks() == 1
    assert len(receiver.received) == 1
    assert _deliveries(database)[0].status == "delivered"
    crashed.close()
    other.close()


def test_a_failing_handler_is_retried_and_parked_without_blocking_others(database, clock, settings):
    registry = Registry()

    @registry.on("ticket.*")
    def flaky(db: Any, event: Any, ctx: Any) -> None:
        # Handlers only write to the database: a failed attempt's writes vanish with its savepoint.
        emit(db, "side.effect", "ticket", event.id, {"for": event.topic}, ctx.now)
        if event.topic == "ticket.broken":
            raise RuntimeError("handler bug")

    _emit(database, clock, 1, "ticket.broken")
    _emit(database, clock, 1, "ticket.fine")
    d = Dispatcher(database, clock, settings, registry=registry)
    for _ in range(settings.webhook_max_attempts + 2):
        d.run_until_idle()
        clock.advance(hours=1)
    with database.transaction() as db:
        rows = list(db.scalars(select(OutboxEvent)))
    by_topic = {e.topic: e for e in rows if e.topic.startswith("ticket.")}
    assert [e.payload["for"] for e in rows if e.topic == "side.effect"] == ["ticket.fine"]
    assert by_topic["ticket.fine"].dispatched_at is not None
    broken = by_topic["ticket.broken"]
    assert broken.dispatched_at is None and broken.dead_at is not None
    assert broken.attempts == settings.webhook_max_attempts
    assert "handler bug" in (broken.last_error or "")
    d.close()


def test_four_dispatchers_side_by_side_deliver_every_event_exactly_once(database, clock, settings, receiver):
    """Concurrent dispatchers never take the same row (SKIP LOCKED on PostgreSQL, serialised writers on SQLite)."""
    registry = Registry()
    registry.on("*")(fan_out)
    _endpoint(database, clock, receiver.url)
    ids = _emit(database, clock, 120)
    dispatchers = [Dispatcher(database, clock, settings, registry=registry, batch_size=10) for _ in range(4)]
    errors: list[BaseException] = []

    def run(d: Dispatcher) -> None:
        try:
            d.run_until_idle()
        except BaseException as exc:  # surfaced below; a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in dispatchers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    received = Counter(e["id"] for e in receiver.events())
    assert sorted(received) == sorted(ids)
    assert set(received.values()) == {1}, "an event was delivered twice without any crash"
    with database.transaction() as db:
        assert db.scalar(select(func.count()).select_from(WebhookDelivery)) == len(ids)
        assert db.scalar(select(func.count()).where(OutboxEvent.dispatched_at.is_(None))) == 0
    for d in dispatchers:
        d.close()


def test_smtp_channel_sends_chinese_mail_to_a_real_server():
    server = SmtpServer()
    try:
        channel = EmailChannel("127.0.0.1", server.port, "service@brand.example")
        subject, body = render(
            "progress", "zh", ticket_id=7, customer_name="王女士", progress="正在为您补发", portal_url="https://x/p"
        )
        channel.send(OutboundMessage(recipient="wang@example.cn", subject=subject, body=body))
        (mail,) = server.messages
        assert mail["Subject"] == "工单 #7 有新进展"
        assert mail["To"] == "wang@example.cn"
        assert "正在为您补发" in mail.get_content()
    finally:
        server.close()
    with pytest.raises(DeliveryError, match="SMTP"):
        EmailChannel("127.0.0.1", free_port(), "service@brand.example").send(
            OutboundMessage(recipient="wang@example.cn", subject="s", body="b")
        )


def test_templates_exist_in_chinese_and_english():
    zh = render(
        "survey_invitation",
        "zh",
        ticket_id=3,
        customer_name="张女士",
        subject="牛奶变质",
        survey_url="U",
        portal_url="P",
    )
    en = render(
        "survey_invitation",
        "en",
        ticket_id=3,
        customer_name="Ms Zhang",
        subject="sour milk",
        survey_url="U",
        portal_url="P",
    )
    assert zh[0] == "请评价本次售后服务（工单 #3）" and "U" in zh[1]
    assert en[0] == "How did we do? (ticket #3)" and "U" in en[1]


def test_cli_lists_webhooks_with_their_delivery_counts(database, clock, settings, receiver, dispatcher):
    _endpoint(database, clock, receiver.url)
    _emit(database, clock, 3)
    dispatcher.run_until_idle()
    result = _cli(database, "webhooks", "list")
    assert result.exit_code == 0, result.output
    assert receiver.url in result.output and "delivered=3" in result.output and "dead=0" in result.output


def test_a_dead_notification_is_replayed_by_the_cli(database, clock, settings):
    from aftersales.events.models import Notification

    with database.transaction() as db:
        db.add(
            Notification(
                channel="email",
                recipient="wang@example.cn",
                template="progress",
                locale="zh",
                subject="工单 #1 有新进展",
                body="正在为您补发",
                data={},
                status="pending",
                attempts=0,
                next_attempt_at=clock.now(),
                created_at=clock.now(),
            )
        )
    down = Dispatcher(
        database, clock, settings, channels={"email": EmailChannel("127.0.0.1", free_port(), "s@b.example")}
    )
    for _ in range(settings.webhook_max_attempts):
        down.run_until_idle()
        clock.advance(hours=7)
    down.close()
    with database.transaction() as db:
        (row,) = db.scalars(select(Notification))
        assert (row.status, row.attempts) == ("dead", settings.webhook_max_attempts)
    listed = _cli(database, "events", "dead")
    assert "notification" in listed.output and "wang@example.cn" not in listed.output
    result = _cli(database, "events", "replay", "--all")
    assert result.exit_code == 0 and "1 internal events/notifications" in result.output, result.output
    server = SmtpServer()
    try:
        up = Dispatcher(
            database, clock, settings, channels={"email": EmailChannel("127.0.0.1", server.port, "s@b.example")}
        )
        up.run_until_idle()
        up.close()
        assert [m["Subject"] for m in server.messages] == ["工单 #1 有新进展"]
    finally:
        server.close()
