"""Each role's main task, end to end in a real browser with CSRF on.

Screenshots for the README are taken here (TESTBED_SCREENSHOTS=1).
"""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from testbed import PROJECT_ROOT
from testbed.auth.services import create_user, department_named
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.models import Observation, Pilot, Suggestion

BAD_CSV = "metric,group,value\nfta,baseline,1\nfta,pilot,7\nfta,pilot,oops\n"
GOOD_CSV = "metric,group,value\n" + "".join(
    f"fta,{group},{value}\n"
    for group, value in [("baseline", 1), ("baseline", 0)] * 20
    + [("pilot", 0), ("pilot", 0), ("pilot", 1)] * 14
)


def account(role: str, email: str, department: str | None = None) -> None:
    create_user(
        email,
        role,
        "a long password",
        name=role.replace("_", " ").title(),
        department=department_named(department) if department else None,
    )
    db.session.commit()


def test_innovation_team_creates_a_pilot_registers_uploads_and_logs(page, sign_in, screenshot):
    account("innovation", "ines@example.org")
    sign_in("ines@example.org")
    page.get_by_role("link", name="New pilot").first.click()
    page.get_by_label("Name", exact=True).fill("Reminders at Harbour Dental")
    page.get_by_label("Partner customer").select_option(label="A new partner, described below")
    page.get_by_label("New partner's name").fill("Harbour Dental")
    page.get_by_role("button", name="Save pilot").click()
    expect(page.get_by_role("heading", name="Reminders at Harbour Dental")).to_be_visible()

    page.get_by_role("link", name="Register a hypothesis").first.click()
    page.get_by_label("Key", exact=True).fill("H1")
    page.get_by_label("Hypothesis", exact=True).fill("Reminders lower the failure-to-attend rate.")
    page.get_by_label("Metric", exact=True).select_option(label="Failure-to-attend rate")
    page.get_by_role("button", name="Save hypothesis").click()
    expect(page.get_by_text("Reminders lower the failure-to-attend rate.")).to_be_visible()

    upload(page, "bad.csv", BAD_CSV)
    expect(
        page.get_by_role("heading", name="2 problems found: nothing can be imported")
    ).to_be_visible()
    problems = page.get_by_role("row").filter(has_text="value")
    expect(
        problems.filter(has_text="is a proportion: value must be 0 or 1, got 7")
    ).to_contain_text("3")
    expect(problems.filter(has_text="'oops' is not a number")).to_contain_text("4")
    screenshot("upload-preview-errors")
    assert db.session.scalar(select(func.count()).select_from(Observation)) == 0

    upload(page, "good.csv", GOOD_CSV)
    page.get_by_role("button", name="Import these observations").click()
    expect(page.get_by_text(re.compile(r"82 observations|imported", re.I)).first).to_be_visible()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Observation)) == 82

    page.get_by_role("link", name="Log an iteration").first.click()
    page.get_by_label("Title").fill("SMS two days ahead")
    page.get_by_label("What changed").fill("Reminders go out 48 hours before.")
    page.get_by_role("button", name="Log iteration").click()
    expect(page.get_by_text("SMS two days ahead")).to_be_visible()

    page.get_by_role("link", name="Results").first.click()
    card = page.get_by_role("article").filter(has_text="Reminders lower the failure-to-attend")
    expect(card).to_contain_text(re.compile("No detectable change|Improved|Worse"))
    screenshot("results-new-pilot")


def upload(page, name: str, content: str) -> None:
    page.get_by_role("link", name="Overview").first.click()
    page.get_by_role("link", name="Upload observations").first.click()
    page.get_by_label("Observations file").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content.encode()}]
    )
    page.get_by_role("button", name="Upload and check").click()


def test_a_suggestion_goes_from_a_department_head_to_an_adopting_iteration(
    page, sign_in, loaded_pilot, screenshot
):
    account("department_head", "dario@example.org", department="Sales")
    account("innovation", "ines@example.org")
    sign_in("dario@example.org")
    page.goto(f"/pilots/{loaded_pilot.slug}/suggestions")
    page.get_by_label("Your suggestion").fill("Remind patients in their own language.")
    page.get_by_role("button", name="Add suggestion").click()
    expect(page.get_by_text("Remind patients in their own language.")).to_be_visible()
    screenshot("suggestions")
    page.get_by_role("button", name="Sign out").click()

    sign_in("ines@example.org")
    db.session.rollback()  # see what the server committed meanwhile
    suggestion = db.session.scalar(select(Suggestion))
    page.goto(f"/suggestions/{suggestion.id}")
    page.get_by_role("radio", name=re.compile("^Accepted")).check()
    page.get_by_role("button", name="Save decision").click()
    page.goto(f"/pilots/{loaded_pilot.slug}/iterations/new")
    page.get_by_label("Title").fill("Reminders in six languages")
    page.get_by_label(re.compile("Remind patients in their own language")).check()
    page.get_by_role("button", name="Log iteration").click()
    db.session.rollback()
    adopted = db.session.scalar(select(Suggestion))
    assert adopted.status == "incorporated"
    assert adopted.iteration.title == "Reminders in six languages"

    page.goto("/departments")
    page.get_by_role("link", name="Sales").first.click()
    expect(page.get_by_text(loaded_pilot.name).first).to_be_visible()


def test_finance_reads_the_comparison_with_existing_programmes(page, sign_in, screenshot):
    load_path(PROJECT_ROOT / "experiments")
    db.session.commit()
    account("finance", "fiona@example.org")
    sign_in("fiona@example.org")
    screenshot("portfolio")
    page.get_by_role("link", name="Finance", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("returns", re.I)).first).to_be_visible()
    screenshot("finance-portfolio")
    pilot = db.session.scalar(select(Pilot).where(Pilot.slug == "dental-reminders"))
    page.goto(f"/pilots/{pilot.slug}/finance")
    expect(page.get_by_text("Online booking portal").first).to_be_visible()
    expect(page.get_by_text(re.compile("ROI")).first).to_be_visible()
    screenshot("finance-pilot")
    page.goto(f"/pilots/{pilot.slug}/results")
    primary = page.get_by_role("article").filter(has_text="failure-to-attend").first
    expect(primary).to_contain_text("Improved")
    screenshot("results")
