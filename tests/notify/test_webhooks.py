"""Webhooks: a loopback receiver gets each event signed as documented; failures are logged and
retried; private addresses are refused in production unless the admin allowed them."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from sqlalchemy import select

from testbed.audit import AuditEvent
from testbed.extensions import db
from testbed.notify import delivery, webhooks
from testbed.notify import services as notify
from testbed.notify.models import DeliveryAttempt, Webhook
from testbed.timeutil import utcnow
from tests.notify.conftest import BASE_URL


def breach(pilot, number: int = 1):
    notify.record_event(
        "guardrail_breached",
        pilot=pilot,
        title=f"{pilot.name}: guardrail G{number} breached",
        summary=f"G{number}: unshown → breached",
        link=f"/pilots/{pilot.slug}/results",
        recipients=[],
        payload={"guardrails": [f"G{number}"]},
    )
    db.session.commit()


def expected_signature(secret: str, headers: dict, body: bytes) -> str:
    """The check docs/notifications.md tells a receiver to make, written out independently."""
    signed = headers["X-Testbed-Timestamp"].encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def test_the_receiver_gets_a_correctly_signed_delivery(app, loaded_pilot, person, receiver):
    app.config["BASE_URL"] = BASE_URL
    admin = person("admin", "ada@example.org")
    hook, secret = webhooks.register(
        receiver.url, ["guardrail_breached"], allow_private=False, by=admin
    )
    db.session.commit()
    breach(loaded_pilot)
    notify.record_event(  # a kind the webhook did not ask for
        "pilot_status", pilot=loaded_pilot, title="paused", link="/", recipients=[]
    )
    db.session.commit()
    assert delivery.send()["sent"] == 1

    ((headers, body),) = receiver.deliveries
    assert headers["X-Testbed-Signature"] == expected_signature(secret, headers, body)
    assert abs(int(headers["X-Testbed-Timestamp"]) - utcnow().timestamp()) < 600
    assert headers["Content-Type"] == "application/json"
    document = json.loads(body)
    assert document["kind"] == "guardrail_breached"
    assert document["pilot"] == loaded_pilot.slug
    assert document["link"] == f"{BASE_URL}/pilots/{loaded_pilot.slug}/results"
    assert document["details"] == {"guardrails": ["G1"]}
    # The secret is not kept: only the nonce it is derived from is.
    assert secret not in {hook.nonce, hook.url}
    assert webhooks.secret_for(hook) == secret
    attempt = db.session.scalar(select(DeliveryAttempt))
    assert (attempt.ok, attempt.response_code) == (True, 204)
    assert delivery.send()["sent"] == 0


def test_a_changed_body_or_timestamp_fails_the_signature(app, loaded_pilot, person, receiver):
    admin = person("admin", "ada@example.org")
    _, secret = webhooks.register(
        receiver.url, ["guardrail_breached"], allow_private=False, by=admin
    )
    db.session.commit()
    breach(loaded_pilot)
    delivery.send()
    ((headers, body),) = receiver.deliveries
    replayed = {**headers, "X-Testbed-Timestamp": str(int(headers["X-Testbed-Timestamp"]) + 3600)}
    assert headers["X-Testbed-Signature"] != expected_signature(secret, replayed, body)
    assert headers["X-Testbed-Signature"] != expected_signature(secret, headers, body + b" ")


def test_a_failing_receiver_is_retried_and_each_attempt_logged(
    app, client, login, loaded_pilot, person, receiver
):
    admin = login("admin")
    hook, _ = webhooks.register(receiver.url, ["guardrail_breached"], allow_private=False, by=admin)
    db.session.commit()
    breach(loaded_pilot)
    receiver.status = 503
    now = utcnow()
    assert delivery.send(now)["retry later"] == 1
    receiver.status = 200
    assert delivery.send(now + delivery.FIRST_PAUSE)["sent"] == 1
    codes = db.session.scalars(select(DeliveryAttempt.response_code).order_by(DeliveryAttempt.id))
    assert list(codes) == [503, 200]
    assert len(receiver.deliveries) == 2
    page = client.get(f"/admin/webhooks/{hook.id}").get_data(as_text=True)
    assert "503" in page and "delivered" in page


def test_private_addresses_are_refused_in_production_unless_allowed(
    app, loaded_pilot, person, receiver
):
    admin = person("admin", "ada@example.org")
    app.config["ENV_PRODUCTION"] = True
    with pytest.raises(webhooks.AddressRefused, match="127.0.0.1"):
        webhooks.register(receiver.url, ["guardrail_breached"], allow_private=False, by=admin)
    hook, _ = webhooks.register(receiver.url, ["guardrail_breached"], allow_private=True, by=admin)
    db.session.commit()
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "webhook"))
    assert "allowed to call a private address" in audit.summary
    breach(loaded_pilot)
    assert delivery.send()["sent"] == 1
    assert len(receiver.deliveries) == 1


def test_an_address_that_turns_private_after_registration_is_refused_at_delivery(
    app, loaded_pilot, person, receiver
):
    admin = person("admin", "ada@example.org")
    # Registered where the rule did not apply; by delivery the name resolves to loopback,
    # as a DNS record changed since registration would.
    url = receiver.url.replace("127.0.0.1", "localhost")
    webhooks.register(url, ["guardrail_breached"], allow_private=False, by=admin)
    db.session.commit()
    breach(loaded_pilot)
    app.config["ENV_PRODUCTION"] = True
    assert delivery.send()["retry later"] == 1
    assert receiver.deliveries == []
    attempt = db.session.scalar(select(DeliveryAttempt))
    assert attempt.response_code is None and "loopback, private" in attempt.error


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/hook", "must start with https://"),
        ("https://user:secret@example.org/hook", "no user name or password"),
        ("https:///hook", "names no host"),
        ("https://example.org:99999/hook", "port must be a number"),
    ],
)
def test_addresses_that_are_not_web_addresses_are_refused(app, person, url, message):
    admin = person("admin", "ada@example.org")
    with pytest.raises(webhooks.AddressRefused, match=message):
        webhooks.register(url, ["guardrail_breached"], allow_private=False, by=admin)


def test_the_admin_page_shows_the_secret_once(app, client, login, receiver):
    login("admin")
    made = client.post(
        "/admin/webhooks",
        data={"url": receiver.url, "kinds": ["guardrail_breached", "verdict_changed"]},
    )
    assert made.status_code == 200
    page = made.get_data(as_text=True)
    hook = db.session.scalar(select(Webhook))
    secret = webhooks.secret_for(hook)
    assert secret in page
    assert secret not in client.get("/admin/webhooks").get_data(as_text=True)
    assert secret not in client.get(f"/admin/webhooks/{hook.id}").get_data(as_text=True)
    removed = client.post(f"/admin/webhooks/{hook.id}/remove")
    assert removed.status_code == 302
    db.session.expire_all()
    assert not hook.active


def test_the_documented_check_accepts_a_delivery_and_refuses_a_changed_one(
    app, loaded_pilot, person, receiver
):
    import re

    from testbed import PROJECT_ROOT

    text = (PROJECT_ROOT / "docs" / "notifications.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    documented: dict = {}
    exec(compile(code, "docs/notifications.md", "exec"), documented)  # noqa: S102
    admin = person("admin", "ada@example.org")
    _, secret = webhooks.register(
        receiver.url, ["guardrail_breached"], allow_private=False, by=admin
    )
    db.session.commit()
    breach(loaded_pilot)
    delivery.send()
    ((headers, body),) = receiver.deliveries
    assert documented["verify"](secret, headers, body)
    assert not documented["verify"](secret, headers, body.replace(b"G1", b"G2"))
    assert not documented["verify"]("another secret", headers, body)
