"""Watching, the inbox, preferences and the unsubscribe link, in a real browser with CSRF on."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from testbed.auth.services import create_user, department_named
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.models import Pilot, User
from testbed.notify import services as notify
from testbed.notify.delivery import unsubscribe_token


def test_a_head_watches_a_pilot_reads_the_inbox_and_sets_preferences(
    page, sign_in, write_pilot, screenshot
):
    load_path(write_pilot())
    create_user(
        "head@example.org",
        "department_head",
        "a long password",
        name="Dario Head",
        department=department_named("Sales"),
    )
    db.session.commit()
    slug = db.session.scalar(select(Pilot.slug))
    sign_in("head@example.org")

    page.goto(f"/pilots/{slug}")
    page.get_by_role("button", name="Watch this pilot").click()
    expect(page.get_by_text("You watch Reminder pilot")).to_be_visible()
    expect(page.get_by_role("button", name="Watching · stop watching")).to_be_visible()
    db.session.expire_all()
    pilot = db.session.scalar(select(Pilot))
    head = db.session.scalar(select(User).where(User.email == "head@example.org"))
    assert notify.is_watching(head, pilot)

    before, pilot.status = pilot.status, "paused"
    notify.pilot_status_changed(pilot, before, actor=None)
    db.session.commit()
    page.reload()
    header = page.get_by_role("link", name=re.compile("Notifications"))
    expect(header).to_contain_text("1")
    header.click()
    item = page.get_by_role("link", name="Reminder pilot is paused now (was active)")
    expect(item).to_be_visible()
    screenshot("notifications")
    page.get_by_role("button", name=re.compile("Mark read")).click()
    expect(page.locator(".nt-count")).to_have_count(0)
    item.click()
    expect(page).to_have_url(re.compile(f"/pilots/{slug}$"))

    page.goto("/notifications/preferences")
    page.get_by_label("A pilot you watch changes status").select_option(label="Not at all")
    page.get_by_label("A comment on a suggestion you follow").select_option(
        label="In the app and by e-mail at once"
    )
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Preferences saved.")).to_be_visible()
    db.session.expire_all()
    chosen = notify.preferences_of(head)
    assert (chosen["pilot_status"], chosen["suggestion_comment"]) == ("none", "immediate")
    expect(page.get_by_label("A pilot you watch changes status")).to_have_value("none")


def test_an_unsubscribe_link_works_without_signing_in_and_changes_one_preference(page):
    head = create_user("head@example.org", "department_head", "a long password")
    db.session.commit()
    before = notify.preferences_of(head)
    page.goto(f"/notifications/unsubscribe/{unsubscribe_token(head, 'verdict_changed')}")
    expect(page.get_by_role("heading", name="Stop these e-mails?")).to_be_visible()
    db.session.expire_all()
    assert notify.preferences_of(head) == before  # opening the link changes nothing
    page.get_by_role("button", name="Stop these e-mails").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    db.session.expire_all()
    assert notify.preferences_of(head) == {**before, "verdict_changed": "in_app"}
