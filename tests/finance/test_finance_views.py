"""Finance pages over HTTP: the numbers shown, and edits with their conflicts and refusals."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from testbed.audit import AuditEvent
from testbed.extensions import db
from testbed.finance.models import Benefit, CostItem, FinancePlan, Programme
from testbed.results.services import report_for

CONFLICT = "Someone else changed this pilot since you opened the page; reload and try again."


def percent(value: float) -> str:
    text = f"{value * 100:,.1f}".replace("-", "−")
    return (text[:-2] if text.endswith(".0") else text) + " %"


def money(value: float) -> str:
    return f"{value:,.0f}".replace("-", "−")


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_the_pilot_page_shows_the_reports_returns(client, login, finance_pilot):
    login("finance")
    page = text_of(client.get("/pilots/reminders/finance"))
    returns = report_for(finance_pilot)["returns"]

    roi, npv, benefit = returns["roi"], returns["npv"], returns["annual_benefit"]
    assert f'<span class="value">{percent(roi["estimate"])}</span>' in page
    assert f"{percent(roi['ci_low'])} to {percent(roi['ci_high'])}" in page
    assert f"{money(npv['estimate'])} EUR" in page
    assert f"{money(npv['ci_low'])} to {money(npv['ci_high'])}" in page
    assert f"{money(benefit['ci_low'])} to {money(benefit['ci_high'])}" in page
    assert f"{percent(returns['irr'])}" in page
    assert f"{returns['probability_roi_positive'] * 100:.0f} %" in page
    # Payback may not happen within the horizon at the unfavourable end of the interval.
    assert "to not within 3 years" in page
    assert "the effect the pilot measured × what one unit is worth × the volume a year" in page
    assert "seeded" in page


def test_the_pilot_page_puts_the_pilot_among_the_programmes(client, login, finance_pilot):
    login("finance")
    page = text_of(client.get("/pilots/reminders/finance"))
    chances = {
        b["programme"]: b["probability"] for b in report_for(finance_pilot)["returns"]["beats"]
    }

    order = [page.index(name) for name in ("This pilot", "Replace old switches", "@SUM(1+1)")]
    assert order == sorted(order)
    assert f"{chances['Replace old switches'] * 100:.0f} %" in page
    assert "from H2 (secondary)" in page


def test_the_portfolio_page_lists_each_case_and_the_programmes(client, login, finance_pilot):
    login("innovation")
    page = text_of(client.get("/finance"))
    returns = report_for(finance_pilot)["returns"]

    assert "Reminder pilot" in page
    assert percent(returns["roi"]["estimate"]) in page
    assert 'Replace old switches <span class="meta">(40 %;' in page
    assert "@SUM(1+1)" in page and "18 %" in page
    assert "Add or change programmes" not in page  # innovation may read, not edit


def test_an_empty_portfolio_says_what_to_do(client, login):
    login("finance")
    page = text_of(client.get("/finance"))
    assert "No pilot has a financial case yet" in page
    assert "Add the first programme" in page


def test_a_pilot_without_a_case_offers_to_start_one_to_finance_only(client, login, loaded_pilot):
    login("innovation")
    page = text_of(client.get("/pilots/reminders/finance"))
    assert "No financial case yet" in page
    assert "Start the financial case" not in page

    client.post("/logout")
    login("finance")
    page = text_of(client.get("/pilots/reminders/finance"))
    assert "Start the financial case" in page


def test_starting_a_case_creates_the_plan(client, login, loaded_pilot):
    login("finance")
    form = {"version": loaded_pilot.version, "currency": "gbp", "discount_rate": "7.5"}
    response = client.post("/pilots/reminders/finance/plan", data=form | {"horizon_years": "4"})

    assert response.status_code == 302
    plan = db.session.get(FinancePlan, loaded_pilot.id)
    assert (plan.currency, plan.discount_rate, plan.horizon_years) == ("GBP", 0.075, 4)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "finance_plan"))
    assert (event.action, event.user_id) == ("created", 1)


def cost_count(pilot) -> int:
    return db.session.scalar(
        select(func.count()).select_from(CostItem).where(CostItem.pilot_id == pilot.id)
    )


def test_adding_a_cost_saves_it_and_raises_the_version(client, login, finance_pilot):
    login("finance")
    version = finance_pilot.version
    response = client.post(
        "/pilots/reminders/finance/costs/new",
        data={
            "version": version,
            "item": "Training",
            "amount": "900",
            "year": "2",
            "recurring": "y",
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/pilots/reminders/finance"
    db.session.refresh(finance_pilot)
    assert finance_pilot.version == version + 1
    cost = db.session.scalar(select(CostItem).where(CostItem.item == "Training"))
    assert (cost.amount, cost.year, cost.recurring) == (900.0, 2, True)
    assert "Training" in client.get("/pilots/reminders/finance").get_data(as_text=True)


def test_a_cost_year_outside_the_horizon_is_shown_next_to_the_field(client, login, finance_pilot):
    login("finance")
    response = client.post(
        "/pilots/reminders/finance/costs/new",
        data={"version": finance_pilot.version, "item": "Late", "amount": "10", "year": "4"},
    )

    assert response.status_code == 422
    page = text_of(response)
    assert 'id="year-error">Enter a year from 0 to 3 (the horizon)' in page
    assert 'value="Late"' in page
    assert cost_count(finance_pilot) == 3


def test_a_cost_added_on_an_older_version_is_refused_with_409(client, login, finance_pilot):
    login("finance")
    stale = finance_pilot.version
    client.post(
        "/pilots/reminders/finance/costs/new",
        data={"version": stale, "item": "First", "amount": "10", "year": "0"},
    )
    response = client.post(
        "/pilots/reminders/finance/costs/new",
        data={"version": stale, "item": "Second", "amount": "10", "year": "0"},
    )

    assert response.status_code == 409
    assert CONFLICT in response.get_data(as_text=True)
    assert db.session.scalar(select(CostItem).where(CostItem.item == "Second")) is None
    assert cost_count(finance_pilot) == 4


def test_a_cost_edited_on_an_older_version_is_refused_and_unchanged(client, login, finance_pilot):
    login("finance")
    cost = db.session.scalar(select(CostItem).where(CostItem.item == "+1"))
    url = f"/pilots/reminders/finance/costs/{cost.id}"
    assert f'value="{finance_pilot.version}"' in client.get(url).get_data(as_text=True)

    response = client.post(
        url,
        data={"version": finance_pilot.version - 1, "item": "Changed", "amount": "5", "year": "1"},
    )

    assert response.status_code == 409
    db.session.refresh(cost)
    assert (cost.item, cost.amount) == ("+1", 100.0)


def test_editing_and_deleting_a_cost(client, login, finance_pilot):
    login("admin")
    cost = db.session.scalar(select(CostItem).where(CostItem.item == "+1"))
    url = f"/pilots/reminders/finance/costs/{cost.id}"
    version = finance_pilot.version
    response = client.post(
        url, data={"version": version, "item": "Licence", "amount": "120", "year": "1"}
    )
    assert response.status_code == 302
    db.session.refresh(cost)
    assert (cost.item, cost.amount, cost.recurring) == ("Licence", 120.0, False)

    stale = client.post(url + "/delete", data={"version": version})
    assert stale.status_code == 409
    assert db.session.get(CostItem, cost.id) is not None

    response = client.post(url + "/delete", data={"version": version + 1})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CostItem, cost.id) is None
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity == "cost_item").order_by(AuditEvent.id)
    ).all()
    assert actions == ["updated", "deleted"]


def test_a_post_without_the_version_is_a_bad_request(client, login, finance_pilot):
    login("finance")
    response = client.post(
        "/pilots/reminders/finance/costs/new", data={"item": "X", "amount": "1", "year": "0"}
    )
    assert response.status_code == 400
    assert cost_count(finance_pilot) == 3


def test_another_pilots_cost_is_not_found_here(client, login, finance_pilot, add_finance_pilot):
    other = add_finance_pilot("second")
    cost = db.session.scalar(select(CostItem).where(CostItem.pilot_id == other.id))
    login("finance")
    assert client.get(f"/pilots/reminders/finance/costs/{cost.id}").status_code == 404


def test_costs_wait_for_a_plan(client, login, loaded_pilot):
    login("finance")
    response = client.get("/pilots/reminders/finance/costs/new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/pilots/reminders/finance/plan"


def test_benefit_lines_are_added_checked_and_deleted(client, login, finance_pilot):
    login("finance")
    fta = finance_pilot.metric("fta")
    version = finance_pilot.version
    bad = client.post(
        "/pilots/reminders/finance/benefits/new",
        data={
            "version": version,
            "metric": fta.id,
            "value_per_unit": "85",
            "volume_per_year": "-1",
        },
    )
    assert bad.status_code == 422
    assert 'id="volume_per_year-error">Enter zero or more.' in bad.get_data(as_text=True)

    added = client.post(
        "/pilots/reminders/finance/benefits/new",
        data={
            "version": version,
            "metric": fta.id,
            "value_per_unit": "85",
            "volume_per_year": "900",
        },
    )
    assert added.status_code == 302
    benefit = db.session.scalar(select(Benefit).where(Benefit.metric_id == fta.id))
    assert (benefit.value_per_unit, benefit.volume_per_year) == (85.0, 900.0)

    deleted = client.post(
        f"/pilots/reminders/finance/benefits/{benefit.id}/delete", data={"version": version + 1}
    )
    assert deleted.status_code == 302
    db.session.expire_all()
    assert db.session.get(Benefit, benefit.id) is None


def test_a_changed_benefit_line_changes_the_returns(client, login, finance_pilot):
    login("finance")
    before = report_for(finance_pilot)["returns"]["annual_benefit"]["estimate"]
    (benefit,) = db.session.scalars(select(Benefit)).all()
    client.post(
        f"/pilots/reminders/finance/benefits/{benefit.id}",
        data={
            "version": finance_pilot.version,
            "metric": benefit.metric_id,
            "value_per_unit": "5",
            "volume_per_year": "1000",
        },
    )
    db.session.refresh(finance_pilot)
    assert report_for(finance_pilot)["returns"]["annual_benefit"]["estimate"] == 2 * before


def test_programmes_are_managed_as_percentages(client, login, finance_pilot):
    login("finance")
    response = client.post(
        "/finance/programmes", data={"name": "Call routing", "roi_percent": "22.5"}
    )
    assert response.status_code == 302
    programme = db.session.scalar(select(Programme).where(Programme.name == "Call routing"))
    assert programme.roi == 0.225

    page = client.get(f"/finance/programmes/{programme.id}").get_data(as_text=True)
    assert 'value="22.5"' in page

    response = client.post(
        f"/finance/programmes/{programme.id}", data={"name": "Call routing", "roi_percent": "-10"}
    )
    assert response.status_code == 302
    db.session.refresh(programme)
    assert programme.roi == -0.1
    # Every pilot's comparison uses the change at once.
    assert "Call routing" in client.get("/pilots/reminders/finance").get_data(as_text=True)

    assert client.post(f"/finance/programmes/{programme.id}/delete").status_code == 302
    assert db.session.scalar(select(Programme).where(Programme.name == "Call routing")) is None
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity == "programme").order_by(AuditEvent.id)
    ).all()
    assert actions == ["created", "updated", "deleted"]


def test_a_duplicate_programme_name_is_refused_next_to_the_field(client, login, finance_pilot):
    login("finance")
    response = client.post(
        "/finance/programmes", data={"name": "replace OLD switches", "roi_percent": "5"}
    )
    assert response.status_code == 422
    assert 'id="name-error">A programme of this name exists already.' in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(Programme)) == 2


def test_a_state_change_needs_a_post(client, login, finance_pilot):
    login("finance")
    cost = db.session.scalar(select(CostItem).limit(1))
    assert client.get(f"/pilots/reminders/finance/costs/{cost.id}/delete").status_code == 405
    assert client.get("/finance/programmes/1/delete").status_code == 405
