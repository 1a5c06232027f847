"""Each month's campaign in figures: the share of people who gave an idea, per department.

The expected figures are counted here by hand from the people and ideas the test makes,
not by the code under test.
"""

from __future__ import annotations

import pytest

from testbed.extensions import db
from testbed.ideas import services


def at_month(idea, campaign: str) -> None:
    idea.campaign = campaign
    db.session.commit()


@pytest.fixture
def company(person, give):
    """Sales: 4 people (3 staff and a head); Operations: 2 staff; one admin in none.

    In 2026-03 two Sales people give three ideas (one declined), one Operations person
    gives one; in 2026-02 one Sales person gives one. One Sales account is inactive.
    """
    sales = [person("staff", "Sales", name=f"Sales {n}") for n in range(3)]
    sales.append(person("department_head", "Sales", name="Head"))
    gone = person("staff", "Sales", name="Gone")
    gone.active = False
    ops = [person("staff", "Operations", name=f"Ops {n}") for n in range(2)]
    person("admin", None, name="Admin")
    march = [give("A", sales[0]), give("B", sales[0]), give("C", sales[3]), give("D", ops[1])]
    for idea in march:
        at_month(idea, "2026-03")
    services.move(march[1], "declined", by=sales[3], reason="Planned")
    at_month(give("E", sales[1]), "2026-02")
    db.session.commit()


def rows_by_department(report: dict) -> dict[str, dict]:
    return {row["department"]: row for row in report["rows"]}


def test_the_share_is_contributors_over_the_departments_active_people(company):
    report = services.campaign_report("2026-03")
    rows = rows_by_department(report)
    assert (rows["Sales"]["people"], rows["Sales"]["contributors"]) == (4, 2)
    assert rows["Sales"]["share"] == pytest.approx(2 / 4)
    assert (rows["Operations"]["people"], rows["Operations"]["contributors"]) == (2, 1)
    assert rows["Operations"]["share"] == pytest.approx(1 / 2)
    assert (rows["No department"]["people"], rows["No department"]["share"]) == (1, 0)
    company_row = report["company"]
    assert (company_row["people"], company_row["contributors"]) == (7, 3)
    assert company_row["share"] == pytest.approx(3 / 7)


def test_ideas_are_counted_by_status_per_department_and_for_the_company(company):
    report = services.campaign_report("2026-03")
    sales = rows_by_department(report)["Sales"]
    assert sales["ideas"] == 3
    assert (sales["statuses"]["submitted"], sales["statuses"]["declined"]) == (2, 1)
    assert report["company"]["ideas"] == 4
    assert report["company"]["statuses"]["submitted"] == 3


def test_another_month_counts_only_its_own_ideas(company):
    february = services.campaign_report("2026-02")
    assert rows_by_department(february)["Sales"]["contributors"] == 1
    assert february["company"]["ideas"] == 1
    assert services.campaign_report("2025-12")["company"]["contributors"] == 0


def test_the_campaigns_listed_are_those_with_ideas_and_this_month(company):
    months = services.campaigns()
    assert months[0] == services.current_campaign()
    assert {"2026-03", "2026-02"} <= set(months)
    assert months == sorted(months, reverse=True)
