from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api._support import fast_passwords  # noqa: F401

from ._servers import SmtpServer, WebhookReceiver


@pytest.fixture(autouse=True)
def _cheap_hashing(fast_passwords: None) -> None:  # noqa: F811
    """Keep Argon2 cheap so creating agents does not dominate the runtime."""


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


@pytest.fixture
def sms_gateway() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.close()


@pytest.fixture
def settings(tmp_path: Path, db_url: str, smtp: SmtpServer, sms_gateway: WebhookReceiver) -> Any:
    """The suite's settings plus real outbound channels: a local SMTP server and an SMS gateway receiver."""
    from aftersales.kit.settings import Settings

    return Settings(
        database_url=db_url,
        data_dir=tmp_path / "data",
        secret_key="test-secret-key-0123456789",
        industry_pack="dairy",
        sla_sweep_interval_seconds=0,
        dispatch_interval_seconds=0,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_from="service@brand.example",
        sms_gateway_url=sms_gateway.url,
        sms_gateway_secret="gateway-secret-0123456789",
        public_base_url="https://service.brand.example",
        webhook_backoff_seconds=10,
        webhook_max_attempts=4,
    )


@pytest.fixture
def dispatcher(database: Any, clock: Any, settings: Any) -> Iterator[Any]:
    from aftersales.events.dispatcher import Dispatcher

    d = Dispatcher(database, clock, settings, name="test")
    yield d
    d.close()
