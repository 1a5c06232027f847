"""Finance reads the cost of poor service from the header and keeps it in the browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from testbed import PROJECT_ROOT
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.finance.models import PoorServiceLine
from tests.browser.test_flows import account


def test_finance_reads_the_cost_of_poor_service_and_adds_a_line(page, sign_in, screenshot):
    load_path(PROJECT_ROOT / "experiments")
    db.session.commit()
    account("finance", "fiona@example.org")
    sign_in("fiona@example.org")
    page.get_by_role("link", name="Cost of poor service").click()
    expect(page.get_by_role("heading", name="Cost of poor service", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="healthcare")).to_be_visible()
    expect(page.get_by_text("Order desk log of urgent deliveries").first).to_be_visible()
    claim = page.get_by_role("row").filter(has_text="Claimed by")
    expect(claim).to_contain_text("Larchfield")
    expect(claim).to_contain_text("95 % interval")
    screenshot("poor-service")

    claim.get_by_role("link").click()
    section = page.get_by_role("region", name="Cuts in the cost of poor service")
    expect(section).to_contain_text("Emergency orders per ward-week")
    expect(section).to_contain_text("guardrail")

    page.goto("/finance/poor-service/new")
    page.get_by_label("Key").fill("utilities-complaints")
    page.get_by_label("Partner segment").fill("utilities")
    page.get_by_label("Kind").select_option("complaints")
    page.get_by_label("Name", exact=True).fill("Complaints about bills")
    page.get_by_label("Volume a year").fill("5200")
    page.get_by_label("Volume: low end").fill("4000")
    page.get_by_label("Volume: high end").fill("4500")
    page.get_by_label("Unit cost", exact=True).fill("31")
    page.get_by_label("Source").fill("Complaints register")
    page.get_by_label("Period").fill("2024")
    page.get_by_role("button", name="Save the line").click()
    expect(page.get_by_text(re.compile("hold the stated 5200"))).to_be_visible()
    page.get_by_label("Volume: high end").fill("6500")
    page.get_by_role("button", name="Save the line").click()
    expect(page.get_by_text("The line “Complaints about bills” is added.")).to_be_visible()
    db.session.rollback()
    line = db.session.scalar(
        select(PoorServiceLine).where(PoorServiceLine.key == "utilities-complaints")
    )
    assert (line.volume, line.volume_range) == (5200.0, (4000.0, 6500.0))
