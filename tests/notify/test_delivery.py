"""E-mails and digests through a real SMTP server on loopback: each sent once, retried with
back-off, never twice even with two senders at once; unsubscribe links change one preference."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from testbed.auth.services import department_named
from testbed.config import ConfigError, from_environment
from testbed.extensions import db
from testbed.notify import delivery
from testbed.notify import services as notify
from testbed.notify.models import DeliveryAttempt, OutboxMessage
from testbed.pilots import services as pilots
from testbed.suggestions import services as suggestions
from testbed.timeutil import utcnow
from tests.notify.conftest import BASE_URL


def adopt_a_heads_suggestion(pilot, person):
    head = person("department_head", "head@example.org", "Sales")
    team = person("innovation", "ines@example.org")
    idea = suggestions.add_suggestion(
        pilot, "Call the day before.", author=head, department=department_named("Sales")
    )
    suggestions.move(idea, "accepted", actor="Ines", user_id=team.id)
    db.session.commit()
    return head, team, idea


def test_an_adopted_suggestion_gives_its_head_one_e_mail_and_a_second_send_nothing(
    app, runner, loaded_pilot, person, mailbox
):
    head, team, idea = adopt_a_heads_suggestion(loaded_pilot, person)
    accepted = runner.invoke(args=["notify", "send"])
    assert accepted.exit_code == 0, accepted.output
    assert len(mailbox.to(head.email)) == 1  # "accepted", which the head hears of at once

    pilots.log_iteration(
        loaded_pilot, pilots.IterationFields(number=2, title="Calls"), [idea], by=team
    )
    db.session.commit()
    assert any(n.event.kind == "suggestion_adopted" for n in notify.inbox(head))
    sent = runner.invoke(args=["notify", "send"])
    assert sent.exit_code == 0, sent.output
    mails = mailbox.to(head.email)
    assert len(mails) == 2
    mail = mails[-1]
    assert "incorporated in iteration 2" in mail["Subject"]
    assert mail["From"] == "testbed@example.org"
    plain = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    link = f"{BASE_URL}/suggestions/{idea.id}"
    assert link in plain and f'href="{link}"' in html
    unsubscribe = mail["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(f"{BASE_URL}/notifications/unsubscribe/")
    assert unsubscribe in plain
    assert mailbox.to(team.email) == []

    again = runner.invoke(args=["notify", "send"])
    assert again.output.endswith("send: nothing due\n")
    assert len(mailbox.messages) == 2


def test_a_refused_e_mail_is_retried_later_with_a_longer_pause(app, loaded_pilot, person, mailbox):
    head, _, _ = adopt_a_heads_suggestion(loaded_pilot, person)
    mailbox.refuse = True
    now = utcnow()
    assert delivery.send(now)["retry later"] == 1
    message = db.session.scalar(select(OutboxMessage))
    assert (message.state, message.attempts, message.claimed_by) == ("pending", 1, None)
    assert message.next_attempt_at == now + delivery.FIRST_PAUSE
    attempt = db.session.scalar(select(DeliveryAttempt))
    assert (attempt.ok, attempt.response_code) == (False, 451)

    assert delivery.send(now + timedelta(seconds=30))["sent"] == 0  # not due yet
    later = now + delivery.FIRST_PAUSE
    assert delivery.send(later)["retry later"] == 1
    db.session.refresh(message)
    assert message.next_attempt_at == later + 2 * delivery.FIRST_PAUSE

    mailbox.refuse = False
    assert delivery.send(later + 2 * delivery.FIRST_PAUSE)["sent"] == 1
    assert len(mailbox.to(head.email)) == 1
    db.session.refresh(message)
    assert message.state == "sent"


def test_after_the_last_attempt_a_message_fails_for_good(app, loaded_pilot, person, mailbox):
    adopt_a_heads_suggestion(loaded_pilot, person)
    mailbox.refuse = True
    when = utcnow()
    for _ in range(delivery.MAX_ATTEMPTS):
        delivery.send(when)
        when += delivery.LONGEST_PAUSE
    message = db.session.scalar(select(OutboxMessage))
    assert (message.state, message.attempts) == ("failed", delivery.MAX_ATTEMPTS)
    mailbox.refuse = False
    delivery.send(when + delivery.LONGEST_PAUSE)
    assert mailbox.messages == []


def test_a_sender_that_stopped_mid_delivery_is_never_repeated(app, loaded_pilot, person, mailbox):
    adopt_a_heads_suggestion(loaded_pilot, person)
    message = db.session.scalar(select(OutboxMessage))
    now = utcnow()
    assert delivery.claim(message.id, "a sender that then crashed", now)
    assert not delivery.claim(message.id, "another sender", now)
    assert delivery.send(now + delivery.CLAIM_TIMEOUT + timedelta(seconds=1))["abandoned"] == 1
    assert mailbox.messages == []
    db.session.refresh(message)
    assert message.state == "abandoned"


def test_a_digest_gathers_the_day_and_comes_once_a_day(app, loaded_pilot, person, mailbox):
    head = person("department_head", "head@example.org", "Sales")
    notify.watch_pilot(head, loaded_pilot)
    for status in ("paused", "active"):
        before, loaded_pilot.status = loaded_pilot.status, status
        notify.pilot_status_changed(loaded_pilot, before, actor=None)  # digest by default
    db.session.commit()
    now = utcnow()
    assert delivery.send(now)["sent"] == 1
    (mail,) = mailbox.to(head.email)
    assert mail["Subject"] == "testbed: 2 updates today"
    plain = mail.get_body(("plain",)).get_content()
    assert plain.count(f"{BASE_URL}/pilots/{loaded_pilot.slug}") == 2

    before, loaded_pilot.status = loaded_pilot.status, "paused"
    notify.pilot_status_changed(loaded_pilot, before, actor=None)
    db.session.commit()
    assert delivery.send(now + timedelta(hours=1))["sent"] == 0  # the day's digest went
    assert delivery.send(now + delivery.DIGEST_EVERY)["sent"] == 1
    assert len(mailbox.to(head.email)) == 2


def test_an_e_mail_is_not_sent_once_its_reader_is_deactivated(app, loaded_pilot, person, mailbox):
    head, _, _ = adopt_a_heads_suggestion(loaded_pilot, person)
    head.active = False
    db.session.commit()
    assert delivery.send()["skipped"] == 1
    assert mailbox.messages == []


def test_two_senders_running_at_once_send_each_e_mail_once(
    app, loaded_pilot, person, mailbox, database_url
):
    heads = [person("department_head", f"head{n}@example.org", "Sales") for n in range(6)]
    for head in heads:
        notify.watch_pilot(head, loaded_pilot)
    for number in range(5):
        notify.record_event(
            "guardrail_breached",
            pilot=loaded_pilot,
            title=f"Breach {number}",
            link="/",
            recipients=heads,
        )
    db.session.commit()
    waiting = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    assert waiting == 30
    settings = app.config["SMTP"]
    environment = {
        **os.environ,
        "TESTBED_DATABASE_URL": database_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "TESTBED_SMTP_HOST": settings.host,
        "TESTBED_SMTP_PORT": str(settings.port),
        "TESTBED_SMTP_TLS": "none",
        "TESTBED_MAIL_FROM": settings.sender,
        "TESTBED_BASE_URL": BASE_URL,
    }
    db.session.remove()
    mailbox.delay = 0.1  # 30 e-mails take each sender seconds: the second starts meanwhile
    command = [sys.executable, "-m", "testbed.cli", "notify", "send", "--no-scan"]
    senders = [
        subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [sender.communicate(timeout=120) for sender in senders]
    for sender, (_, err) in zip(senders, outputs, strict=True):
        assert sender.returncode == 0, err.decode()
    ids = [message["X-Testbed-Outbox"] for _, message in mailbox.messages]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert (
        db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "sent")
        )
        == 30
    )


def test_the_unsubscribe_link_changes_only_its_own_preference(app, client, loaded_pilot, person):
    head = person("department_head", "head@example.org", "Sales")
    before = notify.preferences_of(head)
    token = delivery.unsubscribe_token(head, "suggestion_adopted")
    page = client.get(f"/notifications/unsubscribe/{token}")
    assert page.status_code == 200 and "Stop these e-mails" in page.get_data(as_text=True)
    assert notify.preferences_of(head) == before  # a mail scanner's GET changes nothing
    done = client.post(f"/notifications/unsubscribe/{token}")
    assert done.status_code == 200
    db.session.expire_all()
    after = notify.preferences_of(head)
    assert after == {**before, "suggestion_adopted": "in_app"}


def test_a_mail_clients_one_click_unsubscribes_without_a_form(app, client, person):
    app.config["WTF_CSRF_ENABLED"] = True
    head = person("department_head", "head@example.org", "Sales")
    token = delivery.unsubscribe_token(head, "verdict_changed")
    assert client.post(f"/notifications/unsubscribe/{token}").status_code == 400
    assert notify.preferences_of(head)["verdict_changed"] == "immediate"
    one_click = client.post(
        f"/notifications/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}
    )
    assert one_click.status_code == 200
    db.session.expire_all()
    assert notify.preferences_of(head)["verdict_changed"] == "in_app"


FORGED = "eyJ1c2VyIjoxLCJraW5kIjoicGlsb3Rfc3RhdHVzIn0.forged"


@pytest.mark.parametrize("token", ["nonsense", FORGED])
def test_a_forged_unsubscribe_token_finds_nothing(app, client, person, token):
    person("department_head", "head@example.org", "Sales")
    assert client.get(f"/notifications/unsubscribe/{token}").status_code == 404
    assert client.post(f"/notifications/unsubscribe/{token}").status_code == 404


ENVIRONMENT = {
    "TESTBED_SMTP_HOST": "smtp.example.org",
    "TESTBED_MAIL_FROM": "testbed@example.org",
    "TESTBED_BASE_URL": "https://testbed.example.org",
}


def test_smtp_settings_are_read_typed_from_the_environment(tmp_path):
    config = from_environment(
        tmp_path, {**ENVIRONMENT, "TESTBED_SMTP_USER": "u", "TESTBED_SMTP_PASSWORD": "p"}
    )
    smtp = config["SMTP"]
    assert (smtp.host, smtp.port, smtp.tls, smtp.user, smtp.sender) == (
        "smtp.example.org",
        587,
        "starttls",
        "u",
        "testbed@example.org",
    )
    assert from_environment(tmp_path, {})["SMTP"] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"TESTBED_SMTP_HOST": ""}, "without TESTBED_SMTP_HOST"),
        ({"TESTBED_MAIL_FROM": ""}, "TESTBED_MAIL_FROM must name"),
        ({"TESTBED_BASE_URL": ""}, "TESTBED_BASE_URL must be set"),
        ({"TESTBED_BASE_URL": "testbed.example.org"}, "TESTBED_BASE_URL must be the app's"),
        ({"TESTBED_SMTP_PORT": "smtp"}, "TESTBED_SMTP_PORT must be a port"),
        ({"TESTBED_SMTP_TLS": "maybe"}, "TESTBED_SMTP_TLS must be one of"),
        ({"TESTBED_SMTP_USER": "u"}, "together, or neither"),
        (
            {"TESTBED_SMTP_USER": "u", "TESTBED_SMTP_PASSWORD": "p", "TESTBED_SMTP_TLS": "none"},
            "password in clear",
        ),
    ],
)
def test_half_an_smtp_configuration_stops_the_start(tmp_path, change, message):
    with pytest.raises(ConfigError, match=message):
        from_environment(tmp_path, {**ENVIRONMENT, **change})
