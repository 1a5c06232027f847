"""Webhooks: registering a receiver, signing each delivery, and refusing private addresses.

The signing secret of a webhook is HMAC-SHA256(SECRET_KEY, "webhook:" + nonce): the
database keeps only the random nonce, so a copy of it signs nothing. Each delivery
carries ``X-Testbed-Timestamp`` (seconds since 1970) and ``X-Testbed-Signature:
sha256=<hex>``, the HMAC with the secret over ``<timestamp>.<body>``: a receiver that
checks both refuses a body changed in transit and a delivery replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext

from testbed.audit import record
from testbed.auth.models import User
from testbed.extensions import db
from testbed.notify.models import EVENT_KINDS, NotificationEvent, Webhook
from testbed.notify.texts import WORDS

SIGNATURE_HEADER = "X-Testbed-Signature"
TIMESTAMP_HEADER = "X-Testbed-Timestamp"
EVENT_HEADER = "X-Testbed-Event"
TIMEOUT_SECONDS = 10
MAX_URL = 2000


class AddressRefused(ValueError):
    """The webhook's address is not one the app may call."""


def secret_for(webhook: Webhook) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"webhook:{webhook.nonce}".encode(), hashlib.sha256).hexdigest()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of ``X-Testbed-Signature`` for ``body`` sent at ``timestamp``."""
    signed = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a webhook address; raises AddressRefused for anything else."""
    if len(url) > MAX_URL:
        raise AddressRefused(gettext("keep the address under %(count)s characters", count=MAX_URL))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise AddressRefused(gettext("the address must start with https:// (or http://)"))
    if not parts.hostname:
        raise AddressRefused(gettext("the address names no host"))
    if parts.username or parts.password:
        raise AddressRefused(gettext("put no user name or password in the address"))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused(
            gettext("the address' port must be a number from 1 to 65535")
        ) from None
    return parts.scheme, parts.hostname, port


def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """The address to connect to: every address ``host`` resolves to must be public.

    Loopback, private, link-local, shared, reserved and multicast ranges are refused
    in production unless the webhook was explicitly allowed them; checked when a
    webhook is registered and again before each delivery, as DNS may change between.
    """
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise AddressRefused(
            gettext(
                "the host %(host)s cannot be resolved (%(reason)s)",
                host=host,
                reason=error.strerror,
            )
        ) from None
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not addresses:
        raise AddressRefused(gettext("the host %(host)s has no address", host=host))
    if current_app.config.get("ENV_PRODUCTION") and not allow_private:
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if not address.is_global or address.is_multicast:
                raise AddressRefused(
                    gettext(
                        "%(host)s resolves to %(address)s, a loopback, private, link-local or "
                        "reserved address: tick 'allow a private address' if this receiver is "
                        "yours",
                        host=host,
                        address=str(address),
                    )
                )
    return addresses[0]


def register(url: str, kinds: list[str], *, allow_private: bool, by: User) -> tuple[Webhook, str]:
    """Register a receiver for ``kinds``; returns it and its signing secret (shown once)."""
    url = url.strip()
    _, host, port = check_url(url)
    unknown = sorted(set(kinds) - set(EVENT_KINDS))
    if unknown:
        raise ValueError(
            gettext("choose at least one kind of event (%(kinds)s)", kinds=", ".join(unknown))
        )
    if not kinds:
        raise ValueError(gettext("choose at least one kind of event (none)"))
    resolve(host, port, allow_private=allow_private)
    webhook = Webhook(
        url=url,
        kinds=sorted(kinds),
        nonce=secrets.token_hex(32),
        allow_private=allow_private,
        created_by=by.id,
    )
    db.session.add(webhook)
    db.session.flush()
    private = "; allowed to call a private address" if allow_private else ""
    record(
        "registered",
        "webhook",
        actor=by.name or by.email,
        user_id=by.id,
        entity_id=webhook.id,
        summary=f"{url} for {', '.join(webhook.kinds)}{private}",
    )
    return webhook, secret_for(webhook)


def remove(webhook: Webhook, *, by: User) -> None:
    webhook.active = False
    db.session.flush()
    record(
        "removed",
        "webhook",
        actor=by.name or by.email,
        user_id=by.id,
        entity_id=webhook.id,
        summary=webhook.url,
    )


def body_of(event: NotificationEvent, base_url: str | None) -> bytes:
    """The JSON a receiver gets for ``event``: compact, keys sorted, as signed."""
    link = f"{base_url}{event.link}" if base_url else event.link
    document = {
        "id": event.id,
        "kind": event.kind,
        "title": event.title,
        "summary": event.summary,
        "pilot": event.pilot.slug if event.pilot is not None else None,
        "link": link,
        "created_at": event.created_at.isoformat() + "Z",
        # What the event is about, for programs: not the facts its texts are said from.
        "details": {key: value for key, value in (event.payload or {}).items() if key != WORDS},
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


@dataclass
class Answer:
    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(webhook: Webhook, body: bytes, timestamp: str, kind: str) -> Answer:
    """POST ``body`` to the webhook, connecting to the address just checked (no redirects)."""
    try:
        scheme, host, port = check_url(webhook.url)
        address = resolve(host, port, allow_private=webhook.allow_private)
    except AddressRefused as error:
        return Answer(None, str(error))
    parts = urlsplit(webhook.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "testbed-webhook/1",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret_for(webhook), timestamp, body),
        EVENT_HEADER: kind,
    }
    connection = _PinnedConnection(scheme, host, port, address)
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
        return Answer(response.status)
    except (OSError, http.client.HTTPException) as error:
        return Answer(None, f"{type(error).__name__}: {error}"[:500])
    finally:
        connection.close()


class _PinnedConnection:
    """An HTTP(S) connection to ``address`` that names ``host`` (Host header, TLS SNI and
    certificate check), so the address checked is the address called."""

    def __init__(self, scheme: str, host: str, port: int, address: str):
        if scheme == "https":
            context = ssl.create_default_context()
            self.connection = http.client.HTTPSConnection(
                host, port, timeout=TIMEOUT_SECONDS, context=context
            )
        else:
            self.connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_SECONDS)
        self.connection._create_connection = lambda _where, *args, **kwargs: (
            socket.create_connection((address, port), *args, **kwargs)
        )

    def request(self, *args, **kwargs):
        return self.connection.request(*args, **kwargs)

    def getresponse(self):
        return self.connection.getresponse()

    def close(self) -> None:
        self.connection.close()
