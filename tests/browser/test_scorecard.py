"""The scorecard in a real browser under the app's CSP: the figures draw, and a department head
enters a measurement of their own department's indicator through the form."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from testbed import PROJECT_ROOT
from testbed.auth.services import create_user, department_named
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.scorecard import services
from testbed.scorecard.files import load_scorecard


def test_the_scorecard_map_and_an_indicator_draw_and_take_a_measurement(page, sign_in, screenshot):
    load_scorecard(PROJECT_ROOT / "experiments" / "company")
    load_path(PROJECT_ROOT / "experiments" / "knowledge-base-contacts")
    create_user(
        "hana@example.org", "department_head", "a long password", name="Hana Head",
        department=department_named("HR"),
    )  # fmt: skip
    db.session.commit()
    violations = []
    page.on("console", lambda message: violations.append(message.text))
    sign_in("hana@example.org")

    page.get_by_role("link", name="Scorecard", exact=True).click()
    expect(page.get_by_role("heading", name="Company scorecard")).to_be_visible()
    screenshot("scorecard")

    page.get_by_role("link", name="Strategy map").click()
    map_svg = page.locator("svg.sc-map")
    expect(map_svg).to_be_visible()
    # Drawn, not just sent: the boxes and arrows have a size on the screen.
    assert map_svg.bounding_box()["width"] > 600
    assert page.locator("svg.sc-map line.sc-link").count() == 7
    box = page.locator("svg.sc-map a.sc-node rect").first.bounding_box()
    assert box["width"] > 50 and box["height"] > 20
    screenshot("strategy-map")

    page.locator("svg.sc-map a.sc-node", has_text="Agent satisfaction").click()
    expect(page.get_by_role("heading", name="Agent satisfaction", exact=True)).to_be_visible()
    chart = page.locator("svg.sc-chart")
    expect(chart).to_be_visible()
    assert page.locator("svg.sc-chart polyline.sc-line").count() == 1
    stroke = page.locator("svg.sc-chart polyline.sc-line").evaluate(
        "line => getComputedStyle(line).stroke"
    )
    assert stroke not in ("", "none")  # the stylesheet coloured it: nothing was blocked
    expect(page.get_by_text("better, beyond chance")).to_be_visible()

    page.get_by_label("Period").fill("2026-01")
    page.get_by_label("Value").fill("3.9")
    page.get_by_role("button", name="Save measurement").click()
    expect(page.get_by_text("2026-01 (company-wide) added.")).to_be_visible()
    indicator = services.indicator_named("agent-satisfaction")
    db.session.refresh(indicator)
    assert any(m.period == "2026-01" and m.value == 3.9 for m in indicator.measurements)

    page.get_by_role("link", name=re.compile("Departments ranked by progress")).click()
    expect(page.get_by_role("heading", name="The rule")).to_be_visible()
    expect(page.get_by_role("cell", name="Customer Service", exact=True)).to_be_visible()
    screenshot("progress-ranking")
    assert not [v for v in violations if "Content Security Policy" in v], violations
