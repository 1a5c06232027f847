"""The idea box in a real browser: a staff member's idea walks to a suggestion adopted in an
iteration, and its author sees the whole path and hears of it in the inbox."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from testbed import PROJECT_ROOT
from testbed.auth.services import create_user, department_named
from testbed.extensions import db
from testbed.files.loader import load_path

PILOT = "Knowledge base and self-service for Brightwater stores"


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login*")


def test_a_staff_members_idea_becomes_a_suggestion_adopted_in_an_iteration(
    page, sign_in, screenshot
):
    load_path(PROJECT_ROOT / "experiments" / "knowledge-base-contacts")
    create_user(
        "sam@example.org", "staff", "a long password", name="Sam Staff",
        department=department_named("Customer Service"),
    )  # fmt: skip
    create_user("ines@example.org", "innovation", "a long password", name="Ines Innovation")
    db.session.commit()

    sign_in("sam@example.org")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Finance")).to_have_count(0)
    nav.get_by_role("link", name="Ideas").click()
    page.get_by_label("Your idea in a line").fill("Show agents the article the caller read")
    page.get_by_label("What would change, and for whom").fill(
        "When a caller has read an article, the agent sees which one and skips the basics."
    )
    page.get_by_role("button", name="Give this idea").click()
    expect(
        page.get_by_text(re.compile(r"your idea counts for the \d{4}-\d{2} campaign"))
    ).to_be_visible()
    idea_address = page.url
    sign_out(page)

    sign_in("ines@example.org")
    page.goto(idea_address)
    page.get_by_label("Pilot", exact=True).select_option(label=PILOT)
    page.get_by_role("button", name="Give it to this pilot").click()
    expect(page.get_by_text(f"The idea is now a suggestion on {PILOT}.")).to_be_visible()
    page.get_by_label("Accepted").check()
    page.get_by_role("button", name="Save decision").click()
    expect(page.get_by_text("The suggestion is accepted.")).to_be_visible()
    page.get_by_label("Incorporated").check()
    page.get_by_label("Iteration that adopted it").select_option(index=2)
    page.get_by_role("button", name="Save decision").click()
    expect(page.get_by_text("The suggestion is incorporated in iteration 2.")).to_be_visible()
    sign_out(page)

    sign_in("sam@example.org")
    page.goto(idea_address)
    path = page.get_by_role("list").filter(has_text="Submitted for the")
    expect(path).to_contain_text(f"Taken into a suggestion to {PILOT}")
    expect(path).to_contain_text("Suggestion incorporated in iteration 2")
    screenshot("idea-path")
    page.get_by_role("link", name=re.compile("^Notifications")).click()
    adopted = f"{PILOT}: a suggestion is incorporated in iteration 2"
    expect(page.get_by_role("link", name=adopted, exact=True)).to_be_visible()
