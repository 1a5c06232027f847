"""The portfolio is rendered once per state of the pilots, and every change shows at once."""

from __future__ import annotations

import io
import textwrap
from datetime import date

import pytest
from sqlalchemy import select

from testbed.auth.models import Department
from testbed.auth.services import create_user, rename_department
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.pilots import services
from testbed.pilots.models import Pilot
from testbed.results import services as results
from testbed.suggestions.services import add_suggestion
from tests.conftest import MINIMAL_TOML
from tests.pilots.conftest import OBSERVATIONS
from tests.security.world import signed_in


@pytest.fixture(autouse=True)
def fresh_reports(monkeypatch):
    """Reports of this test only: pilot ids and versions repeat across tests."""
    monkeypatch.setattr(results, "_CACHE", {})


def portfolio(client, address: str = "/") -> str:
    # A request of its own, as on a server: its own session and signed-in user.
    with client.application.app_context():
        response = client.get(address)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def row(html: str, name: str) -> str:
    """The table row of the pilot called ``name``."""
    at = html.index(f">{name}</a>")
    return html[html.rindex("<tr>", 0, at) : html.index("</tr>", at)]


def primary(pilot: Pilot, statement: str) -> services.HypothesisFields:
    return services.HypothesisFields(
        statement=statement, metric=pilot.metric("fta"), role="primary"
    )


def test_an_unchanged_portfolio_is_rendered_once_per_filter(
    app, innovator, fresh_pilot, monkeypatch
):
    client = signed_in(app, innovator)
    built = []
    rows = services.portfolio_rows
    monkeypatch.setattr(services, "portfolio_rows", lambda **f: built.append(f) or rows(**f))
    first, second = portfolio(client), portfolio(client)
    assert row(first, "Fresh pilot") == row(second, "Fresh pilot")
    assert len(built) == 1
    assert "No pilot matches these filters." in portfolio(client, "/?status=scaled")
    assert "No pilot matches these filters." in portfolio(client, "/?status=scaled")
    assert built == [
        {"status": None, "department_id": None, "partner_id": None},
        {"status": "scaled", "department_id": None, "partner_id": None},
    ]


def test_a_new_pilot_shows_at_once(app, innovator, fresh_pilot):
    client = signed_in(app, innovator)
    assert "Phone reminders" not in portfolio(client)
    fields = services.PilotFields(
        name="Phone reminders", partner=services.NewPartner("Town Surgery"), status="draft"
    )
    services.create_pilot(fields, by=innovator)
    db.session.commit()
    html = portfolio(client)
    assert "Town Surgery" in row(html, "Phone reminders")
    assert ">Town Surgery</option>" in html  # the partner filter offers it too


def test_an_edited_pilot_shows_at_once(app, innovator, fresh_pilot):
    client = signed_in(app, innovator)
    assert "status-active" in row(portfolio(client), "Fresh pilot")
    fields = services.PilotFields(
        name="Fresh pilot", partner=fresh_pilot.partner, status="paused", departments=()
    )
    services.update_pilot(fresh_pilot, fields, by=innovator)
    db.session.commit()
    edited = row(portfolio(client), "Fresh pilot")
    assert "status-paused" in edited and "Operations" not in edited


def test_a_hypothesis_then_its_observations_then_an_amendment_show_at_once(
    app, innovator, fresh_pilot
):
    client = signed_in(app, innovator)
    assert "none registered" in row(portfolio(client), "Fresh pilot")
    hypothesis = services.register_hypothesis(
        fresh_pilot, "H1", primary(fresh_pilot, "Calls lower no-shows."), by=innovator
    )
    db.session.commit()
    registered = row(portfolio(client), "Fresh pilot")
    assert "Calls lower no-shows." in registered and "strength-untested" in registered

    sent = client.post(
        "/pilots/fresh/observations/upload",
        data={
            "version": str(fresh_pilot.version),
            "file": (io.BytesIO(OBSERVATIONS.encode()), "observations.csv"),
        },
        content_type="multipart/form-data",
    )
    confirmed = client.post(sent.headers["Location"], data={"version": str(fresh_pilot.version)})
    assert confirmed.status_code == 302
    observed = row(portfolio(client), "Fresh pilot")
    assert "strength-untested" not in observed and "verdict-line" in observed

    services.update_hypothesis(
        hypothesis, primary(fresh_pilot, "Calls halve no-shows."), by=innovator, reason="Sharper."
    )
    db.session.commit()
    assert "Calls halve no-shows." in row(portfolio(client), "Fresh pilot")


def test_an_iteration_and_a_suggestion_show_at_once(app, innovator, fresh_pilot):
    client = signed_in(app, innovator)
    before = row(portfolio(client), "Fresh pilot")
    assert "none yet" in before and '<td data-label="Suggestions" class="num">0</td>' in before
    fields = services.IterationFields(1, "Phone calls", start_date=date(2025, 3, 1))
    services.log_iteration(fresh_pilot, fields, [], by=innovator)
    add_suggestion(fresh_pilot, "Call the day before.", author=innovator, department=None)
    db.session.commit()
    after = row(portfolio(client), "Fresh pilot")
    assert "1: Phone calls" in after and '<td data-label="Suggestions" class="num">1</td>' in after


def test_a_renamed_department_shows_at_once(app, innovator, fresh_pilot):
    client = signed_in(app, innovator)
    assert "Operations" in row(portfolio(client), "Fresh pilot")
    department = db.session.scalar(select(Department).where(Department.name == "Operations"))
    rename_department(department, "Clinic operations", actor="admin")
    db.session.commit()
    html = portfolio(client)
    assert "Clinic operations" in row(html, "Fresh pilot")
    assert ">Clinic operations</option>" in html


def test_a_partner_changed_by_another_pilots_folder_shows_at_once(
    app, innovator, fresh_pilot, write_pilot
):
    client = signed_in(app, innovator)
    assert "key account" not in row(portfolio(client), "Fresh pilot")
    partner = """\
        [partner]
        name = "Small Clinic"
        key_account = true
        key_account_reason = "Sales agreed."
        """
    toml = MINIMAL_TOML.split("[partner]")[0] + textwrap.dedent(partner)
    toml += "\n[[metrics]]" + MINIMAL_TOML.split("[[metrics]]", 1)[1]
    load_path(write_pilot(pilot__toml=toml))
    db.session.commit()
    assert "key account" in row(portfolio(client), "Fresh pilot")


def test_what_a_role_may_do_is_never_taken_from_another_role(app, fresh_pilot):
    ines = create_user("ines@example.org", "innovation", "a long password", name="Ines")
    fay = create_user("fay@example.org", "finance", "a long password", name="Fay")
    db.session.commit()
    for user, offered in ((ines, True), (fay, False), (ines, True)):
        html = portfolio(signed_in(app, user))
        assert ('href="/pilots/new"' in html) is offered
        assert f"{user.name} · {user.role}" in html
