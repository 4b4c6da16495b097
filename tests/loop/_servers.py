"""Real local servers the resolution-loop tests talk to: an HTTP webhook receiver and an SMTP server."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from aftersales.events.backoff import SIGNATURE_HEADER, verify


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A threaded HTTP server on an ephemeral port; ``fail_next`` makes it answer 500 that many times."""

    secret: str = ""
    received: list[Received] = field(default_factory=list)
    fail_next: int = 0
    status_when_failing: int = 500

    def __post_init__(self) -> None:
        receiver = self
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if len(body) < length:  # the sender was killed mid-request: nothing was delivered
                    self.close_connection = True
                    return
                with receiver._lock:
                    failing = receiver.fail_next > 0
                    if failing:
                        receiver.fail_next -= 1
                    else:
                        receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                status = receiver.status_when_failing if failing else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        class QuietServer(ThreadingHTTPServer):
            # The default listen backlog (5) drops connections when several dispatchers post at once on a
            # loaded machine; a dropped connection is a retry for later, which the tests would count as lost.
            request_queue_size = 128

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a sender killed mid-request resets its connection; that is the point of the crash test

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.json() for r in self.received]

    def all_signed(self, secret: str) -> bool:
        with self._lock:
            return all(verify(secret, r.headers[SIGNATURE_HEADER], r.body) for r in self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Collect:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


class SmtpServer:
    """aiosmtpd on a free local port, collecting every message it accepts."""

    def __init__(self) -> None:
        self.handler = _Collect()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def messages(self) -> list[Message]:
        return self.handler.messages

    def close(self) -> None:
        self.controller.stop()
