"""A real SMTP server and a real HTTP receiver on loopback, and the people who get notified."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from testbed.auth.services import create_user, department_named
from testbed.config import SmtpSettings
from testbed.extensions import db
from testbed.finance import comparison
from testbed.results import services as results

BASE_URL = "http://testbed.example.org"
PASSWORD = "a long password"  # noqa: S105


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    """What the loopback SMTP server received, as parsed messages; ``refuse`` makes it say 451."""

    messages: list = field(default_factory=list)
    refuse: bool = False
    # Seconds each message takes to accept: senders that overlap in time really compete.
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse:
            return "451 4.3.0 try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"

    def to(self, address: str) -> list:
        return [message for recipients, message in self.messages if address in recipients]


@pytest.fixture
def mailbox(app):
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config["SMTP"] = SmtpSettings(
        host="127.0.0.1",
        port=port,
        tls="none",
        user=None,
        password=None,
        sender="testbed@example.org",
    )
    app.config["BASE_URL"] = BASE_URL
    yield box
    controller.stop()


@dataclass
class Receiver:
    """Deliveries a loopback HTTP server received: (headers, raw body); it answers ``status``."""

    url: str
    deliveries: list = field(default_factory=list)
    status: int = 204


@pytest.fixture
def receiver():
    received = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802  (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.deliveries.append((dict(self.headers), body))
            self.send_response(received.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    received.url = f"http://127.0.0.1:{server.server_port}/hooks/testbed"
    yield received
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(autouse=True)
def fresh_reports(monkeypatch):
    # Reports are kept by pilot id and version, which repeat from one test database to the next.
    monkeypatch.setattr(results, "_CACHE", {})
    monkeypatch.setattr(comparison, "_RETURNS", {})


@pytest.fixture
def person(app):
    """Make an account: ``person("department_head", "head@example.org", "Sales")``."""

    def make(role: str, email: str, department: str | None = None, **fields):
        user = create_user(
            email,
            role,
            PASSWORD,
            name=fields.pop("name", email.split("@")[0].title()),
            department=department_named(department) if department else None,
        )
        db.session.commit()
        return user

    return make


def body_json(body: bytes) -> dict:
    return json.loads(body)
